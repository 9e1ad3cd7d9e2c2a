"""In real Chromium: the reviewer keeps their place through import and delete, and Back never
walks through pages of reports that are gone."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser

LIST = "/backend-resources/?q=run&o=name&page_size=10&page=2"
LIST_PATTERN = re.compile(re.escape(LIST) + "$")


@pytest.fixture
def runs(factory, actors):
    """25 reports run-01 … run-25 in a private offering (no plan needed)."""
    private = factory.offering(name="Lab cluster", shared=False)
    start = datetime.now(UTC) - timedelta(days=1)
    return [
        factory.backend_resource(
            private, actors.project, name=f"run-{n:02d}", backend_id=f"acct_{n:02d}",
            created=start + timedelta(minutes=n),
        )
        for n in range(1, 26)
    ]


def open_report_from_the_list(page, name):
    page.goto(LIST)
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def test_back_after_an_import_returns_to_the_list_not_to_an_error(page, runs):
    log_in(page)
    open_report_from_the_list(page, "run-13")
    entries = page.evaluate("history.length")
    page.get_by_role("link", name="Import", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import run-13")
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page).to_have_url(re.compile(r"/marketplace-resources/[0-9a-f]{32}/\?back="))
    expect(page.get_by_text("Imported run-13 into Climate modelling.")).to_be_visible()
    # The report, the form and the resource page share one history entry.
    assert page.evaluate("history.length") == entries

    page.go_back()
    expect(page).to_have_url(LIST_PATTERN)
    expect(page.get_by_role("heading", level=1)).to_have_text("Backend resources")
    expect(page.locator(".pager-range").last).to_have_text("11–20 of 24")


def test_import_and_next_walks_the_list_and_back_still_finds_it(page, runs):
    log_in(page)
    open_report_from_the_list(page, "run-13")
    for name, following in (("run-13", "run-14"), ("run-14", "run-15")):
        page.get_by_role("link", name="Import", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Import {name}")
        page.get_by_role("button", name="Import and next").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(following)
        expect(page.get_by_text(f"Imported {name} into Climate modelling.")).to_be_visible()
    page.get_by_role("link", name="Backend resources", exact=True).last.click()
    expect(page).to_have_url(LIST_PATTERN)
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("run-15")
    page.go_back()
    expect(page).to_have_url(LIST_PATTERN)
    expect(page.get_by_role("heading", level=1)).to_have_text("Backend resources")


def test_a_delete_returns_to_the_same_page_of_the_list(page, runs):
    log_in(page)
    open_report_from_the_list(page, "run-12")
    page.get_by_role("link", name="Delete", exact=True).click()
    page.get_by_role("button", name="Delete").click()
    expect(page).to_have_url(LIST_PATTERN)
    expect(page.get_by_text("Deleted the report run-12.")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("Backend resources")


def test_a_refused_import_shows_its_reason_on_the_form(page, runs, factory, actors):
    shared = factory.backend_resource(actors.offering, actors.project, name="run-shared")
    factory.plan(actors.offering, name="Premium")  # two plans: none is chosen for the user
    log_in(page)
    page.goto(f"/backend-resources/{shared.uuid.hex}/import")
    page.evaluate("document.querySelector('#plan').removeAttribute('required')")
    page.get_by_role("button", name="Import and next").click()
    expect(page.locator(".field-error")).to_contain_text("Plan is required")


def test_without_javascript_back_leads_to_the_list_too(chromium, live_server, runs):
    context = chromium.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page)
        open_report_from_the_list(page, "run-13")
        page.get_by_role("link", name="Import", exact=True).click()
        page.get_by_role("button", name="Import", exact=True).click()
        expect(page).to_have_url(re.compile(r"/marketplace-resources/"))
        page.go_back()  # the import form of a report that is gone
        expect(page).to_have_url(LIST_PATTERN)
        expect(page.get_by_text("That report is no longer here")).to_be_visible()
        page.go_back()  # the report itself
        expect(page).to_have_url(LIST_PATTERN)
        expect(page.get_by_role("heading", level=1)).to_have_text("Backend resources")
    finally:
        context.close()


def test_a_bulk_action_leads_back_to_the_same_filtered_sorted_page(page, runs):
    log_in(page)
    page.goto(LIST)
    page.get_by_role("checkbox", name="Select run-12", exact=True).check()
    page.get_by_role("checkbox", name="Select run-14", exact=True).check()
    page.get_by_role("button", name="Delete…").click()
    expect(page.get_by_role("heading", name="Delete 2 reports?")).to_be_visible()
    expect(page.get_by_role("link", name="Cancel")).to_have_attribute("href", LIST)
    page.get_by_role("button", name="Delete 2 rows").click()
    expect(page.locator("#bulk-progress-text")).to_contain_text("Done: 2 of 2 rows processed")
    page.get_by_role("link", name="Back to the list").click()
    expect(page).to_have_url(LIST_PATTERN)
    expect(page.locator(".pager-range").last).to_have_text("11–20 of 23")
    expect(page.locator("#results td.cell-name a").first).to_have_text("run-11")


def test_without_javascript_a_bulk_action_leads_back_to_the_list_too(
        chromium, live_server, runs):
    context = chromium.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page)
        page.goto(LIST)
        page.get_by_role("checkbox", name="Select run-13", exact=True).check()
        page.get_by_role("button", name="Dismiss…").click()
        page.get_by_label("Reason (optional)").fill("Test account")
        page.get_by_role("button", name="Dismiss 1 row").click()
        while page.get_by_role("button", name="Continue").count():
            page.get_by_role("button", name="Continue").click()
        expect(page.locator("#bulk-progress-text")).to_contain_text("1 dismissed")
        page.get_by_role("link", name="Back to the list").click()
        expect(page).to_have_url(LIST_PATTERN)
        expect(page.locator(".pager-range").last).to_have_text("11–20 of 24")
    finally:
        context.close()


def test_dismissing_a_report_returns_to_the_same_page_of_the_list(page, runs):
    log_in(page)
    open_report_from_the_list(page, "run-15")
    page.get_by_role("link", name="Dismiss", exact=True).click()
    page.get_by_role("button", name="Dismiss").click()
    expect(page).to_have_url(LIST_PATTERN)
    expect(page.get_by_text("Dismissed run-15")).to_be_visible()
    expect(page.locator(".pager-range").last).to_have_text("11–20 of 24")
