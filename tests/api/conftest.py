"""Helpers for the API tests: authenticated requests by actor name, and what the statements of
a request ran in."""

import sqlite3

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import event
from waldur_api_client import AuthenticatedClient

from console.extensions import db


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


@pytest.fixture
def official(live_server, actors):
    """Open an AuthenticatedClient as an actor by name (or with a raw token)."""
    clients = []

    def open_client(who: str = "staff", token: str | None = None) -> AuthenticatedClient:
        client = AuthenticatedClient(
            base_url=live_server, token=token or actors.tokens[who], timeout=30
        )
        clients.append(client.__enter__())
        return client

    yield open_client
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def autocommit_seen(app):
    """For each statement the app runs: (its first word, whether it ran outside a transaction),
    read from the driver once the statement has run. PostgreSQL reads run in autocommit; the
    SQLite driver begins a transaction only before a write."""
    seen = []

    def record(connection, _cursor, statement, _parameters, _context, _many):
        driver = connection.connection.driver_connection
        if isinstance(driver, sqlite3.Connection):
            outside = not driver.in_transaction
        else:
            outside = driver.info.transaction_status == TransactionStatus.IDLE
        seen.append((statement.split(None, 1)[0].upper(), outside))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", record)
    yield seen
    event.remove(engine, "after_cursor_execute", record)
