"""Logging in and out of the console, loading the user, and the console's security headers."""

from urllib.parse import urlsplit

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from console.extensions import db, login_manager
from console.models import User
from console.web import bp, formatting  # noqa: F401  (formatting registers the template filters)
from console.web.forms import LoginForm

LOGIN_FAILED = "Invalid username or password."
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
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Load the logged-in user from the session; inactive users are logged out."""
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.is_active else None


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
def login():
    """Show the login form; log the user in when the credentials are right."""
    if current_user.is_authenticated and current_user.can_use_console and request.method == "GET":
        return redirect(_next_or_home())
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data))
        if user is None:
            check_password_hash(_DUMMY_HASH, form.password.data)
        elif user.check_password(form.password.data) and user.is_active:
            login_user(user)
            return redirect(_next_or_home(), 303)
        form.form_errors.append(LOGIN_FAILED)
    elif request.method == "POST":
        form.form_errors.append(LOGIN_FAILED)
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out (POST with a CSRF token) and return to the login page."""
    logout_user()
    flash("You have been logged out.", "success")
    return redirect(url_for("web.login"), 303)


@bp.app_errorhandler(CSRFError)
def csrf_refused(error: CSRFError):
    """Explain a refused form post: the page was stale or the form came from elsewhere."""
    return render_template("error.html", error=error, csrf_failed=True), 400


@bp.after_app_request
def security_headers(response):
    """Add a strict CSP and related headers to console pages (not to the JSON API)."""
    if request.path.startswith("/api/") or request.path == "/api":
        return response
    if not current_app.config.get("CONSOLE_CSP_DISABLED"):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
