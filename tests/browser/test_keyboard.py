"""In real Chromium, keyboard only: shortcuts with their "?" help, focus that lands somewhere
sensible after a filter chip, "Clear all filters" or the bad-value notice, and a focus ring
that stands out 3:1 in light and dark mode."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser

NAMES = "#results td.cell-name a"


@pytest.fixture
def reports(factory, actors):
    """12 reports, gpu-01 … gpu-12 (gpu-12 newest)."""
    start = datetime.now(UTC) - timedelta(days=1)
    return [
        factory.backend_resource(
            actors.offering, actors.project, name=f"gpu-{n:02d}", backend_id=f"acct_{n:02d}",
            created=start + timedelta(minutes=n),
        )
        for n in range(1, 13)
    ]


def focused_text(page) -> str:
    return page.evaluate("document.activeElement.textContent.trim()")


def test_slash_searches_and_escape_leaves_the_box(page, reports):
    log_in(page)
    page.keyboard.press("/")
    search = page.get_by_label("Search")
    expect(search).to_be_focused()
    page.keyboard.type("gpu-0/")  # inside the box "/" is just a character
    expect(search).to_have_value("gpu-0/")
    page.keyboard.press("Escape")
    expect(search).not_to_be_focused()


def test_j_and_k_move_between_rows_and_enter_opens(page, reports):
    log_in(page)
    page.keyboard.press("j")
    expect(page.locator(NAMES).nth(0)).to_be_focused()
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(page.locator(NAMES).nth(2)).to_be_focused()
    expect(page.locator("#results tbody tr").nth(2)).to_have_class(re.compile("row-current"))
    page.keyboard.press("k")
    expect(page.locator(NAMES).nth(1)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("gpu-11")


def test_i_imports_the_current_row_and_the_report_on_its_page(page, reports):
    log_in(page)
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("i")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import gpu-11")
    page.goto(f"/backend-resources/{reports[0].uuid.hex}/")
    page.keyboard.press("i")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import gpu-01")


def test_i_does_nothing_for_support(page, reports):
    log_in(page, "support")
    page.keyboard.press("j")
    page.keyboard.press("i")
    page.wait_for_timeout(300)
    expect(page).to_have_url(re.compile(r"/backend-resources/$"))


def test_x_selects_the_current_row_for_a_bulk_action(page, reports):
    log_in(page)
    boxes = page.locator("#results tbody input[type=checkbox][name=selected]")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(boxes.nth(1)).to_be_checked()
    expect(boxes.nth(0)).not_to_be_checked()
    expect(page.locator("#bulk-count")).to_have_text("1 selected on this page")
    expect(page.locator(NAMES).nth(1)).to_be_focused()  # j/k go on from the same row
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.locator("#bulk-count")).to_have_text("2 selected on this page")
    page.keyboard.press("x")
    expect(boxes.nth(2)).not_to_be_checked()
    expect(page.locator("#bulk-count")).to_have_text("1 selected on this page")


def test_x_does_nothing_where_rows_cannot_be_selected(page, reports):
    log_in(page, "support")  # support has no bulk actions: no checkboxes
    expect(page.locator("#results tbody input[type=checkbox]")).to_have_count(0)
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.locator(NAMES).nth(0)).to_be_focused()
    expect(page).to_have_url(re.compile(r"/backend-resources/$"))


def test_question_mark_opens_the_help_and_escape_closes_it(page, reports):
    log_in(page)
    page.keyboard.press("j")
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    keys = dialog.locator("dt kbd").all_inner_texts()
    assert {"/", "j", "k", "Enter", "i", "x", "?"} <= set(keys)
    page.keyboard.press("j")  # keys do not reach the table while the help is open
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator(NAMES).nth(0)).to_be_focused()
    page.get_by_role("button", name="Keyboard shortcuts").click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()


def test_focus_after_removing_a_chip_goes_to_the_next_chip_then_the_search(page, reports):
    log_in(page)
    page.goto("/backend-resources/?q=gpu&name=gpu&backend_id=acct_01")
    page.wait_for_load_state()
    chips = page.locator(".filter-chip a")
    expect(chips).to_have_count(3)
    chips.nth(1).focus()
    page.keyboard.press("Enter")
    expect(chips).to_have_count(2)
    expect(chips.nth(1)).to_be_focused()  # the chip that took its place
    expect(chips.nth(1)).to_have_accessible_name(re.compile("backend ID is acct_01"))
    page.keyboard.press("Enter")
    expect(chips).to_have_count(1)
    expect(chips.nth(0)).to_be_focused()  # none after it: the one before
    page.keyboard.press("Enter")
    expect(chips).to_have_count(0)
    expect(page.get_by_label("Search")).to_be_focused()


def test_clear_all_filters_puts_focus_in_the_search_box(page, reports):
    log_in(page)
    page.goto("/backend-resources/?q=gpu&name=gpu")
    page.wait_for_load_state()
    page.get_by_role("link", name="Clear all filters").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/backend-resources/$"))
    expect(page.get_by_label("Search")).to_be_focused()


def test_the_bad_value_notice_leads_to_the_control(page, reports):
    log_in(page)
    page.goto("/backend-resources/?created=yesterday&q=gpu")
    page.wait_for_load_state()
    notice = page.get_by_role("alert")
    notice.get_by_role("link", name="Reported from").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#filter-created")).to_be_focused()

    notice.get_by_role("link", name="Drop the values that are not valid").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"\?q=gpu$"))
    expect(page.locator("#filter-created")).to_be_focused()


CONTRAST = """element => {
  const channel = value => {
    const c = value / 255;
    return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
  };
  const luminance = rgb => {
    const [r, g, b] = rgb.match(/[\\d.]+/g).map(Number);
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  const ring = getComputedStyle(element).outlineColor;
  // The ring is drawn outside the element: what lies behind it is the nearest opaque
  // background of an ancestor (faint translucent tints are left out).
  const opaque = color => /^rgb\\(/.test(color);
  let node = element.parentElement, background = null;
  while (node && !background) {
    const color = getComputedStyle(node).backgroundColor;
    if (opaque(color)) background = color;
    node = node.parentElement;
  }
  background = background || getComputedStyle(document.documentElement).backgroundColor;
  const [a, b] = [luminance(ring), luminance(background)].sort((x, y) => y - x);
  return {ring, background, ratio: (a + 0.05) / (b + 0.05),
          width: getComputedStyle(element).outlineWidth,
          style: getComputedStyle(element).outlineStyle};
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_focus_ring_contrasts_three_to_one(chromium, live_server, reports, scheme):
    context = chromium.new_context(base_url=live_server, color_scheme=scheme)
    page = context.new_page()
    try:
        log_in(page)
        page.keyboard.press("/")
        for selector in ("#filter-q", NAMES):
            if selector == NAMES:
                page.keyboard.press("Escape")
                page.keyboard.press("j")
            element = page.locator(selector).first
            expect(element).to_be_focused()
            found = element.evaluate(CONTRAST)
            assert found["style"] == "solid" and found["width"] == "3px", found
            assert found["ring"].startswith("rgb("), found  # opaque: a translucent ring fades
            assert found["ratio"] >= 3, found
    finally:
        context.close()
