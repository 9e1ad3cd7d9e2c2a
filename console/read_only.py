"""Requests that only read: the report list and a report's JSON, and the console's report table
(and its counts), run without a transaction.

Each of their statements is one on its own (autocommit): on PostgreSQL that spares the BEGIN and
ROLLBACK round trips of a request that writes nothing, and lets the statements marked PREPARED
stay prepared on the connection (psycopg drops them at each ROLLBACK). Read committed, as the
database runs every transaction here, gives each statement its own snapshot anyway, so the
answers are the same. SQLite is left as it is: its driver begins no transaction before a read
anyway, and switching the connection to autocommit and back cost a list about half a
millisecond.
"""

from flask import g, request

from console.extensions import db

READ_ONLY_ENDPOINTS = frozenset({
    "api.backend_resource_list", "api.backend_resource_detail", "web.backend_resource_list",
    "web.backend_resource_counts",
})


def register(app) -> None:
    """Run the hooks around every request: before the blueprints' own (the API's token check)."""
    app.before_request(read_without_transaction)
    app.teardown_request(give_back_the_autocommit_connection)


def read_without_transaction() -> None:
    """Run the statements of a GET or HEAD of a read-only endpoint in autocommit on PostgreSQL
    (unless the session is already in a transaction: a test's, sharing its app context)."""
    if (
        request.method in ("GET", "HEAD")
        and request.endpoint in READ_ONLY_ENDPOINTS
        and db.engine.dialect.name == "postgresql"
        and not db.session().in_transaction()
    ):
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        g.read_without_transaction = True


def give_back_the_autocommit_connection(_error=None) -> None:
    """End the session's use of the autocommit connection with the request (no round trip): the
    pool resets it, and whatever the session does next (a test's, in the same app context)
    runs in a transaction again."""
    if g.pop("read_without_transaction", False):
        db.session.rollback()
