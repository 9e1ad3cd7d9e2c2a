"""Who may read which user account, and the roles an account holds."""

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from console.identifiers import parse_uuid
from console.models import Offering, RoleGrant, User
from console.services import NotFound
from console.services.access import sees_everything

USER_NOT_FOUND = "No User matches the given query."


def can_see_user(viewer: User | None, user: User) -> bool:
    """A user reads their own account; staff and support read every account."""
    if viewer is None or not viewer.is_active:
        return False
    return viewer.id == user.id or sees_everything(viewer)


def find_user(session, uuid_text: str, viewer: User | None) -> User:
    """Return the user with this uuid if the viewer may read it, else raise NotFound."""
    user_uuid = parse_uuid(uuid_text)
    user = None
    if user_uuid is not None:
        user = session.scalar(select(User).where(User.uuid == user_uuid))
    if user is None or not can_see_user(viewer, user):
        raise NotFound(USER_NOT_FOUND)
    return user


def active_grants(session, user: User) -> list[RoleGrant]:
    """Return the user's active roles with their offering or customer, oldest first."""
    statement = (
        select(RoleGrant)
        .options(
            joinedload(RoleGrant.offering).joinedload(Offering.customer),
            joinedload(RoleGrant.customer),
        )
        .where(RoleGrant.user_id == user.id, RoleGrant.is_active.is_(True))
        .order_by(RoleGrant.created, RoleGrant.id)
    )
    return list(session.scalars(statement))
