"""In real Chromium: the table fits every width from a phone to a wide screen, compact rows are
remembered per user, the header sticks, and the pager is above the table too."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser

NAMES = "#results td.cell-name a"
WIDTHS = [(390, 844), (768, 1024), (1366, 900), (1440, 900)]

OVERLAPS = """() => {
  const controls = '#filters :is(input:not([type=hidden]), select)';
  const boxes = Array.from(document.querySelectorAll(controls))
    .map(element => [element.id, element.getBoundingClientRect()]);
  const width = document.documentElement.clientWidth;
  const found = [];
  for (let i = 0; i < boxes.length; i++) {
    const [id, box] = boxes[i];
    if (box.left < 0 || box.right > width) found.push(id + ' outside');
    for (let j = i + 1; j < boxes.length; j++) {
      const [other, next] = boxes[j];
      const apart = box.right <= next.left || next.right <= box.left
        || box.bottom <= next.top || next.bottom <= box.top;
      if (!apart) found.push(id + ' overlaps ' + other);
    }
  }
  return found;
}"""


@pytest.fixture
def reports(factory, actors):
    """60 reports in an offering with a long name, from a provider with a long name."""
    provider = factory.customer(name="Northbridge University HPC Centre")
    offering = factory.offering(provider, name="Taurus GPU partition (A100, priority)")
    project = factory.project(name="Materials simulation for battery chemistry")
    start = datetime.now(UTC) - timedelta(days=1)
    for n in range(1, 61):
        factory.backend_resource(
            offering, project, name=f"materials-simulation-2025-production-run-{n:02d}",
            backend_id=f"gpu_matsim_2025_{n:02d}", created=start + timedelta(minutes=n),
            backend_metadata={"limits": {"cpu": 250000, "gpu": 800, "mem": 204800}},
        )


def horizontal_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("density", ["comfortable", "compact"])
def test_no_sideways_scroll_and_no_overlapping_inputs_at_any_width(page, app, reports, density):
    from console.extensions import db
    from console.models import User

    with app.app_context():
        db.session.execute(db.update(User).values(list_density=density))
        db.session.commit()
    log_in(page)
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/backend-resources/?created=2025-01-01&name=materials")
        expect(page.locator("details.more-filters")).to_have_attribute("open", "")
        expect(page.locator(NAMES)).to_have_count(25)
        assert horizontal_overflow(page) <= 0, f"{width} px scrolls sideways"
        assert page.evaluate(OVERLAPS) == [], f"at {width} px"


def toggle_pressed(page, pressed: str):
    expect(page.get_by_role("button", name="Compact rows")).to_have_attribute(
        "aria-pressed", pressed
    )


def test_compact_rows_show_fifteen_rows_and_are_remembered(page, reports):
    log_in(page)
    page.set_viewport_size({"width": 1366, "height": 900})
    toggle = page.get_by_role("button", name="Compact rows")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    page.reload()
    toggle_pressed(page, "true")
    visible = page.evaluate(
        "Array.from(document.querySelectorAll('#results tbody tr'))"
        ".filter(row => row.getBoundingClientRect().bottom <= window.innerHeight).length"
    )
    assert visible >= 15

    # It is this user's choice: support still sees comfortable rows.
    other = page.context.browser.new_context(base_url=page.url.split("/backend")[0])
    try:
        support = other.new_page()
        log_in(support, "support")
        expect(support.get_by_role("button", name="Compact rows")).to_have_attribute(
            "aria-pressed", "false"
        )
    finally:
        other.close()

    page.get_by_role("button", name="Compact rows").click()
    toggle_pressed(page, "false")
    page.reload()
    toggle_pressed(page, "false")


def test_offering_stays_on_one_line_while_names_wrap(page, reports):
    log_in(page)
    for width in (1366, 1440):
        page.set_viewport_size({"width": width, "height": 900})
        page.reload()
        offering = page.locator("#results td.cell-offering .cell-main").first
        expect(offering).to_have_text("Taurus GPU partition (A100, priority)")
        lines = offering.evaluate(
            "element => element.getBoundingClientRect().height"
            " / parseFloat(getComputedStyle(element).lineHeight)"
        )
        assert lines < 1.5, f"the offering wraps onto {lines:.1f} lines at {width} px"


def test_the_header_sticks_while_scrolling(page, reports):
    log_in(page)
    page.mouse.wheel(0, 900)
    page.wait_for_function("window.scrollY > 600")
    header = page.get_by_role("columnheader", name="Offering")
    top = header.evaluate("element => element.getBoundingClientRect().top")
    assert -1 <= top <= 1
    expect(header).to_be_in_viewport()


def test_the_pager_above_the_table_moves_on(page, reports):
    log_in(page)
    first_row_top = page.locator(NAMES).first.evaluate(
        "element => element.getBoundingClientRect().top"
    )
    top_next = page.get_by_role("link", name="Next page")
    assert top_next.evaluate("element => element.getBoundingClientRect().top") < first_row_top
    top_next.click()
    expect(page).to_have_url(re.compile(r"\?page=2$"))
    expect(page.locator(".pager-top-range")).to_have_text("26–50 of 60")
    page.get_by_role("link", name="Previous page").click()
    expect(page).to_have_url(re.compile(r"/backend-resources/$"))
