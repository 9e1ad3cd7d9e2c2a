"""Application-wide error pages: JSON under /api/, HTML elsewhere."""

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from console.extensions import db


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
            db.session.rollback()
        if wants_json():
            detail = getattr(error, "drf_detail", None) or _drf_detail(error)
            response = jsonify(detail=detail)
            response.status_code = error.code or 500
            if error.code == 405 and error.valid_methods:
                response.headers["Allow"] = ", ".join(error.valid_methods)
            return response
        return render_template("error.html", error=error), error.code

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        """Roll back and answer 500 without leaking internals."""
        db.session.rollback()
        app.logger.exception("Unhandled error")
        if wants_json():
            return jsonify(detail="A server error occurred."), 500
        return render_template("error.html", error=None), 500


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
