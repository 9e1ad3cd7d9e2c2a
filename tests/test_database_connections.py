"""A pooled database connection is pinged before use only after sitting idle: a busy server
spends no round trip on it, and a connection the database dropped while it sat idle (a restart,
an idle timeout) is replaced by a fresh one instead of failing the request."""

import json
import time
import urllib.request

import pytest
from sqlalchemy import NullPool, create_engine, text

from console import extensions
from console.extensions import db

LIST = "/api/backend-resources/"


@pytest.fixture
def pings(app, monkeypatch):
    """The pings the app's pool sends, counted on the way to the database."""
    with app.app_context():
        dialect = db.engine.dialect
    sent = []
    ping = dialect.do_ping

    def counted_ping(dbapi_connection):
        sent.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted_ping)
    return sent


def get_json(live_server: str, token: str, path: str):
    """GET `path` over HTTP as the token's user; return the status and the parsed body."""
    request = urllib.request.Request(live_server + path,
                                     headers={"Authorization": f"Token {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read())


def test_a_connection_in_steady_use_is_not_pinged_and_an_idle_one_is(
    live_server, actors, factory, pings, monkeypatch
):
    factory.backend_resource(actors.offering, actors.project, name="alloc-1")
    db.session.remove()
    token = actors.tokens["staff"]
    monkeypatch.setattr(extensions, "PING_AFTER_IDLE_SECONDS", 60)
    for _ in range(3):
        assert get_json(live_server, token, LIST)[0] == 200
    assert pings == []
    monkeypatch.setattr(extensions, "PING_AFTER_IDLE_SECONDS", 0.05)
    time.sleep(0.1)
    assert get_json(live_server, token, LIST)[0] == 200
    assert len(pings) == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_connection_the_database_dropped_while_idle_is_replaced(
    live_server, actors, factory, app, monkeypatch
):
    factory.backend_resource(actors.offering, actors.project, name="alloc-1")
    db.session.remove()
    token = actors.tokens["staff"]
    status, body = get_json(live_server, token, LIST)
    assert (status, [report["name"] for report in body]) == (200, ["alloc-1"])
    with app.app_context():
        url = db.engine.url
    other = create_engine(url, poolclass=NullPool)
    with other.connect() as connection:
        dropped = connection.execute(text(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) "
            "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )).scalar()
    other.dispose()
    assert dropped >= 1
    monkeypatch.setattr(extensions, "PING_AFTER_IDLE_SECONDS", 0.05)
    time.sleep(0.1)
    status, body = get_json(live_server, token, LIST)
    assert (status, [report["name"] for report in body]) == (200, ["alloc-1"])
