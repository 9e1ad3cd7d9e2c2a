"""Scan requests in the console: the Scan button, the Scans page and Send again."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from werkzeug.datastructures import MultiDict

from console.extensions import db
from console.identifiers import parse_uuid
from console.models import (
    DELIVERY_DELIVERED,
    DELIVERY_FAILED,
    DELIVERY_NO_AGENT,
    DELIVERY_NOT_CONFIGURED,
    SCAN_PROCESSING,
    SCAN_SENT,
    SCAN_STATES,
    BackendResourceRequest,
    Offering,
    utcnow,
)
from console.services import NotFound, PermissionDenied, ValidationFailed
from console.services.events import BrokerSettings
from console.services.queries import InvalidPage
from console.services.scans import (
    StateConflict,
    find_scan_request,
    is_stuck,
    page_of_scan_requests,
    parse_scan_params,
    reports_received_counts,
    request_scan,
    resend_scan_request,
)
from console.web import bp
from console.web.formatting import isotime
from console.web.guards import console_access_required, staff_required
from console.web.htmx import render_page_or_fragment, wants_fragment
from console.web.list_state import DEFAULT_PAGE_SIZE, PAGE_SIZES, page_window

ENDPOINT = "web.scan_list"
POLL_SECONDS = 2
NO_BROKER = (
    "No broker is configured (CONSOLE_BROKER_URL): the request is recorded but no agent will be "
    "notified."
)
SCAN_GONE = "This scan request does not exist, or the address is wrong."
# Units of a duration, largest first: "2 h 5 min", "4 min 12 s".
DURATION_UNITS = ((24 * 3600, "d"), (3600, "h"), (60, "min"), (1, "s"))


@dataclass(frozen=True)
class ScanListState:
    """The Scans table's state as the URL holds it: offering, states, page size and page."""

    offering_uuid: str = ""
    states: tuple[str, ...] = ()
    page_size: str = ""
    page: str = ""

    @classmethod
    def from_args(cls, args) -> "ScanListState":
        """Read the state from request arguments; the last value of each wins, as the parser."""

        def last(key: str) -> str:
            given = args.getlist(key)
            return given[-1] if given else ""

        states = tuple(dict.fromkeys(value for value in args.getlist("state") if value.strip()))
        return cls(last("offering_uuid"), states, last("page_size"), last("page"))

    def query_args(self) -> MultiDict:
        """The state as request arguments, for the scan list's parser."""
        pairs = [("offering_uuid", self.offering_uuid), *(("state", s) for s in self.states),
                 ("page_size", self.page_size), ("page", self.page)]
        return MultiDict([(key, value) for key, value in pairs if value])

    def url(self, **changes) -> str:
        """This list's URL with some arguments changed; any change but the page goes to page 1."""
        values = {"offering_uuid": self.offering_uuid, "state": list(self.states),
                  "page_size": self.page_size, "page": None}
        values.update(changes)
        return url_for(ENDPOINT, **{key: value for key, value in values.items() if value})

    def page_url(self, number: int) -> str:
        """The URL of another page of the same list; page 1 has no `page` argument."""
        return self.url(page=None if number == 1 else number)

    def current_url(self) -> str:
        """This very URL (the page included), as the table polls it."""
        return self.url(page=self.page)

    def resend_url(self, scan_hex: str) -> str:
        """The Send again action of a request, which comes back to this page of the list."""
        return url_for("web.scan_resend", uuid=scan_hex, **self.query_args().to_dict(flat=False))

    @property
    def has_filters(self) -> bool:
        """An offering or a state narrows the list."""
        return bool(self.offering_uuid or self.states)

    def clear_filters_url(self) -> str:
        """This list without filters; the page size stays."""
        return self.url(offering_uuid=None, state=None)


@dataclass(frozen=True)
class ScanRow:
    """A scan request with what the table says about it beyond its own columns."""

    scan: BackendResourceRequest
    stuck: bool
    duration: str
    reports: int
    reports_url: str


@bp.get("/scans/")
@console_access_required
def scan_list():
    """Show every scan request, newest first, by offering and state; just the table for htmx."""
    state = ScanListState.from_args(request.args)
    context = {"state": state, "page": None, "rows": [], "errors": {}, "missing_page": None}
    if not wants_fragment():
        context["offerings"] = offering_choices(state)
    try:
        params = parse_scan_params(state.query_args(), default_page_size=DEFAULT_PAGE_SIZE,
                                   max_page_size=max(PAGE_SIZES))
        page = page_of_scan_requests(db.session, params, current_user)
    except ValidationFailed as error:
        return _render(context, errors=error.errors, status=400)
    except InvalidPage as invalid:
        return _render(context, missing_page=invalid, status=404)
    return _render(context, page=page, rows=scan_rows(page.items))


def _render(context: dict, status: int = 200, **changes):
    """Render the Scans page or its table fragment."""
    context = context | changes
    return render_page_or_fragment(
        "scans/list.html", "scans/_table.html", status=status,
        polling=any(row.scan.state in (SCAN_SENT, SCAN_PROCESSING) for row in context["rows"]),
        poll_seconds=POLL_SECONDS, stuck_minutes=stuck_minutes(), scan_states=SCAN_STATES,
        page_window=page_window, page_sizes=PAGE_SIZES, default_page_size=DEFAULT_PAGE_SIZE,
        **context,
    )


def stuck_minutes() -> int:
    """After how many minutes a request still Sent or Processing counts as stuck."""
    return int(current_app.config["CONSOLE_SCAN_STUCK_MINUTES"])


def scan_rows(scans: list[BackendResourceRequest]) -> list[ScanRow]:
    """The table's rows: stuck or not, how long it took, and the reports received meanwhile."""
    counts = reports_received_counts(db.session, scans)
    stuck_after = timedelta(minutes=stuck_minutes())
    now = utcnow()
    return [
        ScanRow(scan=scan, stuck=is_stuck(scan, stuck_after, now),
                duration=scan_duration(scan, now), reports=counts[scan.id],
                reports_url=reports_url(scan))
        for scan in scans
    ]


def reports_url(scan: BackendResourceRequest) -> str:
    """The backend resource table narrowed to the offering's reports received while it ran."""
    window = {"created": isotime(scan.started or scan.created)}
    if scan.finished:
        window["created_before"] = isotime(scan.finished)
    return url_for("web.backend_resource_list", offering_uuid=scan.offering.uuid.hex, **window)


def scan_duration(scan: BackendResourceRequest, now: datetime) -> str:
    """How long the agent took ("4 min 12 s"), or "running for …" while it is processing."""
    if scan.started and scan.finished:
        return describe_duration(scan.finished - scan.started)
    if scan.started and scan.state == SCAN_PROCESSING:
        return f"running for {describe_duration(now - scan.started)}"
    return ""


def describe_duration(length: timedelta) -> str:
    """A duration in its largest unit and the next: "45 s", "4 min 12 s", "2 h", "3 d 4 h"."""
    seconds = max(0, int(length.total_seconds()))
    last = len(DURATION_UNITS) - 1
    index = next((n for n, (size, _) in enumerate(DURATION_UNITS) if seconds >= size), last)
    size, label = DURATION_UNITS[index]
    words = f"{seconds // size} {label}"
    if index < last:
        smaller, smaller_label = DURATION_UNITS[index + 1]
        if rest := seconds % size // smaller:
            words += f" {rest} {smaller_label}"
    return words


def offering_choices(state: ScanListState) -> list[Offering]:
    """The offering select's options: those with scan requests, and the one the URL names."""
    has_scans = select(BackendResourceRequest.id).where(
        BackendResourceRequest.offering_id == Offering.id
    ).exists()
    chosen = parse_uuid(state.offering_uuid)
    return db.session.scalars(
        select(Offering)
        .where(or_(has_scans, Offering.uuid == chosen) if chosen else has_scans)
        .order_by(Offering.name, Offering.id)
    ).all()


def delivery_message(scan: BackendResourceRequest, done: str = "requested") -> tuple[str, str]:
    """What became of the request's delivery, as a flash message and its category."""
    if scan.delivery == DELIVERY_DELIVERED:
        queues = "queue" if scan.delivered_queues == 1 else "queues"
        return (f"Scan of {scan.offering.name} {done}: delivered to {scan.delivered_queues} "
                f"agent {queues}.", "success")
    if scan.delivery == DELIVERY_NOT_CONFIGURED:
        return NO_BROKER, "warning"
    if scan.delivery == DELIVERY_NO_AGENT:
        return (f"Scan of {scan.offering.name} recorded, but no agent of this offering has "
                "registered a queue: none was notified.", "warning")
    if scan.delivery == DELIVERY_FAILED:
        return ("The broker could not be reached: the request is kept, marked not delivered; "
                f"press Send again to retry. ({scan.delivery_error})", "error")
    return f"Scan of {scan.offering.name} {done}.", "success"


@bp.post("/scans/")
@staff_required
def scan_request():
    """Ask the offering's agents to scan, then show the Scans page saying how delivery went."""
    try:
        scan = request_scan(
            db.session, data={"offering": request.form.get("offering", "")}, user=current_user,
            broker=BrokerSettings.from_config(current_app.config),
        )
    except PermissionDenied:
        abort(403)
    except ValidationFailed:
        flash("No scan was requested: the offering no longer exists.", "error")
    else:
        flash(*delivery_message(scan))
    return redirect(url_for(ENDPOINT), 303)


@bp.post("/scans/<uuid>/resend")
@staff_required
def scan_resend(uuid: str):
    """Deliver a request still in state Sent again; back to the same page of the list."""
    back = ScanListState.from_args(request.args).current_url()
    try:
        scan = find_scan_request(db.session, uuid, current_user)
    except NotFound:
        abort(404, description=SCAN_GONE)
    try:
        resend_scan_request(db.session, scan=scan, user=current_user,
                            broker=BrokerSettings.from_config(current_app.config))
    except PermissionDenied:
        abort(403)
    except StateConflict:
        flash(f"The scan of {scan.offering.name} is {scan.state} now: only a request still "
              "Sent can be sent again.", "warning")
    else:
        flash(*delivery_message(scan, done="sent again"))
    return redirect(back, 303)
