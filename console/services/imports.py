"""Importing a backend resource into the marketplace (spec section 7)."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from console.identifiers import parse_uuid
from console.models import (
    HISTORY_IMPORT,
    HISTORY_IMPORT_REFUSED,
    ORDER_STATE_DONE,
    ORDER_TYPE_CREATE,
    RESOURCE_STATE_OK,
    BackendResource,
    HistoryEntry,
    MarketplaceResource,
    Offering,
    Order,
    Plan,
    User,
    utcnow,
)
from console.services import DomainError, PermissionDenied, ValidationFailed
from console.services.access import can_import
from console.services.history import record, report_snapshot
from console.services.locking import begin_writing
from console.services.reports import BackendResourceGone, take_backend_resource

PLAN_REQUIRED = "Plan is required when importing resources."
PLAN_NOT_AVAILABLE = "This plan is not available for the selected offering."
ALREADY_IMPORTED = "Resource has been imported already."
DUPLICATE_INDEX = "uq_marketplace_resources_offering_backend_id_ok"
DUPLICATE_SQLITE_COLUMNS = "marketplace_resources.offering_id, marketplace_resources.backend_id"


class PlanProblem(ValidationFailed):
    """The chosen plan cannot be used: unknown, missing, archived or of another offering."""


class AlreadyImported(ValidationFailed):
    """The offering already has an OK marketplace resource with this backend id."""

    def __init__(self, existing: MarketplaceResource | None):
        super().__init__([ALREADY_IMPORTED])
        self.existing = existing


@dataclass
class ImportResult:
    """What an import created."""

    resource: MarketplaceResource
    order: Order


def find_plan(session, plan_value) -> Plan | None:
    """Resolve the plan named in a request; raise PlanProblem for an unknown uuid."""
    if plan_value is None:
        return None
    plan_uuid = parse_uuid(plan_value) if isinstance(plan_value, str) else None
    plan = None
    if plan_uuid is not None:
        plan = session.scalar(select(Plan).where(Plan.uuid == plan_uuid))
    if plan is None:
        if isinstance(plan_value, str):
            raise PlanProblem({"plan": [f"Object with uuid={plan_value} does not exist."]})
        raise PlanProblem({"plan": ["Invalid value."]})
    return plan


def find_imported_resource(session, offering_id: int, backend_id: str):
    """Return the OK marketplace resource of the offering with this backend id, if any."""
    return session.scalar(
        select(MarketplaceResource).where(
            MarketplaceResource.offering_id == offering_id,
            MarketplaceResource.backend_id == backend_id,
            MarketplaceResource.state == RESOURCE_STATE_OK,
        )
    )


def check_plan(offering: Offering, plan: Plan | None) -> None:
    """Refuse a missing plan for a shared offering, and a plan the offering does not offer."""
    if plan is None:
        if offering.shared:
            raise PlanProblem({"plan": PLAN_REQUIRED})
        return
    if plan.offering_id != offering.id or plan.archived:
        raise PlanProblem({"plan": [PLAN_NOT_AVAILABLE]})


def import_backend_resource(session, *, backend_resource_uuid, plan_value, user: User,
                            bulk_job_id: int | None = None):
    """Turn a backend resource into an OK marketplace resource plus a done CREATE order.

    One transaction: the resource, the order, the history entry and the deletion of the report
    are committed together or not at all. Concurrent imports and deletes of one report are
    serialised (row locks on PostgreSQL, the write lock on SQLite): the loser finds the report
    gone and gets BackendResourceGone. A refusal of a report that exists is recorded in the
    history afterwards, in a transaction of its own. Raises DomainError subclasses.
    """
    if not can_import(user):
        raise PermissionDenied()
    refused = None  # what a refusal records of the report, taken while it is loaded
    try:
        begin_writing(session)
        plan = find_plan(session, plan_value)
        resource_uuid = parse_uuid(str(backend_resource_uuid))
        if resource_uuid is None:
            raise BackendResourceGone()
        backend_resource = session.scalar(
            select(BackendResource)
            .where(BackendResource.uuid == resource_uuid)
            .with_for_update(of=BackendResource)
        )
        if backend_resource is None:
            raise BackendResourceGone()
        offering = session.scalar(
            select(Offering).where(Offering.id == backend_resource.offering_id).with_for_update()
        )
        refused = _refusal_snapshot(backend_resource)
        check_plan(offering, plan)
        existing = find_imported_resource(session, offering.id, backend_resource.backend_id)
        if existing is not None:
            raise AlreadyImported(existing)
        result = _create_records(session, backend_resource, offering, plan, user)
        plan_text = f"plan {plan.name}" if plan is not None else "no plan"
        record(session, HISTORY_IMPORT, user=user, report=backend_resource,
               outcome=f"imported as {result.resource.name} ({plan_text})",
               marketplace_resource_id=result.resource.id, bulk_job_id=bulk_job_id)
        take_backend_resource(session, backend_resource)
        session.commit()
    except DomainError as error:
        session.rollback()
        _record_refusal(session, refused, error, user, bulk_job_id)
        raise
    except IntegrityError as error:
        session.rollback()
        if _is_duplicate_import(error):
            # A concurrent import of the same backend id won the race on the unique index.
            refusal = AlreadyImported(None)
            _record_refusal(session, refused, refusal, user, bulk_job_id)
            raise refusal from None
        raise
    except BaseException:
        session.rollback()
        raise
    return result


def _refusal_snapshot(backend_resource) -> dict:
    """What a refused import records of the report, read before a rollback expires it."""
    return {
        "report": report_snapshot(backend_resource),
        "uuid": backend_resource.uuid,
        "offering_id": backend_resource.offering_id,
        "offering_name": backend_resource.offering.name,
    }


def _record_refusal(session, snapshot, error, user, bulk_job_id) -> None:
    """Record a refused import of an existing report in its own small transaction."""
    if snapshot is None or isinstance(error, BackendResourceGone):
        return
    session.add(HistoryEntry(
        action=HISTORY_IMPORT_REFUSED,
        outcome=f"refused: {error.message}",
        user_id=user.id, username=user.username,
        offering_id=snapshot["offering_id"], offering_name=snapshot["offering_name"],
        backend_resource_uuid=snapshot["uuid"], snapshot=snapshot["report"],
        bulk_job_id=bulk_job_id,
    ))
    session.commit()


def reported_limits(backend_resource: BackendResource) -> dict:
    """Return the `limits` object of the report's metadata, which the import copies ({} if none)."""
    metadata = backend_resource.backend_metadata
    limits = metadata.get("limits") if isinstance(metadata, dict) else None
    return dict(limits) if isinstance(limits, dict) else {}


def _is_duplicate_import(error: IntegrityError) -> bool:
    """Tell whether the error is the unique index on OK resources per offering and backend id."""
    message = str(error.orig)
    return DUPLICATE_INDEX in message or DUPLICATE_SQLITE_COLUMNS in message


def _create_records(session, backend_resource, offering, plan, user) -> ImportResult:
    """Add the marketplace resource and its fake done order to the session."""
    now = utcnow()
    limits = reported_limits(backend_resource)
    resource = MarketplaceResource(
        name=backend_resource.name,
        backend_id=backend_resource.backend_id,
        state=RESOURCE_STATE_OK,
        offering=offering,
        project_id=backend_resource.project_id,
        plan=plan,
        limits=dict(limits),
        attributes={},
        backend_metadata={},
        created=now,
        modified=now,
        last_sync=now,
    )
    order = Order(
        type=ORDER_TYPE_CREATE,
        state=ORDER_STATE_DONE,
        resource=resource,
        offering=offering,
        project_id=backend_resource.project_id,
        plan=plan,
        limits=dict(limits),
        created_by=user,
        consumer_reviewed_by=user,
        provider_reviewed_by=user,
        consumer_reviewed_at=now,
        provider_reviewed_at=now,
        created=now,
        modified=now,
    )
    session.add_all([resource, order])
    session.flush()
    return ImportResult(resource=resource, order=order)
