"""Filters of the marketplace resource and order lists, read as django-filter reads them.

Multiple-choice filters (`state`, `type`) take every value given and match any of them; a value
outside the choices is refused with Django's message. Repeatable UUID filters take every value
(repeated, or comma-separated) and match any of them.
"""

from sqlalchemy import func

from console.identifiers import parse_uuid
from console.models import MarketplaceResource, Offering, Order, Project
from console.services import ValidationFailed
from console.services.parameters import INVALID_UUID, last_value, read_text, read_uuids
from console.services.queries import parse_datetime

# The labels Waldur's serializers emit and its filters accept, in upstream order.
RESOURCE_STATES = ("Creating", "OK", "Erred", "Updating", "Terminating", "Terminated")
ORDER_STATES = (
    "pending-consumer", "pending-provider", "pending-project", "pending-start-date",
    "executing", "done", "erred", "canceled", "rejected",
)
ORDER_TYPES = ("Create", "Update", "Terminate", "Restore")
INVALID_CHOICE = "Select a valid choice. {value} is not one of the available choices."
INVALID_DATETIME = "Enter a valid date/time."
DATETIME_KEYS = ("created", "created_before", "modified", "modified_before")


def read_choices(args, key: str, choices, errors: dict) -> list[str]:
    """Return every value given for a multiple-choice parameter; note the first bad one."""
    values = args.getlist(key)
    for value in values:
        if value not in choices:
            errors[key] = [INVALID_CHOICE.format(value=value)]
            return []
    return values


def read_uuid_list(args, key: str, errors: dict) -> list:
    """Return the UUIDs of a repeatable parameter (repeated or comma-separated)."""
    parts = [part.strip() for value in args.getlist(key) for part in value.split(",")]
    uuids = [parse_uuid(part) for part in parts if part]
    if None in uuids:
        errors[key] = [INVALID_UUID]
        return []
    return uuids


def read_datetimes(args, keys, errors: dict) -> dict:
    """Return the date filters among `keys` as UTC datetimes (`_before` ones to the day's end)."""
    values = {}
    for key in keys:
        value = last_value(args, key)
        if value in (None, ""):
            continue
        try:
            values[key] = parse_datetime(value, end_of_day=key.endswith("_before"))
        except (ValueError, OverflowError):
            errors[key] = [INVALID_DATETIME]
    return values


def resource_filter_clauses(args) -> list:
    """Return WHERE clauses for `offering_uuid`, `project_uuid`, `backend_id` and `state`.

    States match the stored state whatever its case. Raises ValidationFailed on bad values.
    """
    errors: dict = {}
    offering_uuids = read_uuid_list(args, "offering_uuid", errors)
    single = read_uuids(args, ("project_uuid",), errors)
    text = read_text(args, ("backend_id",), errors)
    states = read_choices(args, "state", RESOURCE_STATES, errors)
    if errors:
        raise ValidationFailed(errors)
    clauses = []
    if offering_uuids:
        clauses.append(MarketplaceResource.offering.has(Offering.uuid.in_(offering_uuids)))
    if "project_uuid" in single:
        clauses.append(MarketplaceResource.project.has(Project.uuid == single["project_uuid"]))
    if "backend_id" in text:
        clauses.append(MarketplaceResource.backend_id == text["backend_id"])
    if states:
        lowered = sorted({state.lower() for state in states})
        clauses.append(func.lower(MarketplaceResource.state).in_(lowered))
    return clauses


def order_filter_clauses(args) -> list:
    """Return WHERE clauses for the order list's filters; raise ValidationFailed on bad values.

    `created` and `modified` mean on or after, `created_before` and `modified_before` on or
    before (a plain date covers its whole day), as on the backend resource list.
    """
    errors: dict = {}
    uuids = read_uuids(args, ("offering_uuid", "project_uuid", "resource_uuid"), errors)
    states = read_choices(args, "state", ORDER_STATES, errors)
    types = read_choices(args, "type", ORDER_TYPES, errors)
    moments = read_datetimes(args, DATETIME_KEYS, errors)
    if errors:
        raise ValidationFailed(errors)
    clauses = []
    if "offering_uuid" in uuids:
        clauses.append(Order.offering.has(Offering.uuid == uuids["offering_uuid"]))
    if "project_uuid" in uuids:
        clauses.append(Order.project.has(Project.uuid == uuids["project_uuid"]))
    if "resource_uuid" in uuids:
        clauses.append(Order.resource.has(MarketplaceResource.uuid == uuids["resource_uuid"]))
    if states:
        clauses.append(Order.state.in_(states))
    if types:
        clauses.append(Order.type.in_(types))
    if "created" in moments:
        clauses.append(Order.created >= moments["created"])
    if "created_before" in moments:
        clauses.append(Order.created <= moments["created_before"])
    if "modified" in moments:
        clauses.append(Order.modified >= moments["modified"])
    if "modified_before" in moments:
        clauses.append(Order.modified <= moments["modified_before"])
    return clauses
