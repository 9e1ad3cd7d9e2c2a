"""Checks every request passes before any view: a readable body and query values of sane length."""

from flask import current_app, request
from werkzeug.exceptions import BadRequest, ClientDisconnected

BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def register(app) -> None:
    """Run the guards before everything else that reads the request (CSRF, throttling, views)."""
    app.before_request(read_body)
    app.before_request(bound_query_values)


def read_body() -> None:
    """Read the body once, up front: too large is 413, unreadable (bad chunking) is 400."""
    if request.method not in BODY_METHODS:
        return
    try:
        request.get_data(cache=True)
    except (ClientDisconnected, OSError, ValueError):
        # Werkzeug reports a malformed chunked body as a disconnect (or, reading the raw
        # stream, an OSError); read here, it cannot surface later as a 500.
        raise BadRequest(
            "The request body could not be read (malformed chunked encoding)."
        ) from None


def bound_query_values() -> None:
    """Refuse a query parameter longer than CONSOLE_MAX_FILTER_LENGTH characters with 400."""
    limit = current_app.config["CONSOLE_MAX_FILTER_LENGTH"]
    for key, value in request.args.items(multi=True):
        if len(value) > limit or len(key) > limit:
            raise BadRequest(
                f"The query parameter {key[:40]!r} is longer than {limit:,} characters."
            )
