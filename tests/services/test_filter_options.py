"""The select options' counts: each select counts under every filter but its own."""

from datetime import timedelta

from console.extensions import db
from console.models import utcnow
from console.services import flags
from console.services.filter_options import count_filter_options
from console.services.flags import DEFAULT_STALE_DAYS, STALE
from console.services.queries import ListParams

NONE_CHOSEN = {"customer_uuid": None, "project_uuid": None, "offering_uuid": None}


def labels(choices, key, objects):
    return {obj.name: choices.counts[key][obj.uuid.hex] for obj in objects}


def test_each_select_ignores_only_its_own_filter(factory, actors):
    north, south = factory.customer(name="North"), factory.customer(name="South")
    ice, sun = factory.project(north, name="Ice"), factory.project(south, name="Sun")
    vms = factory.offering(name="VMs")
    for project, offering, name in [(ice, actors.offering, "a-1"), (ice, vms, "a-2"),
                                    (sun, vms, "b-1"), (sun, vms, "a-3")]:
        factory.backend_resource(offering, project, name=name)

    params = ListParams(name="a", customer_uuid=north.uuid, offering_uuid=vms.uuid)
    choices = count_filter_options(db.session, params, actors.staff, NONE_CHOSEN)
    # Customers: name "a" in VMs, any customer: Ice a-2 (North), Sun a-3 (South).
    assert labels(choices, "customer_uuid", choices.customers) == {"North": 1, "South": 1}
    # Projects: name "a" in VMs of North: only Ice (a-2).
    assert labels(choices, "project_uuid", choices.projects) == {"Ice": 1}
    # Offerings: name "a" of North, any offering: HPC SLURM (a-1), VMs (a-2).
    assert labels(choices, "offering_uuid", choices.offerings) == {"HPC SLURM": 1, "VMs": 1}


def test_a_chosen_option_without_reports_is_kept_at_zero(factory, actors):
    empty = factory.project(name="Empty")
    factory.backend_resource(actors.offering, actors.project, name="x")
    chosen = dict(NONE_CHOSEN, project_uuid=empty.uuid)
    choices = count_filter_options(
        db.session, ListParams(project_uuid=empty.uuid), actors.staff, chosen
    )
    assert labels(choices, "project_uuid", choices.projects) == {
        "Climate modelling": 1, "Empty": 0
    }


def test_options_come_in_the_order_the_selects_show_them(factory, actors):
    """Customers by name; projects and offerings by their customer (provider), then by name;
    created in the opposite order, so that no order of insertion passes for it."""
    gamma, beta, alpha = (factory.customer(name=name) for name in ("Gamma", "Beta", "Alpha"))
    idle = factory.customer(name="Idle")  # chosen, with no reports: shown all the same
    projects = [factory.project(customer, name=name)
                for customer in (gamma, alpha) for name in ("Zed", "Ant")]
    offerings = [factory.offering(customer=provider, name=name)
                 for provider, name in ((gamma, "Web"), (beta, "Disk"), (beta, "Compute"))]
    for number, project in enumerate(projects):
        factory.backend_resource(offerings[number % 3], project, name=f"r-{number}")
    chosen = dict(NONE_CHOSEN, customer_uuid=idle.uuid)
    choices = count_filter_options(db.session, ListParams(), actors.staff, chosen)
    assert [c.name for c in choices.customers] == ["Alpha", "Gamma", "Idle"]
    assert [(p.customer.name, p.name) for p in choices.projects] == [
        ("Alpha", "Ant"), ("Alpha", "Zed"), ("Gamma", "Ant"), ("Gamma", "Zed"),
    ]
    assert [(o.customer.name, o.name) for o in choices.offerings] == [
        ("Beta", "Compute"), ("Beta", "Disk"), ("Gamma", "Web"),
    ]
    assert choices.counts["customer_uuid"][idle.uuid.hex] == 0
    assert choices.counts["customer_uuid"][alpha.uuid.hex] == 2


def test_the_same_filters_count_for_each_viewer_only_what_it_sees(factory, actors):
    """The statement built for one viewer's filters is kept; another viewer with the same
    filters gets its own (the agent manages HPC SLURM only), whichever asks first."""
    vms = factory.offering(name="VMs")
    factory.backend_resource(actors.offering, actors.project, name="a-1")
    factory.backend_resource(vms, actors.project, name="a-2")
    params = ListParams(name="a")

    def project_counts(user):
        choices = count_filter_options(db.session, params, user, NONE_CHOSEN)
        return labels(choices, "project_uuid", choices.projects)

    assert project_counts(actors.staff) == {"Climate modelling": 2}
    assert project_counts(actors.agent) == {"Climate modelling": 1}
    assert project_counts(actors.outsider) == {}
    assert project_counts(actors.staff) == {"Climate modelling": 2}


def test_stale_counts_follow_the_clock(factory, actors, monkeypatch):
    """A report turns stale while the console runs: the select counts see it at once."""
    now = utcnow()
    factory.backend_resource(
        actors.offering, actors.project, name="aging",
        created=now - timedelta(days=DEFAULT_STALE_DAYS) + timedelta(hours=1),
    )
    params = ListParams(flags=(STALE,))

    def stale_reports():
        return count_filter_options(db.session, params, actors.staff, NONE_CHOSEN).total

    assert stale_reports() == 0
    monkeypatch.setattr(flags, "utcnow", lambda: now + timedelta(hours=2))
    assert stale_reports() == 1
