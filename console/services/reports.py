"""What an agent's report of a backend resource may contain, and creating and deleting one."""

import json
from dataclasses import dataclass

from sqlalchemy import select

from console.identifiers import parse_uuid
from console.models import HISTORY_DELETE, BackendResource, Offering, Project, User
from console.services import NotFound, PermissionDenied, ValidationFailed
from console.services.access import can_manage_offering
from console.services.dismissals import ignore_entry
from console.services.history import history_entry
from console.services.locking import delete_exactly_once
from console.services.parameters import NULL_CHARACTERS

NAME_MAX_LENGTH = 150
BACKEND_ID_MAX_LENGTH = 255
REQUIRED = "This field is required."
NOT_NULL = "This field may not be null."
NOT_BLANK = "This field may not be blank."
NOT_A_STRING = "Not a valid string."
NOT_AN_OBJECT = "Expected a JSON object."
BACKEND_RESOURCE_GONE = "No BackendResource matches the given query."


@dataclass(frozen=True)
class ReportBounds:
    """How large and how deeply nested an agent's `backend_metadata` may be."""

    max_metadata_bytes: int = 64 * 1024
    max_metadata_depth: int = 20


class BackendResourceGone(NotFound):
    """The report no longer exists: someone imported or deleted it, or it never did."""

    def __init__(self):
        super().__init__(BACKEND_RESOURCE_GONE)


def _clean_text(data: dict, key: str, errors: dict, *, required: bool, max_length: int,
                allow_blank: bool) -> str | None:
    """Validate one text field the way DRF's CharField does (trimmed, typed, bounded)."""
    if key not in data:
        if required:
            errors[key] = [REQUIRED]
        return None
    value = data[key]
    if value is None:
        errors[key] = [NOT_NULL]
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        errors[key] = [NOT_A_STRING]
        return None
    value = str(value).strip()
    if "\x00" in value:
        errors[key] = [NULL_CHARACTERS]
        return None
    if not value and not allow_blank:
        errors[key] = [NOT_BLANK]
        return None
    if len(value) > max_length:
        errors[key] = [f"Ensure this field has no more than {max_length} characters."]
        return None
    return value


def related_by_uuid(session, model, data: dict, key: str, errors: dict):
    """Resolve a uuid-keyed relation the way DRF's SlugRelatedField does."""
    if key not in data:
        errors[key] = [REQUIRED]
        return None
    value = data[key]
    if value is None or value == "":
        # DRF's related fields read an empty string as null.
        errors[key] = [NOT_NULL]
        return None
    if not isinstance(value, str):
        errors[key] = ["Invalid value."]
        return None
    parsed = parse_uuid(value)
    found = session.scalar(select(model).where(model.uuid == parsed)) if parsed else None
    if found is None:
        errors[key] = [f"Object with uuid={value} does not exist."]
    return found


def expect_object(data) -> dict:
    """Return a request body that is a JSON object; refuse anything else as DRF does."""
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "null"
        raise ValidationFailed(
            {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}
        )
    return data


def validate_report(session, data, bounds: ReportBounds = ReportBounds()) -> dict:
    """Return the clean values of a report, or raise ValidationFailed with field errors."""
    data = expect_object(data)
    errors: dict = {}
    clean = {
        "name": _clean_text(data, "name", errors, required=True,
                            max_length=NAME_MAX_LENGTH, allow_blank=False),
        "project": related_by_uuid(session, Project, data, "project", errors),
        "offering": related_by_uuid(session, Offering, data, "offering", errors),
        "backend_id": _clean_text(data, "backend_id", errors, required=False,
                                  max_length=BACKEND_ID_MAX_LENGTH, allow_blank=True) or "",
        "backend_metadata": {},
    }
    if "backend_metadata" in data:
        metadata = data["backend_metadata"]
        if metadata is None:
            errors["backend_metadata"] = [NOT_NULL]
        elif not isinstance(metadata, dict):
            errors["backend_metadata"] = [NOT_AN_OBJECT]
        elif _contains_null_character(metadata):
            # PostgreSQL's JSONB cannot store \u0000; refuse it on every database alike.
            errors["backend_metadata"] = [NULL_CHARACTERS]
        elif problem := metadata_bounds_problem(metadata, bounds):
            errors["backend_metadata"] = [problem]
        else:
            clean["backend_metadata"] = metadata
    if errors:
        raise ValidationFailed(errors)
    return clean


def metadata_bounds_problem(metadata: dict, bounds: ReportBounds) -> str | None:
    """Say why metadata is too deep or too large to keep, or return None."""
    depth = nesting_depth(metadata)
    if depth > bounds.max_metadata_depth:
        return (
            f"Ensure this value is nested no more than {bounds.max_metadata_depth} levels deep "
            f"(it is {depth})."
        )
    size = len(json.dumps(metadata, ensure_ascii=False, separators=(",", ":")).encode())
    if size > bounds.max_metadata_bytes:
        return (
            f"Ensure this value has no more than {bounds.max_metadata_bytes:,} bytes as JSON "
            f"(it has {size:,})."
        )
    return None


def nesting_depth(value) -> int:
    """How many objects and arrays deep a JSON value goes (a scalar is 0), iteratively."""
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return deepest


def _contains_null_character(value) -> bool:
    """Tell whether any key or string inside a JSON value holds a NUL character (iteratively)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def create_backend_resource(
    session, *, data, user: User, bounds: ReportBounds = ReportBounds()
) -> BackendResource:
    """Record an agent's report; the user must manage the offering (validation comes first)."""
    clean = validate_report(session, data, bounds)
    if not can_manage_offering(session, user, clean["offering"]):
        raise PermissionDenied()
    backend_resource = BackendResource(**clean)
    # A backend id on the offering's ignore list is born dismissed; the agent is not told.
    dismissal = ignore_entry(session, clean["offering"].id, clean["backend_id"])
    if dismissal is not None:
        backend_resource.dismissal_id = dismissal.id
    session.add(backend_resource)
    session.commit()
    return backend_resource


def take_backend_resource(session, backend_resource: BackendResource) -> None:
    """Delete the report inside the current transaction; raise BackendResourceGone if another
    request took it first (the loser of a race answers 404, never a second success)."""
    if not delete_exactly_once(session, BackendResource, backend_resource):
        session.rollback()
        raise BackendResourceGone()


def delete_backend_resource(session, *, backend_resource: BackendResource, user: User,
                            bulk_job_id: int | None = None) -> None:
    """Delete a report (staff, or a manager of its offering), recorded in the history.

    Exactly one of racing deletes wins; its history entry commits with it. The entry is written
    after the report is taken, so that locks come in the import's order (report, then offering)
    and the two never deadlock on PostgreSQL.
    """
    if not can_manage_offering(session, user, backend_resource.offering):
        raise PermissionDenied()
    try:
        entry = history_entry(HISTORY_DELETE, user=user, report=backend_resource,
                              outcome="deleted", bulk_job_id=bulk_job_id)
        take_backend_resource(session, backend_resource)
        session.add(entry)
        session.commit()
    except BaseException:
        session.rollback()
        raise
