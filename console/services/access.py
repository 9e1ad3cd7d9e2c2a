"""Who may see and manage which backend resources (spec sections 3 and 13)."""

from dataclasses import dataclass

from sqlalchemy import and_, false, or_, select, true

from console.models import (
    ROLE_CUSTOMER_OWNER,
    ROLE_OFFERING_MANAGER,
    BackendResource,
    MarketplaceResource,
    Offering,
    Order,
    RoleGrant,
    User,
)


def _managed_offering_ids(user: User):
    """Return a subquery of the ids of offerings the user manages through an active role."""
    offering_roles = select(RoleGrant.offering_id).where(
        RoleGrant.user_id == user.id,
        RoleGrant.is_active.is_(True),
        RoleGrant.role == ROLE_OFFERING_MANAGER,
        RoleGrant.offering_id.is_not(None),
    )
    owned_customers = select(RoleGrant.customer_id).where(
        RoleGrant.user_id == user.id,
        RoleGrant.is_active.is_(True),
        RoleGrant.role == ROLE_CUSTOMER_OWNER,
        RoleGrant.customer_id.is_not(None),
    )
    return select(Offering.id).where(
        or_(Offering.id.in_(offering_roles), Offering.customer_id.in_(owned_customers))
    )


@dataclass(frozen=True, slots=True)
class Viewer:
    """What the clauses here read of a user, as a key: a statement built for a `Viewer` is the
    one built for the user, and can be kept for the user's next request."""

    id: int
    is_active: bool
    is_staff: bool
    is_support: bool

    @classmethod
    def of(cls, user: "User | Viewer | None") -> "Viewer | None":
        """The user's viewer (None for no user)."""
        if user is None or isinstance(user, Viewer):
            return user
        return cls(user.id, bool(user.is_active), bool(user.is_staff), bool(user.is_support))


def sees_everything(user: User | None) -> bool:
    """Staff and support read every record."""
    return bool(user and user.is_active and (user.is_staff or user.is_support))


def offering_scope_clause(user: User | None, offering_id_column):
    """Return a WHERE clause limiting rows to offerings the user may see."""
    if sees_everything(user):
        return true()
    if user is None or not user.is_active:
        return false()
    return offering_id_column.in_(_managed_offering_ids(user))


def visible_backend_resources_clause(user: User | None):
    """Return a WHERE clause for the backend resources the user may see."""
    return offering_scope_clause(user, BackendResource.offering_id)


def visible_marketplace_resources_clause(user: User | None):
    """Return a WHERE clause for the marketplace resources the user may see."""
    return offering_scope_clause(user, MarketplaceResource.offering_id)


def visible_orders_clause(user: User | None):
    """Return a WHERE clause for the orders the user may see (those of offerings they manage)."""
    return offering_scope_clause(user, Order.offering_id)


def can_see_projects(session, user: User | None) -> bool:
    """Staff, support and anyone holding an offering role resolve projects (agents need slugs)."""
    if user is None or not user.is_active:
        return False
    return sees_everything(user) or has_any_offering_role(session, user)


def has_any_offering_role(session, user: User | None) -> bool:
    """Tell whether the user holds an active role on some offering or provider."""
    if user is None:
        return False
    return session.scalar(
        select(RoleGrant.id).where(RoleGrant.user_id == user.id, RoleGrant.is_active.is_(True))
    ) is not None


def can_manage_offering(session, user: User | None, offering: Offering) -> bool:
    """Tell whether the user may create and delete backend resources of the offering."""
    if user is None or not user.is_active:
        return False
    if user.is_staff:
        return True
    grant = session.scalar(
        select(RoleGrant.id).where(
            RoleGrant.user_id == user.id,
            RoleGrant.is_active.is_(True),
            or_(
                and_(
                    RoleGrant.role == ROLE_OFFERING_MANAGER,
                    RoleGrant.offering_id == offering.id,
                ),
                and_(
                    RoleGrant.role == ROLE_CUSTOMER_OWNER,
                    RoleGrant.customer_id == offering.customer_id,
                ),
            ),
        )
    )
    return grant is not None


def can_import(user: User | None) -> bool:
    """Only staff import backend resources."""
    return bool(user and user.is_active and user.is_staff)
