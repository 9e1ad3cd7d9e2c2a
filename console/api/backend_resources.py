"""`/api/backend-resources/`: what agents report, and the staff import (spec sections 2-7)."""

from flask import current_app, request

from console.api import bp
from console.api.auth import current_user, current_viewer
from console.api.pagination import page_headers
from console.api.report_json import json_array, report_json_columns
from console.api.representations import backend_resource_json, marketplace_resource_json
from console.api.request_body import request_data
from console.api.responses import empty_response, json_response, json_text_response
from console.api.routing import refuse_other_methods
from console.extensions import db
from console.services import PermissionDenied, ValidationFailed
from console.services.access import can_import
from console.services.imports import import_backend_resource
from console.services.queries import (
    find_backend_resource,
    find_backend_resource_row,
    page_of_backend_resources,
    parse_list_params,
)
from console.services.reports import (
    NOT_NULL,
    ReportBounds,
    create_backend_resource,
    delete_backend_resource,
)

LIST_RULE = "/backend-resources/"
DETAIL_RULE = "/backend-resources/<uuid_text>/"
IMPORT_RULE = "/backend-resources/<uuid_text>/import_resource/"


@bp.get(LIST_RULE)
def backend_resource_list():
    """List the backend resources the caller may see: filtered, ordered, one page (and HEAD)."""
    params = parse_list_params(
        request.args,
        default_page_size=current_app.config["CONSOLE_DEFAULT_PAGE_SIZE"],
        max_page_size=current_app.config["CONSOLE_MAX_PAGE_SIZE"],
        max_sort_keys=current_app.config["CONSOLE_MAX_SORT_KEYS"],
    )
    page = page_of_backend_resources(
        db.session, params, current_viewer(), with_items=request.method != "HEAD",
        columns=report_json_columns(db.session), owners=False,
    )
    body = json_array(row.body for row in page.items)
    return json_text_response(body, headers=page_headers(page))


@bp.post(LIST_RULE)
def backend_resource_create():
    """Record an agent's report; 201 with the report and its URL in `Location`."""
    bounds = ReportBounds(
        max_metadata_bytes=current_app.config["CONSOLE_MAX_METADATA_BYTES"],
        max_metadata_depth=current_app.config["CONSOLE_MAX_METADATA_DEPTH"],
    )
    backend_resource = create_backend_resource(
        db.session, data=request_data(), user=current_user(), bounds=bounds
    )
    body = backend_resource_json(backend_resource)
    return json_response(body, 201, headers={"Location": body["url"]})


@bp.get(DETAIL_RULE)
def backend_resource_detail(uuid_text: str):
    """Show one backend resource the caller may see."""
    row = find_backend_resource_row(
        db.session, uuid_text, current_viewer(), report_json_columns(db.session), owners=False
    )
    return json_text_response(row.body)


@bp.delete(DETAIL_RULE)
def backend_resource_delete(uuid_text: str):
    """Delete a report: 404 when invisible, 403 when visible but not managed."""
    user = current_user()
    backend_resource = find_backend_resource(db.session, uuid_text, user)
    delete_backend_resource(db.session, backend_resource=backend_resource, user=user)
    return empty_response(204)


def import_plan_value(data):
    """Return the `plan` of an import body as DRF's serializer reads it (may be absent: None)."""
    if not isinstance(data, dict):
        kind = "null" if data is None else type(data).__name__
        raise ValidationFailed(
            {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}
        )
    if "plan" in data and data["plan"] in (None, ""):
        raise ValidationFailed({"plan": [NOT_NULL]})
    return data.get("plan")


@bp.post(IMPORT_RULE)
def backend_resource_import(uuid_text: str):
    """Staff only: turn a report into a marketplace resource; 201 with that resource."""
    user = current_user()
    if not can_import(user):
        raise PermissionDenied()
    result = import_backend_resource(
        db.session,
        backend_resource_uuid=uuid_text,
        plan_value=import_plan_value(request_data()),
        user=user,
    )
    return json_response(marketplace_resource_json(result.resource, result.order, user), 201)


refuse_other_methods(LIST_RULE, ("GET", "POST"))
refuse_other_methods(DETAIL_RULE, ("GET", "DELETE"))
refuse_other_methods(IMPORT_RULE, ("POST",))
