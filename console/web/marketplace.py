"""The marketplace resource page: what an import created."""

from flask import abort, render_template
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from console.extensions import db
from console.identifiers import parse_uuid
from console.models import MarketplaceResource, Offering, Order, Project
from console.web import bp
from console.web.guards import console_access_required


@bp.route("/marketplace-resources/<uuid>/")
@console_access_required
def marketplace_resource_detail(uuid: str):
    """Show a marketplace resource and the orders that recorded it."""
    resource_uuid = parse_uuid(uuid)
    resource = None
    if resource_uuid is not None:
        resource = db.session.scalar(
            select(MarketplaceResource)
            .where(MarketplaceResource.uuid == resource_uuid)
            .options(
                joinedload(MarketplaceResource.project).joinedload(Project.customer),
                joinedload(MarketplaceResource.offering).joinedload(Offering.customer),
                joinedload(MarketplaceResource.plan),
                selectinload(MarketplaceResource.orders).joinedload(Order.created_by),
            )
        )
    if resource is None:
        abort(404, description="No marketplace resource with this UUID exists.")
    return render_template("marketplace/resource_detail.html", resource=resource)
