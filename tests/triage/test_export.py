"""Export of exactly the table's current view, every page of it, as CSV and JSON."""

import csv
import io
import json
import re
from datetime import date

import pytest

from tests.triage.helpers import add_marketplace_resource, add_reports
from tests.web.listing_helpers import LIST_URL, row_names
from tests.web.session_helpers import log_in


@pytest.fixture
def staff(client, actors):
    assert log_in(client, "staff").status_code == 303
    return client


@pytest.fixture
def reports(factory, actors):
    """240 reports in two offerings, half on the gpu partition, some duplicates, one imported."""
    cloud = factory.offering(name="Cloud Tenants")
    add_reports(actors.offering, actors.project, 120, prefix="hpc",
                metadata={"partition": "gpu", "limits": {"cpu": 20000}})
    add_reports(actors.offering, actors.project, 60, prefix="cpu",
                metadata={"partition": "cpu", "limits": {"cpu": 100}})
    add_reports(cloud, actors.project, 60, prefix="cloud",
                metadata={"partition": "gpu", "limits": {"cpu": 20000}})
    factory.backend_resource(actors.offering, actors.project, name="twin", backend_id="hpc_0001")
    add_marketplace_resource(actors.offering, actors.project, "hpc_0002")
    return {"cloud": cloud, **vars(actors)}


def table_rows(client, query: dict) -> list[str]:
    """Every row name of the table's view, page after page."""
    names, number = [], 1
    while True:
        response = client.get(LIST_URL, query_string={**query, "page_size": 100, "page": number})
        if response.status_code == 404:
            return names
        names += row_names(response.text)
        number += 1


VIEWS = [
    {"metadata": "partition=gpu; limits.cpu>1000", "offering_uuid": "HPC"},
    {"q": "hpc_00", "o": "name"},
    {"flag": "duplicate,-imported"},
    {},
]


@pytest.mark.parametrize("view", VIEWS)
def test_csv_and_json_hold_exactly_the_rows_of_the_view_in_its_order(staff, reports, view):
    view = {key: (reports["offering"].uuid.hex if value == "HPC" else value)
            for key, value in view.items()}
    expected = table_rows(staff, view)
    assert expected
    response = staff.get("/backend-resources/export.csv", query_string=view)
    assert response.status_code == 200 and response.is_streamed
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["name"] for row in rows] == expected
    response = staff.get("/backend-resources/export.json", query_string=view)
    records = json.loads(response.get_data(as_text=True))
    assert [record["name"] for record in records] == expected


def test_exported_fields_carry_flags_and_metadata(staff, reports):
    rows = json.loads(staff.get("/backend-resources/export.json",
                                query_string={"backend_id": "hpc_0001"}).get_data(as_text=True))
    assert {row["name"] for row in rows} == {"hpc-0001", "twin"}
    assert all(row["flags"] == ["duplicate"] and row["other_reports"] == 1 for row in rows)
    assert all(row["offering"] == "HPC SLURM" for row in rows)
    original = next(row for row in rows if row["name"] == "hpc-0001")
    assert original["backend_metadata"] == {"partition": "gpu", "limits": {"cpu": 20000}}
    text = staff.get("/backend-resources/export.csv",
                     query_string={"backend_id": "hpc_0002"}).get_data(as_text=True)
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["flags"] == "imported" and re.fullmatch(r"[0-9a-f]{32}",
                                                        row["imported_resource_uuid"])


def test_the_file_name_says_the_filters(staff, reports):
    response = staff.get("/backend-resources/export.csv", query_string={
        "offering_uuid": reports["cloud"].uuid.hex, "flag": "stale", "q": "GPU nodes"})
    today = date.today().isoformat()
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="backend-resources_q-gpu-nodes_offering-cloud-tenants'
        f'_flag-stale_{today}.csv"'
    )
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_the_export_streams_in_chunks(staff, reports):
    response = staff.get("/backend-resources/export.csv")
    chunks = [chunk for chunk in response.response if chunk]
    assert len(chunks) >= 2  # 241 rows: written out as they are read, not built in one piece
    assert sum(chunk.count(b"\n") for chunk in chunks) >= 242


def test_the_table_links_to_the_export_of_its_view(staff, reports):
    page = staff.get(LIST_URL, query_string={"flag": "duplicate", "page_size": 10}).text
    link = re.search(r'id="export-csv" href="([^"]+)"', page).group(1)
    assert link == "/backend-resources/export.csv?flag=duplicate"


def test_bad_filters_and_formats_are_refused(staff, reports):
    assert staff.get("/backend-resources/export.csv?flag=nope").status_code == 400
    assert staff.get("/backend-resources/export.xml").status_code == 404
