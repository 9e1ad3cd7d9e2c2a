"""In real Chromium: a dense search shows its first page at once, then its counts arrive."""

import contextlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser

NAMES = "#results td.cell-name a"


@pytest.fixture
def app_settings():
    return {"CONSOLE_COUNT_LATER_FROM": 1}  # as with a million reports


@pytest.fixture
def reports(factory, actors):
    """30 reports a minute apart, gpu-01 … (odd numbers) and cpu-02 … (even); newest last."""
    start = datetime.now(UTC) - timedelta(days=1)
    for n in range(1, 31):
        kind = "gpu" if n % 2 else "cpu"
        factory.backend_resource(
            actors.offering, actors.project, name=f"{kind}-{n:02d}", backend_id=f"acct_{n:02d}",
            created=start + timedelta(minutes=n), modified=start + timedelta(minutes=n),
        )


@pytest.fixture
def held(page, reports):
    """The counts requests of the table, held back until the test lets each go on; the page is
    logged in and shows the table, ten rows a page."""
    routes = []
    page.route("**/backend-resources/counts?*", lambda route: routes.append(route))
    log_in(page)
    page.goto("/backend-resources/?page_size=10")
    return routes


def test_a_search_shows_its_rows_then_its_counts(page, held, console_errors):
    offerings = page.locator("#filter-offering_uuid")
    expect(offerings).to_contain_text("HPC SLURM (30)")

    page.get_by_label("Search").press_sequentially("gp", delay=30)
    expect(page).to_have_url(re.compile(r"/backend-resources/\?q=gp&page_size=10$"))
    expect(page.locator(NAMES)).to_have_text([f"gpu-{n:02d}" for n in range(29, 9, -2)])
    # The counts are on their way: the page says so, and the selects keep their counts.
    expect(page.locator("#list-status")).to_have_text(
        "Backend resources where name or backend ID contains gp, newest first (counting…)."
    )
    expect(page.locator(".pager-range")).to_have_text("1–10 of …")
    expect(offerings).to_contain_text("HPC SLURM (30)")
    expect(page.locator("#pager-next")).to_be_visible()
    assert [route.request.url.split("/backend-resources")[1] for route in held] == [
        "/counts?q=gp&page_size=10"
    ]

    held.pop().continue_()
    expect(page.locator("#list-status")).to_have_text(
        "15 backend resources where name or backend ID contains gp, newest first."
    )
    expect(page.locator(".pager-range")).to_have_text("1–10 of 15")
    expect(page.locator(".pager-top-range")).to_have_text("1–10 of 15")
    expect(page.locator(".pager-position")).to_have_text("Page 1 of 2")
    expect(page.locator("#bulk-all-text")).to_have_text("All 15 matching this filter")
    expect(page.locator("#export-links")).to_contain_text("Export these 15 rows")
    expect(offerings).to_contain_text("HPC SLURM (15)")
    expect(page).to_have_url(re.compile(r"/backend-resources/\?q=gp&page_size=10$"))
    expect(page.locator("#results")).not_to_have_attribute("aria-busy", "true")

    # The next page is counted to be placed, at once; Back shows the counted first page.
    page.locator("#pager-next").click()
    expect(page).to_have_url(re.compile(r"\?q=gp&page_size=10&page=2$"))
    expect(page.locator(".pager-range")).to_have_text("11–15 of 15")
    page.go_back()
    expect(page).to_have_url(re.compile(r"\?q=gp&page_size=10$"))
    expect(page.locator(".pager-range")).to_have_text("1–10 of 15")
    assert held == []
    assert console_errors == []


def test_a_newer_search_cancels_the_counts_of_the_one_before(page, held, console_errors):
    status = page.locator("#list-status")
    search = page.get_by_label("Search")
    search.fill("cp")
    expect(page.locator(NAMES).first).to_have_text("cpu-30")
    expect(status).to_contain_text("contains cp, newest first (counting…)")
    search.fill("gp")
    expect(page.locator(NAMES).first).to_have_text("gpu-29")
    for _ in range(40):
        if len(held) == 2:
            break
        page.wait_for_timeout(50)
    assert [route.request.url.rsplit("?", 1)[1] for route in held] == [
        "q=cp&page_size=10", "q=gp&page_size=10"
    ]
    held.pop().continue_()
    expect(status).to_have_text(
        "15 backend resources where name or backend ID contains gp, newest first."
    )
    # The search for "cp" cancelled its counts (hx-sync): were they answered now, the page
    # would say 15 reports contain cp.
    with contextlib.suppress(Exception):
        held.pop().continue_()
    page.wait_for_timeout(300)
    expect(status).to_have_text(
        "15 backend resources where name or backend ID contains gp, newest first."
    )
    # htmx reports the request it cancelled as an error event: those two, and nothing else.
    assert [message.split(",")[0] for message in console_errors] == [
        "htmx:afterRequest", "htmx:sendAbort"
    ]
