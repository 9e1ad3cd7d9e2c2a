"""The history of decisions about reports: who imported, deleted, dismissed or restored what,
and who asked for a scan; and the Activity list that reads it back.

Entries are added to the session of the change they describe, so they commit with it or not at
all; each keeps a snapshot of the report as it was, so it outlives the report.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from console.models import (
    HISTORY_ACTIONS,
    HISTORY_IMPORT,
    BackendResource,
    HistoryEntry,
    MarketplaceResource,
    Offering,
    User,
)
from console.services import ValidationFailed
from console.services.parameters import last_value, read_text, read_uuids
from console.services.queries import Page, paginate, parse_datetime, parse_paging

ACTION_LABELS = {
    "import": "Import",
    "import_refused": "Import refused",
    "delete": "Delete",
    "dismiss": "Dismiss",
    "restore": "Restore",
    "scan_request": "Scan request",
}


def report_snapshot(report: BackendResource) -> dict:
    """The report as it is now, as plain JSON: what a history entry keeps of it."""
    project = report.project
    offering = report.offering
    return {
        "uuid": report.uuid.hex,
        "name": report.name,
        "backend_id": report.backend_id,
        "project": {"uuid": project.uuid.hex, "name": project.name},
        "customer": {"uuid": project.customer.uuid.hex, "name": project.customer.name},
        "offering": {"uuid": offering.uuid.hex, "name": offering.name},
        "backend_metadata": report.backend_metadata,
        "created": report.created.isoformat().replace("+00:00", "Z"),
    }


def record(session, action: str, **values) -> HistoryEntry:
    """Add a history entry to the session (committed with the change it describes)."""
    entry = history_entry(action, **values)
    session.add(entry)
    return entry


def history_entry(action: str, *, user: User | None, outcome: str = "",
                  report: BackendResource | None = None, offering: Offering | None = None,
                  snapshot: dict | None = None, **links) -> HistoryEntry:
    """A history entry, not yet in the session: taken while the report is still loaded."""
    if report is not None:
        offering = report.offering
        snapshot = report_snapshot(report)
    return HistoryEntry(
        action=action,
        outcome=outcome,
        user_id=user.id if user is not None else None,
        username=user.username if user is not None else "",
        offering_id=offering.id if offering is not None else None,
        offering_name=offering.name if offering is not None else "",
        backend_resource_uuid=report.uuid if report is not None else None,
        snapshot=snapshot or {},
        **links,
    )


def import_entry_of(session, marketplace_resource: MarketplaceResource) -> HistoryEntry | None:
    """The import that created a marketplace resource: the report it came from."""
    return session.scalar(
        select(HistoryEntry)
        .where(
            HistoryEntry.marketplace_resource_id == marketplace_resource.id,
            HistoryEntry.action == HISTORY_IMPORT,
        )
        .order_by(HistoryEntry.id)
        .limit(1)
    )


def import_of_report(session, report_uuid) -> HistoryEntry | None:
    """The import of a report by its uuid, if it was imported (for retries of bulk rows)."""
    return session.scalar(
        select(HistoryEntry)
        .where(
            HistoryEntry.backend_resource_uuid == report_uuid,
            HistoryEntry.action == HISTORY_IMPORT,
        )
        .order_by(HistoryEntry.id.desc())
        .limit(1)
    )


# --- The Activity list -------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityParams:
    """Validated filters and paging of the Activity page."""

    action: str | None = None
    username: str | None = None
    offering_uuid: uuid.UUID | None = None
    created: datetime | None = None
    created_before: datetime | None = None
    page: str = "1"
    page_size: int = 25


def parse_activity_params(args, *, default_page_size: int = 25,
                          max_page_size: int = 100) -> ActivityParams:
    """Validate the Activity page's parameters; raise ValidationFailed with field errors."""
    errors: dict = {}
    values: dict = {}
    action = last_value(args, "action")
    if action:
        if action not in HISTORY_ACTIONS:
            errors["action"] = [f"Select a valid choice. {action} is not one of the choices."]
        else:
            values["action"] = action
    text = read_text(args, ["user"], errors)
    if "user" in text:
        values["username"] = text["user"].strip()
    values.update(read_uuids(args, ["offering_uuid"], errors))
    for key in ("created", "created_before"):
        value = last_value(args, key)
        if not value:
            continue
        try:
            values[key] = parse_datetime(value, end_of_day=key.endswith("_before"))
        except (ValueError, OverflowError):
            errors[key] = ["Enter a valid date."]
    if errors:
        raise ValidationFailed(errors)
    values["page"], values["page_size"] = parse_paging(
        args, default_page_size=default_page_size, max_page_size=max_page_size
    )
    return ActivityParams(**values)


def activity_select(params: ActivityParams):
    """History entries matching the filters, newest first."""
    statement = select(HistoryEntry).options(selectinload(HistoryEntry.marketplace_resource))
    if params.action:
        statement = statement.where(HistoryEntry.action == params.action)
    if params.username:
        statement = statement.where(HistoryEntry.username == params.username)
    if params.offering_uuid:
        statement = statement.where(
            HistoryEntry.offering_id.in_(
                select(Offering.id).where(Offering.uuid == params.offering_uuid)
            )
        )
    if params.created:
        statement = statement.where(HistoryEntry.created >= params.created)
    if params.created_before:
        statement = statement.where(HistoryEntry.created <= params.created_before)
    return statement.order_by(HistoryEntry.created.desc(), HistoryEntry.id.desc())


def page_of_activity(session, params: ActivityParams) -> Page:
    """One page of the Activity list: the count and the rows."""
    return paginate(session, activity_select(params), params.page, params.page_size)


def activity_choices(session) -> tuple[list[str], list[Offering]]:
    """The users and offerings that appear in the history, for the filter selects."""
    usernames = session.scalars(
        select(HistoryEntry.username).where(HistoryEntry.username != "").distinct()
        .order_by(HistoryEntry.username)
    ).all()
    offerings = session.scalars(
        select(Offering)
        .where(Offering.id.in_(select(HistoryEntry.offering_id)))
        .order_by(Offering.name, Offering.id)
    ).all()
    return list(usernames), list(offerings)
