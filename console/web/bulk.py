"""Bulk actions on the table's selection: confirm, then watch each row's outcome arrive."""

from urllib.parse import parse_qs

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from console.extensions import db
from console.models import BULK_DRAFT, BULK_IMPORT, BULK_RUNNING
from console.services import NotFound, ValidationFailed
from console.services.bulk import (
    create_bulk_job,
    find_job,
    job_offerings,
    job_progress,
    job_rows,
    planned_rows,
    process_chunk,
    start_bulk_job,
)
from console.web import bp
from console.web.guards import staff_required
from console.web.htmx import wants_fragment
from console.web.imports_plans import plan_choices
from console.web.return_path import back_url, with_back

LIST_ENDPOINT = "web.backend_resource_list"


def load_job(uuid: str):
    """The job for staff, or 404."""
    try:
        return find_job(db.session, uuid, current_user)
    except NotFound:
        abort(404, description="No bulk action with this UUID exists.")


@bp.post("/backend-resources/bulk")
@staff_required
def bulk_start():
    """Turn the table's selection into a draft job and show its confirmation page."""
    query = request.form.get("query", "")
    try:
        job = create_bulk_job(
            db.session,
            action=request.form.get("action", ""),
            user=current_user,
            selected=request.form.getlist("selected"),
            all_matching=request.form.get("scope") == "all",
            query_args=MultiDict(
                [(key, value) for key, values in parse_qs(query).items() for value in values]
            ),
            stale_days=current_app.config["CONSOLE_STALE_DAYS"],
            max_rows=current_app.config["CONSOLE_BULK_MAX_ROWS"],
        )
    except ValidationFailed as error:
        flash(error.message, "error")
        back = url_for(LIST_ENDPOINT) + (f"?{query}" if query else "")
        return redirect(back_url() or back, 303)
    # The list URL (filters, sort and page) rides along to the result's "Back to the list".
    return redirect(with_back("web.bulk_job", uuid=job.uuid.hex), 303)


@bp.get("/bulk/<uuid>/")
@staff_required
def bulk_job(uuid: str):
    """A draft job's confirmation page; a running or finished job's progress and outcomes."""
    job = load_job(uuid)
    if job.state == BULK_DRAFT:
        return render_confirmation(job, errors={}, status=200)
    return render_template(
        "bulk/job.html", job=job, progress=job_progress(db.session, job),
        rows=job_rows(db.session, job) if job.state != BULK_RUNNING else [],
    )


def render_confirmation(job, errors: dict, status: int):
    """The confirmation page: each row's fate, and a plan per offering (import)."""
    offerings = job_offerings(db.session, job) if job.action == BULK_IMPORT else []
    choices = {
        offering.id: plan_choices(offering, [p for p in offering.plans if not p.archived])
        for offering in offerings
    }
    return render_template(
        "bulk/confirm.html", job=job, rows=planned_rows(db.session, job), offerings=offerings,
        choices=choices, chosen=request.form, errors=errors,
    ), status


@bp.post("/bulk/<uuid>/start")
@staff_required
def bulk_job_start(uuid: str):
    """Start the job with the chosen plans (or reason); then show its progress."""
    job = load_job(uuid)
    plan_values = {
        key.removeprefix("plan-"): value
        for key, value in request.form.items() if key.startswith("plan-")
    }
    try:
        start_bulk_job(db.session, job, user=current_user, plan_values=plan_values,
                       reason=request.form.get("reason", ""))
    except ValidationFailed as error:
        return render_confirmation(job, errors=error.errors, status=400)
    return redirect(with_back("web.bulk_job", uuid=job.uuid.hex), 303)


@bp.post("/bulk/<uuid>/work")
@staff_required
def bulk_job_work(uuid: str):
    """Process the next chunk of rows; htmx gets the progress fragment, which asks again."""
    job = load_job(uuid)
    if job.state == BULK_DRAFT:
        return redirect(with_back("web.bulk_job", uuid=job.uuid.hex), 303)
    process_chunk(db.session, job.uuid)
    db.session.refresh(job)
    if not wants_fragment():
        return redirect(with_back("web.bulk_job", uuid=job.uuid.hex), 303)
    return render_template(
        "bulk/_status.html", job=job, progress=job_progress(db.session, job),
        rows=job_rows(db.session, job) if job.state != BULK_RUNNING else [],
    )
