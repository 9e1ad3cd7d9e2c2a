"""The database writes each report's JSON (console/api/report_json.py): the same keys, in the same
order, with the same values as `backend_resource_json` builds from the loaded report, on both
databases; and the report list and page read without a transaction."""

import http.client
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from console.api.representations import backend_resource_json
from console.extensions import db

AWKWARD_NAMES = [
    'quote " and \\ backslash',
    "tab\tnewline\ncontrol\x01",
    "Zürich ∑ 漢字 😀",
    "</script><b>",
    "percent % underscore _",
]
AWKWARD_METADATA = [
    {"limits": {"cpu": 1.0, "tiny": 1e-07, "big": 2**53 + 1, "third": 0.1 + 0.2}},
    {"nested": {"list": [1, "two", None, True, False, {"deep": []}]}, "empty": {}},
    {"unicode": "é ∑ 😀", "escaped": 'a"b\\c\u2028', "": "empty key"},
    [1, 2, 3],  # not an object: shown as {}
    "text",
    None,
    {},
]


@pytest.fixture
def awkward_reports(actors, factory):
    """Reports with every kind of value the JSON must carry exactly."""
    reports = []
    moments = [
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),  # no fraction: isoformat leaves it out
        datetime(2026, 1, 2, 3, 4, 5, 7, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ]
    for number, metadata in enumerate(AWKWARD_METADATA):
        report = factory.backend_resource(
            actors.offering, actors.project,
            name=AWKWARD_NAMES[number % len(AWKWARD_NAMES)],
            backend_id="" if number % 3 == 0 else f"id-é-{number}",
            backend_metadata=metadata,
        )
        report.created = moments[number % len(moments)]
        report.modified = moments[(number + 1) % len(moments)]
        reports.append(report)
    db.session.commit()
    return reports


def expected_body(app, report) -> dict:
    """What the serializer makes of the loaded report."""
    db.session.expire_all()
    with app.test_request_context("/api/backend-resources/"):
        return backend_resource_json(db.session.get(type(report), report.id))


def test_the_list_and_the_page_carry_what_the_serializer_would(app, api, awkward_reports):
    response = api.get("/api/backend-resources/?o=created&page_size=50")
    assert response.status_code == 200
    listed = {body["uuid"]: body for body in response.get_json()}
    assert len(listed) == len(awkward_reports)
    for report in awkward_reports:
        expected = expected_body(app, report)
        body = listed[report.uuid.hex]
        assert list(body) == list(expected)  # the serializer's key order
        assert body == expected
        page = api.get(f"/api/backend-resources/{report.uuid.hex}/").get_json()
        assert list(page) == list(expected) and page == expected
    # The values the serializer's rules decide, spelled out.
    first = listed[awkward_reports[0].uuid.hex]
    assert first["created"] == "2026-01-02T03:04:05Z"
    assert first["modified"] == "2026-01-02T03:04:05.000007Z"
    assert first["backend_id"] == ""
    assert [listed[report.uuid.hex]["backend_metadata"] for report in awkward_reports[3:6]] == [
        {}, {}, {}
    ]


def test_the_body_is_compact_json(api, awkward_reports):
    body = api.get("/api/backend-resources/?page_size=50").data.decode()
    assert body.startswith('[{"url":"http://localhost/api/backend-resources/')
    assert '","uuid":"' in body and '" : ' not in body


def get_json_over_http(live_server: str, path: str, host: str, token: str):
    """GET over real HTTP (each request in its own app context) with this Host header."""
    connection = http.client.HTTPConnection(live_server.removeprefix("http://"), timeout=30)
    try:
        connection.request("GET", path, headers={"Host": host, "Authorization": f"Token {token}"})
        response = connection.getresponse()
        assert response.status == 200
        return json.loads(response.read())
    finally:
        connection.close()


def test_urls_follow_the_host_each_request_names(live_server, actors, awkward_reports):
    report = awkward_reports[0].uuid.hex
    for host in ("localhost", "console.example", "localhost:8443"):
        body = get_json_over_http(
            live_server, f"/api/backend-resources/{report}/", host, actors.tokens["staff"]
        )
        assert body["url"] == f"http://{host}/api/backend-resources/{report}/"
        assert body["project_url"].startswith(f"http://{host}/api/projects/")
        assert body["offering_url"].startswith(f"http://{host}/api/marketplace-public-offerings/")
        listed = get_json_over_http(
            live_server, "/api/backend-resources/?page_size=1", host, actors.tokens["staff"]
        )
        assert listed[0]["url"].startswith(f"http://{host}/api/backend-resources/")


def test_an_invisible_report_stays_hidden(api, awkward_reports, factory):
    foreign = factory.backend_resource(factory.offering(), factory.project(), name="theirs")
    db.session.commit()
    assert api.get(f"/api/backend-resources/{foreign.uuid.hex}/", "agent").status_code == 404
    assert api.get(f"/api/backend-resources/{foreign.uuid.hex}/", "staff").status_code == 200
    names = {body["name"] for body in api.get("/api/backend-resources/", "agent").get_json()}
    assert "theirs" not in names and names


def test_reading_runs_without_a_transaction_and_writing_in_one(
    api, actors, awkward_reports, autocommit_seen
):
    report = awkward_reports[0].uuid.hex
    project, offering = actors.project.uuid.hex, actors.offering.uuid.hex
    db.session.close()  # the test's own session holds no transaction the request would share
    for path in ("/api/backend-resources/?page_size=5", f"/api/backend-resources/{report}/"):
        autocommit_seen.clear()
        assert api.get(path).status_code == 200
        assert autocommit_seen and all(autocommit for _, autocommit in autocommit_seen)
    # The connection goes back to the pool as it came: the next write is one transaction.
    autocommit_seen.clear()
    created = api.post("/api/backend-resources/", "agent", json={
        "name": "alloc-1", "project": project, "offering": offering, "backend_id": "alloc_1",
    })
    assert created.status_code == 201
    writes = [autocommit for verb, autocommit in autocommit_seen if verb == "INSERT"]
    assert writes and not any(writes)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # psycopg's own
def test_postgresql_plans_each_statement_for_its_values(app):
    """The reads have no ROLLBACK that would drop prepared statements: psycopg must not prepare
    any, or PostgreSQL could plan a name search once for every name."""
    search = text("SELECT count(*) FROM backend_resources WHERE name LIKE :name")
    with app.app_context(), db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        for _ in range(8):
            connection.execute(search, {"name": "gpu%"})
        assert connection.scalar(text("SELECT count(*) FROM pg_prepared_statements")) == 0
