"""Scan requests (Waldur's backend resource requests): asking an offering's agent to report.

A request goes Sent -> Processing -> Done, or to Erred from any state. Creating one is for staff;
the progress actions are for staff and the offering's managers (its agent). After the request is
committed, it is delivered to the agents subscribed to the offering's importable resources; a
delivery that fails is recorded on the request and can be tried again, never lost.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from console.identifiers import parse_uuid
from console.models import (
    DELIVERY_DELIVERED,
    DELIVERY_FAILED,
    DELIVERY_NO_AGENT,
    DELIVERY_NOT_CONFIGURED,
    HISTORY_SCAN_REQUEST,
    OBJECT_TYPE_IMPORTABLE_RESOURCES,
    SCAN_DONE,
    SCAN_ERRED,
    SCAN_PROCESSING,
    SCAN_SENT,
    SCAN_STATES,
    BackendResource,
    BackendResourceRequest,
    Offering,
    User,
    utcnow,
)
from console.services import DomainError, NotFound, PermissionDenied, ValidationFailed
from console.services.access import can_manage_offering, offering_scope_clause
from console.services.agents import subscribed_identities
from console.services.events import BrokerSettings, BrokerUnavailable, Delivery, publish
from console.services.history import record
from console.services.marketplace_filters import read_choices, read_datetimes
from console.services.parameters import last_value, read_uuids
from console.services.queries import Page, paginate, parse_paging
from console.services.reports import expect_object, related_by_uuid

SCAN_NOT_FOUND = "No BackendResourceRequest matches the given query."
STARTED = "Request state set to processing."
DONE = "Request state set to done."
ERRED = "Request state set to erred."
DATE_FILTERS = ("started", "finished", "created", "created_before", "modified", "modified_before")
ORDERING_CHOICES = ("created", "-created")


class StateConflict(DomainError):
    """The request is not in a state the operation starts from (409, as Waldur answers)."""

    status = 409

    def __init__(self, valid_state: str):
        message = f"Valid states for operation: {valid_state}."
        super().__init__({"detail": message}, message)


@dataclass(frozen=True)
class ScanListParams:
    """Validated filters, ordering and paging of the scan request list."""

    offering_uuid: uuid.UUID | None = None
    states: tuple[str, ...] = ()
    dates: tuple[tuple[str, datetime], ...] = ()
    descending: bool = True
    page: str = "1"
    page_size: int = 10


def parse_scan_params(args, *, default_page_size: int = 10,
                      max_page_size: int = 300) -> ScanListParams:
    """Validate the list's query parameters; raise ValidationFailed with field errors."""
    errors: dict = {}
    values: dict = {}
    values.update(read_uuids(args, ("offering_uuid",), errors))
    states = tuple(read_choices(args, "state", SCAN_STATES, errors))
    dates = tuple(read_datetimes(args, DATE_FILTERS, errors).items())
    ordering = (last_value(args, "o") or "").strip()
    if ordering and ordering not in ORDERING_CHOICES:
        errors["o"] = [f"Select a valid choice. {ordering} is not one of the available choices."]
    if errors:
        raise ValidationFailed(errors)
    page, page_size = parse_paging(
        args, default_page_size=default_page_size, max_page_size=max_page_size
    )
    return ScanListParams(
        states=states, dates=dates, descending=ordering != "created",
        page=page, page_size=page_size, **values,
    )


DATE_CLAUSES = {
    "started": lambda moment: BackendResourceRequest.started >= moment,
    "finished": lambda moment: BackendResourceRequest.finished >= moment,
    "created": lambda moment: BackendResourceRequest.created >= moment,
    "created_before": lambda moment: BackendResourceRequest.created <= moment,
    "modified": lambda moment: BackendResourceRequest.modified >= moment,
    "modified_before": lambda moment: BackendResourceRequest.modified <= moment,
}


def scan_requests_select(params: ScanListParams, user: User | None):
    """Return a select() of the scan requests the user may see, filtered and ordered."""
    statement = (
        select(BackendResourceRequest)
        .options(
            selectinload(BackendResourceRequest.offering),
            selectinload(BackendResourceRequest.created_by),
        )
        .where(offering_scope_clause(user, BackendResourceRequest.offering_id))
    )
    if params.offering_uuid is not None:
        statement = statement.where(
            BackendResourceRequest.offering_id.in_(
                select(Offering.id).where(Offering.uuid == params.offering_uuid)
            )
        )
    if params.states:
        statement = statement.where(BackendResourceRequest.state.in_(params.states))
    for key, moment in params.dates:
        statement = statement.where(DATE_CLAUSES[key](moment))
    if params.descending:
        return statement.order_by(
            BackendResourceRequest.created.desc(), BackendResourceRequest.id.desc()
        )
    return statement.order_by(BackendResourceRequest.created, BackendResourceRequest.id)


def page_of_scan_requests(session, params: ScanListParams, user: User | None) -> Page:
    """Return one page of scan requests: the count and the rows."""
    return paginate(session, scan_requests_select(params, user), params.page, params.page_size)


def find_scan_request(session, uuid_value, user: User | None) -> BackendResourceRequest:
    """Return a visible scan request by uuid, or raise NotFound."""
    parsed = parse_uuid(str(uuid_value))
    found = None
    if parsed is not None:
        found = session.scalar(
            scan_requests_select(ScanListParams(), user).where(
                BackendResourceRequest.uuid == parsed
            )
        )
    if found is None:
        raise NotFound(SCAN_NOT_FOUND)
    return found


def can_request_scan(user: User | None) -> bool:
    """Only staff ask agents to scan (as upstream's create permission)."""
    return bool(user and user.is_active and user.is_staff)


def create_scan_request(session, *, data, user: User) -> BackendResourceRequest:
    """Record a new scan request in state Sent (staff only; permission before validation)."""
    if not can_request_scan(user):
        raise PermissionDenied()
    data = expect_object(data)
    errors: dict = {}
    offering = related_by_uuid(session, Offering, data, "offering", errors)
    if errors:
        raise ValidationFailed(errors)
    scan = BackendResourceRequest(offering=offering, created_by=user, state=SCAN_SENT)
    session.add(scan)
    session.flush()
    record(session, HISTORY_SCAN_REQUEST, user=user, offering=offering, outcome="requested",
           snapshot={"offering": {"uuid": offering.uuid.hex, "name": offering.name},
                     "scan_request": scan.uuid.hex},
           scan_request_id=scan.id)
    session.commit()
    return scan


def scan_message(scan: BackendResourceRequest) -> dict:
    """The event an agent receives for a scan request."""
    return {
        "object_type": OBJECT_TYPE_IMPORTABLE_RESOURCES,
        "backend_resource_request_uuid": scan.uuid.hex,
        "offering_uuid": scan.offering.uuid.hex,
    }


def deliver_scan_request(session, scan: BackendResourceRequest, broker: BrokerSettings) -> str:
    """Publish the request to its offering's subscribed agents and record how that went.

    Never raises for a broker problem: the request stays, marked failed, for staff to resend.
    """
    scan.delivery_attempted = utcnow()
    scan.delivery_error = ""
    scan.delivered_queues = 0
    if not broker.configured:
        scan.delivery = DELIVERY_NOT_CONFIGURED
    else:
        identities = subscribed_identities(session, scan.offering_id)
        if not identities:
            scan.delivery = DELIVERY_NO_AGENT
        else:
            message = scan_message(scan)
            try:
                publish(broker, [
                    Delivery(vhost=identity.vhost, queue_name=identity.queue_name, body=message)
                    for identity in identities
                ])
            except BrokerUnavailable as error:
                scan.delivery = DELIVERY_FAILED
                scan.delivery_error = str(error)
            else:
                scan.delivery = DELIVERY_DELIVERED
                scan.delivered_queues = len(identities)
    session.commit()
    return scan.delivery


def request_scan(session, *, data, user: User, broker: BrokerSettings) -> BackendResourceRequest:
    """Create a scan request, then deliver it once it is committed."""
    scan = create_scan_request(session, data=data, user=user)
    deliver_scan_request(session, scan, broker)
    return scan


def resend_scan_request(session, *, scan: BackendResourceRequest, user: User,
                        broker: BrokerSettings) -> str:
    """Deliver a request again (staff only), while no agent has started it."""
    if not can_request_scan(user):
        raise PermissionDenied()
    if scan.state != SCAN_SENT:
        raise StateConflict(SCAN_SENT)
    return deliver_scan_request(session, scan, broker)


def _require_manager(session, scan: BackendResourceRequest, user: User) -> None:
    """Progress actions are for staff and the offering's managers."""
    if not can_manage_offering(session, user, scan.offering):
        raise PermissionDenied()


def _transition(session, scan, *, source: str | None, values: dict) -> None:
    """Move the request in one conditional UPDATE, so two racing agents cannot both win."""
    statement = update(BackendResourceRequest).where(BackendResourceRequest.id == scan.id)
    if source is not None:
        statement = statement.where(BackendResourceRequest.state == source)
    now = utcnow()
    result = session.execute(
        statement.values(modified=now, **{key: value(now) if callable(value) else value
                                          for key, value in values.items()})
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        raise StateConflict(source)
    session.commit()
    session.refresh(scan)


def start_processing(session, *, scan: BackendResourceRequest, user: User) -> str:
    """Sent -> Processing, noting when it started."""
    _require_manager(session, scan, user)
    _transition(session, scan, source=SCAN_SENT,
                values={"state": SCAN_PROCESSING, "started": lambda now: now})
    return STARTED


def set_done(session, *, scan: BackendResourceRequest, user: User) -> str:
    """Processing -> Done, noting when it finished."""
    _require_manager(session, scan, user)
    _transition(session, scan, source=SCAN_PROCESSING,
                values={"state": SCAN_DONE, "finished": lambda now: now})
    return DONE


def set_erred(session, *, scan: BackendResourceRequest, data, user: User) -> str:
    """Any state -> Erred with the agent's error message and traceback."""
    _require_manager(session, scan, user)
    data = expect_object(data)
    errors: dict = {}
    texts = {}
    for key in ("error_message", "error_traceback"):
        value = data.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[key] = ["Not a valid string."]
        elif "\x00" in value:
            errors[key] = ["Null characters are not allowed."]
        else:
            texts[key] = value
    if errors:
        raise ValidationFailed(errors)
    _transition(session, scan, source=None,
                values={"state": SCAN_ERRED, "finished": lambda now: now, **texts})
    return ERRED


def is_stuck(scan: BackendResourceRequest, stuck_after: timedelta, now: datetime) -> bool:
    """Sent or Processing for longer than `stuck_after`: probably no agent will finish it."""
    since = scan.started or scan.created
    return scan.state in (SCAN_SENT, SCAN_PROCESSING) and now - since > stuck_after


def reports_received_counts(session, scans: list[BackendResourceRequest]) -> dict[int, int]:
    """How many reports each request's offering received while it ran (one statement)."""
    if not scans:
        return {}
    now = utcnow()
    counts = [
        select(func.count())
        .select_from(BackendResource)
        .where(
            BackendResource.offering_id == scan.offering_id,
            BackendResource.created >= (scan.started or scan.created),
            BackendResource.created <= (scan.finished or now),
        )
        .scalar_subquery()
        for scan in scans
    ]
    row = session.execute(select(*counts)).one()
    return {scan.id: value for scan, value in zip(scans, row, strict=True)}
