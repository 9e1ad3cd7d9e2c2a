"""Throttling failed logins and bad API tokens with Flask-Limiter, counted in the app's database.

Flask-Limiter's own storages (memory, Redis, Memcached, MongoDB) include no SQL one, and the only
service every app server of the console shares is its database. So `DatabaseStorage` keeps
Flask-Limiter's fixed-window counters in the `throttle_counters` table, one upserted row per
key, and every app server sees the same counts. CONSOLE_THROTTLE_STORAGE_URI may name one of
Flask-Limiter's storages instead (`redis://...`, `memcached://...`).

Only failures count: a login that fails, a token that is refused. Each setting stacks windows
("5 per minute; 20 per hour; 100 per day"), so the lockout grows from a minute to a day as the
failures go on. Logins are checked before the password is (a locked-out username or address
costs no password hashing); tokens are counted when refused, so the API's ordinary requests pay
nothing for throttling and a valid token always works.
"""

import hashlib
import random
import time

from flask import current_app, request
from flask_limiter.util import get_remote_address
from limits import parse_many
from limits.storage import Storage
from sqlalchemy import case, delete, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import TooManyRequests

from console.extensions import db, limiter
from console.models import ThrottleCounter

# One insert in this many also removes the counters whose window has ended.
PURGE_ONE_IN = 100
KEY_MAX_LENGTH = 255


def stored_key(key: str) -> str:
    """The key as the table keeps it: a digest when it is longer than the column or holds a NUL
    character (a username typed with one), which PostgreSQL text cannot."""
    if len(key) <= KEY_MAX_LENGTH and "\x00" not in key:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


class DatabaseStorage(Storage):
    """Fixed-window counters in the console's own database (SQLite or PostgreSQL)."""

    STORAGE_SCHEME = ["console-database"]

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add to a counter, starting a new window if the last one has ended; return the count."""
        key = stored_key(key)
        now = time.time()
        table = ThrottleCounter.__table__
        engine = db.engine
        insert = postgresql_insert if engine.dialect.name == "postgresql" else sqlite_insert
        ended = table.c.expires_at <= now
        statement = (
            insert(table)
            .values(key=key, count=amount, expires_at=now + expiry)
            .on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "count": case((ended, amount), else_=table.c.count + amount),
                    "expires_at": case((ended, now + expiry), else_=table.c.expires_at),
                },
            )
            .returning(table.c.count)
        )
        with engine.begin() as connection:
            count = connection.execute(statement).scalar_one()
            if random.randrange(PURGE_ONE_IN) == 0:
                connection.execute(delete(table).where(table.c.expires_at <= now))
        return count

    def get(self, key: str) -> int:
        """Return the count of the key's current window (0 when none is open)."""
        key = stored_key(key)
        table = ThrottleCounter.__table__
        with db.engine.connect() as connection:
            count = connection.scalar(
                select(table.c.count).where(table.c.key == key, table.c.expires_at > time.time())
            )
        return count or 0

    def get_expiry(self, key: str) -> float:
        """Return when the key's current window ends (now when none is open)."""
        key = stored_key(key)
        table = ThrottleCounter.__table__
        with db.engine.connect() as connection:
            expires_at = connection.scalar(select(table.c.expires_at).where(table.c.key == key))
        return expires_at if expires_at and expires_at > time.time() else time.time()

    def check(self) -> bool:
        """Tell whether the database answers."""
        try:
            with db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        """Remove every counter."""
        with db.engine.begin() as connection:
            return connection.execute(delete(ThrottleCounter.__table__)).rowcount

    def clear(self, key: str) -> None:
        """Remove one counter."""
        key = stored_key(key)
        table = ThrottleCounter.__table__
        with db.engine.begin() as connection:
            connection.execute(delete(table).where(table.c.key == key))


def client_address_key() -> str:
    """The client's address (the real one when CONSOLE_PROXY_FIX trusts the proxy's header)."""
    return f"address:{get_remote_address()}"


def login_username_key() -> str:
    """The username a login form names, as the console compares usernames."""
    username = (request.form.get("username") or "").strip()[:150]
    return f"username:{username or '(empty)'}"


LOGIN_FAILED_KEY = "console.login_failed"


def mark_login_failed() -> None:
    """Note on this request (not in `g`, which tests share between requests) that it failed."""
    request.environ[LOGIN_FAILED_KEY] = True


def login_failed(_response) -> bool:
    """Count a login attempt against the limits only when it failed."""
    return bool(request.environ.get(LOGIN_FAILED_KEY))


def configured(setting: str):
    """A limit value read from the app's settings when a request is checked."""
    return lambda: current_app.config[setting]


def seconds_until_reset() -> int:
    """Seconds until the breached throttling window ends (at least 1)."""
    breached = limiter.current_limit
    if breached is None:
        return 60
    return max(1, int(breached.reset_at - time.time()))


login_limits = [
    limiter.limit(
        configured("CONSOLE_LOGIN_LIMITS_PER_USERNAME"), key_func=login_username_key,
        methods=["POST"], deduct_when=login_failed,
    ),
    limiter.limit(
        configured("CONSOLE_LOGIN_LIMITS_PER_ADDRESS"), key_func=client_address_key,
        methods=["POST"], deduct_when=login_failed,
    ),
]

TOKEN_SCOPE = "api-token"


class Throttled(TooManyRequests):
    """Too many refused tokens from one address: 429 with DRF's text and Retry-After."""

    def __init__(self, wait: int):
        super().__init__(f"Request was throttled. Expected available in {wait} seconds.")
        self.drf_detail = self.description
        self.retry_after = wait


def count_refused_token() -> None:
    """Count a refused API token against the client's address; raise Throttled when over."""
    if not limiter.enabled:
        return
    strategy, address = limiter.limiter, client_address_key()
    breached = [
        item
        for item in parse_many(current_app.config["CONSOLE_TOKEN_FAILURE_LIMITS"])
        if not strategy.hit(item, TOKEN_SCOPE, address)
    ]
    if breached:
        stats = strategy.get_window_stats(max(breached), TOKEN_SCOPE, address)
        raise Throttled(max(1, int(stats.reset_time - time.time())))


def check_limited_views_only(app) -> None:
    """Drop Flask-Limiter's check before every request. The console sets no default, application
    or blueprint limits, and the one limited view (the login) checks its limits in its own
    decorator, before the view runs, so every other page and API request would only find out,
    each time, that it has none."""
    check = limiter._check_request_limit
    hooks = app.before_request_funcs.get(None, [])
    if check in hooks:  # not there when throttling is off (CONSOLE_THROTTLING_ENABLED)
        hooks.remove(check)


def throttle_login(view):
    """Apply the per-username and per-address limits on failed logins to the login view."""
    for limit in login_limits:
        view = limit(view)
    return view
