"""Business rules, free of request handling: each surface maps their errors to its own form."""


class DomainError(Exception):
    """Base of the errors a service raises; `errors` is a DRF-shaped body."""

    status = 400

    def __init__(self, errors=None, message: str = ""):
        super().__init__(message or str(errors))
        self.errors = errors
        self.message = message or _first_message(errors)


class ValidationFailed(DomainError):
    """Input was refused; `errors` maps field names to messages."""


class PermissionDenied(DomainError):
    """The user may not do this."""

    status = 403

    def __init__(self, message: str = "You do not have permission to perform this action."):
        super().__init__({"detail": message}, message)


class NotFound(DomainError):
    """The object does not exist or is not visible to the user."""

    status = 404

    def __init__(self, message: str = "Not found."):
        super().__init__({"detail": message}, message)


def _first_message(errors) -> str:
    """Return the first human-readable message inside a DRF-shaped error body."""
    if isinstance(errors, str):
        return errors
    if isinstance(errors, list):
        return _first_message(errors[0]) if errors else ""
    if isinstance(errors, dict):
        for value in errors.values():
            return _first_message(value)
    return ""
