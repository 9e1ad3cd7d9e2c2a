"""Dismissing a report (onto the offering's ignore list) and restoring it."""

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from console.extensions import db
from console.services import NotFound, ValidationFailed
from console.services.dismissals import dismiss_backend_resource, restore_backend_resource
from console.services.imports import reported_limits
from console.web import bp
from console.web.backend_resources import GONE, load_backend_resource
from console.web.forms import ConfirmForm, DismissForm
from console.web.guards import staff_required
from console.web.return_path import go_to, list_url, no_store


@bp.route("/backend-resources/<uuid>/dismiss", methods=["GET", "POST"])
@staff_required
def backend_resource_dismiss(uuid: str):
    """Confirm with an optional reason, then dismiss the report and its backend id."""
    backend_resource = load_backend_resource(uuid)
    form = DismissForm()
    status = 200
    if form.validate_on_submit():
        name = backend_resource.name
        try:
            dismiss_backend_resource(
                db.session, report_uuid=backend_resource.uuid, user=current_user,
                reason=form.reason.data,
            )
        except NotFound:
            abort(404, description=GONE)
        except ValidationFailed as error:
            form.reason.errors = [*form.reason.errors, error.message]
            status = 400
        else:
            flash(f"Dismissed {name}: it leaves the list, and the agent's next report of it "
                  "is born dismissed.", "success")
            return go_to(list_url())
    elif form.is_submitted():
        status = 400
    return no_store(make_response(render_template(
        "backend_resources/dismiss.html", backend_resource=backend_resource, form=form,
        limits=reported_limits(backend_resource),
    ), status))


@bp.post("/backend-resources/<uuid>/restore")
@staff_required
def backend_resource_restore(uuid: str):
    """Take a dismissed report's backend id off the ignore list; its reports come back."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    backend_resource = load_backend_resource(uuid)
    name = backend_resource.name
    try:
        restored = restore_backend_resource(
            db.session, report_uuid=backend_resource.uuid, user=current_user
        )
    except NotFound:
        abort(404, description=GONE)
    except ValidationFailed as error:
        flash(error.message, "error")
        return redirect(url_for("web.backend_resource_detail", uuid=uuid), 303)
    others = f" with {restored - 1} other report(s) of its backend id" if restored > 1 else ""
    flash(f"Restored {name}{others}.", "success")
    back = request.form.get("next") or url_for("web.backend_resource_list", dismissed="only")
    if not back.startswith("/") or back.startswith("//"):
        back = url_for("web.backend_resource_list", dismissed="only")
    return redirect(back, 303)
