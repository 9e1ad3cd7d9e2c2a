"""Who may use which console page: staff and support read, only staff change."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def console_access_required(view):
    """Require a logged-in staff or support user; anyone else logged in gets 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.can_use_console:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def staff_required(view):
    """Require a logged-in staff user (support is read-only and gets 403)."""

    @wraps(view)
    @console_access_required
    def wrapped(*args, **kwargs):
        if not current_user.is_staff:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
