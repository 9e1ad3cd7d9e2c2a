"""A backend resource report: its detail page, importing it, deleting it."""

from flask import abort, current_app, flash, make_response, redirect, render_template, request
from flask_login import current_user
from sqlalchemy import select

from console.extensions import db
from console.models import BackendResource, Offering, Plan
from console.services import NotFound, PermissionDenied, ValidationFailed
from console.services.imports import (
    AlreadyImported,
    BackendResourceGone,
    PlanProblem,
    find_imported_resource,
    import_backend_resource,
    reported_limits,
)
from console.services.queries import duplicate_reports, find_backend_resource, parse_list_params
from console.services.reports import delete_backend_resource
from console.services.review import next_in_list, position_of
from console.web import bp
from console.web.forms import ConfirmForm, ImportForm
from console.web.guards import console_access_required, staff_required
from console.web.imports_plans import NO_PLAN, plan_choices
from console.web.list_state import DEFAULT_PAGE_SIZE
from console.web.return_path import back_url, go_to, list_args, list_url, no_store, with_back

GONE = (
    "This backend resource report no longer exists: someone may have imported or deleted it "
    "in the meantime, or the address is wrong."
)
GONE_FROM_LIST = "That report is no longer here: it was imported or deleted. Back to your list."
THEN_NEXT = "next"


def load_backend_resource(uuid_text: str) -> BackendResource:
    """Load a report with its project, customer, offering, provider and flags, or abort.

    A page of the review loop reached again through the back button, after its report was
    imported or deleted, leads back to the reviewer's list rather than to an error (404 when
    no list URL came with it, or for a form post).
    """
    try:
        return find_backend_resource(db.session, uuid_text, current_user, with_flags=True)
    except NotFound:
        if request.method == "GET" and back_url():
            flash(GONE_FROM_LIST, "info")
            abort(redirect(back_url(), 303))
        abort(404, description=GONE)


def next_report_after(backend_resource: BackendResource) -> BackendResource | None:
    """The report after this one in the reviewer's list (the carried list URL, else the table's
    default order), or None at the end or when the carried URL does not parse."""
    try:
        params = parse_list_params(
            list_args(list_url()), default_page_size=DEFAULT_PAGE_SIZE, console=True,
            stale_days=current_app.config["CONSOLE_STALE_DAYS"],
        )
    except ValidationFailed:
        return None
    return next_in_list(db.session, params, current_user, position_of(backend_resource))


def available_plans(offering: Offering) -> list[Plan]:
    """The offering's plans that are not archived, by name."""
    return list(
        db.session.scalars(
            select(Plan)
            .where(Plan.offering_id == offering.id, Plan.archived.is_(False))
            .order_by(Plan.name, Plan.id)
        )
    )


@bp.route("/backend-resources/<uuid>/")
@console_access_required
def backend_resource_detail(uuid: str):
    """Show every field of a report, and whether it was already imported."""
    backend_resource = load_backend_resource(uuid)
    existing = find_imported_resource(
        db.session, backend_resource.offering_id, backend_resource.backend_id
    )
    return no_store(make_response(render_template(
        "backend_resources/detail.html",
        backend_resource=backend_resource,
        existing=existing,
        twins=duplicate_reports(db.session, backend_resource),
        limits=reported_limits(backend_resource),
        delete_form=ConfirmForm(),
    )))


@bp.route("/backend-resources/<uuid>/import", methods=["GET", "POST"])
@staff_required
def backend_resource_import(uuid: str):
    """Show the import form; import the report into the marketplace with the chosen plan."""
    backend_resource = load_backend_resource(uuid)
    offering = backend_resource.offering
    plans = available_plans(offering)
    form = ImportForm()
    form.plan.choices = plan_choices(offering, plans)
    if not form.is_submitted():
        form.plan.data = plans[0].uuid.hex if len(plans) == 1 else NO_PLAN
    existing = None
    status = 200
    if form.validate_on_submit():
        name, project_name = backend_resource.name, backend_resource.project.name
        then_next = request.form.get("then") == THEN_NEXT
        following = next_report_after(backend_resource) if then_next else None
        try:
            result = import_backend_resource(
                db.session,
                backend_resource_uuid=backend_resource.uuid.hex,
                plan_value=form.plan.data or None,
                user=current_user,
            )
        except BackendResourceGone:
            abort(404, description=GONE)
        except PermissionDenied:
            abort(403)
        except AlreadyImported as error:
            existing = error.existing or find_imported_resource(
                db.session, backend_resource.offering_id, backend_resource.backend_id
            )
            form.form_errors.append(
                "This backend id is already imported into the offering; the report was kept."
            )
        except PlanProblem as error:
            form.plan.errors = [*form.plan.errors, error.message]
        else:
            flash(f"Imported {name} into {project_name}.", "success")
            return go_to(after_import_url(result.resource, then_next, following))
        status = 400
    elif form.is_submitted():
        status = 400
    else:
        existing = find_imported_resource(
            db.session, backend_resource.offering_id, backend_resource.backend_id
        )
    return no_store(make_response(render_template(
        "backend_resources/import.html",
        backend_resource=backend_resource,
        form=form,
        plans=plans,
        existing=existing,
        limits=reported_limits(backend_resource),
    ), status))


def after_import_url(resource, then_next: bool, following: BackendResource | None) -> str:
    """Where an import leads: the new resource, or with "Import and next" the next report of
    the list (the list itself after its last report)."""
    if not then_next:
        return with_back("web.marketplace_resource_detail", uuid=resource.uuid.hex)
    if following is None:
        flash("That was the last report in your list.", "info")
        return list_url()
    return with_back("web.backend_resource_detail", uuid=following.uuid.hex)


@bp.route("/backend-resources/<uuid>/delete", methods=["GET", "POST"])
@staff_required
def backend_resource_delete(uuid: str):
    """Confirm, then delete a report (it is not imported; the agent may report it again)."""
    backend_resource = load_backend_resource(uuid)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = backend_resource.name
        try:
            delete_backend_resource(
                db.session, backend_resource=backend_resource, user=current_user
            )
        except BackendResourceGone:
            abort(404, description=GONE)
        except PermissionDenied:
            abort(403)
        flash(f"Deleted the report {name}.", "success")
        return go_to(list_url())
    return no_store(make_response(render_template(
        "backend_resources/delete.html", backend_resource=backend_resource, form=form,
        limits=reported_limits(backend_resource),
    )))
