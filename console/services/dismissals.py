"""Dismissing reports staff do not want to see again, and restoring them.

Dismissing a report puts its (offering, backend id) on the offering's ignore list: every report
of that backend id leaves the default view, and one the agent sends later is born dismissed (the
API still answers it as upstream does). Restoring takes the entry off the list and brings its
reports back. A report without a backend id is dismissed alone.
"""

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from console.identifiers import parse_uuid
from console.models import (
    HISTORY_DISMISS,
    HISTORY_RESTORE,
    BackendResource,
    Dismissal,
    User,
)
from console.services import NotFound, PermissionDenied, ValidationFailed
from console.services.access import can_import
from console.services.history import record

REASON_MAX_LENGTH = 500
NOT_DISMISSED = "This report is not dismissed."


def clean_reason(reason: str | None) -> str:
    """The optional reason, trimmed; refuse one that is too long or holds NUL characters."""
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationFailed({"reason": [f"At most {REASON_MAX_LENGTH} characters."]})
    if "\x00" in reason:
        raise ValidationFailed({"reason": ["Null characters are not allowed."]})
    return reason


def ignore_entry(session, offering_id: int, backend_id: str) -> Dismissal | None:
    """The offering's ignore-list entry for a backend id, if there is one."""
    if not backend_id:
        return None
    return session.scalar(
        select(Dismissal).where(
            Dismissal.offering_id == offering_id, Dismissal.backend_id == backend_id
        )
    )


def dismiss_backend_resource(session, *, report_uuid, user: User, reason: str = "",
                             bulk_job_id: int | None = None) -> Dismissal:
    """Dismiss a report and every report of its backend id; one transaction, recorded.

    Two staff dismissing twins at once both try to add the ignore-list entry; the loser of the
    unique index tries again and joins the winner's entry.
    """
    if not can_import(user):
        raise PermissionDenied()
    reason = clean_reason(reason)
    try:
        return _dismiss(session, report_uuid, user, reason, bulk_job_id)
    except IntegrityError:
        return _dismiss(session, report_uuid, user, reason, bulk_job_id)


def _dismiss(session, report_uuid, user: User, reason: str, bulk_job_id) -> Dismissal:
    """One attempt at dismissing: the whole change in one transaction."""
    try:
        report = _locked_report(session, report_uuid)
        if report.backend_id:
            # Lock every report of the backend id before writing anything that locks the
            # offering: the import's order (report, then offering), so the two never deadlock.
            session.execute(
                select(BackendResource.id)
                .where(
                    BackendResource.offering_id == report.offering_id,
                    BackendResource.backend_id == report.backend_id,
                )
                .order_by(BackendResource.id)
                .with_for_update()
            ).all()
        if report.dismissal_id is not None:
            dismissal = session.get(Dismissal, report.dismissal_id)
        else:
            dismissal = ignore_entry(session, report.offering_id, report.backend_id)
            if dismissal is None:
                dismissal = Dismissal(
                    offering_id=report.offering_id, backend_id=report.backend_id,
                    reason=reason, created_by=user,
                )
                session.add(dismissal)
                session.flush()
            if report.backend_id:
                session.execute(
                    update(BackendResource)
                    .where(
                        BackendResource.offering_id == report.offering_id,
                        BackendResource.backend_id == report.backend_id,
                    )
                    .values(dismissal_id=dismissal.id)
                )
            else:
                report.dismissal_id = dismissal.id
        record(session, HISTORY_DISMISS, user=user, report=report,
               outcome=f"dismissed: {reason}" if reason else "dismissed", bulk_job_id=bulk_job_id)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return dismissal


def restore_backend_resource(session, *, report_uuid, user: User) -> int:
    """Take a dismissed report's backend id off the ignore list; return how many came back."""
    if not can_import(user):
        raise PermissionDenied()
    try:
        report = _locked_report(session, report_uuid)
        if report.dismissal_id is None:
            raise ValidationFailed([NOT_DISMISSED])
        dismissal_id = report.dismissal_id
        restored = session.execute(
            update(BackendResource)
            .where(BackendResource.dismissal_id == dismissal_id)
            .values(dismissal_id=None)
        ).rowcount
        record(session, HISTORY_RESTORE, user=user, report=report, outcome="restored")
        session.delete(session.get(Dismissal, dismissal_id))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return restored


def _locked_report(session, report_uuid) -> BackendResource:
    """The report by uuid, locked for the change (PostgreSQL), or NotFound."""
    parsed = parse_uuid(str(report_uuid))
    report = None
    if parsed is not None:
        report = session.scalar(
            select(BackendResource)
            .where(BackendResource.uuid == parsed)
            .with_for_update(of=BackendResource)
        )
    if report is None:
        raise NotFound("No BackendResource matches the given query.")
    return report
