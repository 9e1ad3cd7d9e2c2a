"""Who manages an offering, asked directly: the rules the API and the broker delivery share."""

from sqlalchemy import select

from console.extensions import db
from console.models import AgentIdentity, Offering, utcnow
from console.services.access import can_manage_offering, offering_scope_clause
from console.services.agents import subscribed_identities


def test_a_deactivated_user_manages_nothing_even_with_an_active_grant(actors):
    assert can_manage_offering(db.session, actors.agent, actors.offering)
    actors.agent.is_active = False
    db.session.commit()
    assert not can_manage_offering(db.session, actors.agent, actors.offering)
    assert not can_manage_offering(db.session, None, actors.offering)


def test_scans_go_only_to_queues_whose_owner_is_still_an_active_manager(actors):
    """The delivery asks can_manage_offering of a stored user, whom no login check has seen."""
    identity = AgentIdentity(
        offering=actors.offering, name="agent-1", created_by=actors.agent,
        queue_owner=actors.agent, queue_registered=utcnow(), vhost="v", rmq_username="u",
        observable_object_types=["importable_resources"],
    )
    db.session.add(identity)
    db.session.commit()
    assert subscribed_identities(db.session, actors.offering.id) == [identity]
    actors.agent.is_active = False
    db.session.commit()
    assert subscribed_identities(db.session, actors.offering.id) == []


def test_a_users_scope_comes_from_their_own_grants_only(actors, factory):
    """Another user's manager and owner grants must not widen this user's offerings."""
    other = factory.offering(name="Private storage", shared=False)
    factory.grant(actors.outsider, offering=other)
    factory.grant(actors.agent, customer=actors.offering.customer)
    seen = db.session.scalars(
        select(Offering.id).where(offering_scope_clause(actors.outsider, Offering.id))
    ).all()
    assert seen == [other.id]
