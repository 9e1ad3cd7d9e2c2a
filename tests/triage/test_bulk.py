"""Bulk import, delete and dismiss: one confirmation, every row on its own, an outcome per row."""

import re

import pytest
from sqlalchemy import func, select, update

from console.extensions import db
from console.models import (
    BackendResource,
    BulkItem,
    BulkJob,
    HistoryEntry,
    MarketplaceResource,
    Order,
)
from console.services.bulk import process_chunk
from console.services.imports import import_backend_resource
from tests.triage.helpers import add_marketplace_resource, add_reports
from tests.web.listing_helpers import HX, LIST_URL, row_names
from tests.web.session_helpers import csrf_token, log_in


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def start_bulk(client, action: str, *, selected=(), all_matching=False, query=""):
    """Post the table's bulk form; return the job's URL."""
    page = client.get(LIST_URL + (f"?{query}" if query else "")).text
    data = {"csrf_token": csrf_token(page), "action": action, "query": query,
            "selected": list(selected)}
    if all_matching:
        data["scope"] = "all"
    response = client.post("/backend-resources/bulk", data=data)
    assert response.status_code == 303, response.text
    return response.headers["Location"]


def run_to_the_end(client, job_url: str, limit: int = 200) -> str:
    """Ask for chunks as the progress fragment does until the job is done; return the result."""
    for _ in range(limit):
        fragment = client.post(job_url + "work", headers=HX, data={
            "csrf_token": csrf_token(client.get(job_url).text)})
        assert fragment.status_code == 200
        if "Done:" in fragment.text:
            return fragment.text
    raise AssertionError("the job did not finish")


def outcomes(result_page: str) -> list[tuple[str, str]]:
    """(name, outcome) of every row of the result table."""
    return re.findall(
        r'<tr class="outcome-\w+">\s*<td>\d+</td>\s*<td>([^<]*)</td>.*?'
        r'<span class="badge outcome outcome-\w+">(\w+)</span>', result_page, re.S)


@pytest.fixture
def staff(client, actors):
    assert log_in(client, "staff").status_code == 303
    return client


def test_bulk_import_of_1000_rows_with_refusals(staff, actors, factory):
    private = factory.offering(name="Private HPC", shared=False)
    add_reports(actors.offering, actors.project, 900, prefix="row")
    add_reports(private, actors.project, 95, prefix="own")
    # 20 backend ids the offering already has as OK resources: refused.
    for n in range(1, 21):
        add_marketplace_resource(actors.offering, actors.project, f"row_{n:04d}", name=f"mr-{n}")
    # 5 backend ids twice in the selection: the newer twin comes first in the table's order
    # (newest first) and is imported; the older row after it is refused.
    for n in range(101, 106):
        factory.backend_resource(actors.offering, actors.project, name=f"twin-{n}",
                                 backend_id=f"row_{n:04d}")
    job_url = start_bulk(staff, "import", all_matching=True)

    confirm = staff.get(job_url).text
    assert "Import 1,000 reports?" in confirm
    assert "975 will go through and 25 will be refused" in confirm
    assert confirm.count("Refused: already imported") == 20
    assert confirm.count("Refused: a row above has the same backend id") == 5
    # One report disappears between the confirmation and the run.
    gone = db.session.scalar(select(BackendResource).where(BackendResource.name == "row-0500"))
    db.session.delete(gone)
    db.session.commit()

    plan_keys = re.findall(r'<select id="(plan-[0-9a-f]{32})"', confirm)
    assert len(plan_keys) == 2
    data = {"csrf_token": csrf_token(confirm), f"plan-{actors.offering.uuid.hex}":
            actors.plan.uuid.hex, f"plan-{private.uuid.hex}": ""}
    assert staff.post(job_url + "start", data=data).status_code == 303
    progress = staff.get(job_url).text
    assert 'hx-trigger="load delay:100ms"' in progress and "<progress" in progress
    result = run_to_the_end(staff, job_url)

    rows = outcomes(result)
    assert len(rows) == 1000
    refused = {name for name, outcome in rows if outcome == "refused"}
    assert refused == {f"row-{n:04d}" for n in range(1, 21)} | {
        f"row-{n:04d}" for n in range(101, 106)} | {"row-0500"}
    assert "Done: 1,000 of 1,000 rows processed — 974 imported, 26 refused." in re.sub(
        r"\s+", " ", result)
    assert result.count("Resource has been imported already.") == 25
    assert "The report no longer exists" in result
    # No partial rows: each import made one resource and one order and removed its report.
    assert count(MarketplaceResource) == 974 + 20
    assert count(Order) == 974
    assert set(db.session.scalars(select(BackendResource.name))) == refused - {"row-0500"}
    imported_names = {name for name, outcome in rows if outcome == "imported"}
    assert set(db.session.scalars(
        select(MarketplaceResource.name).where(MarketplaceResource.name.not_like("mr-%"))
    )) == imported_names
    private_resources = db.session.scalars(
        select(MarketplaceResource).where(MarketplaceResource.offering_id == private.id)).all()
    assert len(private_resources) == 95 and all(r.plan_id is None for r in private_resources)
    assert db.session.scalar(select(func.count()).select_from(HistoryEntry).where(
        HistoryEntry.action == "import")) == 974


def test_a_shared_offering_needs_a_plan_before_the_job_starts(staff, actors):
    add_reports(actors.offering, actors.project, 3)
    job_url = start_bulk(staff, "import", all_matching=True)
    page = staff.get(job_url).text
    response = staff.post(job_url + "start", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 400
    assert "Plan is required when importing resources." in response.text
    assert db.session.scalar(select(BulkJob.state)) == "draft"
    assert count(MarketplaceResource) == 0


def test_a_retry_never_imports_twice(staff, actors):
    add_reports(actors.offering, actors.project, 6)
    job_url = start_bulk(staff, "import", all_matching=True)
    page = staff.get(job_url).text
    staff.post(job_url + "start", data={"csrf_token": csrf_token(page),
                                        f"plan-{actors.offering.uuid.hex}": actors.plan.uuid.hex})
    job = db.session.scalar(select(BulkJob))
    first = db.session.scalar(select(BulkItem).where(BulkItem.position == 1))
    # A server imported row 1 and died before writing its outcome, holding a lease.
    import_backend_resource(db.session, backend_resource_uuid=first.backend_resource_uuid.hex,
                            plan_value=actors.plan.uuid.hex, user=actors.staff,
                            bulk_job_id=job.id)
    db.session.execute(update(BulkItem).where(BulkItem.position == 2).values(
        lease_token="dead", lease_until=BulkItem.lease_until))
    result = run_to_the_end(staff, job_url)
    rows = outcomes(result)
    assert [outcome for _name, outcome in rows] == ["imported"] * 6
    assert "Imported (finished on a retry)." in result
    assert count(MarketplaceResource) == 6 and count(Order) == 6
    # Asking again once done changes nothing.
    process_chunk(db.session, job.uuid)
    staff.post(job_url + "start", data={"csrf_token": csrf_token(page),
                                        f"plan-{actors.offering.uuid.hex}": actors.plan.uuid.hex})
    assert count(MarketplaceResource) == 6


def test_bulk_delete_of_the_ticked_rows(staff, actors):
    add_reports(actors.offering, actors.project, 5)
    page = staff.get(LIST_URL).text
    ticked = re.findall(r'name="selected" value="([0-9a-f]{32})"', page)[:2]
    job_url = start_bulk(staff, "delete", selected=ticked)
    confirm = staff.get(job_url).text
    assert "Delete 2 reports?" in confirm and confirm.count("Deleted (the agent may") == 2
    staff.post(job_url + "start", data={"csrf_token": csrf_token(confirm)})
    rows = outcomes(run_to_the_end(staff, job_url))
    assert rows == [("row-0001", "deleted"), ("row-0002", "deleted")]
    assert row_names(staff.get(LIST_URL).text) == ["row-0003", "row-0004", "row-0005"]
    assert db.session.scalar(select(func.count()).select_from(HistoryEntry).where(
        HistoryEntry.action == "delete", HistoryEntry.bulk_job_id.is_not(None))) == 2


def test_bulk_dismiss_of_a_filtered_view_with_a_reason(staff, actors, factory):
    add_reports(actors.offering, actors.project, 4, prefix="tmp")
    factory.backend_resource(actors.offering, actors.project, name="keeper", backend_id="k")
    job_url = start_bulk(staff, "dismiss", all_matching=True, query="q=tmp")
    confirm = staff.get(job_url).text
    staff.post(job_url + "start", data={"csrf_token": csrf_token(confirm),
                                        "reason": "test accounts"})
    rows = outcomes(run_to_the_end(staff, job_url))
    assert [outcome for _name, outcome in rows] == ["dismissed"] * 4
    assert row_names(staff.get(LIST_URL).text) == ["keeper"]
    dismissed = staff.get(LIST_URL, query_string={"dismissed": "only"}).text
    assert len(row_names(dismissed)) == 4 and dismissed.count("test accounts") == 4


def test_bulk_is_for_staff_and_needs_a_selection(client, actors):
    add_reports(actors.offering, actors.project, 2)
    log_in(client, "support")
    page = client.get(LIST_URL).text
    assert 'id="bulk-form"' not in page and 'name="selected"' not in page
    response = client.post("/backend-resources/bulk", data={
        "csrf_token": csrf_token(page), "action": "delete", "scope": "all"})
    assert response.status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    log_in(client, "staff")
    page = client.get(LIST_URL).text
    response = client.post("/backend-resources/bulk", data={
        "csrf_token": csrf_token(page), "action": "delete"}, follow_redirects=True)
    assert "Select at least one row" in response.text
    assert count(BulkJob) == 0


def test_a_selection_larger_than_the_limit_is_refused(app, staff, actors):
    app.config["CONSOLE_BULK_MAX_ROWS"] = 3
    add_reports(actors.offering, actors.project, 4)
    page = staff.get(LIST_URL).text
    response = staff.post("/backend-resources/bulk", data={
        "csrf_token": csrf_token(page), "action": "import", "scope": "all", "query": ""},
        follow_redirects=True)
    assert "at most 3 rows" in response.text
    assert count(BulkJob) == 0
