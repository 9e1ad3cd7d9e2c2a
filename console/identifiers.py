"""UUIDs as the API speaks them: emitted as 32 hex characters, accepted hex or hyphenated."""

import uuid


def parse_uuid(value) -> uuid.UUID | None:
    """Return the UUID in a hex or hyphenated string, or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        return None
