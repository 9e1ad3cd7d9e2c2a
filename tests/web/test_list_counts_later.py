"""The table shows a page of a dense search or metadata filter before counting the list, and its
request for the counts brings the exact total and select counts afterwards (on both databases).

The app counts later from one visible report on (`CONSOLE_COUNT_LATER_FROM`), so that a few dozen
reports stand for the million the setting is for; each answer is compared with the same request
counted at once.
"""

import html
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from console.extensions import db
from console.models import BackendResource
from console.services import list_plans
from console.services.list_plans import counts_read_reports
from console.services.metadata_filters import parse_metadata_filter
from console.services.queries import ListParams
from tests.web.listing_helpers import (
    HX,
    LIST_URL,
    get_counting_statements,
    row_names,
    status_line,
    text_of,
)
from tests.web.listing_helpers import get_as_its_own_request as get
from tests.web.session_helpers import log_in

COUNTS_URL = "/backend-resources/counts"
TRIGGER = re.compile(r'<div id="list-counts" hidden hx-get="([^"]*)"')
SELECT = re.compile(r'<select id="filter-(\w+)".*?</select>', re.S)
COUNTED_AT_ONCE = 10**9


@pytest.fixture
def app_settings():
    return {"CONSOLE_COUNT_LATER_FROM": 1}


@pytest.fixture
def reports(factory, actors):
    """40 reports, a minute apart, over two offerings and two projects: the even ones with
    "gpu" in their backend id and partition, the odd ones "cpu"; the newest is res-40."""
    other_offering = factory.offering(name="Cloud VMs")
    other_project = factory.project(name="Genomics")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    rows = []
    for n in range(1, 41):
        kind = "gpu" if n % 2 == 0 else "cpu"
        rows.append({
            "uuid": uuid.uuid4(), "name": f"res-{n:02d}", "backend_id": f"{kind}_acct_{n:02d}",
            "backend_metadata": {"partition": kind},
            "offering_id": (actors.offering if n % 4 < 2 else other_offering).id,
            "project_id": (actors.project if n % 3 else other_project).id,
            "created": start + timedelta(minutes=n), "modified": start + timedelta(minutes=n),
        })
    db.session.execute(insert(BackendResource), rows)
    db.session.commit()


@pytest.fixture
def staff(client, actors):
    log_in(client, "staff")
    return client


def counted_at_once(app, client, query: str) -> str:
    """The table fragment for `query` as it is when counted in the same request."""
    later_from = app.config["CONSOLE_COUNT_LATER_FROM"]
    app.config["CONSOLE_COUNT_LATER_FROM"] = COUNTED_AT_ONCE
    try:
        response = get(client, f"{LIST_URL}?{query}", headers=HX)
    finally:
        app.config["CONSOLE_COUNT_LATER_FROM"] = later_from
    assert response.status_code == 200
    assert not TRIGGER.search(response.text)
    return response.text


def selects(fragment: str) -> dict[str, str]:
    """The customer, project and offering selects of a response, by key."""
    return {match.group(1): match.group(0) for match in SELECT.finditer(fragment)}


def without_tokens(page: str) -> str:
    """The page without its CSRF tokens (signed with the time: they differ second by second)."""
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', page)


def counts_url(fragment: str) -> str | None:
    """The URL the fragment asks its counts from, or None when it came counted."""
    match = TRIGGER.search(fragment)
    return html.unescape(match.group(1)) if match else None


@pytest.mark.parametrize("query", [
    "q=gp&page_size=10",
    "q=GP&o=name&page_size=10",
    "metadata=partition%3Dgpu&o=-project_name&page_size=10",
    "q=gp&flag=-imported&page_size=10",
])
def test_a_dense_match_shows_its_first_page_then_its_exact_counts(app, staff, reports, query):
    at_once = counted_at_once(app, staff, query)

    first = get(staff, f"{LIST_URL}?{query}", headers=HX)
    assert first.status_code == 200
    assert row_names(first.text) == row_names(at_once)
    assert len(row_names(first.text)) == 10
    assert status_line(first.text).endswith("(counting…).")
    assert "1–10 of …" in text_of(first.text)
    assert "Page 1 of" not in first.text and "Next ›" in first.text
    assert selects(first.text) == {}  # the selects keep their counts until the counts come
    assert counts_url(first.text) == f"{COUNTS_URL}?{query}"

    counts = get(staff, counts_url(first.text), headers=HX)
    assert counts.status_code == 200
    assert status_line(counts.text) == status_line(at_once)
    assert status_line(counts.text).startswith("20 backend resources")
    assert selects(counts.text) == selects(at_once)
    assert len(selects(counts.text)) == 3
    words = text_of(counts.text)
    assert "1–10 of 20" in words and "Page 1 of 2" in words
    assert "All 20 matching this filter" in words and "Export these 20 rows" in words
    assert 'id="pager-top" class="pager pager-top" aria-label="Pages, above the table" ' \
           'hx-swap-oob="true"' in counts.text


def test_a_match_that_fits_on_one_page_is_counted_at_once(app, staff, reports):
    query = "q=gp&page_size=20"  # 20 matches: no more than a page
    response = get(staff, f"{LIST_URL}?{query}", headers=HX)
    assert counts_url(response.text) is None
    assert without_tokens(response.text) == without_tokens(counted_at_once(app, staff, query))
    assert status_line(response.text).startswith("20 backend resources")


def test_a_later_page_of_a_dense_match_is_shown_before_counting_too(app, staff, reports):
    query = "q=gp&page_size=5&page=3"  # the newest 40 hold its 15 and one more of the 20
    at_once = counted_at_once(app, staff, query)

    shown = get(staff, f"{LIST_URL}?{query}", headers=HX)
    assert row_names(shown.text) == row_names(at_once)
    assert len(row_names(shown.text)) == 5
    words = text_of(shown.text)
    assert "11–15 of …" in words and "Page 3" in words and "Page 3 of" not in words
    assert "‹ Previous" in words and "Next ›" in words

    counts = get(staff, counts_url(shown.text), headers=HX)
    assert status_line(counts.text) == status_line(at_once)
    words = text_of(counts.text)
    assert "11–15 of 20" in words and "Page 3 of 4" in words


@pytest.mark.parametrize("fence_rows", [6, 25, 10**6])
def test_a_page_shown_before_counting_in_another_order_is_the_page_counted_at_once(
    app, staff, reports, monkeypatch, count_statements, fence_rows
):
    """The walk in any order but the newest first stops at a fence (`fence_rows` into the sort
    key's index: before the page, around it, past the end) and collects a page not inside."""
    monkeypatch.setattr(list_plans, "UNCOUNTED_FENCE_ROWS", fence_rows)
    for query in (
        "q=gp&o=backend_id&page_size=10",      # the gpu ids after the cpu ones: the far end
        "q=gp&o=-backend_id&page_size=10",     # the gpu ids first
        "q=gp&o=name&page_size=5&page=3",
        "metadata=partition%3Dgpu&o=-name&page_size=5&page=2",
        "q=gp&o=modified&page_size=8",
    ):
        at_once = counted_at_once(app, staff, query)
        shown = get(staff, f"{LIST_URL}?{query}", headers=HX)
        assert counts_url(shown.text), query
        assert row_names(shown.text) == row_names(at_once), f"{query}, fence {fence_rows}"
        assert ("Next ›" in shown.text) is ("Next ›" in at_once), query
    if fence_rows > 40:  # the reports
        # Every report inside the fence: the fenced walk finds the page alone, in as many
        # statements as the newest first.
        fenced = get_counting_statements(
            staff, count_statements, f"{LIST_URL}?q=gp&o=backend_id&page_size=10", headers=HX
        )[1]
        newest = get_counting_statements(
            staff, count_statements, f"{LIST_URL}?q=gp&page_size=10", headers=HX
        )[1]
        assert fenced == newest


@pytest.mark.parametrize("query", [
    "page_size=10",                                  # the tallies count it
    "q=g&page_size=10",                              # one character: the character tally
    "q=gp&page_size=10&page=2",                      # 21 rows to reach: the newest hold 20
    "q=gp&page_size=5&page=last",                    # the last page needs the count
    "q=gp&page_size=5&page=9",                       # past the end: counted to say so
    "q=gp&page_size=5&page=99999999999999999999",    # far past the end, past any integer
])
def test_lists_counted_cheaply_or_paged_further_are_counted_at_once(staff, reports, query):
    response = get(staff, f"{LIST_URL}?{query}", headers=HX)
    assert response.status_code == (404 if re.search(r"page=9+$", query) else 200)
    assert counts_url(response.text) is None
    assert "counting" not in status_line(response.text)


def test_the_whole_page_is_counted_at_once(staff, reports):
    response = get(staff, f"{LIST_URL}?q=gp&page_size=10")
    assert counts_url(response.text) is None
    assert status_line(response.text).startswith("20 backend resources")
    assert "1–10 of 20" in text_of(response.text)


def test_fewer_reports_than_the_setting_are_counted_at_once(app, staff, reports):
    app.config["CONSOLE_COUNT_LATER_FROM"] = 41  # the 40 reports are fewer
    assert counts_url(get(staff, f"{LIST_URL}?q=gp&page_size=10", headers=HX).text) is None
    app.config["CONSOLE_COUNT_LATER_FROM"] = 40
    assert counts_url(get(staff, f"{LIST_URL}?q=gp&page_size=10", headers=HX).text)


def test_a_search_the_trigram_index_finds_few_reports_for_is_counted_at_once_on_sqlite(
    app, staff, reports
):
    response = get(staff, f"{LIST_URL}?q=gpu&page_size=10", headers=HX)
    sqlite = db.engine.dialect.name == "sqlite"
    # SQLite collects the 20 hits from its trigram index; PostgreSQL walks the index of the
    # order for the dense match, as for any other.
    assert (counts_url(response.text) is None) is sqlite


def test_support_gets_the_counts_without_the_bulk_bar(client, actors, reports):
    log_in(client, "support")
    first = get(client, f"{LIST_URL}?q=gp&page_size=10", headers=HX)
    counts = get(client, counts_url(first.text), headers=HX)
    assert counts.status_code == 200
    assert status_line(counts.text).startswith("20 backend resources")
    assert "bulk-all-text" not in first.text and "bulk-all-text" not in counts.text


def test_the_counts_url_outside_htmx_leads_to_the_table(staff, reports):
    response = get(staff, f"{COUNTS_URL}?q=gp&page_size=10")
    assert response.status_code == 303
    assert response.headers["Location"] == f"{LIST_URL}?q=gp&page_size=10"


def test_the_counts_refuse_bad_filters_and_strangers(client, actors, reports):
    response = get(client, f"{COUNTS_URL}?q=gp")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert get(client, f"{COUNTS_URL}?q=gp", headers=HX).status_code == 401
    log_in(client, "outsider")
    assert get(client, f"{COUNTS_URL}?q=gp", headers=HX).status_code == 403
    log_in(client, "staff")
    bad = get(client, f"{COUNTS_URL}?q=gp&o=nonsense", headers=HX)
    assert bad.status_code == 400


@pytest.mark.parametrize(("params", "reads_reports"), [
    (ListParams(q="gp"), True),
    (ListParams(metadata=parse_metadata_filter("partition=gpu")), True),
    (ListParams(q="gp", flags=("-imported", "stale")), True),  # those hidden are subtracted
    (ListParams(q="gp", dismissed="hidden"), True),
    (ListParams(), False),                                # the tallies count it
    (ListParams(q="g"), False),                           # the character tally
    (ListParams(name="gp"), False),                       # the name tally
    (ListParams(q="gp", flags=("duplicate",)), False),    # few, from the duplicate pairs
    (ListParams(q="gp", flags=("imported",)), False),     # few, from the resources
    (ListParams(q="gp", dismissed="only"), False),        # few, from the dismissals
    (ListParams(backend_id="gpu_acct_02"), False),        # neither a search nor metadata
])
def test_which_lists_are_counted_from_the_reports_they_match(params, reads_reports):
    assert counts_read_reports(params) is reads_reports


def test_the_first_page_and_its_counts_run_a_fixed_number_of_statements(
    staff, factory, actors, count_statements
):
    projects = [factory.project() for _ in range(3)]
    offerings = [actors.offering, factory.offering()]
    for n in range(150):
        factory.backend_resource(
            name=f"gp-{n:03d}", project=projects[n % 3], offering=offerings[n % 2]
        )
    firsts, counts = [], []
    for size in (10, 100, 10, 100):
        first, statements = get_counting_statements(
            staff, count_statements, f"{LIST_URL}?q=gp&page_size={size}", headers=HX
        )
        assert len(row_names(first.text)) == size
        firsts.append(statements)
        response, statements = get_counting_statements(
            staff, count_statements, counts_url(first.text), headers=HX
        )
        assert f"1–{size} of 150" in text_of(response.text)
        counts.append(statements)
    # The first page: the user, the reports the user sees, more than a page among the newest,
    # the rows. Its counts: the user, the reports per project and offering, the selects' options.
    assert firsts == [4] * 4
    assert counts == [3] * 4
