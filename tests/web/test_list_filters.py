"""Filtering and sorting the backend resource table, and saying so in English."""

import re
from datetime import UTC, datetime

import pytest

from tests.web.listing_helpers import HX, LIST_URL, links, row_names, status_line
from tests.web.session_helpers import log_in


def at(text: str) -> datetime:
    """An aware UTC datetime from "2025-03-31 23:30"."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def world(client, factory, actors):
    """Two customers with a project each, two offerings, four reports; staff logged in."""
    climate = factory.customer(name="Institute of Climate Science")
    medicine = factory.customer(name="Faculty of Medicine")
    sea_ice = factory.project(climate, name="Sea ice")
    genomics = factory.project(medicine, name="Genomics")
    hpc = actors.offering
    vms = factory.offering(name="Nimbus VMs")
    rows = {}
    for key, name, backend_id, project, offering, created, modified in [
        ("r1", "GPU training 2025", "hpc_gpu_2025", sea_ice, hpc, "2025-01-10 08:00", "03-01 00:00"),  # noqa: E501
        ("r2", "climate-gpu-vm", "vm-0001", genomics, vms, "2025-02-15 12:00", "02-16 12:00"),
        ("r3", "archive volume", "vol-GPU-archive", genomics, hpc, "2025-03-20 10:00", "04-01 09:00"),  # noqa: E501
        ("r4", "web frontend", "vm-0002", sea_ice, vms, "2025-03-31 23:30", "03-31 23:59"),
    ]:
        rows[key] = factory.backend_resource(
            name=name, backend_id=backend_id, project=project, offering=offering,
            created=at(created), modified=at(f"2025-{modified}"),
        )
    log_in(client, "staff")
    return {
        "climate": climate, "medicine": medicine, "sea_ice": sea_ice, "genomics": genomics,
        "hpc": hpc, "vms": vms, **rows,
    }


def names_for(client, **query) -> set[str]:
    response = client.get(LIST_URL, query_string=query)
    assert response.status_code == 200, response.text
    return set(row_names(response.text))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "gpu"}, {"GPU training 2025", "climate-gpu-vm", "archive volume"}),
        ({"q": "  GPU  "}, {"GPU training 2025", "climate-gpu-vm", "archive volume"}),
        ({"q": "VM-000"}, {"climate-gpu-vm", "web frontend"}),
        ({"name": "gpu"}, {"GPU training 2025", "climate-gpu-vm"}),
        ({"name_exact": "web frontend"}, {"web frontend"}),
        ({"backend_id": "vm-0001"}, {"climate-gpu-vm"}),
        ({"backend_id": "vm"}, set()),
        ({"created": "2025-02-01"}, {"climate-gpu-vm", "archive volume", "web frontend"}),
        # A plain date in `_before` means the end of that day.
        ({"created_before": "2025-03-20"}, {"GPU training 2025", "climate-gpu-vm", "archive volume"}),  # noqa: E501
        ({"created": "2025-03-01", "created_before": "2025-03-31"}, {"archive volume", "web frontend"}),  # noqa: E501
        ({"created": "2025-03-20T10:00:01Z"}, {"web frontend"}),
        ({"modified": "2025-03-01"}, {"GPU training 2025", "archive volume", "web frontend"}),
        ({"modified_before": "2025-02-28"}, {"climate-gpu-vm"}),
    ],
)
def test_text_and_date_filters(client, world, query, expected):
    assert names_for(client, **query) == expected


def test_customer_project_and_offering_filters(client, world):
    assert names_for(client, customer_uuid=world["medicine"].uuid.hex) == {
        "climate-gpu-vm", "archive volume"
    }
    assert names_for(client, project_uuid=world["sea_ice"].uuid.hex) == {
        "GPU training 2025", "web frontend"
    }
    assert names_for(client, offering_uuid=str(world["vms"].uuid)) == {
        "climate-gpu-vm", "web frontend"
    }
    assert names_for(
        client, customer_uuid=world["medicine"].uuid.hex, offering_uuid=world["hpc"].uuid.hex
    ) == {"archive volume"}


def test_summary_reads_as_english(client, world):
    page = client.get(
        LIST_URL, query_string={"name": "gpu", "offering_uuid": world["hpc"].uuid.hex}
    ).text
    assert status_line(page) == (
        "1 backend resource where name contains gpu, in offering HPC SLURM, newest first."
    )
    page = client.get(
        LIST_URL,
        query_string={
            "q": "gpu", "backend_id": "vm-0001", "customer_uuid": world["medicine"].uuid.hex,
            "project_uuid": world["genomics"].uuid.hex, "created": "2025-01-01",
            "created_before": "2025-12-31", "modified": "2025-02-01",
            "modified_before": "2025-02-28", "o": "name,-created",
        },
    ).text
    assert status_line(page) == (
        "1 backend resource where name or backend ID contains gpu and backend ID is vm-0001, "
        "of customer Faculty of Medicine, in project Genomics, reported on or after 2025-01-01, "
        "reported on or before 2025-12-31, last updated on or after 2025-02-01, "
        "last updated on or before 2025-02-28, by name, A to Z, then newest first."
    )
    page = client.get(LIST_URL, query_string={"project_uuid": world["sea_ice"].uuid.hex}).text
    assert status_line(page) == "2 backend resources in project Sea ice, newest first."


def test_summary_is_escaped(client, world):
    page = client.get(LIST_URL, query_string={"q": "<b>x</b>"}).text
    assert "contains <strong>&lt;b&gt;x&lt;/b&gt;</strong>" in page


def test_each_active_filter_has_a_link_that_clears_it(client, world):
    hpc = world["hpc"].uuid.hex
    page = client.get(
        LIST_URL,
        query_string={"q": "gpu", "offering_uuid": hpc, "o": "name", "page_size": 1, "page": 2},
    ).text
    assert row_names(page) == ["archive volume"]  # "GPU…" sorts first: capitals come first
    found = links(page)
    assert found["Remove filter: name or backend ID contains gpu"] == (
        f"/backend-resources/?offering_uuid={hpc}&o=name&page_size=1"
    )
    assert found["Remove filter: in offering HPC SLURM"] == (
        "/backend-resources/?q=gpu&o=name&page_size=1"
    )
    assert found["Clear all filters"] == "/backend-resources/?o=name&page_size=1"


def test_the_fragment_carries_the_same_filters_and_summary(client, world):
    response = client.get(LIST_URL, query_string={"q": "gpu"}, headers=HX)
    assert response.status_code == 200
    assert set(row_names(response.text)) == {
        "GPU training 2025", "climate-gpu-vm", "archive volume"
    }
    assert status_line(response.text) == (
        "3 backend resources where name or backend ID contains gpu, newest first."
    )
    assert "Remove filter: name or backend ID contains gpu" in links(response.text)


def test_full_page_form_shows_the_state_of_the_url(client, world):
    query = {
        "q": "gpu", "customer_uuid": world["medicine"].uuid.hex,
        "project_uuid": world["genomics"].uuid.hex, "offering_uuid": world["hpc"].uuid.hex,
        "created": "2025-03-01", "modified_before": "2025-04-30", "backend_id": "vol-GPU-archive",
        "o": "-name", "page_size": "50",
    }
    page = client.get(LIST_URL, query_string=query).text
    assert row_names(page) == ["archive volume"]
    assert re.search(r'<input type="search" id="filter-q" name="q" value="gpu"', page)
    for key in ("customer_uuid", "project_uuid", "offering_uuid"):
        selected = re.search(rf'<select id="filter-{key}".*?</select>', page, re.S).group(0)
        assert re.findall(r'<option value="(\w+)" selected>', selected) == [query[key]]
    assert re.search(r'id="filter-created" name="created" value="2025-03-01"', page)
    assert re.search(r'id="filter-modified_before" name="modified_before" value="2025-04-30"', page)
    assert 'name="backend_id" value="vol-GPU-archive"' in page
    assert '<input type="hidden" name="o" value="-name">' in page
    assert '<input type="hidden" name="page_size" value="50">' in page
    assert '<details class="more-filters" open>' in page


def test_select_options_list_what_has_reports(client, world, factory):
    factory.customer(name="Customer without reports")
    factory.offering(name="Offering without reports")
    page = client.get(LIST_URL).text
    assert "Customer without reports" not in page
    assert "Offering without reports" not in page
    # Projects are grouped by customer, offerings by provider.
    assert re.search(
        r'<optgroup label="Faculty of Medicine">\s*<option value="\w+">Genomics \(2\)</option>',
        page,
    )
    assert f'<option value="{world["vms"].uuid.hex}">Nimbus VMs (2)</option>' in page


def option_labels(page: str, key: str) -> list[str]:
    """The labels of one select's options (after its "All …" prompt), in order."""
    select = re.search(rf'<select id="filter-{key}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.findall(r'<option value="\w+"[^>]*>([^<]*)</option>', select)


def test_each_option_counts_its_reports_under_the_other_filters(client, world):
    page = client.get(LIST_URL, query_string={"q": "gpu"}).text
    # gpu: r1 (Sea ice, HPC), r2 (Genomics, VMs), r3 (Genomics, HPC).
    assert option_labels(page, "customer_uuid") == [
        "Faculty of Medicine (2)", "Institute of Climate Science (1)"
    ]
    assert option_labels(page, "project_uuid") == ["Genomics (2)", "Sea ice (1)"]
    assert sorted(option_labels(page, "offering_uuid")) == ["HPC SLURM (2)", "Nimbus VMs (1)"]

    # An offering chosen: the other selects count within it; its own select ignores it.
    page = client.get(
        LIST_URL, query_string={"q": "gpu", "offering_uuid": world["vms"].uuid.hex}
    ).text
    assert option_labels(page, "customer_uuid") == ["Faculty of Medicine (1)"]
    assert option_labels(page, "project_uuid") == ["Genomics (1)"]
    assert sorted(option_labels(page, "offering_uuid")) == ["HPC SLURM (2)", "Nimbus VMs (1)"]


def test_choosing_a_customer_narrows_the_projects(client, world):
    page = client.get(LIST_URL, query_string={"customer_uuid": world["climate"].uuid.hex}).text
    assert option_labels(page, "project_uuid") == ["Sea ice (2)"]
    assert option_labels(page, "customer_uuid") == [
        "Faculty of Medicine (2)", "Institute of Climate Science (2)"
    ]


def test_a_chosen_option_without_reports_stays_with_zero(client, world):
    page = client.get(LIST_URL, query_string={
        "customer_uuid": world["climate"].uuid.hex, "project_uuid": world["genomics"].uuid.hex,
    }).text
    assert option_labels(page, "project_uuid") == ["Genomics (0)", "Sea ice (2)"]
    assert re.search(r'<option value="\w+" selected>Genomics \(0\)</option>', page)


def test_the_fragment_sends_the_options_out_of_band(client, world):
    response = client.get(
        LIST_URL, query_string={"customer_uuid": world["medicine"].uuid.hex}, headers=HX
    )
    assert re.search(r'<select id="filter-project_uuid"[^>]* hx-swap-oob="true">', response.text)
    assert option_labels(response.text, "project_uuid") == ["Genomics (2)"]


@pytest.fixture
def sortable(client, factory, actors):
    """Three reports whose every sortable column orders them differently."""
    for name, backend_id, project, offering, created, modified in [
        ("bravo", "c-3", "Alpha project", "Zeta offering", "2025-01-02", "2025-01-03"),
        ("alpha", "a-1", "Gamma project", "Eta offering", "2025-01-01", "2025-01-01"),
        ("charlie", "b-2", "Beta project", "Theta offering", "2025-01-03", "2025-01-02"),
    ]:
        factory.backend_resource(
            name=name, backend_id=backend_id, project=factory.project(name=project),
            offering=factory.offering(name=offering), created=at(created), modified=at(modified),
        )
    log_in(client, "staff")


SORTED_ASCENDING = {
    "name": ["alpha", "bravo", "charlie"],
    "backend_id": ["alpha", "charlie", "bravo"],
    "project_name": ["bravo", "charlie", "alpha"],
    "offering_name": ["alpha", "charlie", "bravo"],
    "created": ["alpha", "bravo", "charlie"],
    "modified": ["alpha", "charlie", "bravo"],
}
HEADERS = {
    "name": "Name", "backend_id": "Backend ID", "project_name": "Project",
    "offering_name": "Offering", "created": "Reported", "modified": "Last updated",
}


@pytest.mark.parametrize("key", list(SORTED_ASCENDING))
def test_each_column_sorts_both_ways_with_an_accessible_mark(client, sortable, key):
    ascending = client.get(LIST_URL, query_string={"o": key, "q": "a"}).text
    assert row_names(ascending) == SORTED_ASCENDING[key]
    header = re.search(
        rf'<th scope="col" class="sortable sorted" aria-sort="ascending">\s*'
        rf'<a id="sort-{key}" href="([^"]+)"[^>]*>{HEADERS[key]} '
        r'<span class="sort-mark" aria-hidden="true">▲</span>',
        ascending,
    )
    assert header, "the sorted column shows aria-sort and an up arrow"
    # Newest first is the default order, so its link leaves `o` out.
    reverse = "" if key == "created" else f"&o=-{key}"
    assert header.group(1).replace("&amp;", "&") == f"/backend-resources/?q=a{reverse}"

    descending = client.get(LIST_URL, query_string={"o": f"-{key}", "q": "a"}).text
    assert row_names(descending) == SORTED_ASCENDING[key][::-1]
    header = re.search(
        rf'aria-sort="descending">\s*<a id="sort-{key}" href="([^"]+)"[^>]*>'
        rf'{HEADERS[key]} <span class="sort-mark" aria-hidden="true">▼</span>',
        descending,
    )
    assert header, "the reversed column shows aria-sort descending and a down arrow"
    back = f"/backend-resources/?q=a&o={key}"
    assert header.group(1).replace("&amp;", "&") == back
    assert descending.count("aria-sort=") == 1


def test_sort_links_say_which_way_they_sort(client, sortable):
    page = client.get(LIST_URL).text  # the default: newest first
    found = links(page)
    assert found["Reported, sort oldest first"] == "/backend-resources/?o=created"
    assert found["Name, sort A to Z"] == "/backend-resources/?o=name"
    assert found["Last updated, sort most recently updated first"] == (
        "/backend-resources/?o=-modified"
    )
    assert re.search(r'aria-sort="descending">\s*<a id="sort-created"', page)
    by_name = links(client.get(LIST_URL, query_string={"o": "name", "page": "1"}).text)
    assert by_name["Name, sort Z to A"] == "/backend-resources/?o=-name"
    # Back to the default order drops `o` from the URL.
    assert by_name["Reported, sort newest first"] == "/backend-resources/"


def test_option_counts_follow_the_triage_view_and_filters(client, world, actors):
    from console.extensions import db
    from console.services.dismissals import dismiss_backend_resource

    dismiss_backend_resource(db.session, report_uuid=world["r2"].uuid, user=actors.staff)
    # To review: the dismissed report (Genomics, Nimbus VMs) is not counted.
    page = client.get(LIST_URL).text
    assert option_labels(page, "project_uuid") == ["Genomics (1)", "Sea ice (2)"]
    assert sorted(option_labels(page, "offering_uuid")) == ["HPC SLURM (2)", "Nimbus VMs (1)"]
    # The Dismissed view counts only what it lists.
    page = client.get(LIST_URL, query_string={"dismissed": "only"}).text
    assert option_labels(page, "project_uuid") == ["Genomics (1)"]
    assert option_labels(page, "offering_uuid") == ["Nimbus VMs (1)"]
    # A flag filter narrows the counts like any other filter: no report has a twin here.
    page = client.get(LIST_URL, query_string={"flag": "duplicate"}).text
    assert option_labels(page, "project_uuid") == []
