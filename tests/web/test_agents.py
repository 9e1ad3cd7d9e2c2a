"""The Agents page: identities, their queues, services and processors, for staff and support."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import g

from console.extensions import db
from tests.web.listing_helpers import links, text_of
from tests.web.scan_helpers import add_identity, add_service
from tests.web.session_helpers import log_in

AGENTS_URL = "/agents/"


def card(page: str, identity) -> str:
    """The markup of one identity's card on the page."""
    match = re.search(rf'<article class="agent" id="agent-{identity.uuid.hex}".*?</article>', page,
                      re.S)
    assert match, f"identity {identity.name} is not on the page"
    return match.group(0)


def fact(markup: str, label: str) -> str:
    """The text of one <dt>label</dt><dd>…</dd> fact."""
    match = re.search(rf"<dt>{label}</dt><dd>(.*?)</dd>", markup, re.S)
    assert match, f"no fact {label}"
    return text_of(match.group(1))


@pytest.mark.parametrize("who", ["staff", "support"])
def test_the_page_shows_identities_queues_services_and_processors(client, actors, factory, who):
    now = datetime.now(UTC)
    registered = add_identity(
        actors.offering, actors.agent, queue=True, name="slurm-agent-hpc", version="0.9.3",
        last_restarted=datetime(2025, 3, 1, 8, 30, tzinfo=UTC), last_seen=now - timedelta(hours=2),
    )
    registered.observable_object_types = ["importable_resources", "order"]
    db.session.commit()
    add_service(registered, "event_processing", [("slurm-hpc", "SLURM", "23.02.7"),
                                                 ("slurm-gpu", "SLURM", None)],
                mode="event_process", state="Active", last_seen=now - timedelta(minutes=5))
    add_service(registered, "order_processing", mode="pull", state="Error")
    nimbus = factory.offering(name="Nimbus VMs")
    unregistered = add_identity(nimbus, actors.staff, name="nimbus-agent")
    log_in(client, who)
    page = client.get(AGENTS_URL)
    assert page.status_code == 200
    assert "2 agents registered." in page.text

    shown = card(page.text, registered)
    assert '<h2 id="agent-' in shown and ">slurm-agent-hpc</h2>" in shown
    assert fact(shown, "Offering") == "HPC SLURM"
    offering_url = f"/backend-resources/?offering_uuid={actors.offering.uuid.hex}"
    assert links(shown)["HPC SLURM"] == offering_url
    assert fact(shown, "Registered by").startswith("agent ·")
    assert fact(shown, "Version") == "0.9.3"
    assert fact(shown, "Last restarted").startswith("2025-03-01 08:30:00 UTC")
    assert fact(shown, "Last heard from").endswith("(2 h ago) its services: 5 min ago")
    assert fact(shown, "Queue") == f"consumer_{registered.uuid.hex}"
    assert fact(shown, "Virtual host") == actors.agent.uuid.hex
    assert fact(shown, "Event types") == "importable_resources, order"
    assert fact(shown, "Queue registered").endswith("(just now)")
    services = re.findall(r'<tr>\s*<th scope="row">(.*?)</th>(.*?)</tr>', shown, re.S)
    assert [(name, text_of(rest)) for name, rest in services] == [
        ("event_processing", "event_process Active 5 min ago slurm-gpu SLURM · last run 3 min ago "
                             "slurm-hpc SLURM 23.02.7 · last run 3 min ago"),
        ("order_processing", "pull Error — none"),
    ]

    other = card(page.text, unregistered)
    assert fact(other, "Queue") == "no queue registered: the agent is not told about scan requests"
    assert "No services registered yet." in other
    assert fact(other, "Last heard from") == "—"


def test_a_queue_for_every_event_type_says_so(client, actors):
    identity = add_identity(actors.offering, actors.agent, queue=True)
    log_in(client, "staff")
    assert fact(card(client.get(AGENTS_URL).text, identity), "Event types") == "all event types"


def test_no_agents_yet(client, actors):
    log_in(client, "staff")
    page = client.get(AGENTS_URL).text
    assert "No agents have registered yet." in page
    assert '<a href="/agents/"\n                 aria-current="page">Agents</a>' in page


def test_outsiders_may_not_see_the_page(client, actors):
    assert client.get(AGENTS_URL).status_code == 302
    log_in(client, "agent")
    assert client.get(AGENTS_URL).status_code == 403


def test_statement_count_does_not_grow_with_the_agents(client, actors, factory, count_statements):
    log_in(client, "staff")
    counts = []
    for batch in range(2):
        for n in range(5 * batch + 1):
            identity = add_identity(factory.offering(), factory.user(), queue=bool(n % 2),
                                    name=f"agent-{batch}-{n}")
            for s in range(2):
                add_service(identity, f"service-{s}", [(f"p{p}", "SLURM", "23") for p in range(3)])
        g.pop("_login_user", None)
        db.session.expire_all()
        with count_statements() as statements:
            assert client.get(AGENTS_URL).status_code == 200
        counts.append(len(statements))
    # The user, the identities, their offerings, who registered them, services, processors.
    assert counts == [6, 6]
