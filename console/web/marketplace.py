"""The marketplace resource page: what an import created."""

from flask import abort, render_template
from flask_login import current_user

from console.extensions import db
from console.services import NotFound
from console.services.history import import_entry_of
from console.services.marketplace import find_marketplace_resource
from console.web import bp
from console.web.guards import console_access_required


@bp.route("/marketplace-resources/<uuid>/")
@console_access_required
def marketplace_resource_detail(uuid: str):
    """Show a marketplace resource and the orders that recorded it."""
    try:
        resource = find_marketplace_resource(db.session, uuid, current_user)
    except NotFound:
        abort(404, description="No marketplace resource with this UUID exists.")
    return render_template(
        "marketplace/resource_detail.html", resource=resource,
        origin=import_entry_of(db.session, resource),
    )
