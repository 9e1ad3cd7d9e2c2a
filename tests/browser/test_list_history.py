"""In real Chromium: the table's history matches intent: one entry per search, none for an
unchanged Enter, clean URLs without JavaScript, and the top of the page after paging."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import log_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

NAMES = "#results td.cell-name a"


@pytest.fixture
def reports(factory, actors):
    """60 reports: coral-reef-xyz-01 … 05 and ocean-06 … ocean-60."""
    start = datetime.now(UTC) - timedelta(days=1)
    for n in range(1, 61):
        name = f"coral-reef-xyz-{n:02d}" if n <= 5 else f"ocean-{n:02d}"
        factory.backend_resource(
            actors.offering, actors.project, name=name, backend_id=f"acct_{n:02d}",
            created=start + timedelta(minutes=n),
        )


def list_requests(page) -> list[str]:
    """URLs of the table requests the page sends from now on."""
    sent = []
    page.on("request", lambda request: sent.append(request.url)
            if "/backend-resources/" in request.url else None)
    return sent


def test_typing_a_search_adds_one_history_entry(page, reports):
    log_in(page)
    page.goto("/backend-resources/?page_size=10")
    page.wait_for_load_state()
    entries = page.evaluate("history.length")
    sent = list_requests(page)
    search = page.get_by_label("Search")
    search.click()
    search.press_sequentially("coral-reef-xyz", delay=350)  # a request after most keys
    expect(page).to_have_url(re.compile(r"\?q=coral-reef-xyz&page_size=10$"))
    expect(page.locator(NAMES)).to_have_count(5)
    page.wait_for_timeout(1500)  # the search settles
    assert len(sent) >= 5, sent  # the table followed the typing
    assert page.evaluate("history.length") == entries + 1

    page.go_back()
    expect(page).to_have_url(re.compile(r"\?page_size=10$"))
    expect(page.locator(NAMES)).to_have_count(10)
    expect(search).to_have_value("")


def test_two_searches_apart_are_two_entries(page, reports):
    log_in(page)
    entries = page.evaluate("history.length")
    search = page.get_by_label("Search")
    search.fill("coral")
    expect(page).to_have_url(re.compile(r"\?q=coral$"))
    search.press("Tab")  # leaving the box settles the search
    search.fill("ocean")
    expect(page).to_have_url(re.compile(r"\?q=ocean$"))
    page.wait_for_timeout(1500)
    assert page.evaluate("history.length") == entries + 2
    page.go_back()
    expect(page).to_have_url(re.compile(r"\?q=coral$"))
    expect(search).to_have_value("coral")


def test_enter_in_an_unchanged_box_adds_nothing(page, reports):
    log_in(page)
    search = page.get_by_label("Search")
    search.fill("ocean")
    expect(page).to_have_url(re.compile(r"\?q=ocean$"))
    page.get_by_role("link", name="Next ›").click()
    expect(page).to_have_url(re.compile(r"\?q=ocean&page=2$"))
    entries = page.evaluate("history.length")
    sent = list_requests(page)
    search.click()
    search.press("Enter")
    search.press("Enter")
    page.wait_for_timeout(800)
    assert sent == []
    assert page.evaluate("history.length") == entries
    expect(page).to_have_url(re.compile(r"\?q=ocean&page=2$"))

    # A changed box and Enter: one new entry, back on page 1.
    search.fill("ocean-1")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"\?q=ocean-1$"))
    page.wait_for_timeout(1500)
    assert page.evaluate("history.length") == entries + 1


def test_without_javascript_the_form_leaves_out_empty_fields(chromium, live_server, reports):
    context = chromium.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("Username").fill("staff")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_label("Search").fill("coral")
        page.get_by_role("button", name="Filter").click()
        expect(page).to_have_url(re.compile(r"/backend-resources/\?q=coral$"))
        expect(page.locator(NAMES)).to_have_count(5)
    finally:
        context.close()


def test_next_from_the_bottom_shows_the_top_of_the_new_page(page, reports):
    log_in(page)
    page.mouse.wheel(0, 5000)
    page.wait_for_function("window.scrollY > 300")
    page.get_by_role("link", name="Next ›").click()
    expect(page).to_have_url(re.compile(r"\?page=2$"))
    expect(page.locator(NAMES).first).to_have_text("ocean-35")
    expect(page.locator(NAMES).first).to_be_in_viewport()
    top = page.locator("#results").evaluate("element => element.getBoundingClientRect().top")
    assert -2 <= top < 100
