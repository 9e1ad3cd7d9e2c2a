"""The report after this one, in any order the list can be sorted by, ties included."""

from datetime import UTC, datetime

import pytest

from console.extensions import db
from console.services.queries import ORDERING_CHOICES, ListParams, page_of_backend_resources
from console.services.review import next_in_list, position_of


@pytest.fixture
def reports(factory, actors):
    """Reports with repeated names, backend ids, times, projects and offerings: many ties."""
    other_offering = factory.offering(name="Archive tape")
    other_project = factory.project(name="Astronomy")
    moment = datetime(2025, 3, 1, tzinfo=UTC)
    made = []
    for n in range(12):
        made.append(factory.backend_resource(
            other_offering if n % 3 == 0 else actors.offering,
            other_project if n % 2 == 0 else actors.project,
            name=f"alloc-{n % 4}", backend_id=f"id-{n % 5}",
            created=moment.replace(day=1 + n % 3), modified=moment.replace(day=1 + n % 2),
        ))
    return made


@pytest.mark.parametrize("ordering", [(key,) for key in ORDERING_CHOICES] + [("name", "-created")])
def test_the_next_report_is_the_one_the_list_shows_after_it(reports, actors, ordering):
    params = ListParams(ordering=ordering, page_size=100)
    shown = page_of_backend_resources(db.session, params, actors.staff).items
    assert len(shown) == 12
    following = [next_in_list(db.session, params, actors.staff, position_of(row)) for row in shown]
    assert following == shown[1:] + [None]


def test_the_next_report_stays_inside_the_filters(reports, actors):
    params = ListParams(name="alloc-1", ordering=("-created",))
    shown = page_of_backend_resources(db.session, params, actors.staff).items
    assert {row.name for row in shown} == {"alloc-1"}
    assert next_in_list(db.session, params, actors.staff, position_of(shown[0])) == shown[1]
    assert next_in_list(db.session, params, actors.staff, position_of(shown[-1])) is None


def test_the_next_report_is_found_after_this_one_is_deleted(reports, actors):
    params = ListParams(ordering=("name",))
    shown = page_of_backend_resources(db.session, params, actors.staff).items
    position = position_of(shown[4])
    db.session.delete(shown[4])
    db.session.commit()
    assert next_in_list(db.session, params, actors.staff, position) == shown[5]
