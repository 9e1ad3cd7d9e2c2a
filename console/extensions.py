"""Flask extensions, created unbound and attached in create_app."""

import sqlite3

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base for all models."""


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Throttles failed logins and bad API tokens; its limits and storage are in console/throttling.py.
limiter = Limiter(key_func=get_remote_address)


@event.listens_for(Engine, "connect")
def configure_connection(dbapi_connection, _record) -> None:
    """Make SQLite enforce foreign keys and wait for a busy writer instead of failing at once;
    keep PostgreSQL planning each statement for its own values."""
    if hasattr(dbapi_connection, "prepare_threshold"):
        # psycopg prepares a statement run five times on a connection, and PostgreSQL then may
        # plan it once for any values: a name search planned for "gpu" would run for "a" too.
        # (A transaction's ROLLBACK used to drop them; the read-only requests have none.)
        dbapi_connection.prepare_threshold = None
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA foreign_keys = ON")
        dbapi_connection.execute("PRAGMA busy_timeout = 15000")
        # Read pages straight from the file's memory map rather than copying each one in.
        dbapi_connection.execute("PRAGMA mmap_size = 1073741824")
