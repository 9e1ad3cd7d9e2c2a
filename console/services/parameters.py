"""Reading query parameters the way django-filter does: last value wins, errors per field."""

from console.identifiers import parse_uuid
from console.services import ValidationFailed

NULL_CHARACTERS = "Null characters are not allowed."
INVALID_UUID = "Enter a valid UUID."


def last_value(args, key: str) -> str | None:
    """Return the last value given for a query parameter, as Django's widgets read it."""
    values = args.getlist(key) if hasattr(args, "getlist") else [args[key]] if key in args else []
    return values[-1] if values else None


def read_text(args, keys, errors: dict) -> dict:
    """Return the text parameters among `keys`, trimmed; note NUL characters in `errors`.

    As Django's `forms.CharField(strip=True)` cleans them: surrounding whitespace goes, and a
    value that is blank after trimming means no filter at all.
    """
    values = {}
    for key in keys:
        value = (last_value(args, key) or "").strip()
        if not value:
            continue
        if "\x00" in value:
            # PostgreSQL cannot compare text with NUL in it; Django forms refuse it the same way.
            errors[key] = [NULL_CHARACTERS]
        else:
            values[key] = value
    return values


def read_uuids(args, keys, errors: dict) -> dict:
    """Return the UUID parameters among `keys` that are set; note malformed ones in `errors`.

    As django-filter's UUIDFilter reads them: trimmed, and blank after trimming means no filter.
    """
    values = {}
    for key in keys:
        value = (last_value(args, key) or "").strip()
        if not value:
            continue
        parsed = parse_uuid(value)
        if parsed is None:
            errors[key] = [INVALID_UUID]
        else:
            values[key] = parsed
    return values


def text_filters(args, keys) -> dict:
    """Return the text filters among `keys`; raise ValidationFailed on bad ones."""
    return _read_or_refuse(read_text, args, keys)


def uuid_filters(args, keys) -> dict:
    """Return the UUID filters among `keys`; raise ValidationFailed on bad ones."""
    return _read_or_refuse(read_uuids, args, keys)


def _read_or_refuse(reader, args, keys) -> dict:
    """Run a reader and raise its field errors, if any, as one ValidationFailed."""
    errors: dict = {}
    values = reader(args, keys, errors)
    if errors:
        raise ValidationFailed(errors)
    return values
