"""The backend resource table: who may see it, full page versus htmx fragment, and the cells."""

import re
from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from tests.web.listing_helpers import (
    HX,
    LIST_URL,
    get_counting_statements,
    links,
    row_names,
    status_line,
)
from tests.web.session_helpers import log_in


@pytest.fixture
def staff(client, actors):
    """A client logged in as staff."""
    assert log_in(client, "staff").status_code == 303
    return client


def test_root_redirects_to_the_table(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == LIST_URL


def test_anonymous_visitors_are_sent_to_log_in_and_back(client, actors):
    response = client.get(LIST_URL, query_string={"q": "gpu"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/backend-resources/?q%3Dgpu"


@pytest.mark.parametrize("username", ["outsider", "agent"])
def test_users_without_console_access_get_403(client, actors, username):
    log_in(client, username)
    assert client.get(LIST_URL).status_code == 403


def test_support_can_view_the_table(client, actors, factory):
    factory.backend_resource(name="cluster-account", offering=actors.offering)
    log_in(client, "support")
    response = client.get(LIST_URL)
    assert response.status_code == 200
    assert row_names(response.text) == ["cluster-account"]


def test_full_page_has_layout_filters_and_table(staff, factory, actors):
    factory.backend_resource(name="alpha", offering=actors.offering)
    response = staff.get(LIST_URL)
    assert response.status_code == 200
    assert "HX-Request" in response.vary
    assert response.text.lstrip().startswith("<!doctype html>")
    assert '<form id="filters"' in response.text
    assert '<label for="filter-q">Search</label>' in response.text
    assert 'hx-trigger="input changed delay:300ms, search"' in response.text
    assert '<div id="results"' in response.text
    assert 'aria-live="polite"' in response.text
    assert row_names(response.text) == ["alpha"]
    assert "hx-swap-oob" not in response.text
    # Without JavaScript: a GET form with a button; with htmx: swap #results, push the URL,
    # show the loading line.
    assert re.search(r'<form id="filters"[^>]*method="get" action="/backend-resources/"',
                     response.text)
    assert '<button type="submit" class="compact">Filter</button>' in response.text
    assert re.search(r'<section id="backend-resource-list"[^>]*hx-target="#results" '
                     r'hx-push-url="true"\s+hx-indicator="#backend-resource-list"', response.text)
    assert '<span class="list-loading" aria-hidden="true">' in response.text
    assert re.search(r'<a id="sort-name" href="/backend-resources/\?o=name" '
                     r'hx-get="/backend-resources/\?o=name"', response.text)


def test_htmx_request_gets_only_the_table_fragment(staff, factory, actors):
    factory.backend_resource(name="alpha", offering=actors.offering)
    response = staff.get(LIST_URL, headers=HX)
    assert response.status_code == 200
    assert "HX-Request" in response.vary
    assert "<html" not in response.text
    assert '<form id="filters"' not in response.text
    assert row_names(response.text) == ["alpha"]
    # The count and summary outside the swapped region come along out of band.
    assert re.search(r'<p id="list-status" hx-swap-oob="innerHTML">', response.text)
    assert status_line(response.text) == "1 backend resource, newest first."


@pytest.mark.parametrize(
    "headers",
    [
        {"HX-Request": "true", "HX-History-Restore-Request": "true"},
        {"HX-Request": "true", "HX-Boosted": "true"},
        {"HX-Request": "false"},
    ],
)
def test_history_restores_and_boosted_requests_get_the_full_page(staff, headers):
    response = staff.get(LIST_URL, headers=headers)
    assert response.status_code == 200
    assert "HX-Request" in response.vary
    assert '<form id="filters"' in response.text
    assert "<html" in response.text


def test_cells_show_project_offering_times_and_metadata(staff, factory, actors):
    created = datetime.now(UTC) - timedelta(hours=3, minutes=5)
    resource = factory.backend_resource(
        name="climate-2025",
        backend_id="hpc_climate_2025",
        offering=actors.offering,
        project=actors.project,
        backend_metadata={"limits": {"cpu": 50000, "gpu": 800}, "qos": "normal"},
        created=created,
        modified=created,
    )
    page = staff.get(LIST_URL).text
    assert (f'<a href="/backend-resources/{resource.uuid.hex}/?back=/backend-resources/">'
            'climate-2025</a>') in page
    assert "<code>hpc_<wbr>climate_<wbr>2025</code>" in page
    assert (f'<span class="cell-main">Climate modelling</span>'
            f'<small class="owner">{actors.project.customer.name}</small>') in page
    assert (f'<span class="cell-main">HPC SLURM</span>'
            f'<small class="owner">{actors.offering.customer.name}</small>') in page
    exact = created.strftime("%Y-%m-%d %H:%M:%S UTC")
    assert re.search(rf'<time datetime="[^"]+" title="{exact}">3 h ago</time>', page)
    assert '<td class="cell-metadata">cpu 50,000 · gpu 800</td>' in page


@pytest.mark.parametrize(
    ("metadata", "summary"),
    [
        (
            {"limits": {"cpu": 1, "mem": 2048, "gpu": 4, "storage": 5}},
            "cpu 1 · gpu 4 · mem 2,048 · +1 more",
        ),
        (
            {"flavor": "m1.large", "image": "Debian 12", "internal_ips": ["10.0.0.1"]},
            "flavor m1.large · image Debian 12",
        ),
        ({"limits": {}, "partition": "gpu", "users": ["ann"]}, "partition gpu"),
        ({"quota": {"storage_tb": 5}, "tags": ["a"]}, "quota · tags"),
        ({}, ""),
    ],
)
def test_metadata_summary_prefers_limits_then_plain_values_by_key(
    staff, factory, actors, metadata, summary
):
    factory.backend_resource(offering=actors.offering, backend_metadata=metadata)
    assert f'<td class="cell-metadata">{summary}</td>' in staff.get(LIST_URL).text


def test_no_reports_at_all_says_so(staff):
    response = staff.get(LIST_URL)
    assert response.status_code == 200
    assert "No backend resources have been reported yet." in response.text
    assert "<table" not in response.text
    assert status_line(response.text) == "0 backend resources, newest first."


def test_no_matches_offers_to_clear_the_filters(staff, factory, actors):
    factory.backend_resource(name="alpha", offering=actors.offering)
    response = staff.get(LIST_URL, query_string={"q": "zzz", "o": "name"})
    assert "No backend resources match these filters." in response.text
    assert "have been reported yet" not in response.text
    assert links(response.text)["clear all filters"] == "/backend-resources/?o=name"


def test_statement_count_does_not_grow_with_the_page_size(staff, factory, actors, count_statements):
    projects = [factory.project() for _ in range(3)]
    offerings = [actors.offering, factory.offering()]
    for n in range(120):
        factory.backend_resource(
            name=f"res-{n:03d}", project=projects[n % 3], offering=offerings[n % 2]
        )
    counts = []
    for size, headers in product((10, 100), ({}, HX, {}, HX)):
        response, statements = get_counting_statements(
            staff, count_statements, LIST_URL, query_string={"page_size": size}, headers=headers
        )
        assert len(row_names(response.text)) == size
        assert f"1–{size} of 120" in response.text
        counts.append(statements)
    # The user; the reports counted per project and offering, then the projects, offerings and
    # customers of the selects (one statement); the reports the user sees, then the rows. The
    # fragment sends the selects too, out of band, as their counts follow the filters. Once
    # the list's counts have been seen, the rows come with the reports the user sees.
    assert counts == [5] + [4] * 7
