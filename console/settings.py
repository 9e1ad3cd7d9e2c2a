"""Settings: defaults, then CONSOLE_* environment variables, then the caller's mapping."""

import os
import secrets
from pathlib import Path

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ENVIRONMENT_SETTINGS = {
    "CONSOLE_DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "CONSOLE_SECRET_KEY": "SECRET_KEY",
    "CONSOLE_SESSION_COOKIE_SECURE": "SESSION_COOKIE_SECURE",
    "CONSOLE_DEFAULT_PAGE_SIZE": "CONSOLE_DEFAULT_PAGE_SIZE",
    "CONSOLE_MAX_PAGE_SIZE": "CONSOLE_MAX_PAGE_SIZE",
    "CONSOLE_CSP_DISABLED": "CONSOLE_CSP_DISABLED",
    "CONSOLE_BROKER_URL": "CONSOLE_BROKER_URL",
    "CONSOLE_BROKER_MANAGEMENT_URL": "CONSOLE_BROKER_MANAGEMENT_URL",
    "CONSOLE_SCAN_STUCK_MINUTES": "CONSOLE_SCAN_STUCK_MINUTES",
}

BOOLEAN_SETTINGS = {"SESSION_COOKIE_SECURE", "CONSOLE_CSP_DISABLED"}
INTEGER_SETTINGS = {
    "CONSOLE_DEFAULT_PAGE_SIZE", "CONSOLE_MAX_PAGE_SIZE", "CONSOLE_SCAN_STUCK_MINUTES",
}


def default_settings(instance_path: str) -> dict:
    """Return the built-in defaults, which need no environment at all."""
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(instance_path) / 'console.sqlite3'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "CONSOLE_DEFAULT_PAGE_SIZE": 10,
        "CONSOLE_MAX_PAGE_SIZE": 300,
        "CONSOLE_CSP_DISABLED": False,
        "WTF_CSRF_TIME_LIMIT": None,
        "JSON_SORT_KEYS": False,
        # Event delivery to site agents; empty means scan requests are recorded, not sent.
        "CONSOLE_BROKER_URL": "",
        "CONSOLE_BROKER_MANAGEMENT_URL": "",
        # A scan still Sent or Processing after this long is shown as stuck.
        "CONSOLE_SCAN_STUCK_MINUTES": 30,
    }


def environment_settings(environ=os.environ) -> dict:
    """Read the CONSOLE_* variables that are set, converted to their setting types."""
    settings = {}
    for variable, key in ENVIRONMENT_SETTINGS.items():
        if variable not in environ:
            continue
        value = environ[variable]
        if key in BOOLEAN_SETTINGS:
            value = value.strip().lower() in {"1", "true", "yes", "on"}
        elif key in INTEGER_SETTINGS:
            value = int(value)
        settings[key] = value
    return settings


def instance_secret_key(instance_path: str) -> str:
    """Return the secret key kept in instance/secret_key, creating it on first use."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Create exclusively so two processes starting together agree on one key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


class DatabaseUnusable(click.ClickException):
    """The configured database URL cannot be used; the CLI prints the message, not a traceback."""


def resolve_sqlite_path(url: str, working_directory: str | None = None) -> str:
    """Make a relative SQLite file path absolute from the current folder, as a shell user means
    `sqlite:///instance/x.sqlite3` (Flask-SQLAlchemy would read it under instance/ instead).

    Raise DatabaseUnusable when the URL does not parse or its file's folder cannot be written.
    Other databases, in-memory SQLite and absolute paths are returned unchanged.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUnusable(f"CONSOLE_DATABASE_URL {url!r} is not a database URL.") from None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return url
    if parsed.database.startswith("file:"):
        return url
    path = Path(working_directory or os.getcwd(), parsed.database)
    folder = path.parent
    if not folder.is_dir():
        raise DatabaseUnusable(
            f"The SQLite database {path} cannot be opened: the folder {folder} does not exist. "
            "Create it, or point CONSOLE_DATABASE_URL elsewhere (a relative path is read from "
            "the current folder)."
        )
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise DatabaseUnusable(
            f"The SQLite database {path} cannot be opened for writing: check its permissions."
        )
    return parsed.set(database=str(path.resolve())).render_as_string(hide_password=False)
