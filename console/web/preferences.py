"""The user's own settings for the console: the table's row density."""

from flask import abort
from flask_login import current_user

from console.extensions import db
from console.services import ValidationFailed
from console.services.preferences import set_list_density
from console.web import bp
from console.web.forms import DensityForm
from console.web.guards import console_access_required
from console.web.return_path import go_to, list_url


@bp.post("/preferences/list-density")
@console_access_required
def list_density():
    """Switch the table between compact and comfortable rows, then back to the same list."""
    form = DensityForm()
    if not form.validate_on_submit():
        abort(400, description="Choose compact or comfortable rows.")
    try:
        set_list_density(db.session, current_user, form.density.data)
    except ValidationFailed as error:
        abort(400, description=error.message)
    return go_to(list_url())
