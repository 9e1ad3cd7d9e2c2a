"""Pages of the backend resource table, pages past the end, and filter values that are wrong."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from console.extensions import db
from console.models import BackendResource
from console.web.list_state import page_window
from tests.web.listing_helpers import HX, LIST_URL, links, row_names, status_line
from tests.web.session_helpers import log_in


def add_reports(actors, count: int) -> None:
    """Insert `count` reports named res-0001…, each a minute newer than the one before."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    db.session.execute(
        insert(BackendResource),
        [
            {
                "uuid": uuid.uuid4(), "name": f"res-{n:04d}", "backend_id": f"acct_{n:04d}",
                "backend_metadata": {}, "offering_id": actors.offering.id,
                "project_id": actors.project.id, "created": start + timedelta(minutes=n),
                "modified": start + timedelta(minutes=n),
            }
            for n in range(1, count + 1)
        ],
    )
    db.session.commit()


@pytest.fixture
def staff(client, actors):
    log_in(client, "staff")
    return client


def test_page_two_shows_its_rows_range_and_neighbours(staff, actors):
    add_reports(actors, 30)
    response = staff.get(LIST_URL, query_string={"page": 2, "page_size": 10, "q": "res"})
    assert response.status_code == 200
    assert row_names(response.text) == [f"res-{n:04d}" for n in range(20, 10, -1)]
    assert '<p class="pager-range">11–20 of 30</p>' in response.text
    found = links(response.text)
    assert found["‹ Previous"] == "/backend-resources/?q=res&page_size=10"  # page 1 has no `page`
    assert found["Next ›"] == "/backend-resources/?q=res&page_size=10&page=3"
    assert found["Page 3"] == "/backend-resources/?q=res&page_size=10&page=3"
    assert re.search(r'<span class="pager-current" aria-current="page">'
                     r'<span class="visually-hidden">Page </span>2</span>', response.text)


def test_first_and_last_pages_disable_previous_and_next(staff, actors):
    add_reports(actors, 12)
    first = staff.get(LIST_URL, query_string={"page_size": 10}).text
    assert '<span class="pager-disabled" aria-disabled="true">‹ Previous</span>' in first
    assert "Next ›" in links(first)
    last = staff.get(LIST_URL, query_string={"page_size": 10, "page": "last"}).text
    assert row_names(last) == ["res-0002", "res-0001"]
    assert '<span class="pager-disabled" aria-disabled="true">Next ›</span>' in last


def test_many_pages_show_ellipses_and_a_thousands_separator(staff, actors):
    add_reports(actors, 1005)
    page = staff.get(LIST_URL, query_string={"page": 20}).text
    assert '<p class="pager-range">476–500 of 1,005</p>' in page
    numbers = re.findall(r'aria-label="Page (\d+)"', page)
    assert numbers == ["1", "18", "19", "21", "22", "41"]
    assert page.count('<li class="pager-gap" aria-hidden="true">…</li>') == 2
    assert status_line(page) == "1,005 backend resources, newest first."


def test_page_window():
    assert page_window(1, 1) == [1]
    assert page_window(6, 10) == [1, None, 4, 5, 6, 7, 8, 9, 10]
    assert page_window(5, 10) == [1, 2, 3, 4, 5, 6, 7, None, 10]  # a gap of one page shows it
    assert page_window(10, 10) == [1, None, 8, 9, 10]


def test_page_size_choices(staff, actors):
    add_reports(actors, 120)
    default = staff.get(LIST_URL, query_string={"q": "res", "page": 2}).text
    assert len(row_names(default)) == 25
    assert '<span class="page-size-current" aria-current="true">25</span>' in default
    found = links(default)
    assert found["10 per page"] == "/backend-resources/?q=res&page_size=10"  # back to page 1
    assert found["100 per page"] == "/backend-resources/?q=res&page_size=100"
    fifty = staff.get(LIST_URL, query_string={"page_size": 50}).text
    assert len(row_names(fifty)) == 50
    assert '<span class="page-size-current" aria-current="true">50</span>' in fifty
    assert links(fifty)["25 per page"] == "/backend-resources/"
    # Larger than the largest choice is clamped; nonsense falls back to the default.
    assert len(row_names(staff.get(LIST_URL, query_string={"page_size": 500}).text)) == 100
    assert len(row_names(staff.get(LIST_URL, query_string={"page_size": "x"}).text)) == 25


@pytest.mark.parametrize("headers", [{}, HX])
def test_page_past_the_end_is_a_friendly_404(staff, actors, headers):
    add_reports(actors, 30)
    response = staff.get(
        LIST_URL, query_string={"q": "res", "page": 9, "page_size": 10}, headers=headers
    )
    assert response.status_code == 404
    assert "HX-Request" in response.vary
    assert "There is no page 9." in response.text
    assert status_line(response.text) == (
        "There is no page 9: 30 backend resources fit on 3 pages."
    )
    found = links(response.text)
    assert found["Go to page 1"] == "/backend-resources/?q=res&page_size=10"
    assert found["Go to the last page (3)"] == "/backend-resources/?q=res&page_size=10&page=3"
    assert ("<form id=\"filters\"" in response.text) is not bool(headers)


@pytest.mark.parametrize("page", ["0", "-1", "abc", "2"])
def test_pages_that_are_not_there_never_crash(staff, actors, page):
    add_reports(actors, 3)
    response = staff.get(LIST_URL, query_string={"page": page})
    assert response.status_code == 404
    assert f"There is no page {page}." in response.text
    assert links(response.text)["Go to page 1"] == "/backend-resources/"


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"created": "yesterday"}, "created", "Enter a valid date/time."),
        ({"modified_before": "2025-02-30"}, "modified_before", "Enter a valid date/time."),
        ({"customer_uuid": "acme"}, "customer_uuid", "Enter a valid UUID."),
        ({"offering_uuid": "123"}, "offering_uuid", "Enter a valid UUID."),
        ({"o": "price"}, "o",
         "Select a valid choice. price is not one of the available choices."),
        ({"name": "a\x00b"}, "name", "Null characters are not allowed."),
    ],
)
def test_bad_filter_values_render_with_their_errors(staff, actors, query, field, message):
    add_reports(actors, 3)
    response = staff.get(LIST_URL, query_string={**query, "q": "res"})
    assert response.status_code == 400
    assert "HX-Request" in response.vary
    assert message in response.text
    assert "<table" not in response.text
    assert status_line(response.text) == "The filters could not be applied: 1 value needs fixing."
    assert f'<a href="#filter-{field}">' in response.text
    if field != "o":
        assert re.search(rf'id="filter-{field}"[^>]*aria-invalid="true"', response.text)
    # The way out keeps the good filters and drops the bad one.
    assert links(response.text)["Drop the values that are not valid"] == "/backend-resources/?q=res"


def test_bad_values_in_a_fragment_are_a_400_fragment(staff, actors):
    response = staff.get(
        LIST_URL, query_string={"created": "soon", "project_uuid": "x"}, headers=HX
    )
    assert response.status_code == 400
    assert "<html" not in response.text
    assert "Enter a valid date/time." in response.text
    assert "Enter a valid UUID." in response.text
    assert status_line(response.text) == "The filters could not be applied: 2 values need fixing."


def test_a_bad_date_is_shown_back_in_a_text_box(staff, actors):
    page = staff.get(LIST_URL, query_string={"created": "31/01/2025"}).text
    assert re.search(
        r'<input type="text" id="filter-created" name="created" value="31/01/2025"', page
    )
    assert '<small id="filter-created-errors" class="field-error">' in page
