"""The Activity page: the history of imports, deletions, dismissals, restores and scan requests."""

from flask import render_template, request, url_for

from console.extensions import db
from console.models import HISTORY_ACTIONS
from console.services import ValidationFailed
from console.services.history import (
    ACTION_LABELS,
    activity_choices,
    page_of_activity,
    parse_activity_params,
)
from console.services.queries import InvalidPage
from console.web import bp
from console.web.guards import console_access_required
from console.web.list_state import page_window

ACTIVITY_KEYS = ("action", "user", "offering_uuid", "created", "created_before")
PAGE_SIZES = (10, 25, 50, 100)


class ActivityState:
    """The Activity page's URL: its filters and links that change one of them."""

    def __init__(self, args):
        self.values = {
            key: args.getlist(key)[-1]
            for key in (*ACTIVITY_KEYS, "page", "page_size")
            if args.getlist(key) and args.getlist(key)[-1]
        }

    def get(self, key: str) -> str:
        return self.values.get(key, "")

    def url(self, **changes) -> str:
        values = dict(self.values)
        if "page" not in changes:
            values.pop("page", None)
        for key, value in changes.items():
            if value in (None, ""):
                values.pop(key, None)
            else:
                values[key] = str(value)
        return url_for("web.activity", **values)

    def page_url(self, number: int) -> str:
        return self.url(page=None if number == 1 else number)


@bp.get("/activity/")
@console_access_required
def activity():
    """List the history, newest first, filtered by action, user, offering and date."""
    state = ActivityState(request.args)
    usernames, offerings = activity_choices(db.session)
    context = {
        "state": state, "usernames": usernames, "offerings": offerings,
        "actions": [(action, ACTION_LABELS[action]) for action in HISTORY_ACTIONS],
        "action_labels": ACTION_LABELS, "page_window": page_window, "page": None,
        "errors": {}, "page_sizes": PAGE_SIZES,
    }
    try:
        params = parse_activity_params(request.args)
    except ValidationFailed as error:
        return render_template("activity/list.html", **(context | {"errors": error.errors})), 400
    try:
        page = page_of_activity(db.session, params)
    except InvalidPage:
        return render_template(
            "activity/list.html", **(context | {"errors": {"page": ["There is no such page."]}})
        ), 404
    return render_template("activity/list.html", **(context | {"page": page}))
