"""JSON responses rendered as DRF renders them: keys in order, UTF-8, compact."""

import json

from flask import Response


def json_response(data, status: int = 200, headers: dict | None = None) -> Response:
    """Return `data` as a JSON response, keeping the key order of the representation."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return Response(body, status=status, headers=headers, mimetype="application/json")


def json_text_response(text: str, status: int = 200, headers: dict | None = None) -> Response:
    """Return JSON already rendered (by the database) as a response."""
    return Response(text, status=status, headers=headers, mimetype="application/json")


def empty_response(status: int = 204) -> Response:
    """Return a response without a body."""
    return Response(status=status)
