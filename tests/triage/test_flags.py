"""Flags on reports: computed by the query builder, shown as badges, usable as URL filters."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased

from console.extensions import db
from console.models import BackendResource
from tests.triage.helpers import add_marketplace_resource, add_reports
from tests.web.listing_helpers import (
    HX,
    LIST_URL,
    get_counting_statements,
    row_names,
    status_line,
)
from tests.web.session_helpers import csrf_token, log_in

# A report's link in the table (it carries the list URL as `back`) or on a report page.
TWIN_A_LINK = r'href="/backend-resources/([0-9a-f]{32})/(?:\?back=[^"]*)?">twin-a<'
TWIN_B_LINK = r'<a href="/backend-resources/[0-9a-f]{32}/(?:\?back=[^"]*)?">twin-b</a>'
BADGES = re.compile(r'<td class="cell-name"><a href="[^"]*">([^<]*)</a></td>.*?'
                    r'<td class="cell-flags">(.*?)</td>', re.S)


def flags_by_name(page: str) -> dict[str, list[str]]:
    """Each row's name mapped to the texts of its flag badges."""
    found = {}
    for name, cell in BADGES.findall(page):
        found[name] = [
            re.sub(r"\s+", " ", text).strip()
            for text in re.findall(r'class="badge flag [^"]*"[^>]*>([^<]*)<', cell)
        ]
    return found


@pytest.fixture
def staff(client, actors):
    assert log_in(client, "staff").status_code == 303
    return client


@pytest.fixture
def world(factory, actors):
    """Reports that carry each flag, and one that carries none."""
    offering, project = actors.offering, actors.project
    other = factory.offering(name="Cloud")
    old = datetime.now(UTC) - timedelta(days=20)
    factory.backend_resource(offering, project, name="fresh", backend_id="fresh_1")
    factory.backend_resource(offering, project, name="imported", backend_id="acct_ok")
    add_marketplace_resource(offering, project, "acct_ok", name="acct-ok-resource")
    factory.backend_resource(offering, project, name="earlier", backend_id="acct_gone")
    add_marketplace_resource(offering, project, "acct_gone", state="Terminated")
    factory.backend_resource(offering, project, name="twin-a", backend_id="twin")
    factory.backend_resource(offering, project, name="twin-b", backend_id="twin")
    # Same backend id in another offering: neither a duplicate nor imported there.
    factory.backend_resource(other, project, name="elsewhere", backend_id="acct_ok")
    factory.backend_resource(offering, project, name="old", backend_id="old_1", created=old)
    # No backend id: never a duplicate of another report without one.
    factory.backend_resource(offering, project, name="blank-1", backend_id="")
    factory.backend_resource(offering, project, name="blank-2", backend_id="")
    return actors


def test_badges_in_the_table(staff, world):
    flags = flags_by_name(staff.get(LIST_URL).text)
    assert flags["fresh"] == []
    assert flags["imported"] == ["already imported"]
    assert flags["earlier"] == ["previously imported (Terminated)"]
    assert flags["twin-a"] == ["duplicate ×2"] and flags["twin-b"] == ["duplicate ×2"]
    assert flags["elsewhere"] == []
    assert flags["old"] == ["stale · 20 d"]
    assert flags["blank-1"] == [] and flags["blank-2"] == []


def test_already_imported_badge_links_to_the_resource(staff, world):
    page = staff.get(LIST_URL).text
    resource_uuid = re.search(r'href="/marketplace-resources/([0-9a-f]{32})/"', page).group(1)
    assert "acct-ok-resource" in staff.get(f"/marketplace-resources/{resource_uuid}/").text


@pytest.mark.parametrize(("flag", "expected"), [
    ("imported", {"imported"}),
    ("previously_imported", {"earlier"}),
    ("duplicate", {"twin-a", "twin-b"}),
    ("stale", {"old"}),
    ("-stale,-duplicate,-imported,-previously_imported",
     {"fresh", "elsewhere", "blank-1", "blank-2"}),
])
def test_each_flag_is_a_filter(staff, world, flag, expected):
    response = staff.get(LIST_URL, query_string={"flag": flag})
    assert response.status_code == 200
    assert set(row_names(response.text)) == expected


def test_flags_combine_and_read_in_the_summary(staff, world, factory):
    old = datetime.now(UTC) - timedelta(days=30)
    factory.backend_resource(world.offering, world.project, name="old-twin", backend_id="twin",
                             created=old)
    response = staff.get(LIST_URL, query_string=[("flag", "duplicate"), ("flag", "stale")],
                         headers=HX)
    assert row_names(response.text) == ["old-twin"]
    assert status_line(response.text).startswith(
        "1 backend resource flagged duplicate and stale"
    )


def test_unknown_flag_is_a_400_with_the_reason(staff, world):
    response = staff.get(LIST_URL, query_string={"flag": "shiny"})
    assert response.status_code == 400
    assert "Unknown flag shiny" in response.text


def test_stale_threshold_is_a_setting(app, staff, world):
    app.config["CONSOLE_STALE_DAYS"] = 30
    assert row_names(staff.get(LIST_URL, query_string={"flag": "stale"}).text) == []
    app.config["CONSOLE_STALE_DAYS"] = 10
    assert row_names(staff.get(LIST_URL, query_string={"flag": "stale"}).text) == ["old"]


def test_duplicate_becomes_single_when_its_twin_is_imported(staff, world):
    page = staff.get(LIST_URL, query_string={"flag": "duplicate"}).text
    assert set(row_names(page)) == {"twin-a", "twin-b"}
    twin_a = re.search(TWIN_A_LINK, page).group(1)
    form = staff.get(f"/backend-resources/{twin_a}/import").text
    response = staff.post(f"/backend-resources/{twin_a}/import", data={
        "plan": world.plan.uuid.hex, "csrf_token": csrf_token(form),
    })
    assert response.status_code == 303
    assert row_names(staff.get(LIST_URL, query_string={"flag": "duplicate"}).text) == []
    # The twin left behind is now flagged as already imported instead.
    assert flags_by_name(staff.get(LIST_URL).text)["twin-b"] == ["already imported"]


def test_detail_and_import_pages_show_the_flags(staff, world):
    page = staff.get(LIST_URL, query_string={"backend_id": "twin"}).text
    twin_a = re.search(TWIN_A_LINK, page).group(1)
    detail = staff.get(f"/backend-resources/{twin_a}/").text
    assert "duplicate: 1 other report" in detail
    assert re.search(TWIN_B_LINK, detail)
    assert "duplicate: 1 other report" in staff.get(f"/backend-resources/{twin_a}/import").text


def test_the_api_list_is_unchanged_by_console_parameters(client, world):
    headers = world.headers("staff")
    everything = client.get("/api/backend-resources/?page_size=100", headers=headers).get_json()
    flagged = client.get("/api/backend-resources/?page_size=100&flag=duplicate",
                         headers=headers).get_json()
    assert len(everything) == len(flagged) == 9
    assert "flags" not in everything[0]


def test_statement_count_is_fixed_with_flags_on(staff, world, factory, count_statements):
    offering, project = world.offering, world.project
    add_reports(offering, project, 60, prefix="dup", backend_id="same")
    add_reports(offering, project, 60, prefix="old",
                created=datetime.now(UTC) - timedelta(days=40))
    for n in range(1, 30):
        add_marketplace_resource(offering, project, f"old_{n:04d}",
                                 state="OK" if n % 2 else "Erred", name=f"mr-{n}")
    counts = []
    for size in (10, 100):
        for headers in ({}, HX):
            response, statements = get_counting_statements(
                staff, count_statements, LIST_URL, query_string={"page_size": size},
                headers=headers,
            )
            assert len(row_names(response.text)) == size
            counts.append(statements)
        flags = flags_by_name(response.text)
        assert any("already imported" in badges for badges in flags.values())
        assert any(badge.startswith("duplicate") for b in flags.values() for badge in b)
    # The user; the reports counted per project and offering, then the projects, offerings and
    # customers of the selects (one statement); the reports the user sees, then the rows, each
    # row's flags inside that statement. The fragment carries the selects too (out of band:
    # their counts follow the filters). Once the list's counts have been seen, the rows come
    # with the reports the user sees.
    assert counts == [5, 4, 4, 4]
    # A filter the tallies cannot answer: the select counts' pairs give the count, which is
    # not taken again (one statement fewer), and it is still exact.
    response, statements = get_counting_statements(
        staff, count_statements, LIST_URL, query_string={"flag": "duplicate", "page_size": 10}
    )
    assert len(row_names(response.text)) == 10
    twins = aliased(BackendResource)
    duplicates = db.session.scalar(
        select(func.count()).select_from(BackendResource).where(exists().where(
            twins.offering_id == BackendResource.offering_id,
            twins.backend_id == BackendResource.backend_id, twins.id != BackendResource.id,
        ), BackendResource.backend_id != "", BackendResource.dismissal_id.is_(None))
    )
    assert duplicates >= 60
    assert status_line(response.text).startswith(f"{duplicates} backend resources")
    assert statements == 4
