"""JSON shapes of the provider views: offerings as their managers see them, service providers.

As in representations.py, a value the official client parses as a uuid, datetime or object is
left out rather than sent as `null` when there is none.
"""

from flask import url_for

from console.api.representations import iso, plan_json
from console.models import OFFERING_STATES, Customer, Offering
from console.services.providers import service_provider_uuid


def provider_offering_url(offering: Offering) -> str:
    """Absolute URL of an offering as its provider sees it."""
    return url_for("api.provider_offering_detail", uuid_text=offering.uuid.hex, _external=True)


def service_provider_url(customer: Customer) -> str:
    """Absolute URL of the service provider a customer is."""
    return url_for(
        "api.service_provider_detail", uuid_text=service_provider_uuid(customer).hex,
        _external=True,
    )


def provider_offering_json(offering: Offering) -> dict:
    """An offering as Waldur's ProviderOfferingDetailsSerializer shows its main keys."""
    customer = offering.customer
    body = {
        "url": provider_offering_url(offering),
        "uuid": offering.uuid.hex,
        "created": iso(offering.created),
        "name": offering.name,
        "slug": offering.slug,
        "description": offering.description,
        "full_description": "",
        "access_url": "",
        "endpoints": [],
        # The console keeps no partitions, components or plugin options: empty, not null.
        "partitions": [],
        "customer_uuid": customer.uuid.hex,
        "customer_name": customer.name,
        "category_title": "",
        "attributes": {},
        "components": [],
        "plugin_options": {},
    }
    if offering.state in OFFERING_STATES:
        body["state"] = offering.state
    body.update(
        thumbnail=None,
        plans=[plan_json(plan) for plan in offering.plans],
        screenshots=[],
        type=offering.type,
        shared=offering.shared,
        billable=offering.billable,
        backend_id="",
        image=None,
    )
    return body


def service_provider_json(customer: Customer) -> dict:
    """A provider customer as Waldur's ServiceProviderSerializer shows it (no creation time)."""
    return {
        "url": service_provider_url(customer),
        "uuid": service_provider_uuid(customer).hex,
        "description": "",
        "enable_notifications": True,
        "customer_name": customer.name,
        "customer_uuid": customer.uuid.hex,
        "customer_image": None,
        "customer_abbreviation": "",
        "customer_slug": customer.slug,
        "customer_native_name": "",
        "customer_country": "",
        "image": None,
        "organization_groups": [],
        "offering_count": len(customer.offerings),
        "allowed_domains": [],
    }
