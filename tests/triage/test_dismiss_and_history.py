"""Dismiss and restore, the ignore list the agent cannot see, and the history of decisions."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from waldur_api_client import AuthenticatedClient
from waldur_api_client.api.backend_resources import backend_resources_create
from waldur_api_client.models.backend_resource_request import BackendResourceRequest

from console.extensions import db
from console.models import BackendResource, Dismissal, HistoryEntry
from tests.web.listing_helpers import LIST_URL, row_names
from tests.web.session_helpers import csrf_token, log_in


def report_url(client, name: str, **query) -> str:
    """The detail URL of the report with this name, found through the table."""
    page = client.get(LIST_URL, query_string={"name_exact": name, **query}).text
    return re.search(r'href="(/backend-resources/[0-9a-f]{32}/)(?:\?back=[^"]*)?">', page).group(1)


def dismiss(client, url: str, reason: str = ""):
    form = client.get(url + "dismiss").text
    return client.post(url + "dismiss", data={"reason": reason, "csrf_token": csrf_token(form)})


@pytest.fixture
def staff(client, actors):
    assert log_in(client, "staff").status_code == 303
    return client


def test_dismissed_report_leaves_the_default_view_and_shows_who_when_why(staff, actors, factory):
    factory.backend_resource(actors.offering, actors.project, name="noise", backend_id="tmp_1")
    factory.backend_resource(actors.offering, actors.project, name="keep", backend_id="real_1")
    url = report_url(staff, "noise")
    response = dismiss(staff, url, reason="scratch account")
    assert response.status_code == 303
    assert row_names(staff.get(LIST_URL).text) == ["keep"]
    dismissed = staff.get(LIST_URL, query_string={"dismissed": "only"}).text
    assert row_names(dismissed) == ["noise"]
    cell = re.search(r'<td class="cell-dismissed">(.*?)</td>', dismissed, re.S).group(1)
    assert "staff" in cell and "scratch account" in cell and "<time" in cell
    # Its only flag is its dismissal: the flags cell says so, in both views that show it.
    for view in ("only", "any"):
        page = staff.get(LIST_URL, query_string={"dismissed": view, "name_exact": "noise"}).text
        flags = re.search(r'<td class="cell-flags">(.*?)</td>', page, re.S).group(1)
        assert ">dismissed</span>" in flags


def test_a_dismissed_backend_id_reposted_by_the_official_client_is_born_dismissed(
        client, live_server, actors, factory):
    factory.backend_resource(actors.offering, actors.project, name="noise", backend_id="tmp_1")
    log_in(client, "staff")
    dismiss(client, report_url(client, "noise"))
    with AuthenticatedClient(base_url=live_server, token=actors.tokens["agent"]) as agent:
        response = backend_resources_create.sync_detailed(client=agent, body=BackendResourceRequest(
            name="noise again", project=actors.project.uuid, offering=actors.offering.uuid,
            backend_id="tmp_1"))
        fresh = backend_resources_create.sync_detailed(client=agent, body=BackendResourceRequest(
            name="new one", project=actors.project.uuid, offering=actors.offering.uuid,
            backend_id="tmp_2"))
    assert response.status_code == 201 and fresh.status_code == 201
    # The same body as for any report: nothing tells the agent it was dismissed.
    assert set(response.parsed.to_dict()) == set(fresh.parsed.to_dict())
    assert response.parsed.name == "noise again"
    assert row_names(client.get(LIST_URL).text) == ["new one"]
    assert set(row_names(client.get(LIST_URL, query_string={"dismissed": "only"}).text)) == {
        "noise", "noise again"}
    # The agent still reads it back through the API, as upstream would answer.
    listed = client.get("/api/backend-resources/?backend_id=tmp_1",
                        headers=actors.headers("agent")).get_json()
    assert {row["name"] for row in listed} == {"noise", "noise again"}


def test_restore_brings_back_every_report_of_the_backend_id(staff, actors, factory):
    factory.backend_resource(actors.offering, actors.project, name="a", backend_id="same")
    factory.backend_resource(actors.offering, actors.project, name="b", backend_id="same")
    dismiss(staff, report_url(staff, "a"))
    assert row_names(staff.get(LIST_URL).text) == []
    url = report_url(staff, "b", dismissed="only")
    page = staff.get(url).text
    assert "Dismissed</strong> by staff" in page
    response = staff.post(url + "restore", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    assert set(row_names(staff.get(LIST_URL).text)) == {"a", "b"}
    assert db.session.scalar(select(func.count()).select_from(Dismissal)) == 0
    actions = db.session.scalars(select(HistoryEntry.action).order_by(HistoryEntry.id)).all()
    assert actions == ["dismiss", "restore"]


def test_delete_keeps_its_meaning_the_agent_may_report_again(client, actors, factory):
    factory.backend_resource(actors.offering, actors.project, name="gone", backend_id="acct")
    log_in(client, "staff")
    url = report_url(client, "gone")
    page = client.get(url + "delete").text
    assert client.post(url + "delete", data={"csrf_token": csrf_token(page)}).status_code == 303
    response = client.post("/api/backend-resources/", headers=actors.headers("agent"), json={
        "name": "back", "project": actors.project.uuid.hex, "offering": actors.offering.uuid.hex,
        "backend_id": "acct"})
    assert response.status_code == 201
    assert row_names(client.get(LIST_URL).text) == ["back"]


def test_support_may_not_dismiss_or_restore(client, actors, factory):
    factory.backend_resource(actors.offering, actors.project, name="x", backend_id="x")
    log_in(client, "support")
    url = report_url(client, "x")
    page = client.get(url).text
    assert client.get(url + "dismiss").status_code == 403
    assert client.post(url + "restore", data={"csrf_token": csrf_token(page)}).status_code == 403
    assert "Dismiss" not in re.sub(r"<footer.*", "", page, flags=re.S).split("</nav>", 2)[-1]


def test_history_survives_deletion_with_a_snapshot(client, actors, factory):
    factory.backend_resource(actors.offering, actors.project, name="by-agent", backend_id="a1",
                             backend_metadata={"partition": "gpu", "limits": {"cpu": 7}})
    factory.backend_resource(actors.offering, actors.project, name="by-staff", backend_id="s1")
    log_in(client, "staff")
    agent_target = report_url(client, "by-agent").split("/")[2]
    assert client.delete(f"/api/backend-resources/{agent_target}/",
                         headers=actors.headers("agent")).status_code == 204
    url = report_url(client, "by-staff")
    page = client.get(url + "delete").text
    client.post(url + "delete", data={"csrf_token": csrf_token(page)})
    assert db.session.scalar(select(func.count()).select_from(BackendResource)) == 0
    activity = client.get("/activity/").text
    assert "2 entries" in activity
    entries = db.session.scalars(select(HistoryEntry).order_by(HistoryEntry.id)).all()
    assert [(entry.action, entry.username) for entry in entries] == [
        ("delete", "agent"), ("delete", "staff")]
    snapshot = entries[0].snapshot
    assert snapshot["name"] == "by-agent" and snapshot["backend_id"] == "a1"
    assert snapshot["project"]["name"] == "Climate modelling"
    assert snapshot["offering"]["name"] == "HPC SLURM"
    assert snapshot["backend_metadata"] == {"partition": "gpu", "limits": {"cpu": 7}}
    assert "by-agent" in activity and "&#34;partition&#34;: &#34;gpu&#34;" in activity


def test_import_and_scan_request_are_recorded_and_the_resource_shows_its_report(
        client, actors, factory):
    factory.backend_resource(actors.offering, actors.project, name="alloc", backend_id="alloc_1",
                             backend_metadata={"qos": "normal"})
    response = client.post("/api/backend-resource-requests/",
                           headers=actors.headers("staff"),
                           json={"offering": actors.offering.uuid.hex})
    assert response.status_code == 201
    log_in(client, "staff")
    url = report_url(client, "alloc")
    form = client.get(url + "import").text
    imported = client.post(url + "import", data={"plan": actors.plan.uuid.hex,
                                                 "csrf_token": csrf_token(form)})
    resource_page = client.get(imported.headers["Location"]).text
    assert "Imported from the report" in resource_page
    assert "alloc_1" in resource_page and "&#34;qos&#34;: &#34;normal&#34;" in resource_page
    actions = db.session.scalars(select(HistoryEntry.action).order_by(HistoryEntry.id)).all()
    assert actions == ["scan_request", "import"]


def test_a_refused_import_is_recorded_and_changes_nothing_else(client, actors, factory):
    factory.backend_resource(actors.offering, actors.project, name="first", backend_id="same")
    factory.backend_resource(actors.offering, actors.project, name="second", backend_id="same")
    log_in(client, "staff")
    for name in ("first", "second"):
        url = report_url(client, name)
        form = client.get(url + "import").text
        client.post(url + "import", data={"plan": actors.plan.uuid.hex,
                                          "csrf_token": csrf_token(form)})
    entries = db.session.scalars(select(HistoryEntry).order_by(HistoryEntry.id)).all()
    assert [entry.action for entry in entries] == ["import", "import_refused"]
    assert entries[1].outcome == "refused: Resource has been imported already."
    assert row_names(client.get(LIST_URL).text) == ["second"]


@pytest.fixture
def history(factory, actors):
    """Entries by two users in two offerings on three days."""
    other_offering = factory.offering(name="Cloud")
    alice = factory.user("alice", is_staff=True)
    now = datetime.now(UTC)
    rows = [
        ("import", actors.staff, actors.offering, now - timedelta(days=2)),
        ("delete", alice, actors.offering, now - timedelta(days=1)),
        ("dismiss", alice, other_offering, now),
    ]
    for action, user, offering, when in rows:
        db.session.add(HistoryEntry(action=action, user_id=user.id, username=user.username,
                                    offering_id=offering.id, offering_name=offering.name,
                                    created=when, snapshot={"name": f"{action}-report"}))
    db.session.commit()
    return {"other": other_offering, "now": now}


@pytest.mark.parametrize(("query", "expected"), [
    ({}, ["dismiss-report", "delete-report", "import-report"]),
    ({"action": "delete"}, ["delete-report"]),
    ({"user": "alice"}, ["dismiss-report", "delete-report"]),
    ({"created_before": "TODAY-2"}, ["import-report"]),
    ({"created": "TODAY-1", "user": "alice"}, ["dismiss-report", "delete-report"]),
])
def test_activity_filters(client, actors, history, query, expected):
    log_in(client, "support")
    today = history["now"].date()
    for key, value in query.items():
        if value.startswith("TODAY-"):
            query[key] = (today - timedelta(days=int(value[6:]))).isoformat()
    page = client.get("/activity/", query_string=query).text
    assert re.findall(r"<strong>([a-z]+-report)</strong>", page) == expected


def test_activity_by_offering_and_paging(client, actors, history):
    log_in(client, "staff")
    page = client.get("/activity/", query_string={"offering_uuid": history["other"].uuid.hex})
    assert re.findall(r"<strong>([a-z]+-report)</strong>", page.text) == ["dismiss-report"]
    first = client.get("/activity/", query_string={"page_size": 2}).text
    second = client.get("/activity/", query_string={"page_size": 2, "page": 2}).text
    assert re.findall(r"<strong>([a-z]+-report)</strong>", first) == [
        "dismiss-report", "delete-report"]
    assert re.findall(r"<strong>([a-z]+-report)</strong>", second) == ["import-report"]
    assert client.get("/activity/", query_string={"page": 9}).status_code == 404
    assert client.get("/activity/", query_string={"action": "explode"}).status_code == 400
