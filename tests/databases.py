"""The test PostgreSQL databases: one per pytest-xdist worker, beside CONSOLE_TEST_DATABASE_URL.

A serial run uses the named database itself. Under xdist, worker `gw3` uses `<name>_gw3`,
created on first use through a connection to the named database (its owner may create
databases, as the one .ci/run creates can); it is emptied by the tests like the named one.
"""

import os

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

CONFIGURED_URL = os.environ.get("CONSOLE_TEST_DATABASE_URL", "")


def worker_id() -> str:
    """This process's xdist worker id (`gw0`, ...), or "" outside xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "")


def create_database(url: str, name: str, *, replace: bool = False) -> str:
    """Create database `name` beside the one at `url` unless it exists; return its URL."""
    base = make_url(url)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            if replace:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


_worker_url: str | None = None


def postgres_url() -> str:
    """This worker's PostgreSQL test database URL ("" when none is configured)."""
    global _worker_url
    if not CONFIGURED_URL or not worker_id():
        return CONFIGURED_URL
    if _worker_url is None:
        name = f"{make_url(CONFIGURED_URL).database}_{worker_id()}"
        _worker_url = create_database(CONFIGURED_URL, name)
    return _worker_url
