"""Bulk import, delete and dismiss of selected reports, one row at a time.

A job is created as a draft from a selection (ticked rows, or every row matching the table's
filters), so its confirmation page lists exactly those rows and what will happen to each. Once
started, its rows are processed in chunks by whoever asks (a polling browser, any app server):
each chunk claims a few rows with a lease, runs each row through the single-row service in its
own transaction (so a refusal stops nothing else and leaves nothing half-done), and records the
row's outcome. A row whose claim expired (a server died mid-chunk) is taken over by a later
chunk; a row already imported is reported as such, never imported twice.
"""

import time
import uuid as uuid_module
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import selectinload

from console.identifiers import parse_uuid
from console.models import (
    BULK_ACTIONS,
    BULK_DELETE,
    BULK_DISMISS,
    BULK_DONE,
    BULK_DRAFT,
    BULK_IMPORT,
    BULK_RUNNING,
    ITEM_PENDING,
    BackendResource,
    BulkItem,
    BulkJob,
    Offering,
    Plan,
    Project,
    User,
    utcnow,
)
from console.services import DomainError, NotFound, PermissionDenied, ValidationFailed
from console.services.access import can_import
from console.services.dismissals import clean_reason, dismiss_backend_resource
from console.services.flags import duplicate_count, imported_resource_uuid
from console.services.history import import_of_report
from console.services.imports import (
    PLAN_NOT_AVAILABLE,
    PLAN_REQUIRED,
    AlreadyImported,
    BackendResourceGone,
    find_imported_resource,
    import_backend_resource,
)
from console.services.queries import ordering_clauses, parse_list_params, scope_clauses
from console.services.reports import delete_backend_resource

IMPORTED = "imported"
DELETED = "deleted"
DISMISSED = "dismissed"
REFUSED = "refused"
DONE_OUTCOMES = {BULK_IMPORT: IMPORTED, BULK_DELETE: DELETED, BULK_DISMISS: DISMISSED}
LEASE = timedelta(seconds=60)
CHUNK_ROWS = 100
CHUNK_SECONDS = 1.5
GONE = "The report no longer exists: someone imported or deleted it in the meantime."
NOTHING_SELECTED = "Select at least one row, or every row matching the filter."
JOB_NOT_FOUND = "No bulk action with this UUID exists."


# --- Creating a job from a selection -----------------------------------------------------------


def create_bulk_job(session, *, action: str, user: User, selected: list[str],
                    all_matching: bool, query_args, stale_days: int,
                    max_rows: int) -> BulkJob:
    """Record a draft job holding the selected rows in the table's order; staff only."""
    if not can_import(user):
        raise PermissionDenied()
    if action not in BULK_ACTIONS:
        raise ValidationFailed({"action": [f"Choose one of {', '.join(BULK_ACTIONS)}."]})
    params = parse_list_params(query_args, console=True, stale_days=stale_days)
    statement = (
        select(
            BackendResource.uuid, BackendResource.name, BackendResource.backend_id,
            BackendResource.offering_id, Project.name,
        )
        .join(BackendResource.project)
        .order_by(*ordering_clauses(params.ordering))
    )
    if all_matching:
        statement = statement.where(*scope_clauses(params, user))
        description = "every row matching the filter"
    else:
        uuids = [parse_uuid(value) for value in selected]
        if not uuids or None in uuids:
            raise ValidationFailed({"selected": [NOTHING_SELECTED]})
        statement = statement.where(
            *scope_clauses(type(params)(ordering=params.ordering), user),
            BackendResource.uuid.in_(uuids),
        )
        description = f"{len(uuids)} selected rows"
    rows = session.execute(statement.limit(max_rows + 1)).all()
    if len(rows) > max_rows:
        raise ValidationFailed({"selected": [
            f"A bulk action takes at most {max_rows:,} rows; narrow the filter."
        ]})
    if not rows:
        raise ValidationFailed({"selected": ["None of the selected reports exists any more."]})
    try:
        job = BulkJob(action=action, user_id=user.id, state=BULK_DRAFT, total=len(rows),
                      selection=description, plans={})
        session.add(job)
        session.flush()
        session.execute(insert(BulkItem), [
            {
                "job_id": job.id, "position": position, "backend_resource_uuid": row[0],
                "name": row[1], "backend_id": row[2], "offering_id": row[3],
                "project_name": row[4], "outcome": ITEM_PENDING, "message": "",
            }
            for position, row in enumerate(rows, start=1)
        ])
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return job


def find_job(session, uuid_text: str, user: User) -> BulkJob:
    """The job with this uuid, for staff; NotFound otherwise."""
    if not can_import(user):
        raise PermissionDenied()
    job_uuid = parse_uuid(uuid_text)
    job = session.scalar(select(BulkJob).where(BulkJob.uuid == job_uuid)) if job_uuid else None
    if job is None:
        raise NotFound(JOB_NOT_FOUND)
    return job


# --- What will happen: the confirmation page ------------------------------------------------


@dataclass
class PlannedRow:
    """A row of a draft job and what starting the job would do to it."""

    position: int
    name: str
    backend_id: str
    project_name: str
    offering_id: int | None
    report_uuid: object
    exists: bool
    will_succeed: bool
    fate: str
    imported_resource_uuid: object = None


def planned_rows(session, job: BulkJob) -> list[PlannedRow]:
    """Each row of the job with its fate, as things stand now: one statement."""
    rows = session.execute(
        select(
            BulkItem,
            BackendResource.id,
            BackendResource.dismissal_id,
            imported_resource_uuid().label("imported_uuid"),
            duplicate_count().label("twins"),
        )
        .outerjoin(BackendResource, BackendResource.uuid == BulkItem.backend_resource_uuid)
        .where(BulkItem.job_id == job.id)
        .order_by(BulkItem.position)
    ).all()
    seen = set()
    planned = []
    for item, report_id, dismissal_id, imported_uuid, _twins in rows:
        exists = report_id is not None
        key = (item.offering_id, item.backend_id)
        succeed, fate = _fate(job.action, exists, imported_uuid, dismissal_id,
                              key in seen and bool(item.backend_id))
        if exists and item.backend_id:
            seen.add(key)
        planned.append(PlannedRow(
            position=item.position, name=item.name, backend_id=item.backend_id,
            project_name=item.project_name, offering_id=item.offering_id,
            report_uuid=item.backend_resource_uuid, exists=exists, will_succeed=succeed,
            fate=fate, imported_resource_uuid=imported_uuid,
        ))
    return planned


def _fate(action, exists, imported_uuid, dismissal_id, twin_selected_above) -> tuple[bool, str]:
    """Whether a row's action will go through, and the sentence that says so."""
    if not exists:
        return False, "Refused: " + GONE
    if action == BULK_IMPORT:
        if imported_uuid is not None:
            return False, "Refused: already imported into the offering."
        if twin_selected_above:
            return False, ("Refused: a row above has the same backend id and is imported "
                           "first.")
        return True, "Imported with the plan chosen for its offering."
    if action == BULK_DELETE:
        return True, "Deleted (the agent may report it again)."
    if dismissal_id is not None:
        return True, "Already dismissed; stays dismissed."
    return True, "Dismissed: its backend id goes on the offering's ignore list."


def job_offerings(session, job: BulkJob) -> list[Offering]:
    """The offerings among the job's rows, with their plans, by name."""
    return list(session.scalars(
        select(Offering)
        .where(Offering.id.in_(select(BulkItem.offering_id).where(BulkItem.job_id == job.id)))
        .options(selectinload(Offering.plans), selectinload(Offering.customer))
        .order_by(Offering.name, Offering.id)
    ))


# --- Starting and processing --------------------------------------------------------------------


def start_bulk_job(session, job: BulkJob, *, user: User, plan_values: dict,
                   reason: str = "") -> BulkJob:
    """Fix the plans (import) or the reason (dismiss) and set the job running.

    `plan_values` maps offering uuid hex to a plan uuid hex, or "" for no plan. Starting a job
    that already runs or is done changes nothing (a double submit is harmless).
    """
    if not can_import(user):
        raise PermissionDenied()
    if job.state != BULK_DRAFT:
        return job
    plans = {}
    if job.action == BULK_IMPORT:
        errors = {}
        for offering in job_offerings(session, job):
            value = (plan_values.get(offering.uuid.hex) or "").strip()
            plan = _offered_plan(offering, value)
            if value and plan is None:
                errors[offering.uuid.hex] = [PLAN_NOT_AVAILABLE]
            elif plan is None and offering.shared:
                errors[offering.uuid.hex] = [PLAN_REQUIRED]
            plans[str(offering.id)] = plan.uuid.hex if plan is not None else ""
        if errors:
            raise ValidationFailed(errors)
    reason = clean_reason(reason) if job.action == BULK_DISMISS else ""
    started = session.execute(
        update(BulkJob)
        .where(BulkJob.id == job.id, BulkJob.state == BULK_DRAFT)
        .values(state=BULK_RUNNING, plans=plans, reason=reason, started=utcnow())
    ).rowcount
    session.commit()
    if not started:
        session.refresh(job)
    return job


def _offered_plan(offering: Offering, value: str) -> Plan | None:
    """The offering's non-archived plan with this uuid hex, if any."""
    wanted = parse_uuid(value) if value else None
    return next(
        (plan for plan in offering.plans if plan.uuid == wanted and not plan.archived), None
    )


@dataclass
class Progress:
    """Where a job stands: rows done so far by outcome, and the total."""

    total: int
    counts: dict

    @property
    def processed(self) -> int:
        return sum(count for outcome, count in self.counts.items() if outcome != ITEM_PENDING)

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.total) if self.total else 100


def job_progress(session, job: BulkJob) -> Progress:
    """Count the job's rows by outcome: one statement."""
    counts = Counter(dict(session.execute(
        select(BulkItem.outcome, func.count())
        .where(BulkItem.job_id == job.id)
        .group_by(BulkItem.outcome)
    ).all()))
    return Progress(total=job.total, counts=dict(counts))


def process_chunk(session, job_uuid, *, max_rows: int = CHUNK_ROWS,
                  seconds: float = CHUNK_SECONDS) -> None:
    """Process the next rows of a running job for about `seconds`, each row on its own."""
    job = session.scalar(select(BulkJob).where(BulkJob.uuid == job_uuid))
    if job is None or job.state != BULK_RUNNING:
        return
    job_id, action, plans, reason = job.id, job.action, dict(job.plans), job.reason
    user = session.get(User, job.user_id) if job.user_id else None
    claimed = _claim(session, job_id, max_rows)
    deadline = time.perf_counter() + seconds
    for item_id, report_uuid, offering_id, backend_id in claimed:
        if time.perf_counter() > deadline:
            break
        outcome, message, resource_uuid = _run_row(
            session, action, job_id, user, report_uuid, plans.get(str(offering_id)) or None,
            offering_id, backend_id, reason,
        )
        session.execute(
            update(BulkItem)
            .where(BulkItem.id == item_id, BulkItem.outcome == ITEM_PENDING)
            .values(outcome=outcome, message=message, marketplace_resource_uuid=resource_uuid,
                    finished=utcnow(), lease_token=None, lease_until=None)
        )
        session.commit()
    _release(session, [row[0] for row in claimed])
    _finish_if_done(session, job_id)


def _claim(session, job_id: int, max_rows: int) -> list[tuple]:
    """Lease the next pending rows nobody holds; return (id, report uuid, offering, backend id)."""
    now = utcnow()
    token = uuid_module.uuid4().hex
    free = or_(BulkItem.lease_until.is_(None), BulkItem.lease_until < now)
    candidates = select(BulkItem.id).where(
        BulkItem.job_id == job_id, BulkItem.outcome == ITEM_PENDING, free
    ).order_by(BulkItem.position).limit(max_rows)
    ids = list(session.scalars(candidates))
    if ids:
        session.execute(
            update(BulkItem)
            .where(BulkItem.id.in_(ids), BulkItem.outcome == ITEM_PENDING, free)
            .values(lease_token=token, lease_until=now + LEASE)
        )
    session.commit()
    return session.execute(
        select(BulkItem.id, BulkItem.backend_resource_uuid, BulkItem.offering_id,
               BulkItem.backend_id)
        .where(BulkItem.lease_token == token, BulkItem.outcome == ITEM_PENDING)
        .order_by(BulkItem.position)
    ).all()


def _release(session, ids: list[int]) -> None:
    """Give back the claimed rows this chunk did not reach."""
    if ids:
        session.execute(
            update(BulkItem)
            .where(BulkItem.id.in_(ids), BulkItem.outcome == ITEM_PENDING)
            .values(lease_token=None, lease_until=None)
        )
    session.commit()


def _finish_if_done(session, job_id: int) -> None:
    """Mark the job done once no row is pending."""
    pending = session.scalar(
        select(func.count()).select_from(BulkItem)
        .where(BulkItem.job_id == job_id, BulkItem.outcome == ITEM_PENDING)
    )
    if pending == 0:
        session.execute(
            update(BulkJob)
            .where(BulkJob.id == job_id, BulkJob.state == BULK_RUNNING)
            .values(state=BULK_DONE, finished=utcnow())
        )
    session.commit()


def _run_row(session, action, job_id, user, report_uuid, plan_value, offering_id, backend_id,
             reason) -> tuple[str, str, object]:
    """Do the job's action to one report; return (outcome, message, marketplace resource uuid)."""
    if user is None or not can_import(user):
        return REFUSED, "The user who started this action may no longer do it.", None
    try:
        if action == BULK_IMPORT:
            result = import_backend_resource(
                session, backend_resource_uuid=report_uuid.hex, plan_value=plan_value,
                user=user, bulk_job_id=job_id,
            )
            return IMPORTED, f"Imported into {result.resource.project.name}.", result.resource.uuid
        report = session.scalar(select(BackendResource).where(BackendResource.uuid == report_uuid))
        if report is None:
            raise BackendResourceGone()
        if action == BULK_DELETE:
            delete_backend_resource(session, backend_resource=report, user=user,
                                    bulk_job_id=job_id)
            return DELETED, "Deleted.", None
        dismiss_backend_resource(session, report_uuid=report_uuid, user=user, reason=reason,
                                 bulk_job_id=job_id)
        return DISMISSED, "Dismissed.", None
    except AlreadyImported as error:
        existing = error.existing or find_imported_resource(session, offering_id, backend_id)
        return REFUSED, "Resource has been imported already.", existing.uuid if existing else None
    except (BackendResourceGone, NotFound):
        return _gone(session, action, job_id, report_uuid)
    except DomainError as error:
        return REFUSED, error.message, None


def _gone(session, action, job_id, report_uuid) -> tuple[str, str, object]:
    """A row whose report is gone: imported by this very job (a retry) or refused."""
    if action == BULK_IMPORT:
        entry = import_of_report(session, report_uuid)
        if entry is not None and entry.marketplace_resource is not None:
            resource_uuid = entry.marketplace_resource.uuid
            if entry.bulk_job_id == job_id:
                return IMPORTED, "Imported (finished on a retry).", resource_uuid
            who = entry.username or "someone"
            return REFUSED, f"Already imported by {who}.", resource_uuid
    return REFUSED, GONE, None


def job_rows(session, job: BulkJob) -> list[BulkItem]:
    """Every row of a job in order, with its outcome."""
    return list(session.scalars(
        select(BulkItem).where(BulkItem.job_id == job.id).order_by(BulkItem.position)
    ))
