"""Providers as an agent reads them at start-up: their offerings and their service provider.

A service provider is a customer that owns offerings. It is derived, not stored: its uuid is a
UUID5 of the customer's uuid, so it is stable, needs no table to keep in step with the
offerings, and comes and goes with the customer's first and last offering.
"""

import uuid

from sqlalchemy import false, or_, select, true
from sqlalchemy.orm import contains_eager, selectinload

from console.identifiers import parse_uuid
from console.models import Customer, Offering, RoleGrant, User
from console.services import NotFound
from console.services.access import offering_scope_clause, sees_everything

SERVICE_PROVIDER_NAMESPACE = uuid.UUID("5db232ec-faca-4cb0-a801-953fa93b6aab")
OFFERING_NOT_FOUND = "No Offering matches the given query."
SERVICE_PROVIDER_NOT_FOUND = "No ServiceProvider matches the given query."


def service_provider_uuid(customer: Customer) -> uuid.UUID:
    """The stable uuid of the service provider a customer is."""
    return uuid.uuid5(SERVICE_PROVIDER_NAMESPACE, customer.uuid.hex)


def provider_offerings_select(user: User | None):
    """Return a select() of the offerings the user manages (all for staff and support), by name."""
    return (
        select(Offering)
        .join(Offering.customer)
        .options(contains_eager(Offering.customer), selectinload(Offering.plans))
        .where(offering_scope_clause(user, Offering.id))
        .order_by(Offering.name, Offering.id)
    )


def find_provider_offering(session, uuid_text: str, user: User | None) -> Offering:
    """Return the offering with this uuid if the user manages it, else raise NotFound."""
    offering_uuid = parse_uuid(uuid_text)
    found = None
    if offering_uuid is not None:
        statement = provider_offerings_select(user).where(Offering.uuid == offering_uuid)
        found = session.scalars(statement).unique().one_or_none()
    if found is None:
        raise NotFound(OFFERING_NOT_FOUND)
    return found


def visible_service_providers_clause(user: User | None):
    """Staff and support see every provider; others those they hold a role on.

    A role on a provider is an active role on the customer itself (owner) or on one of its
    offerings (manager).
    """
    if sees_everything(user):
        return true()
    if user is None or not user.is_active:
        return false()
    active = (RoleGrant.user_id == user.id, RoleGrant.is_active.is_(True))
    owned = select(RoleGrant.customer_id).where(*active, RoleGrant.customer_id.is_not(None))
    managed = select(RoleGrant.offering_id).where(*active, RoleGrant.offering_id.is_not(None))
    on_offering = select(Offering.customer_id).where(Offering.id.in_(managed))
    return or_(Customer.id.in_(owned), Customer.id.in_(on_offering))


def service_providers_select(user: User | None):
    """Return a select() of the provider customers the user may see, with offerings, by name."""
    return (
        select(Customer)
        .options(selectinload(Customer.offerings))
        .where(
            Customer.id.in_(select(Offering.customer_id)),
            visible_service_providers_clause(user),
        )
        .order_by(Customer.name, Customer.id)
    )


def find_service_provider(session, uuid_text: str, user: User | None) -> Customer:
    """Return the provider customer whose service provider has this uuid, else raise NotFound.

    The uuid is derived, so the visible providers are compared with it one by one: there are
    few providers, and none is stored apart from its customer.
    """
    wanted = parse_uuid(uuid_text)
    if wanted is not None:
        for customer in session.scalars(service_providers_select(user)).unique():
            if service_provider_uuid(customer) == wanted:
                return customer
    raise NotFound(SERVICE_PROVIDER_NOT_FOUND)
