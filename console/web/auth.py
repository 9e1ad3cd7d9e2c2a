"""Logging in and out of the console, console sessions, and the console's security headers.

A session lives until the user logs out, is deactivated, leaves it unused for
CONSOLE_SESSION_IDLE_MINUTES, or CONSOLE_SESSION_LIFETIME_HOURS after logging in, whichever comes
first. Logging out and deactivation raise the user's session generation, which every session
carries and every request checks, so a copy of the cookie stops working too.
"""

import time
from urllib.parse import urlsplit

from flask import (
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from console.extensions import PREPARED, db, login_manager
from console.models import User
from console.throttling import mark_login_failed, seconds_until_reset, throttle_login
from console.web import bp, formatting  # noqa: F401  (formatting registers the template filters)
from console.web.forms import LoginForm

LOGIN_FAILED = "Invalid username or password."
SESSION_ENDED = "Your session has ended; please log in again."
# How stale the session's "last seen" time may get before a request refreshes it (and so
# re-sends the cookie): the idle timeout is exact to within this many seconds.
SEEN_RESOLUTION_SECONDS = 60
# Compared against when the username is unknown, so that both failures take as long.
_DUMMY_HASH = generate_password_hash("not a real password")

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

login_manager.login_view = "web.login"
# Flask-Login's "strong" protection also rewrites the cookie of every anonymous session (the
# login page's CSRF token), so a page answered late with the login page's cookie (the favicon
# fetched while the login was posted) logged the user out again. session_is_current does the same
# check for sessions that hold a user, and anonymous answers leave the cookie alone.
login_manager.session_protection = None


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Load the logged-in user from a session that is still current; end any other session."""
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id), execution_options={PREPARED: True})
    if user is None or not user.is_active or not session_is_current(user):
        end_session()
        return None
    now = int(time.time())
    if now - session.get("seen", 0) >= SEEN_RESOLUTION_SECONDS:
        session["seen"] = now
    return user


def session_is_current(user: User) -> bool:
    """Tell whether the session belongs to the user's current generation and has not expired."""
    config = current_app.config
    now = time.time()
    started, seen = session.get("started"), session.get("seen")
    return (
        session.get("generation") == user.session_generation
        and session.get("_id") == login_manager._session_identifier_generator()
        and isinstance(started, int) and isinstance(seen, int)
        and now - started < config["CONSOLE_SESSION_LIFETIME_HOURS"] * 3600
        and now - seen < config["CONSOLE_SESSION_IDLE_MINUTES"] * 60
    )


def start_session(user: User) -> None:
    """Log the user in with a fresh session (and so a fresh CSRF token)."""
    forget_session()
    login_user(user)
    now = int(time.time())
    session.update(generation=user.session_generation, started=now, seen=now)


def end_session() -> None:
    """Forget the session's user and its CSRF token; say why on the next page."""
    had_user = "_user_id" in session
    forget_session()
    if had_user:
        flash(SESSION_ENDED, "warning")


def forget_session() -> None:
    """Empty the session, including the CSRF token Flask-WTF keeps there and caches in `g`."""
    session.clear()
    g.pop("csrf_token", None)


@login_manager.unauthorized_handler
def unauthorized():
    """Send anonymous visitors to the login page, remembering where they were going."""
    target = url_for("web.login", next=_relative_request_path())
    if request.headers.get("HX-Request") == "true":
        # htmx would follow a redirect inside the XHR and swap the login page into a fragment.
        response = make_response("", 401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def _relative_request_path() -> str:
    """The current path and query string, without a trailing "?"."""
    return request.full_path.rstrip("?") if request.query_string else request.path


def is_safe_next(target: str | None) -> bool:
    """Accept only local absolute paths ("/x"), never another host or scheme."""
    if not target or not isinstance(target, str):
        return False
    if not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _next_or_home() -> str:
    """The safe `next` parameter, or the backend resource list."""
    target = request.args.get("next")
    return target if is_safe_next(target) else url_for("web.backend_resource_list")


@bp.route("/login", methods=["GET", "POST"])
@throttle_login
def login():
    """Show the login form; log the user in when the credentials are right."""
    if current_user.is_authenticated and current_user.can_use_console and request.method == "GET":
        return redirect(_next_or_home())
    form = LoginForm()
    if form.validate_on_submit():
        user = find_login_user(form.username.data)
        if user is None:
            check_password_hash(_DUMMY_HASH, form.password.data)
        elif user.check_password(form.password.data) and user.is_active:
            start_session(user)
            return redirect(_next_or_home(), 303)
    if request.method == "GET":
        return render_template("auth/login.html", form=form)
    note_failed_login(form.username.data)
    form.form_errors.append(LOGIN_FAILED)
    return render_template("auth/login.html", form=form), 400


def find_login_user(username: str) -> User | None:
    """The user with this username; None for a name no account can have (a NUL character)."""
    if "\x00" in username:
        return None
    return db.session.scalar(select(User).where(User.username == username))


def note_failed_login(username: str | None) -> None:
    """Log a failed login (the username, never the password) and count it for throttling."""
    mark_login_failed()
    current_app.logger.warning(
        "Failed login for username %r from %s", (username or "")[:150], request.remote_addr
    )


@bp.errorhandler(RateLimitExceeded)
def login_throttled(_error: RateLimitExceeded):
    """Show the login form with how long to wait after too many failed logins."""
    wait = seconds_until_reset()
    current_app.logger.warning("Login throttled for %s", request.remote_addr)
    form = LoginForm()
    minutes = (wait + 59) // 60
    form.form_errors.append(
        "Too many failed logins for this username or from your address. "
        f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
    )
    response = make_response(render_template("auth/login.html", form=form), 429)
    response.headers["Retry-After"] = str(wait)
    return response


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out (POST with a CSRF token): end every session of the account, on the server too."""
    current_user.end_sessions()
    db.session.commit()
    logout_user()
    forget_session()
    flash("You have been logged out.", "success")
    return redirect(url_for("web.login"), 303)


@bp.app_errorhandler(CSRFError)
def csrf_refused(error: CSRFError):
    """Explain a refused form post: the page was stale or the form came from elsewhere."""
    return render_template("error.html", error=error, csrf_failed=True), 400


@bp.after_app_request
def security_headers(response):
    """Add `nosniff` everywhere; a strict CSP and framing rules to console pages; no-store
    to everything a logged-in user or a token sees."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if request.path.startswith("/api/") or request.path == "/api":
        response.headers["Cache-Control"] = "no-store"
        return response
    if "_user_id" in session and request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    if not current_app.config.get("CONSOLE_CSP_DISABLED"):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
