"""Settings: defaults, then CONSOLE_* environment variables, then the caller's mapping."""

import json
import os
import secrets
import tempfile
from pathlib import Path

import click
from limits import parse_many
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class SettingsError(Exception):
    """A CONSOLE_* variable holds a value the console cannot use; the message says which."""


# Variable -> (setting, kind). Kinds: text, flag, count (a whole number >= 1), optional count
# (empty means none), hosts (comma-separated), limits (Flask-Limiter's "5 per minute; 20 per
# hour" notation).
ENVIRONMENT_SETTINGS = {
    "CONSOLE_DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", "text"),
    "CONSOLE_SECRET_KEY": ("SECRET_KEY", "text"),
    "CONSOLE_SESSION_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", "flag"),
    "CONSOLE_DEFAULT_PAGE_SIZE": ("CONSOLE_DEFAULT_PAGE_SIZE", "count"),
    "CONSOLE_MAX_PAGE_SIZE": ("CONSOLE_MAX_PAGE_SIZE", "count"),
    "CONSOLE_CSP_DISABLED": ("CONSOLE_CSP_DISABLED", "flag"),
    "CONSOLE_BROKER_URL": ("CONSOLE_BROKER_URL", "text"),
    "CONSOLE_BROKER_MANAGEMENT_URL": ("CONSOLE_BROKER_MANAGEMENT_URL", "text"),
    "CONSOLE_SCAN_STUCK_MINUTES": ("CONSOLE_SCAN_STUCK_MINUTES", "count"),
    "CONSOLE_STALE_DAYS": ("CONSOLE_STALE_DAYS", "count"),
    "CONSOLE_COUNT_LATER_FROM": ("CONSOLE_COUNT_LATER_FROM", "count"),
    "CONSOLE_BULK_MAX_ROWS": ("CONSOLE_BULK_MAX_ROWS", "count"),
    "CONSOLE_MAX_REQUEST_BYTES": ("MAX_CONTENT_LENGTH", "count"),
    "CONSOLE_MAX_METADATA_BYTES": ("CONSOLE_MAX_METADATA_BYTES", "count"),
    "CONSOLE_MAX_METADATA_DEPTH": ("CONSOLE_MAX_METADATA_DEPTH", "count"),
    "CONSOLE_MAX_FILTER_LENGTH": ("CONSOLE_MAX_FILTER_LENGTH", "count"),
    "CONSOLE_MAX_SORT_KEYS": ("CONSOLE_MAX_SORT_KEYS", "count"),
    "CONSOLE_SESSION_IDLE_MINUTES": ("CONSOLE_SESSION_IDLE_MINUTES", "count"),
    "CONSOLE_SESSION_LIFETIME_HOURS": ("CONSOLE_SESSION_LIFETIME_HOURS", "count"),
    "CONSOLE_TOKEN_LIFETIME_DAYS": ("CONSOLE_TOKEN_LIFETIME_DAYS", "optional count"),
    "CONSOLE_TRUSTED_HOSTS": ("TRUSTED_HOSTS", "hosts"),
    "CONSOLE_PROXY_FIX": ("CONSOLE_PROXY_FIX", "optional count"),
    "CONSOLE_THROTTLING_ENABLED": ("RATELIMIT_ENABLED", "flag"),
    "CONSOLE_THROTTLE_STORAGE_URI": ("RATELIMIT_STORAGE_URI", "text"),
    "CONSOLE_LOGIN_LIMITS_PER_USERNAME": ("CONSOLE_LOGIN_LIMITS_PER_USERNAME", "limits"),
    "CONSOLE_LOGIN_LIMITS_PER_ADDRESS": ("CONSOLE_LOGIN_LIMITS_PER_ADDRESS", "limits"),
    "CONSOLE_TOKEN_FAILURE_LIMITS": ("CONSOLE_TOKEN_FAILURE_LIMITS", "limits"),
}
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def strict_json(value) -> str:
    """Serialise a JSON column; refuse NaN and Infinity, which no JSON reader takes back."""
    return json.dumps(value, allow_nan=False)


def default_settings(instance_path: str) -> dict:
    """Return the built-in defaults, which need no environment at all."""
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(instance_path) / 'console.sqlite3'}",
        # hide_parameters: errors and tracebacks in the log never carry what users typed. A
        # pooled connection is pinged after sitting idle (extensions.ping_idle_connections).
        "SQLALCHEMY_ENGINE_OPTIONS": {"json_serializer": strict_json, "hide_parameters": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "CONSOLE_DEFAULT_PAGE_SIZE": 10,
        "CONSOLE_MAX_PAGE_SIZE": 300,
        "CONSOLE_CSP_DISABLED": False,
        "JSON_SORT_KEYS": False,
        # Event delivery to site agents; empty means scan requests are recorded, not sent.
        "CONSOLE_BROKER_URL": "",
        "CONSOLE_BROKER_MANAGEMENT_URL": "",
        # A scan still Sent or Processing after this long is shown as stuck.
        "CONSOLE_SCAN_STUCK_MINUTES": 30,
        # A report older than this many days is flagged stale.
        "CONSOLE_STALE_DAYS": 14,
        # With this many reports or more, the table shows a search's or metadata filter's first
        # page at once and counts it (and the select counts) by a second request.
        "CONSOLE_COUNT_LATER_FROM": 100_000,
        # The most rows one bulk action may select.
        "CONSOLE_BULK_MAX_ROWS": 10000,
        # Input bounds: a larger body is refused with 413, the others with 400.
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "CONSOLE_MAX_METADATA_BYTES": 64 * 1024,
        "CONSOLE_MAX_METADATA_DEPTH": 20,
        "CONSOLE_MAX_FILTER_LENGTH": 500,
        "CONSOLE_MAX_SORT_KEYS": 6,
        # Console sessions end after this long unused, and this long after logging in.
        "CONSOLE_SESSION_IDLE_MINUTES": 30,
        "CONSOLE_SESSION_LIFETIME_HOURS": 12,
        # API tokens expire this many days after they were issued; None: never.
        "CONSOLE_TOKEN_LIFETIME_DAYS": None,
        # Host names the console answers to (None: any); proxies in front that set X-Forwarded-*.
        "TRUSTED_HOSTS": None,
        "CONSOLE_PROXY_FIX": None,
        # Throttling of failed logins and bad API tokens, counted in the database by default
        # so that every app server sees the same counts.
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "console-database://",
        "RATELIMIT_HEADERS_ENABLED": False,
        "CONSOLE_LOGIN_LIMITS_PER_USERNAME": "5 per minute; 20 per hour; 100 per day",
        "CONSOLE_LOGIN_LIMITS_PER_ADDRESS": "20 per minute; 100 per hour; 500 per day",
        "CONSOLE_TOKEN_FAILURE_LIMITS": "20 per minute; 200 per hour; 1000 per day",
    }


def environment_settings(environ=os.environ) -> dict:
    """Read the CONSOLE_* variables that are set, converted to their setting types.

    Raises SettingsError naming the variable when a value cannot be used.
    """
    settings = {}
    for variable, (key, kind) in ENVIRONMENT_SETTINGS.items():
        if variable in environ:
            settings[key] = _convert(variable, environ[variable], kind)
    return settings


def _convert(variable: str, value: str, kind: str):
    """Convert one variable's text to its setting's type, or raise SettingsError."""
    text = value.strip()
    if kind == "flag":
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() in FALSE_WORDS:
            return False
        raise SettingsError(f"{variable} must be true or false, not {value!r}.")
    if kind == "optional count" and text.lower() in {"", "none", "off", "0"}:
        return None
    if kind in {"count", "optional count"}:
        if not text.isdigit() or int(text) < 1:
            raise SettingsError(f"{variable} must be a whole number of at least 1, not {value!r}.")
        return int(text)
    if kind == "hosts":
        hosts = [host.strip() for host in text.split(",") if host.strip()]
        return hosts or None
    if kind == "limits":
        try:
            parse_many(text)
        except ValueError:
            raise SettingsError(
                f"{variable} must read like '5 per minute; 20 per hour', not {value!r}."
            ) from None
        return text
    return value


def instance_secret_key(instance_path: str) -> str:
    """Return the secret key kept in instance/secret_key, creating it on first use.

    The key is written to a temporary file and linked into place, so no process ever reads a
    partly written or empty file; when two processes start together, the first link wins and
    both use its key.
    """
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return _read_key(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            # link() refuses to replace an existing file, unlike rename(): the first one wins.
            os.link(temporary, path)
        except FileExistsError:
            return _read_key(path)
    finally:
        os.unlink(temporary)
    return key


def _read_key(path: Path) -> str:
    """Read the key file; refuse an empty one rather than sign sessions with an empty key."""
    key = path.read_text().strip()
    if not key:
        raise SettingsError(f"{path} is empty: delete it, or set CONSOLE_SECRET_KEY.")
    return key


class DatabaseUnusable(SettingsError, click.ClickException):
    """The configured database URL cannot be used; the CLI prints the message, not a traceback."""


def resolve_sqlite_path(url: str, instance_path: str | None = None) -> str:
    """Make a relative SQLite file path absolute from the current folder, as a shell user means
    `sqlite:///instance/x.sqlite3` (Flask-SQLAlchemy would read it under instance/ instead).

    Raise DatabaseUnusable when the URL does not parse or its file's folder cannot be written;
    the app's own instance folder is created when missing, as Flask-SQLAlchemy would. Other
    databases and in-memory SQLite are returned unchanged.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUnusable(f"CONSOLE_DATABASE_URL {url!r} is not a database URL.") from None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return url
    if parsed.database.startswith("file:"):
        return url
    relative = not os.path.isabs(parsed.database)
    path = Path(os.path.abspath(parsed.database))
    folder = path.parent
    if not folder.exists() and instance_path and folder == Path(os.path.abspath(instance_path)):
        folder.mkdir(parents=True, exist_ok=True)
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
    if not relative:
        return url
    return parsed.set(database=str(path)).render_as_string(hide_password=False)
