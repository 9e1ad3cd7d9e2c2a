"""In real Chromium: flags as badges and filters, a bulk import with progress and outcomes."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from console.extensions import db
from console.models import MarketplaceResource
from tests.browser.test_list import NAMES, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def triage(app, factory, actors):
    """Reports with each flag: imported, previously imported, a duplicate pair, stale, plain."""
    offering, project = actors.offering, actors.project
    old = datetime.now(UTC) - timedelta(days=21)
    start = datetime.now(UTC) - timedelta(hours=5)
    climate = {"partition": "cpu", "limits": {"cpu": 250000}}
    rows = [
        ("gpu-partition-a100", "hpc_a100", {"partition": "gpu", "limits": {"cpu": 64000}}),
        ("climate-ensemble", "hpc_climate", climate),
        ("climate-ensemble (again)", "hpc_climate", climate),
        ("genomics-pipeline", "hpc_genomics", {"partition": "cpu", "limits": {"cpu": 12000}}),
        ("retired-project", "hpc_retired", {"partition": "cpu", "limits": {"cpu": 800}}),
        ("imported-yesterday", "hpc_imported", {"partition": "gpu", "limits": {"gpu": 16}}),
    ]
    for n, (name, backend_id, metadata) in enumerate(rows):
        factory.backend_resource(offering, project, name=name, backend_id=backend_id,
                                 backend_metadata=metadata, created=start + timedelta(minutes=n),
                                 modified=start + timedelta(minutes=n))
    factory.backend_resource(offering, project, name="forgotten-scratch", backend_id="hpc_old",
                             backend_metadata={"partition": "scratch"}, created=old,
                             modified=old)
    for backend_id, state in (("hpc_imported", "OK"), ("hpc_retired", "Terminated")):
        db.session.add(MarketplaceResource(
            name=backend_id, backend_id=backend_id, state=state, offering=offering,
            project=project, limits={}, attributes={}, backend_metadata={}))
    db.session.commit()
    return actors


def badges(page, name: str):
    row = page.locator("#results tbody tr", has=page.get_by_role("link", name=name, exact=True))
    return row.locator(".badge.flag")


def test_flags_show_filter_and_clear_when_a_twin_is_imported_screenshot(
        page, triage, console_errors, screenshot_path):  # noqa: F811
    log_in(page)
    expect(badges(page, "imported-yesterday")).to_have_text(["already imported"])
    expect(badges(page, "retired-project")).to_have_text(["previously imported (Terminated)"])
    expect(badges(page, "climate-ensemble")).to_have_text(["duplicate ×2"])
    expect(badges(page, "forgotten-scratch")).to_have_text(["stale · 21 d"])
    expect(badges(page, "genomics-pipeline")).to_have_count(0)

    page.get_by_role("checkbox", name="duplicate").check()
    expect(page).to_have_url(re.compile(r"flag=duplicate"))
    expect(page.locator(NAMES)).to_have_text(["climate-ensemble (again)", "climate-ensemble"])
    expect(page.locator("#list-status")).to_contain_text("flagged duplicate")

    # A selection with flags, for the README.
    page.get_by_role("checkbox", name="duplicate").uncheck()
    expect(page.locator(NAMES)).to_have_count(7)
    page.get_by_role("checkbox", name="Select climate-ensemble", exact=True).check()
    page.get_by_role("checkbox", name="Select genomics-pipeline").check()
    expect(page.locator("#bulk-count")).to_have_text("2 selected on this page")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.screenshot(path=str(screenshot_path("triage-selection.png")), full_page=True)

    page.get_by_role("link", name="climate-ensemble", exact=True).click()
    page.get_by_role("link", name="Import").click()
    expect(page.locator(".detail-flags")).to_contain_text("duplicate: 1 other report")
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text("Imported climate-ensemble")).to_be_visible()
    page.goto("/backend-resources/?flag=duplicate")
    expect(page.locator("#results")).to_contain_text("No backend resources match these filters.")
    page.goto("/backend-resources/")
    expect(badges(page, "climate-ensemble (again)")).to_have_text(["already imported"])
    assert console_errors == []


def test_bulk_import_shows_progress_then_each_outcome_screenshot(
        page, triage, console_errors, screenshot_path):  # noqa: F811
    log_in(page)
    page.get_by_label("All 7 matching this filter").check()
    expect(page.locator("#bulk-count")).to_have_text("every matching row selected")
    page.get_by_role("button", name="Import…").click()
    expect(page.get_by_role("heading", name="Import 7 reports?")).to_be_visible()
    expect(page.locator("#bulk-summary")).to_contain_text(
        "5 will go through and 2 will be refused")
    page.get_by_role("button", name="Import 7 rows").click()
    expect(page.locator("#bulk-progress")).to_be_visible()
    expect(page.locator("#bulk-progress-text")).to_contain_text(
        "Done: 7 of 7 rows processed — 5 imported, 2 refused.")
    outcomes = page.locator(".bulk-results tbody tr")
    expect(outcomes).to_have_count(7)
    refused = page.locator(".bulk-results tr.outcome-refused")
    expect(refused).to_have_count(2)
    expect(refused.first).to_contain_text("Resource has been imported already.")
    page.screenshot(path=str(screenshot_path("bulk-result.png")), full_page=True)
    page.get_by_role("link", name="resource", exact=True).first.click()
    expect(page.get_by_role("heading", name="Imported from the report")).to_be_visible()
    assert console_errors == []


def test_a_negated_flag_from_the_url_survives_other_filter_changes(
        page, triage, console_errors):  # noqa: F811
    log_in(page)
    page.goto("/backend-resources/?flag=-stale")
    expect(page.locator(NAMES)).to_have_count(6)
    page.get_by_role("checkbox", name="duplicate").check()
    expect(page.locator(NAMES)).to_have_text(["climate-ensemble (again)", "climate-ensemble"])
    expect(page.locator("#list-status")).to_contain_text("flagged duplicate and not stale")
    page.get_by_role("link", name=re.compile("Remove filter: flagged")).click()
    expect(page.locator(NAMES)).to_have_count(7)
    page.get_by_label("Metadata").fill("partition=cpu")
    page.get_by_label("Metadata").press("Tab")
    expect(page.locator(NAMES)).to_have_count(4)
    expect(page).not_to_have_url(re.compile("flag="))
    assert console_errors == []
