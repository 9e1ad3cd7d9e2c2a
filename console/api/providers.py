"""Provider views the site agent reads: offerings, service providers and their resources.

Visibility: staff and support see everything; others the offerings they manage (as offering
manager, or as owner of the provider customer), the resources of those offerings, and the
service providers they hold a role on. Anything else is not found.
"""

from flask import request

from console.api import bp
from console.api.auth import current_user
from console.api.field_selection import restrict, restricted
from console.api.pagination import paginated
from console.api.provider_representations import provider_offering_json, service_provider_json
from console.api.representations import marketplace_resource_json
from console.api.responses import json_response
from console.api.routing import refuse_other_methods
from console.extensions import db
from console.models import Customer, Offering
from console.services.marketplace import (
    creation_order,
    find_marketplace_resource,
    marketplace_resources_select,
)
from console.services.marketplace_filters import resource_filter_clauses
from console.services.parameters import text_filters, uuid_filters
from console.services.providers import (
    find_provider_offering,
    find_service_provider,
    provider_offerings_select,
    service_providers_select,
)

OFFERINGS_RULE = "/marketplace-provider-offerings/"
OFFERING_RULE = "/marketplace-provider-offerings/<uuid_text>/"
SERVICE_PROVIDERS_RULE = "/marketplace-service-providers/"
SERVICE_PROVIDER_RULE = "/marketplace-service-providers/<uuid_text>/"
RESOURCES_RULE = "/marketplace-provider-resources/"
RESOURCE_RULE = "/marketplace-provider-resources/<uuid_text>/"


@bp.get(OFFERINGS_RULE)
def provider_offering_list():
    """List the offerings the caller manages, filtered by customer_uuid, name, name_exact, slug."""
    filters = uuid_filters(request.args, ("customer_uuid",))
    filters.update(text_filters(request.args, ("name", "name_exact", "slug")))
    statement = provider_offerings_select(current_user())
    if "customer_uuid" in filters:
        statement = statement.where(Customer.uuid == filters["customer_uuid"])
    if "name" in filters:
        statement = statement.where(Offering.name.icontains(filters["name"], autoescape=True))
    if "name_exact" in filters:
        statement = statement.where(Offering.name == filters["name_exact"])
    if "slug" in filters:
        statement = statement.where(Offering.slug == filters["slug"])
    return paginated(db.session, statement, restricted(provider_offering_json, request.args))


@bp.get(OFFERING_RULE)
def provider_offering_detail(uuid_text: str):
    """Show an offering the caller manages; `field` keeps only the keys asked for."""
    offering = find_provider_offering(db.session, uuid_text, current_user())
    return json_response(restrict(provider_offering_json(offering), request.args))


@bp.get(SERVICE_PROVIDERS_RULE)
def service_provider_list():
    """List the service providers the caller holds a role on, filtered by customer_uuid."""
    filters = uuid_filters(request.args, ("customer_uuid",))
    statement = service_providers_select(current_user())
    if "customer_uuid" in filters:
        statement = statement.where(Customer.uuid == filters["customer_uuid"])
    return paginated(db.session, statement, restricted(service_provider_json, request.args))


@bp.get(SERVICE_PROVIDER_RULE)
def service_provider_detail(uuid_text: str):
    """Show a service provider the caller holds a role on."""
    customer = find_service_provider(db.session, uuid_text, current_user())
    return json_response(restrict(service_provider_json(customer), request.args))


@bp.get(RESOURCES_RULE)
def provider_resource_list():
    """List the resources of the caller's offerings, filtered as /marketplace-resources/ is."""
    user = current_user()
    statement = marketplace_resources_select(user).where(*resource_filter_clauses(request.args))

    def represent(resource):
        return marketplace_resource_json(resource, creation_order(resource), user)

    return paginated(db.session, statement, restricted(represent, request.args))


@bp.get(RESOURCE_RULE)
def provider_resource_detail(uuid_text: str):
    """Show a resource of one of the caller's offerings."""
    user = current_user()
    resource = find_marketplace_resource(db.session, uuid_text, user)
    body = marketplace_resource_json(resource, creation_order(resource), user)
    return json_response(restrict(body, request.args))


for _rule in (OFFERINGS_RULE, OFFERING_RULE, SERVICE_PROVIDERS_RULE, SERVICE_PROVIDER_RULE,
              RESOURCES_RULE, RESOURCE_RULE):
    refuse_other_methods(_rule, ("GET",))
