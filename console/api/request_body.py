"""Reading request bodies the way DRF's JSON and form parsers do."""

import json
import math

from flask import request

from console.api.errors import ApiError

JSON_MEDIA_TYPES = ("application/json",)
FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Deeper documents are refused: rendering and storing them would exhaust the stack.
MAX_NESTING = 100


def _refuse_constant(name: str):
    """Refuse NaN and Infinity, which are not JSON (DRF parses strictly)."""
    raise ValueError(f"Out of range float values are not JSON compliant: {name}")


def _finite_float(text: str) -> float:
    """Parse a JSON number; refuse one too large for a float (`1e400` would become Infinity)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"Out of range float values are not JSON compliant: {text[:40]}")
    return value


def storable_problem(value) -> str | None:
    """Say why a parsed JSON value cannot be stored and rendered again, or return None.

    Refused: nesting deeper than MAX_NESTING, and lone surrogates (`"\\ud800"`), which Python's
    parser accepts but no database and no UTF-8 response can hold.
    """
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "lone surrogates are not valid text."
        elif isinstance(item, dict | list):
            if depth > MAX_NESTING:
                return "nesting is too deep."
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return None


def request_data():
    """Return the parsed body: JSON, or form fields; `{}` when the body is empty."""
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    media_type = request.mimetype
    if media_type in JSON_MEDIA_TYPES or media_type.endswith("+json"):
        try:
            data = json.loads(
                raw.decode("utf-8"), parse_constant=_refuse_constant, parse_float=_finite_float
            )
        except (ValueError, RecursionError) as exc:
            raise ApiError(400, f"JSON parse error - {exc}") from None
        problem = storable_problem(data)
        if problem:
            raise ApiError(400, f"JSON parse error - {problem}")
        return data
    if media_type in FORM_MEDIA_TYPES:
        # Django's QueryDict reads the last value of a repeated field.
        return {key: values[-1] for key, values in request.form.lists()}
    raise ApiError(415, f'Unsupported media type "{request.content_type or ""}" in request.')
