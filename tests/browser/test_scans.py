"""In real Chromium: staff press Scan, land on the Scans page, and watch a scan finish."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from console.extensions import db
from console.models import BackendResourceRequest
from tests.browser.helpers import log_in
from tests.web.scan_helpers import add_identity, add_scan, add_service

pytestmark = pytest.mark.browser


def set_state(scan, **values) -> None:
    """Change a request in the database, as the agent's API calls would."""
    db.session.execute(
        update(BackendResourceRequest).where(BackendResourceRequest.id == scan.id).values(**values)
    )
    db.session.commit()


def test_scan_button_then_the_table_follows_the_scan_without_a_reload(
    page, actors, factory, console_errors
):
    factory.backend_resource(actors.offering, actors.project, name="climate-2025")
    log_in(page)
    page.goto(f"/backend-resources/?offering_uuid={actors.offering.uuid.hex}")
    page.get_by_role("button", name="Scan for new resources").click()

    expect(page).to_have_url(re.compile(r"/scans/$"))
    expect(page.get_by_role("status").filter(has_text="No broker is configured")).to_have_text(
        "No broker is configured (CONSOLE_BROKER_URL): the request is recorded but no agent "
        "will be notified."
    )
    scan = db.session.scalar(db.select(BackendResourceRequest))
    row = page.locator(f"#scan-{scan.uuid.hex}")
    expect(row.get_by_role("rowheader")).to_have_text("HPC SLURM")
    expect(row.locator(".scan-state")).to_have_text("Sent")
    expect(row).to_contain_text("Not delivered: no broker is configured")
    expect(page.locator("#scan-poll")).to_have_attribute("hx-trigger", "every 2s")

    page.evaluate("window.__marker = 1")
    set_state(scan, state="Processing", started=datetime.now(UTC))
    expect(row.locator(".scan-state")).to_have_text("Processing")
    expect(row.locator(".cell-duration")).to_contain_text("running for")
    factory.backend_resource(actors.offering, actors.project, name="found-by-the-scan")
    set_state(scan, state="Done", finished=datetime.now(UTC))
    expect(row.locator(".scan-state")).to_have_text("Done")
    expect(page.locator(f"#reports-{scan.uuid.hex}")).to_have_text("1")
    expect(page.locator("#scan-poll")).to_have_count(0)  # nothing runs: no more polling
    assert page.evaluate("window.__marker") == 1  # the page itself never reloaded
    assert console_errors == []


def test_an_opened_traceback_stays_open_while_the_table_refreshes(page, actors):
    erred = add_scan(actors.offering, actors.staff, state="Erred", error_message="sacctmgr failed",
                     error_traceback="Traceback (most recent call last):\nRuntimeError: boom")
    running = add_scan(actors.offering, actors.staff, state="Processing",
                       started=datetime.now(UTC))
    log_in(page)
    page.goto("/scans/")
    traceback = page.locator(f"#traceback-{erred.uuid.hex}")
    traceback.get_by_text("Traceback", exact=True).click()
    expect(traceback).to_have_attribute("open", "")
    set_state(running, state="Done", finished=datetime.now(UTC))
    expect(page.locator(f"#scan-{running.uuid.hex} .scan-state")).to_have_text("Done")
    expect(traceback).to_have_attribute("open", "")
    expect(traceback.locator("pre")).to_be_visible()


def test_screenshot_scans(page, actors, factory, screenshot_path):
    """Save docs/screenshots/scans.png: requests in every state, one stuck, one undelivered."""
    now = datetime.now(UTC)
    nimbus = factory.offering(name="Nimbus VMs")
    archive = factory.offering(name="Tape archive")
    identity = add_identity(actors.offering, actors.agent, queue=True, version="0.9.3",
                            last_seen=now)
    add_service(identity, "event_processing", [("slurm-hpc", "SLURM", "23.02.7")],
                mode="event_process", last_seen=now)
    add_scan(archive, actors.staff, created=now - timedelta(hours=3), delivery="failed",
             delivery_error="The broker cannot be reached: AMQPConnectionError()")
    for minutes in (5, 9, 14):
        factory.backend_resource(actors.offering, actors.project,
                                 created=now - timedelta(minutes=minutes))
    add_scan(actors.offering, actors.staff, created=now - timedelta(minutes=20),
             started=now - timedelta(minutes=19), finished=now - timedelta(minutes=2),
             state="Done", delivery="delivered", delivered_queues=1)
    add_scan(nimbus, actors.staff, created=now - timedelta(hours=1),
             started=now - timedelta(minutes=58), finished=now - timedelta(minutes=57),
             state="Erred", delivery="delivered", delivered_queues=2,
             error_message="openstack: 401 Unauthorized (token expired)",
             error_traceback="Traceback (most recent call last):\n  File \"agent.py\", line 1\n"
                             "keystoneauth1.exceptions.http.Unauthorized: 401")
    add_scan(actors.offering, actors.staff, created=now - timedelta(seconds=40),
             started=now - timedelta(seconds=30), state="Processing", delivery="delivered",
             delivered_queues=1)
    log_in(page)
    page.goto("/scans/")
    expect(page.locator("tbody.scan")).to_have_count(4)
    page.locator(".scan-traceback summary").click()
    screenshot = screenshot_path("scans.png")
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 20_000
