"""JSON shapes of the API, key for key as Waldur's serializers emit them (spec sections 2 and 8).

UUIDs are emitted as 32 hex characters, datetimes as ISO 8601 UTC ending in `Z`. Where the
official client parses a value as a uuid, a datetime, an object or an enum label, a missing value
is never `null`: the key is left out, as upstream does for empty read-only paths.
"""

from datetime import datetime

from flask import g, url_for

from console.models import (
    OFFERING_STATES,
    AgentIdentity,
    AgentProcessor,
    AgentService,
    BackendResource,
    BackendResourceRequest,
    MarketplaceResource,
    Offering,
    Order,
    Plan,
    Project,
    User,
)
from console.services.access import sees_everything
from console.services.marketplace_filters import ORDER_STATES, ORDER_TYPES, RESOURCE_STATES

RESOURCE_STATE_LABELS = {label.lower(): label for label in RESOURCE_STATES}
BILLING_UNITS = {"day", "half_month", "hour", "month", "quantity", "quarter"}


def iso(moment: datetime | None) -> str | None:
    """Render a datetime as DRF does: ISO 8601 with `Z` for UTC."""
    if moment is None:
        return None
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


UUID_SLOT = "__uuid__"


def detail_url(endpoint: str, uuid_hex: str) -> str:
    """Absolute URL of the `endpoint` detail of a uuid.

    The URL is built once per request and endpoint, then filled in: a page of 300 reports
    would otherwise build 900 URLs through the router.
    """
    templates = g.setdefault("detail_url_templates", {})
    template = templates.get(endpoint)
    if template is None:
        template = templates[endpoint] = url_for(endpoint, uuid_text=UUID_SLOT, _external=True)
    return template.replace(UUID_SLOT, uuid_hex)


def backend_resource_url(backend_resource: BackendResource) -> str:
    """Absolute URL of a backend resource."""
    return detail_url("api.backend_resource_detail", backend_resource.uuid.hex)


def project_url(project: Project) -> str:
    """Absolute URL of a project."""
    return detail_url("api.project_detail", project.uuid.hex)


def offering_url(offering: Offering) -> str:
    """Absolute URL of a public offering."""
    return detail_url("api.offering_detail", offering.uuid.hex)


def plan_url(plan: Plan) -> str:
    """Absolute URL of a plan, under its offering."""
    return url_for(
        "api.plan_detail",
        offering_uuid_text=plan.offering.uuid.hex,
        plan_uuid_text=plan.uuid.hex,
        _external=True,
    )


def marketplace_resource_url(resource: MarketplaceResource) -> str:
    """Absolute URL of a marketplace resource."""
    return url_for("api.marketplace_resource_detail", uuid_text=resource.uuid.hex, _external=True)


def order_url(order: Order) -> str:
    """Absolute URL of an order."""
    return url_for("api.order_detail", uuid_text=order.uuid.hex, _external=True)


def backend_resource_json(backend_resource: BackendResource) -> dict:
    """The 13 keys of Waldur's BackendResourceSerializer, in its order."""
    project, offering = backend_resource.project, backend_resource.offering
    metadata = backend_resource.backend_metadata
    return {
        "url": backend_resource_url(backend_resource),
        "uuid": backend_resource.uuid.hex,
        "name": backend_resource.name,
        "created": iso(backend_resource.created),
        "modified": iso(backend_resource.modified),
        "project": project.uuid.hex,
        "project_name": project.name,
        "project_url": project_url(project),
        "offering": offering.uuid.hex,
        "offering_name": offering.name,
        "offering_url": offering_url(offering),
        "backend_id": backend_resource.backend_id or "",
        "backend_metadata": metadata if isinstance(metadata, dict) else {},
    }


def project_json(project: Project) -> dict:
    """A project as Waldur's ProjectSerializer shows its main keys."""
    customer = project.customer
    return {
        "url": project_url(project),
        "uuid": project.uuid.hex,
        "name": project.name,
        "slug": project.slug,
        "customer_uuid": customer.uuid.hex,
        "customer_name": customer.name,
        "customer_slug": customer.slug,
        "description": project.description,
        "created": iso(project.created),
        "backend_id": "",
        "start_date": None,
        "end_date": None,
        "is_removed": False,
    }


def plan_json(plan: Plan) -> dict:
    """A plan as Waldur's BasePublicPlanSerializer shows its main keys."""
    body = {
        "url": plan_url(plan),
        "uuid": plan.uuid.hex,
        "name": plan.name,
        "description": plan.description,
        "archived": plan.archived,
        "is_active": not plan.archived,
        "backend_id": "",
    }
    if plan.unit in BILLING_UNITS:
        body["unit"] = plan.unit
    return body


def offering_json(offering: Offering, *, with_plans: bool = True) -> dict:
    """A public offering with its main keys, and its plans on the detail page."""
    customer = offering.customer
    body = {
        "url": offering_url(offering),
        "uuid": offering.uuid.hex,
        "created": iso(offering.created),
        "name": offering.name,
        "slug": offering.slug,
        "description": offering.description,
        "customer_uuid": customer.uuid.hex,
        "customer_name": customer.name,
        "attributes": {},
        "components": [],
        "type": offering.type,
        "shared": offering.shared,
        "billable": offering.billable,
        "backend_id": "",
    }
    if offering.state in OFFERING_STATES:
        body["state"] = offering.state
    if with_plans:
        body["plans"] = [plan_json(plan) for plan in offering.plans]
    return body


def _offering_keys(offering: Offering, plan: Plan | None) -> dict:
    """The offering, provider, category and plan keys shared by resources and orders."""
    provider = offering.customer
    keys = {
        "offering": offering_url(offering),
        "offering_name": offering.name,
        "offering_uuid": offering.uuid.hex,
        "offering_description": offering.description,
        "offering_image": None,
        "offering_thumbnail": None,
        "offering_type": offering.type,
        "offering_shared": offering.shared,
        "offering_billable": offering.billable,
        "offering_plugin_options": {},
        "provider_name": provider.name,
        "provider_uuid": provider.uuid.hex,
        "provider_slug": provider.slug,
        "provider_description": "",
        # There are no categories here: the title is blank and category_uuid is left out.
        "category_title": "",
        "category_icon": None,
        "plan": plan_url(plan) if plan is not None else None,
    }
    if plan is not None:
        keys.update(
            plan_unit=plan.unit,
            plan_name=plan.name,
            plan_uuid=plan.uuid.hex,
            plan_description=plan.description,
        )
    return keys


def _username(user: User | None) -> str | None:
    """Username of an optional user."""
    return user.username if user is not None else None


def order_json(order: Order, viewer: User) -> dict:
    """An order as Waldur's OrderDetailsSerializer shows it."""
    project, customer = order.project, order.project.customer
    body = _offering_keys(order.offering, order.plan)
    body.update(
        attributes=order.attributes if isinstance(order.attributes, dict) else {},
        limits=order.limits if isinstance(order.limits, dict) else {},
        uuid=order.uuid.hex,
        created=iso(order.created),
        modified=iso(order.modified),
        resource_uuid=None,
        resource_type=None,
        resource_name=order.resource.name,
        resource_end_date=None,
        cost=None,
    )
    if order.state in ORDER_STATES:
        body["state"] = order.state
    body.update(
        output="",
        output_updated_at=None,
        marketplace_resource_uuid=order.resource.uuid.hex,
        error_message="",
    )
    if sees_everything(viewer):
        body["error_traceback"] = ""
    body.update(
        error_updated_at=None,
        callback_url=None,
        completed_at=None,
        request_comment=None,
        attachment=None,
    )
    if order.type in ORDER_TYPES:
        body["type"] = order.type
    body.update(
        start_date=None,
        slug="",
        url=order_url(order),
        consumer_reviewed_by=_username(order.consumer_reviewed_by),
        consumer_reviewed_by_full_name=None,
        consumer_reviewed_by_username=_username(order.consumer_reviewed_by),
        consumer_reviewed_at=iso(order.consumer_reviewed_at),
        provider_reviewed_by=_username(order.provider_reviewed_by),
        provider_reviewed_by_full_name=None,
        provider_reviewed_by_username=_username(order.provider_reviewed_by),
        provider_reviewed_at=iso(order.provider_reviewed_at),
        created_by_username=_username(order.created_by) or "",
        created_by_full_name="",
        customer_name=customer.name,
        customer_uuid=customer.uuid.hex,
        customer_slug=customer.slug,
        project_name=project.name,
        project_uuid=project.uuid.hex,
        project_description=project.description,
        project_slug=project.slug,
        can_terminate=False,
        backend_id=order.resource.backend_id,
    )
    return body


def marketplace_resource_json(
    resource: MarketplaceResource, creation_order: Order | None, viewer: User
) -> dict:
    """A marketplace resource as Waldur's ResourceSerializer shows it (spec section 8)."""
    offering, project = resource.offering, resource.project
    customer = project.customer
    body = _offering_keys(offering, resource.plan)
    body.update(
        attributes=resource.attributes if isinstance(resource.attributes, dict) else {},
        limits=resource.limits if isinstance(resource.limits, dict) else {},
        uuid=resource.uuid.hex,
        created=iso(resource.created),
        modified=iso(resource.modified),
        url=marketplace_resource_url(resource),
        scope=None,
        description=resource.description,
    )
    state = RESOURCE_STATE_LABELS.get((resource.state or "").lower())
    if state is not None:
        body["state"] = state
    body.update(
        resource_uuid=None,
        backend_id=resource.backend_id,
        effective_id="",
        resource_type=None,
        project=project_url(project),
        project_uuid=project.uuid.hex,
        project_name=project.name,
        project_description=project.description,
        project_start_date=None,
        project_end_date=None,
        project_effective_end_date=None,
        resource_effective_end_date=None,
        project_is_in_grace_period=False,
        project_end_date_requested_by=None,
        customer_uuid=customer.uuid.hex,
        customer_name=customer.name,
        offering_slug=offering.slug,
        offering_backend_id="",
        backend_metadata=(
            resource.backend_metadata if isinstance(resource.backend_metadata, dict) else {}
        ),
        is_usage_based=False,
        is_limit_based=False,
        name=resource.name,
        slug=resource.slug,
        current_usages={},
        can_terminate=state in ("OK", "Erred"),
        report=None,
        end_date=None,
        end_date_requested_by=None,
        end_date_updated_at=None,
        username=None,
        limit_usage={},
        downscaled=False,
        restrict_member_access=False,
        paused=False,
        usage_limit_restriction="",
        endpoints=[],
        error_message="",
    )
    if sees_everything(viewer):
        body["error_traceback"] = ""
    body.update(
        options=None,
        available_actions=[],
        last_sync=iso(resource.last_sync),
        order_in_progress=None,
        creation_order=order_json(creation_order, viewer) if creation_order else None,
        project_slug=project.slug,
        customer_slug=customer.slug,
        user_requires_reconsent=False,
        renewal_date=None,
    )
    if offering.state in OFFERING_STATES:
        body["offering_state"] = offering.state
    body.update(offering_components=[], has_api_keys=False, offering_account_settings={})
    return body


def scan_request_json(scan: BackendResourceRequest) -> dict:
    """The 12 keys of Waldur's BackendResourceReqSerializer, in its order."""
    offering = scan.offering
    return {
        "url": url_for("api.scan_request_detail", uuid_text=scan.uuid.hex, _external=True),
        "uuid": scan.uuid.hex,
        "created": iso(scan.created),
        "modified": iso(scan.modified),
        "started": iso(scan.started),
        "finished": iso(scan.finished),
        "state": scan.state,
        "offering": offering.uuid.hex,
        "offering_name": offering.name,
        "offering_url": offering_url(offering),
        "error_message": scan.error_message or "",
        "error_traceback": scan.error_traceback or "",
    }


def agent_processor_json(processor: AgentProcessor, *, nested: bool = False) -> dict:
    """An agent processor; the nested form (inside a service) leaves out its service."""
    body = {
        "uuid": processor.uuid.hex,
        "url": url_for("api.agent_processor_detail", uuid_text=processor.uuid.hex,
                       _external=True),
    }
    if not nested:
        body.update(service=processor.service.uuid.hex, service_name=processor.service.name)
    body.update(
        name=processor.name,
        backend_type=processor.backend_type,
        created=iso(processor.created),
        modified=iso(processor.modified),
        last_run=iso(processor.last_run),
        backend_version=processor.backend_version,
    )
    return body


def agent_service_json(service: AgentService, *, nested: bool = False) -> dict:
    """An agent service with its processors; the nested form (inside an identity) without."""
    body = {
        "uuid": service.uuid.hex,
        "url": url_for("api.agent_service_detail", uuid_text=service.uuid.hex, _external=True),
    }
    if not nested:
        body.update(identity=service.identity.uuid.hex, identity_name=service.identity.name)
    body.update(
        name=service.name,
        state=service.state,
        created=iso(service.created),
        modified=iso(service.modified),
        mode=service.mode,
        statistics=service.statistics if isinstance(service.statistics, dict) else {},
    )
    if not nested:
        body["processors"] = [
            agent_processor_json(processor, nested=True) for processor in service.processors
        ]
    return body


# Agent versions the test suite runs end to end against this console.
TESTED_AGENT_VERSIONS = ("1.0.7",)


def agent_compatibility(version: str | None) -> dict:
    """Whether this console is known to work with the agent's version."""
    if version in TESTED_AGENT_VERSIONS:
        return {"status": "compatible", "message": f"waldur-site-agent {version} is tested."}
    return {
        "status": "unknown",
        "message": "This agent version is not tested against this console; "
        f"tested: {', '.join(TESTED_AGENT_VERSIONS)}.",
    }


def agent_identity_json(identity: AgentIdentity) -> dict:
    """An agent identity with its services, as Waldur's AgentIdentitySerializer shows it."""
    body = {
        "uuid": identity.uuid.hex,
        "url": url_for("api.agent_identity_detail", uuid_text=identity.uuid.hex,
                       _external=True),
        "offering": identity.offering.uuid.hex,
        "created_by": identity.created_by.uuid.hex if identity.created_by else None,
        "name": identity.name,
        "created": iso(identity.created),
        "modified": iso(identity.modified),
        "services": [agent_service_json(service, nested=True) for service in identity.services],
        "compatibility": agent_compatibility(identity.version),
        "version": identity.version,
        "dependencies": identity.dependencies if isinstance(identity.dependencies, list) else [],
        "config_file_path": identity.config_file_path,
        "config_file_content": identity.config_file_content,
    }
    if identity.last_restarted is not None:
        body["last_restarted"] = iso(identity.last_restarted)
    return body
