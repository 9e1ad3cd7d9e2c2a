"""JSON shape of a user account, as Waldur's UserSerializer shows its main keys."""

from flask import url_for

from console.api.representations import iso
from console.models import RoleGrant, User


def user_url(user: User) -> str:
    """Absolute URL of a user account."""
    return url_for("api.user_detail", uuid_text=user.uuid.hex, _external=True)


def permission_json(grant: RoleGrant) -> dict:
    """A role the user holds, with its scope: an offering or a customer."""
    if grant.offering is not None:
        scope, scope_type, customer = grant.offering, "offering", grant.offering.customer
    else:
        scope, scope_type, customer = grant.customer, "customer", grant.customer
    return {
        "role_name": grant.role,
        "scope_type": scope_type,
        "scope_uuid": scope.uuid.hex,
        "scope_name": scope.name,
        "customer_uuid": customer.uuid.hex,
        "customer_name": customer.name,
        "expiration_time": None,
    }


def user_json(user: User, grants: list[RoleGrant]) -> dict:
    """A user account with its active roles; the console keeps no names or e-mail addresses."""
    return {
        "url": user_url(user),
        "uuid": user.uuid.hex,
        "username": user.username,
        "full_name": "",
        "native_name": "",
        "email": "",
        "is_staff": user.is_staff,
        "is_active": user.is_active,
        "is_support": user.is_support,
        "date_joined": iso(user.created),
        "permissions": [
            permission_json(grant) for grant in grants if grant.offering or grant.customer
        ],
        "first_name": "",
        "last_name": "",
    }
