"""The site agent identity API: identities, their services and processors, and their queues
(Waldur's `marketplace-site-agent-identities`, `-services` and `-processors`)."""

from flask import current_app, request

from console.api import bp
from console.api.auth import current_user, presented_token_key
from console.api.pagination import paginated
from console.api.representations import (
    agent_identity_json,
    agent_processor_json,
    agent_service_json,
)
from console.api.request_body import request_data
from console.api.responses import json_response
from console.api.routing import refuse_other_methods
from console.extensions import db
from console.models import AgentIdentity, Offering
from console.services.agents import (
    create_identity,
    find_identity,
    find_processor,
    find_service,
    identities_select,
    register_processor,
    register_queue,
    register_service,
    update_identity,
)
from console.services.events import BrokerSettings
from console.services.parameters import text_filters, uuid_filters

IDENTITIES_RULE = "/marketplace-site-agent-identities/"
IDENTITY_RULE = "/marketplace-site-agent-identities/<uuid_text>/"
QUEUE_RULE = "/marketplace-site-agent-identities/<uuid_text>/register_queue/"
SERVICE_REGISTRATION_RULE = "/marketplace-site-agent-identities/<uuid_text>/register_service/"
SERVICE_RULE = "/marketplace-site-agent-services/<uuid_text>/"
PROCESSOR_REGISTRATION_RULE = "/marketplace-site-agent-services/<uuid_text>/register_processor/"
PROCESSOR_RULE = "/marketplace-site-agent-processors/<uuid_text>/"


@bp.get(IDENTITIES_RULE)
def agent_identity_list():
    """List the identities the caller may see, by exact `name` or `offering_uuid`."""
    filters = text_filters(request.args, ("name",))
    filters.update(uuid_filters(request.args, ("offering_uuid",)))
    statement = identities_select(current_user())
    if "name" in filters:
        statement = statement.where(AgentIdentity.name == filters["name"])
    if "offering_uuid" in filters:
        statement = statement.where(
            AgentIdentity.offering.has(Offering.uuid == filters["offering_uuid"])
        )
    return paginated(db.session, statement, agent_identity_json)


@bp.post(IDENTITIES_RULE)
def agent_identity_create():
    """Register an agent identity for an offering the caller manages; 201."""
    identity = create_identity(db.session, data=request_data(), user=current_user())
    body = agent_identity_json(identity)
    return json_response(body, 201, headers={"Location": body["url"]})


@bp.get(IDENTITY_RULE)
def agent_identity_detail(uuid_text: str):
    """Show an identity with its services."""
    return json_response(agent_identity_json(find_identity(db.session, uuid_text,
                                                           current_user())))


@bp.put(IDENTITY_RULE)
def agent_identity_update(uuid_text: str):
    """Replace an identity's fields (the agent does this at every start)."""
    user = current_user()
    identity = find_identity(db.session, uuid_text, user)
    identity = update_identity(db.session, identity=identity, data=request_data(), user=user)
    return json_response(agent_identity_json(identity))


@bp.post(QUEUE_RULE)
def agent_identity_register_queue(uuid_text: str):
    """Provision the identity's event queue and broker login; answer how to subscribe."""
    user = current_user()
    identity = find_identity(db.session, uuid_text, user)
    registration = register_queue(
        db.session,
        identity=identity,
        data=request_data(),
        user=user,
        token_key=presented_token_key(),
        broker=BrokerSettings.from_config(current_app.config),
    )
    return json_response({
        "rmq_username": registration.rmq_username,
        "queue_name": registration.queue_name,
        "vhost": registration.vhost,
        "observable_object_types": registration.observable_object_types,
    })


@bp.post(SERVICE_REGISTRATION_RULE)
def agent_identity_register_service(uuid_text: str):
    """Return the identity's service of that name (200), creating it (201)."""
    user = current_user()
    identity = find_identity(db.session, uuid_text, user)
    service, created = register_service(db.session, identity=identity, data=request_data(),
                                        user=user)
    return json_response(agent_service_json(service), 201 if created else 200)


@bp.get(SERVICE_RULE)
def agent_service_detail(uuid_text: str):
    """Show a service with its processors."""
    return json_response(agent_service_json(find_service(db.session, uuid_text,
                                                         current_user())))


@bp.post(PROCESSOR_REGISTRATION_RULE)
def agent_service_register_processor(uuid_text: str):
    """Return the service's processor of that name (200), creating it (201)."""
    user = current_user()
    service = find_service(db.session, uuid_text, user)
    processor, created = register_processor(db.session, service=service, data=request_data(),
                                            user=user)
    return json_response(agent_processor_json(processor), 201 if created else 200)


@bp.get(PROCESSOR_RULE)
def agent_processor_detail(uuid_text: str):
    """Show a processor."""
    return json_response(agent_processor_json(find_processor(db.session, uuid_text,
                                                             current_user())))


refuse_other_methods(IDENTITIES_RULE, ("GET", "POST"))
refuse_other_methods(IDENTITY_RULE, ("GET", "PUT"))
for _rule in (QUEUE_RULE, SERVICE_REGISTRATION_RULE, PROCESSOR_REGISTRATION_RULE):
    refuse_other_methods(_rule, ("POST",))
for _rule in (SERVICE_RULE, PROCESSOR_RULE):
    refuse_other_methods(_rule, ("GET",))
