"""Helpers for the API tests: authenticated requests by actor name, and a faster setup."""

import sqlite3

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine


class Api:
    """Sends requests to the test client as one of the actors (or anonymously)."""

    def __init__(self, client, actors):
        self.client = client
        self.actors = actors

    def request(self, method: str, path: str, who: str | None = "staff", **kwargs):
        headers = dict(kwargs.pop("headers", {}))
        if who is not None:
            headers.update(self.actors.headers(who))
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path, who="staff", **kwargs):
        return self.request("GET", path, who, **kwargs)

    def head(self, path, who="staff", **kwargs):
        return self.request("HEAD", path, who, **kwargs)

    def post(self, path, who="staff", **kwargs):
        return self.request("POST", path, who, **kwargs)

    def delete(self, path, who="staff", **kwargs):
        return self.request("DELETE", path, who, **kwargs)


@pytest.fixture
def api(client, actors):
    """Requests as an actor: `api.get(path, "agent")`."""
    return Api(client, actors)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """The API never checks passwords: hash the actors' passwords cheaply to keep the suite fast."""
    from werkzeug.security import generate_password_hash

    monkeypatch.setattr(
        "console.models.generate_password_hash",
        lambda password: generate_password_hash(password, method="pbkdf2:sha256:1"),
    )


def _skip_sqlite_fsync(dbapi_connection, _record):
    """Turn off fsync on SQLite test files: durability is irrelevant to a throwaway database."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=OFF")


@pytest.fixture(autouse=True)
def fast_sqlite_commits():
    """Apply `_skip_sqlite_fsync` to the connections the test's app opens (before `app` runs)."""
    event.listen(Engine, "connect", _skip_sqlite_fsync)
    yield
    event.remove(Engine, "connect", _skip_sqlite_fsync)
