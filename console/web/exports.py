"""Downloading the table's current view as CSV or JSON, streamed."""

from flask import Response, abort, current_app, request, stream_with_context
from flask_login import current_user

from console.extensions import db
from console.models import utcnow
from console.services import ValidationFailed
from console.services.exports import (
    csv_chunks,
    export_filename,
    export_record,
    exported_reports,
    json_chunks,
)
from console.services.queries import parse_list_params
from console.web import bp
from console.web.guards import console_access_required
from console.web.list_state import FILTER_KEYS, ListState
from console.web.listing import load_filter_names

FORMATS = {
    "csv": ("text/csv; charset=utf-8", csv_chunks),
    "json": ("application/json", json_chunks),
}


@bp.get("/backend-resources/export.<fmt>")
@console_access_required
def backend_resource_export(fmt: str):
    """Stream every row of the view the query string describes; the filters name the file."""
    if fmt not in FORMATS:
        abort(404)
    try:
        params = parse_list_params(
            request.args, console=True, stale_days=current_app.config["CONSOLE_STALE_DAYS"]
        )
    except ValidationFailed as error:
        abort(400, description=f"These filters could not be applied: {error.errors}")
    names = load_filter_names(params)
    state = ListState.from_args(request.args)
    filters = [
        (key.removesuffix("_uuid"), names.get(key) or state.get(key))
        for key in FILTER_KEYS if state.get(key)
    ]
    now = utcnow()
    filename = export_filename(filters, fmt, now.date())
    stale_days = params.stale_days
    records = (
        export_record(report, stale_days, now)
        for report in exported_reports(db.session, params, current_user)
    )
    mimetype, chunks = FORMATS[fmt]
    return Response(
        stream_with_context(chunks(records)),
        content_type=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
