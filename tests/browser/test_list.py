"""In real Chromium: the backend resource table searched, sorted and paged through htmx."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser

NAMES = "#results td.cell-name a"


def mark_page(page):
    """Set a marker that only survives as long as no full page load happens."""
    page.evaluate("window.__marker = 1")


def still_same_page(page) -> bool:
    return page.evaluate("window.__marker") == 1


@pytest.fixture
def reports(factory, actors):
    """25 reports a minute apart: gpu-01 … gpu-05 and cpu-06 … cpu-25."""
    start = datetime.now(UTC) - timedelta(days=1)
    for n in range(1, 26):
        kind = "gpu" if n <= 5 else "cpu"
        factory.backend_resource(
            actors.offering, actors.project, name=f"{kind}-{n:02d}", backend_id=f"acct_{n:02d}",
            created=start + timedelta(minutes=n), modified=start + timedelta(minutes=n),
        )


def test_search_updates_the_table_and_url_without_a_page_load(page, reports, console_errors):
    log_in(page)
    page.get_by_role("link", name="10 per page").click()
    expect(page).to_have_url(re.compile(r"\?page_size=10$"))
    mark_page(page)
    search = page.get_by_label("Search")
    search.press_sequentially("GPU", delay=30)
    expect(page).to_have_url(re.compile(r"/backend-resources/\?q=GPU&page_size=10$"))
    expect(page.locator(NAMES)).to_have_text(["gpu-05", "gpu-04", "gpu-03", "gpu-02", "gpu-01"])
    expect(page.locator("#list-status")).to_have_text(
        "5 backend resources where name or backend ID contains GPU, newest first."
    )
    assert still_same_page(page)
    expect(search).to_be_focused()
    expect(search).to_have_value("GPU")

    # Clearing the filter from its chip empties the search box too: the form follows the URL.
    page.get_by_role("link", name="Remove filter: name or backend ID contains GPU").click()
    expect(page).to_have_url(re.compile(r"/backend-resources/\?page_size=10$"))
    expect(search).to_have_value("")
    expect(page.locator(NAMES)).to_have_count(10)
    assert still_same_page(page)
    assert console_errors == []


def test_clicking_a_header_sorts_and_again_reverses(page, reports, console_errors):
    log_in(page)
    mark_page(page)
    page.get_by_role("link", name="Name, sort A to Z").click()
    expect(page).to_have_url(re.compile(r"\?o=name$"))
    expect(page.locator(NAMES).first).to_have_text("cpu-06")
    expect(page.locator("th[aria-sort]")).to_have_attribute("aria-sort", "ascending")
    expect(page.locator("th[aria-sort]")).to_contain_text("Name")

    page.get_by_role("link", name="Name, sort Z to A").click()
    expect(page).to_have_url(re.compile(r"\?o=-name$"))
    expect(page.locator(NAMES).first).to_have_text("gpu-05")
    expect(page.locator("th[aria-sort]")).to_have_attribute("aria-sort", "descending")
    # htmx puts focus back on the header link it replaced.
    expect(page.locator("#sort-name")).to_be_focused()
    assert still_same_page(page)
    assert console_errors == []


def test_back_button_returns_to_the_previous_page(page, reports, console_errors):
    log_in(page)
    page.goto("/backend-resources/?page_size=10")
    mark_page(page)
    page.get_by_role("link", name="Next ›").click()
    expect(page).to_have_url(re.compile(r"\?page_size=10&page=2$"))
    expect(page.locator(NAMES).first).to_have_text("cpu-15")
    expect(page.locator(".pager-range")).to_have_text("11–20 of 25")

    page.go_back()
    expect(page).to_have_url(re.compile(r"\?page_size=10$"))
    expect(page.locator(NAMES).first).to_have_text("cpu-25")
    expect(page.locator(".pager-range")).to_have_text("1–10 of 25")
    expect(page.locator("#list-status")).to_have_text("25 backend resources, newest first.")
    expect(page.locator("#results")).not_to_have_attribute("aria-busy", "true")

    page.go_forward()
    expect(page).to_have_url(re.compile(r"\?page_size=10&page=2$"))
    expect(page.locator(NAMES).first).to_have_text("cpu-15")
    assert console_errors == []


def test_an_error_answer_to_htmx_is_shown_in_the_table(page, reports, console_errors):
    log_in(page)
    mark_page(page)
    # As a pager link would after the list shrank: the page is gone, the table says so.
    page.evaluate(
        "htmx.ajax('GET', '/backend-resources/?page=9', "
        "{source: '#backend-resource-list', target: '#results'})"
    )
    expect(page.locator("#results")).to_contain_text("There is no page 9.")
    expect(page.locator("#list-status")).to_have_text(
        "There is no page 9: 25 backend resources fit on 1 page."
    )
    page.get_by_role("link", name="Go to page 1").click()
    expect(page.locator(NAMES)).to_have_count(25)
    assert still_same_page(page)


def test_choosing_an_offering_filters_and_a_reload_keeps_the_state(page, reports, factory, actors):
    other = factory.offering(name="Nimbus VMs")
    factory.backend_resource(other, actors.project, name="web-frontend-01")
    log_in(page)
    mark_page(page)
    page.get_by_label("Offering", exact=True).select_option(label="Nimbus VMs (1)")
    expect(page).to_have_url(re.compile(rf"\?offering_uuid={other.uuid.hex}$"))
    expect(page.locator(NAMES)).to_have_text(["web-frontend-01"])
    expect(page.locator("#list-status")).to_have_text(
        "1 backend resource in offering Nimbus VMs, newest first."
    )
    assert still_same_page(page)
    page.reload()
    expect(page.get_by_label("Offering", exact=True)).to_have_value(other.uuid.hex)
    expect(page.locator(NAMES)).to_have_text(["web-frontend-01"])


def test_screenshot_table(page, app, screenshot_path):
    from console.demo import DEMO_PASSWORD, load_demo_data
    from console.extensions import db

    with app.app_context():
        load_demo_data(db.session, backend_resources=240, seed=7)
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, "staff", DEMO_PASSWORD)
    page.goto("/backend-resources/?o=-modified")
    expect(page.locator(NAMES)).to_have_count(25)
    screenshot = screenshot_path("table.png")
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 20_000


def test_screenshot_compact_table(page, app, screenshot_path):
    """Save docs/screenshots/table-compact.png: compact rows at 1366x900, an offering chosen."""
    from console.demo import DEMO_PASSWORD, load_demo_data
    from console.extensions import db
    from console.models import User

    with app.app_context():
        load_demo_data(db.session, backend_resources=240, seed=7)
        db.session.execute(db.update(User).values(list_density="compact"))
        db.session.commit()
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, "staff", DEMO_PASSWORD)
    page.goto("/backend-resources/?o=-modified")
    expect(page.locator(NAMES)).to_have_count(25)
    screenshot = screenshot_path("table-compact.png")
    page.screenshot(path=str(screenshot))
    assert screenshot.stat().st_size > 20_000
