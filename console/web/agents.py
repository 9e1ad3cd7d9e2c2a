"""The Agents page: every registered site agent, its event queue, services and processors."""

from datetime import datetime

from flask import render_template
from flask_login import current_user

from console.extensions import db
from console.models import AgentIdentity
from console.services.agents import identities_select
from console.web import bp
from console.web.guards import console_access_required


@bp.get("/agents/")
@console_access_required
def agent_list():
    """Show every agent identity with its queue, services and processors."""
    identities = db.session.scalars(identities_select(current_user)).all()
    return render_template("agents/list.html", identities=identities)


@bp.app_template_filter("services_last_seen")
def services_last_seen(identity: AgentIdentity) -> datetime | None:
    """The latest moment any of the identity's services was heard from, if ever."""
    moments = [service.last_seen for service in identity.services if service.last_seen]
    return max(moments, default=None)
