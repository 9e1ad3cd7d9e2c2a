"""`/api/backend-resource-requests/`: staff ask an offering's agent to scan; the agent reports
progress (Waldur's BackendResourceRequestViewSet)."""

from flask import current_app, request

from console.api import bp
from console.api.auth import current_user
from console.api.pagination import paginated_response
from console.api.representations import scan_request_json
from console.api.request_body import request_data
from console.api.responses import json_response
from console.api.routing import refuse_other_methods
from console.extensions import db
from console.services.events import BrokerSettings
from console.services.scans import (
    find_scan_request,
    page_of_scan_requests,
    parse_scan_params,
    request_scan,
    set_done,
    set_erred,
    start_processing,
)

LIST_RULE = "/backend-resource-requests/"
DETAIL_RULE = "/backend-resource-requests/<uuid_text>/"
START_RULE = "/backend-resource-requests/<uuid_text>/start_processing/"
DONE_RULE = "/backend-resource-requests/<uuid_text>/set_done/"
ERRED_RULE = "/backend-resource-requests/<uuid_text>/set_erred/"


@bp.get(LIST_RULE)
def scan_request_list():
    """List the scan requests the caller may see: filtered, ordered, one page (and HEAD)."""
    params = parse_scan_params(
        request.args,
        default_page_size=current_app.config["CONSOLE_DEFAULT_PAGE_SIZE"],
        max_page_size=current_app.config["CONSOLE_MAX_PAGE_SIZE"],
    )
    page = page_of_scan_requests(db.session, params, current_user())
    return paginated_response(page, [scan_request_json(scan) for scan in page.items])


@bp.post(LIST_RULE)
def scan_request_create():
    """Staff only: record a scan request and tell the offering's agents; 201 in state Sent."""
    scan = request_scan(
        db.session,
        data=request_data(),
        user=current_user(),
        broker=BrokerSettings.from_config(current_app.config),
    )
    body = scan_request_json(scan)
    return json_response(body, 201, headers={"Location": body["url"]})


@bp.get(DETAIL_RULE)
def scan_request_detail(uuid_text: str):
    """Show one scan request."""
    return json_response(scan_request_json(find_scan_request(db.session, uuid_text,
                                                             current_user())))


@bp.post(START_RULE)
def scan_request_start_processing(uuid_text: str):
    """The agent starts scanning: Sent -> Processing (409 from any other state)."""
    user = current_user()
    scan = find_scan_request(db.session, uuid_text, user)
    return json_response({"status": start_processing(db.session, scan=scan, user=user)})


@bp.post(DONE_RULE)
def scan_request_set_done(uuid_text: str):
    """The agent finished: Processing -> Done (409 from any other state)."""
    user = current_user()
    scan = find_scan_request(db.session, uuid_text, user)
    return json_response({"status": set_done(db.session, scan=scan, user=user)})


@bp.post(ERRED_RULE)
def scan_request_set_erred(uuid_text: str):
    """The agent failed: any state -> Erred, with its error message and traceback."""
    user = current_user()
    scan = find_scan_request(db.session, uuid_text, user)
    status = set_erred(db.session, scan=scan, data=request_data(), user=user)
    return json_response({"status": status})


refuse_other_methods(LIST_RULE, ("GET", "POST"))
refuse_other_methods(DETAIL_RULE, ("GET",))
for _rule in (START_RULE, DONE_RULE, ERRED_RULE):
    refuse_other_methods(_rule, ("POST",))
