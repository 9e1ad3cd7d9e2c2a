"""Application-wide error pages: JSON under /api/, HTML elsewhere."""

import contextlib
import traceback

from flask import g, jsonify, render_template, request
from flask_limiter.errors import RateLimitExceeded
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, SecurityError, ServiceUnavailable

from console.extensions import db, login_manager
from console.throttling import seconds_until_reset

DATABASE_UNAVAILABLE = "The database is unavailable; try again shortly."
# Seconds a client should wait before retrying when the database is unavailable.
DATABASE_RETRY_AFTER = 30
UNTRUSTED_HOST = "The Host header names a host this console does not serve."


def wants_json() -> bool:
    """API paths, and clients that prefer JSON to HTML, get JSON errors."""
    if request.path.startswith("/api/") or request.path == "/api":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def register(app) -> None:
    """Attach the error handlers to the app."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        """Render an HTTP error as DRF-style JSON or as an HTML page."""
        if error.code and error.code >= 500:
            _roll_back()
        if wants_json():
            detail = getattr(error, "drf_detail", None) or _drf_detail(error)
            response = jsonify(detail=detail)
            response.status_code = error.code or 500
            if error.code == 405 and error.valid_methods:
                response.headers["Allow"] = ", ".join(error.valid_methods)
        else:
            response = app.make_response(
                (render_template("error.html", error=error), error.code)
            )
        retry_after = getattr(error, "retry_after", None)
        if retry_after:
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.errorhandler(SecurityError)
    def untrusted_host(error: SecurityError):
        """Refuse a Host outside CONSOLE_TRUSTED_HOSTS; no page, since no URL can be built."""
        if wants_json():
            return jsonify(detail=UNTRUSTED_HOST), 400
        return UNTRUSTED_HOST, 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(RateLimitExceeded)
    def throttled(error: RateLimitExceeded):
        """Refuse a throttled login or token: 429 with how long to wait."""
        wait = seconds_until_reset()
        # DRF's Throttled text; the login page has its own handler in the web blueprint.
        response = jsonify(detail=f"Request was throttled. Expected available in {wait} seconds.")
        response.status_code = 429
        response.headers["Retry-After"] = str(wait)
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeout)
    def database_unavailable(error: Exception):
        """Answer 503 with Retry-After when the database cannot be reached or is locked."""
        _roll_back()
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        app.logger.error("Database unavailable: %s", reason)
        # The page must not ask the database who is logged in.
        g._login_user = login_manager.anonymous_user()
        unavailable = ServiceUnavailable(DATABASE_UNAVAILABLE, retry_after=DATABASE_RETRY_AFTER)
        unavailable.retry_after = DATABASE_RETRY_AFTER
        return http_error(unavailable)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        """Roll back and answer 500 without leaking internals."""
        _roll_back()
        if isinstance(error, DBAPIError):
            # The database's own message can quote the values of the row (what users typed):
            # log its kind, code, statement and where it happened, not its text.
            app.logger.error(
                "Unhandled error: %s (SQLSTATE %s) in statement %s\n%s",
                type(error.orig).__name__, getattr(error.orig, "sqlstate", None) or "-",
                error.statement, "".join(traceback.format_tb(error.__traceback__)),
            )
        else:
            app.logger.exception("Unhandled error")
        if wants_json():
            return jsonify(detail="A server error occurred."), 500
        return render_template("error.html", error=None), 500


def _roll_back() -> None:
    """Roll the session back; a database that is down cannot even do that, which is fine."""
    with contextlib.suppress(Exception):
        db.session.rollback()


def _drf_detail(error: HTTPException) -> str:
    """Return the text DRF would put in `detail` for this status."""
    if error.code == 404:
        return "Not found."
    if error.code == 405:
        return f'Method "{request.method}" not allowed.'
    if error.code == 403:
        return "You do not have permission to perform this action."
    if error.code == 401:
        return "Authentication credentials were not provided."
    return error.description or error.name
