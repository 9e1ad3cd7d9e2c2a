"""Flask extensions, created unbound and attached in create_app."""

import sqlite3
import time

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base for all models."""


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Throttles failed logins and bad API tokens; its limits and storage are in console/throttling.py.
limiter = Limiter(key_func=get_remote_address)


# A statement run with this execution option set is prepared on PostgreSQL, when it runs outside a
# transaction (see `execute_prepared`). Set it only on statements whose best plan does not
# depend on the values bound: a key looked up, catalogue ids, a page's place in the list.
PREPARED = "prepared"
# psycopg prepares a statement run this many times on a connection: never, here (see below).
NEVER_BY_COUNT = 2**62
# The server no longer has a prepared statement (a pooler's DISCARD ALL), or a migration changed
# its result type under it ("cached plan must not change result type").
STALE_PREPARED_STATEMENT = frozenset({"26000", "0A000"})


@event.listens_for(Engine, "connect")
def configure_connection(dbapi_connection, _record) -> None:
    """Make SQLite enforce foreign keys and wait for a busy writer instead of failing at once;
    keep PostgreSQL planning each statement for its own values unless it is marked PREPARED."""
    if hasattr(dbapi_connection, "prepare_threshold"):
        # psycopg prepares a statement run five times on a connection, and PostgreSQL then may
        # plan it once for any values: a name search planned for "gpu" would run for "a" too.
        dbapi_connection.prepare_threshold = NEVER_BY_COUNT
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA foreign_keys = ON")
        dbapi_connection.execute("PRAGMA busy_timeout = 15000")
        # Read pages straight from the file's memory map rather than copying each one in.
        dbapi_connection.execute("PRAGMA mmap_size = 1073741824")


# A pooled connection is pinged before use (SELECT 1: a round trip) only once it has sat idle this
# long: one given back a moment ago was alive then, and a database restart, or a server or
# firewall dropping idle connections, takes longer. (SQLAlchemy's pool_pre_ping pings at every
# checkout: one more round trip on every request of a busy server.)
PING_AFTER_IDLE_SECONDS = 1.0
IDLE_SINCE = "console_idle_since"


def ping_idle_connections(engine: Engine) -> None:
    """Ping each connection `engine`'s pool hands out after sitting idle, and have the pool
    replace one the database no longer answers on by a fresh one."""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def note_idle_since(_dbapi_connection, record) -> None:
        record.info[IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_after_idling(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get(IDLE_SINCE)
        if idle_since is not None and time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError("the database did not answer on a pooled connection") from (
                error
            )


@event.listens_for(Engine, "do_execute")
def execute_prepared(cursor, statement, parameters, context) -> bool | None:
    """Run a PREPARED statement as a prepared one on a PostgreSQL connection in autocommit.

    PostgreSQL then parses it once per connection and, after five runs, may plan it once for
    all values, which on a list's page costs more than running it. Only outside a transaction:
    psycopg forgets its prepared statements at each ROLLBACK, so within one they would be
    prepared only to be thrown away. A prepared statement gone stale on the server is
    forgotten, with every other one of the connection, and the statement runs unprepared.
    """
    connection = getattr(cursor, "connection", None)
    if (
        context is None
        or not context.execution_options.get(PREPARED)
        or not getattr(connection, "autocommit", False)
        or not hasattr(connection, "prepare_threshold")
    ):
        return None
    try:
        cursor.execute(statement, parameters, prepare=True)
    except Exception as error:
        if getattr(error, "sqlstate", None) not in STALE_PREPARED_STATEMENT:
            raise
        connection.execute("DEALLOCATE ALL")  # psycopg forgets its names with the server's
        cursor.execute(statement, parameters, prepare=False)
    return True
