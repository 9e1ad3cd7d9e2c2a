"""`/api/users/`: the caller's own account (`me`), and accounts by uuid for staff and support."""

from flask import request

from console.api import bp
from console.api.auth import current_user
from console.api.field_selection import restrict
from console.api.responses import json_response
from console.api.routing import refuse_other_methods
from console.api.user_representations import user_json
from console.extensions import db
from console.services.users import active_grants, find_user

ME_RULE = "/users/me/"
USER_RULE = "/users/<uuid_text>/"


@bp.get(ME_RULE)
def user_me():
    """Show the authenticated account with its roles (the agent's start-up and health check)."""
    user = current_user()
    return json_response(restrict(user_json(user, active_grants(db.session, user)), request.args))


@bp.get(USER_RULE)
def user_detail(uuid_text: str):
    """Show an account: one's own, or any for staff and support; others are not found."""
    user = find_user(db.session, uuid_text, current_user())
    return json_response(restrict(user_json(user, active_grants(db.session, user)), request.args))


for _rule in (ME_RULE, USER_RULE):
    refuse_other_methods(_rule, ("GET",))
