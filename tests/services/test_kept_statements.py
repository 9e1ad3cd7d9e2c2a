"""Statements kept between requests never change an answer: each viewer, each page of a list and
each moment of the clock get their own rows and counts, whoever asked before."""

from dataclasses import replace
from datetime import timedelta

import pytest

from console.extensions import db
from console.models import utcnow
from console.services import NotFound, flags
from console.services.flags import DEFAULT_STALE_DAYS, DISMISSED_HIDDEN, STALE
from console.services.queries import (
    ListParams,
    backend_resources_select,
    find_backend_resource_row,
)
from console.services.table_rows import TABLE_COLUMNS, table_page


def names(page) -> list[str]:
    return [row.name for row in page.items]


def test_the_same_list_shows_each_viewer_only_what_it_sees(factory, actors):
    """The agent manages HPC SLURM only; the outsider nothing."""
    vms = factory.offering(name="VMs")
    factory.backend_resource(actors.offering, actors.project, name="slurm-1")
    factory.backend_resource(vms, actors.project, name="vm-1")
    params = ListParams(page_size=10, dismissed=DISMISSED_HIDDEN, ordering=("name",))

    def seen(user):
        page = table_page(db.session, params, user)
        return page.total, names(page)

    assert seen(actors.staff) == (2, ["slurm-1", "vm-1"])
    assert seen(actors.agent) == (1, ["slurm-1"])
    assert seen(actors.outsider) == (0, [])
    assert seen(actors.staff) == (2, ["slurm-1", "vm-1"])


def test_each_page_of_a_kept_list_is_its_own(factory, actors):
    """Pages 1 to 3 of seven reports, three a page, and back: the place is bound each time
    (the last page is read from the other end)."""
    for number in range(7):
        factory.backend_resource(actors.offering, actors.project, name=f"r-{number}")
    params = ListParams(page_size=3, dismissed=DISMISSED_HIDDEN, ordering=("name",))

    def page(number: str):
        return names(table_page(db.session, replace(params, page=number), actors.staff))

    assert page("1") == ["r-0", "r-1", "r-2"]
    assert page("2") == ["r-3", "r-4", "r-5"]
    assert page("3") == ["r-6"]
    assert page("1") == ["r-0", "r-1", "r-2"]


def test_a_stale_list_follows_the_clock(factory, actors, monkeypatch):
    """A report turns stale while the console runs: the stale list shows it at once."""
    now = utcnow()
    factory.backend_resource(
        actors.offering, actors.project, name="aging",
        created=now - timedelta(days=DEFAULT_STALE_DAYS) + timedelta(hours=1),
    )
    params = ListParams(page_size=10, dismissed=DISMISSED_HIDDEN, flags=(STALE,))
    assert names(table_page(db.session, params, actors.staff)) == []
    monkeypatch.setattr(flags, "utcnow", lambda: now + timedelta(hours=2))
    assert names(table_page(db.session, params, actors.staff)) == ["aging"]


def test_the_stale_cutoff_is_bound_after_a_date_filter_of_the_same_shape(factory, actors):
    """`created>=` a date and `flag=-stale` (created since the cutoff) compile alike; the date
    asked first must not leave the cutoff unbound (NULL: no report) in the list and its counts,
    nor the cutoff leave the date unbound."""
    now = utcnow()
    factory.backend_resource(actors.offering, actors.project, name="new",
                             created=now - timedelta(days=1))
    factory.backend_resource(actors.offering, actors.project, name="old",
                             created=now - timedelta(days=DEFAULT_STALE_DAYS + 5))
    dated = ListParams(page_size=10, dismissed=DISMISSED_HIDDEN,
                       created=now - timedelta(days=DEFAULT_STALE_DAYS + 10))
    recent = ListParams(page_size=10, dismissed=DISMISSED_HIDDEN, flags=(f"-{STALE}",))
    for params, expected in ((dated, ["new", "old"]), (recent, ["new"]), (dated, ["new", "old"])):
        page = table_page(db.session, replace(params, ordering=("name",)), actors.staff)
        assert (page.total, names(page)) == (len(expected), expected)
        plain = db.session.scalars(backend_resources_select(params, actors.staff)).unique()
        assert sorted(report.name for report in plain) == expected


def test_a_report_found_by_uuid_is_found_for_each_viewer_as_it_may_see_it(factory, actors):
    vms = factory.offering(name="VMs")
    report = factory.backend_resource(vms, actors.project, name="vm-1")
    columns = (TABLE_COLUMNS[1],)  # the name
    assert find_backend_resource_row(db.session, report.uuid.hex, actors.staff, columns).name \
        == "vm-1"
    with pytest.raises(NotFound):
        find_backend_resource_row(db.session, report.uuid.hex, actors.agent, columns)
    other = factory.backend_resource(vms, actors.project, name="vm-2")
    assert find_backend_resource_row(db.session, other.uuid.hex, actors.staff, columns).name \
        == "vm-2"
