"""Where the URLs in API bodies lead: projects, public offerings and plans, marketplace resources
and orders, read-only.

Visibility: offerings and plans are public to every authenticated user; projects to staff,
support and users holding any active offering role (an agent resolves project slugs);
marketplace resources and orders to staff, support and those who manage their offering.
"""

from flask import request
from sqlalchemy import false, true
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from console.api import bp
from console.api.auth import current_user
from console.api.pagination import paginated
from console.api.representations import (
    marketplace_resource_json,
    offering_json,
    order_json,
    plan_json,
    project_json,
)
from console.api.responses import json_response
from console.api.routing import refuse_other_methods
from console.extensions import db
from console.identifiers import parse_uuid
from console.models import (
    Offering,
    Order,
    Plan,
    Project,
)
from console.services import NotFound
from console.services.access import (
    can_see_projects,
    visible_orders_clause,
)
from console.services.marketplace import (
    creation_order,
    find_marketplace_resource,
    marketplace_resources_select,
)
from console.services.marketplace_filters import order_filter_clauses, resource_filter_clauses
from console.services.parameters import text_filters

PROJECTS_RULE = "/projects/"
PROJECT_RULE = "/projects/<uuid_text>/"
OFFERINGS_RULE = "/marketplace-public-offerings/"
OFFERING_RULE = "/marketplace-public-offerings/<uuid_text>/"
PLANS_RULE = "/marketplace-public-offerings/<offering_uuid_text>/plans/"
PLAN_RULE = "/marketplace-public-offerings/<offering_uuid_text>/plans/<plan_uuid_text>/"
RESOURCES_RULE = "/marketplace-resources/"
RESOURCE_RULE = "/marketplace-resources/<uuid_text>/"
ORDERS_RULE = "/marketplace-orders/"
ORDER_RULE = "/marketplace-orders/<uuid_text>/"


def one_or_404(statement, model_name: str):
    """Return the single row of `statement`, or raise NotFound in Django's words."""
    found = db.session.scalars(statement).unique().one_or_none()
    if found is None:
        raise NotFound(f"No {model_name} matches the given query.")
    return found


def uuid_or_404(uuid_text: str, model_name: str):
    """Return the UUID in a path segment, or raise NotFound for text that is not one."""
    parsed = parse_uuid(uuid_text)
    if parsed is None:
        raise NotFound(f"No {model_name} matches the given query.")
    return parsed


def projects_select(user):
    """Return a select() of the projects the user may resolve, newest first."""
    statement = (
        db.select(Project)
        .join(Project.customer)
        .options(contains_eager(Project.customer))
        .order_by(Project.created.desc(), Project.id.desc())
    )
    return statement.where(true() if can_see_projects(db.session, user) else false())


def offerings_select():
    """Return a select() of every offering with its provider and plans, by name."""
    return (
        db.select(Offering)
        .join(Offering.customer)
        .options(contains_eager(Offering.customer), selectinload(Offering.plans))
        .order_by(Offering.name, Offering.id)
    )


def orders_select(user):
    """Return a select() of the orders the user may see, newest first."""
    return (
        db.select(Order)
        .options(
            joinedload(Order.offering).joinedload(Offering.customer),
            joinedload(Order.project).joinedload(Project.customer),
            joinedload(Order.plan),
            joinedload(Order.resource),
            joinedload(Order.created_by),
            joinedload(Order.consumer_reviewed_by),
            joinedload(Order.provider_reviewed_by),
        )
        .where(visible_orders_clause(user))
        .order_by(Order.created.desc(), Order.id.desc())
    )


@bp.get(PROJECTS_RULE)
def project_list():
    """List projects, filtered by `slug`, `name` (contains) or `name_exact`."""
    filters = text_filters(request.args, ("slug", "name", "name_exact"))
    statement = projects_select(current_user())
    if "slug" in filters:
        statement = statement.where(Project.slug == filters["slug"])
    if "name" in filters:
        statement = statement.where(Project.name.icontains(filters["name"], autoescape=True))
    if "name_exact" in filters:
        statement = statement.where(Project.name == filters["name_exact"])
    return paginated(db.session, statement, project_json)


@bp.get(PROJECT_RULE)
def project_detail(uuid_text: str):
    """Show a project."""
    project_uuid = uuid_or_404(uuid_text, "Project")
    statement = projects_select(current_user()).where(Project.uuid == project_uuid)
    return json_response(project_json(one_or_404(statement, "Project")))


@bp.get(OFFERINGS_RULE)
def offering_list():
    """List public offerings with their plans, filtered by `name` (contains) or `slug`."""
    filters = text_filters(request.args, ("name", "slug"))
    statement = offerings_select()
    if "name" in filters:
        statement = statement.where(Offering.name.icontains(filters["name"], autoescape=True))
    if "slug" in filters:
        statement = statement.where(Offering.slug == filters["slug"])
    return paginated(db.session, statement, offering_json)


@bp.get(OFFERING_RULE)
def offering_detail(uuid_text: str):
    """Show a public offering with its plans."""
    offering_uuid = uuid_or_404(uuid_text, "Offering")
    statement = offerings_select().where(Offering.uuid == offering_uuid)
    return json_response(offering_json(one_or_404(statement, "Offering")))


@bp.get(PLANS_RULE)
def plan_list(offering_uuid_text: str):
    """List the plans of an offering (a plain array, as upstream)."""
    offering_uuid = uuid_or_404(offering_uuid_text, "Offering")
    offering = one_or_404(offerings_select().where(Offering.uuid == offering_uuid), "Offering")
    return json_response([plan_json(plan) for plan in offering.plans])


@bp.get(PLAN_RULE)
def plan_detail(offering_uuid_text: str, plan_uuid_text: str):
    """Show a plan of an offering; a plan of another offering is not found."""
    offering_uuid = uuid_or_404(offering_uuid_text, "Plan")
    plan_uuid = uuid_or_404(plan_uuid_text, "Plan")
    statement = (
        db.select(Plan)
        .join(Plan.offering)
        .options(contains_eager(Plan.offering))
        .where(Plan.uuid == plan_uuid, Offering.uuid == offering_uuid)
    )
    return json_response(plan_json(one_or_404(statement, "Plan")))


@bp.get(RESOURCES_RULE)
def marketplace_resource_list():
    """List marketplace resources, filtered by offering_uuid, project_uuid, backend_id or state."""
    user = current_user()
    statement = marketplace_resources_select(user).where(*resource_filter_clauses(request.args))
    return paginated(
        db.session,
        statement,
        lambda resource: marketplace_resource_json(resource, creation_order(resource), user),
    )


@bp.get(RESOURCE_RULE)
def marketplace_resource_detail(uuid_text: str):
    """Show a marketplace resource with its creation order."""
    user = current_user()
    resource = find_marketplace_resource(db.session, uuid_text, user)
    return json_response(marketplace_resource_json(resource, creation_order(resource), user))


@bp.get(ORDERS_RULE)
def order_list():
    """List orders, filtered by offering, project, resource, state, type and dates."""
    user = current_user()
    statement = orders_select(user).where(*order_filter_clauses(request.args))
    return paginated(db.session, statement, lambda order: order_json(order, user))


@bp.get(ORDER_RULE)
def order_detail(uuid_text: str):
    """Show an order."""
    user = current_user()
    order_uuid = uuid_or_404(uuid_text, "Order")
    statement = orders_select(user).where(Order.uuid == order_uuid)
    return json_response(order_json(one_or_404(statement, "Order"), user))


for _rule in (PROJECTS_RULE, PROJECT_RULE, OFFERINGS_RULE, OFFERING_RULE, PLANS_RULE, PLAN_RULE,
              RESOURCES_RULE, RESOURCE_RULE, ORDERS_RULE, ORDER_RULE):
    refuse_other_methods(_rule, ("GET",))
