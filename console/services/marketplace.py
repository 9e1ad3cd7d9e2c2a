"""Marketplace resources as both surfaces load them: with their catalogue rows and orders."""

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from console.identifiers import parse_uuid
from console.models import ORDER_TYPE_CREATE, MarketplaceResource, Offering, Order, Project
from console.services import NotFound
from console.services.access import visible_marketplace_resources_clause

RESOURCE_NOT_FOUND = "No Resource matches the given query."


def marketplace_resources_select(user):
    """Return a select() of the marketplace resources the user may see, newest first."""
    return (
        select(MarketplaceResource)
        .options(
            joinedload(MarketplaceResource.offering).joinedload(Offering.customer),
            joinedload(MarketplaceResource.project).joinedload(Project.customer),
            joinedload(MarketplaceResource.plan),
            selectinload(MarketplaceResource.orders).options(
                joinedload(Order.created_by),
                joinedload(Order.consumer_reviewed_by),
                joinedload(Order.provider_reviewed_by),
            ),
        )
        .where(visible_marketplace_resources_clause(user))
        .order_by(MarketplaceResource.created.desc(), MarketplaceResource.id.desc())
    )


def find_marketplace_resource(session, uuid_text: str, user) -> MarketplaceResource:
    """Return the marketplace resource with this uuid if the user may see it, else NotFound."""
    resource_uuid = parse_uuid(uuid_text)
    found = None
    if resource_uuid is not None:
        statement = marketplace_resources_select(user).where(
            MarketplaceResource.uuid == resource_uuid
        )
        found = session.scalars(statement).unique().one_or_none()
    if found is None:
        raise NotFound(RESOURCE_NOT_FOUND)
    return found


def creation_order(resource: MarketplaceResource) -> Order | None:
    """Return the CREATE order that brought the resource into being (the import's done order)."""
    return next((order for order in resource.orders if order.type == ORDER_TYPE_CREATE), None)
