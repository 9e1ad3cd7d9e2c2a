"""In real Chromium: log in, read a report, import it, and what support may not do."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser

SLURM_METADATA = {
    "limits": {"cpu": 400000, "gpu": 2400, "mem": 1048576, "storage": 20480},
    "qos": "normal",
    "partition": "gpu-a100",
    "users": ["a.kowalski", "m.tanaka", "s.okafor"],
}


@pytest.fixture
def csp_violations(page):
    """Console messages about the Content-Security-Policy (there should be none)."""
    messages = []
    page.on(
        "console",
        lambda message: messages.append(message.text)
        if "Content Security Policy" in message.text else None,
    )
    return messages


def report(factory, actors, **values):
    """A SLURM allocation reported by the agent."""
    values.setdefault("name", "climate-allocation-2025")
    values.setdefault("backend_id", "hpc_climate_2025")
    values.setdefault("backend_metadata", SLURM_METADATA)
    return factory.backend_resource(actors.offering, actors.project, **values)


def test_log_in_through_the_form(page, actors, csp_violations):
    page.goto("/login")
    page.get_by_label("Username").fill("staff")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("Invalid username or password.")

    log_in(page, "staff")
    expect(page).to_have_url(re.compile(r"/backend-resources/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Backend resources")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert csp_violations == []


def test_detail_shows_formatted_metadata_and_copies_the_backend_id(page, actors, factory,
                                                                    csp_violations):
    item = report(factory, actors)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, "staff")
    page.goto(f"/backend-resources/{item.uuid.hex}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("climate-allocation-2025")
    block = page.locator("pre.json-block")
    expect(block).to_contain_text('"partition": "gpu-a100"')
    assert '\n  "limits": {\n    "cpu": 400000,' in block.inner_text()
    expect(page.get_by_role("row", name="gpu 2,400")).to_be_visible()

    copy = page.get_by_role("button", name="Copy backend id")
    copy.click()  # visible only because console.js ran: a CSP-blocked script would hide it
    expect(copy).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == "hpc_climate_2025"
    assert csp_violations == []


def test_import_with_a_plan_lands_on_the_new_resource(page, actors, factory, csp_violations):
    item = report(factory, actors)
    premium = factory.plan(actors.offering, name="GPU priority", unit="hour")
    log_in(page, "staff")
    page.goto(f"/backend-resources/{item.uuid.hex}/")
    page.get_by_role("link", name="Import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import climate-allocation-2025")
    page.get_by_label("Plan", exact=True).select_option(premium.uuid.hex)
    page.get_by_role("button", name="Import", exact=True).click()

    expect(page).to_have_url(re.compile(r"/marketplace-resources/[0-9a-f]{32}/$"))
    expect(page.get_by_role("status").first).to_have_text(
        "Imported climate-allocation-2025 into Climate modelling."
    )
    expect(page.locator(".facts")).to_contain_text("GPU priority")
    expect(page.locator(".orders-table")).to_contain_text("done")

    page.goto("/backend-resources/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Backend resources")
    expect(page.get_by_text("climate-allocation-2025")).to_have_count(0)
    page.goto(f"/backend-resources/{item.uuid.hex}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("404 · Not found")
    assert csp_violations == []


def test_delete_after_confirmation(page, actors, factory):
    item = report(factory, actors)
    log_in(page, "staff")
    page.goto(f"/backend-resources/{item.uuid.hex}/")
    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Delete the report climate-allocation-2025?"
    )
    page.get_by_role("button", name="Delete").click()
    expect(page).to_have_url(re.compile(r"/backend-resources/$"))
    expect(page.get_by_text("Deleted the report climate-allocation-2025.")).to_be_visible()


def test_support_finds_no_import_or_delete(page, actors, factory):
    item = report(factory, actors)
    log_in(page, "support")
    page.goto(f"/backend-resources/{item.uuid.hex}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("climate-allocation-2025")
    expect(page.get_by_text("support · read-only")).to_be_visible()
    expect(page.get_by_role("link", name="Import")).to_have_count(0)
    expect(page.get_by_role("button", name="Import")).to_have_count(0)
    expect(page.get_by_role("link", name="Delete")).to_have_count(0)
    page.goto(f"/backend-resources/{item.uuid.hex}/import")
    expect(page.get_by_role("heading", level=1)).to_have_text("403 · Not allowed")


def test_screenshot_import_form(page, actors, factory, screenshot_path):
    """Save docs/screenshots/import-form.png: the import form of a realistic SLURM allocation."""
    actors.offering.customer.name = "Nordic HPC Centre"
    actors.project.customer.name = "University of Tartu"
    factory._save(actors.offering)
    factory._save(actors.project)
    factory.plan(actors.offering, name="GPU priority", unit="hour",
                 description="A100 partition, priority queue")
    actors.plan.description = "CPU core-hours, fair-share queue"
    factory._save(actors.plan)
    item = report(factory, actors)
    log_in(page, "staff")
    page.set_viewport_size({"width": 1280, "height": 860})
    page.goto(f"/backend-resources/{item.uuid.hex}/import")
    page.get_by_label("Plan", exact=True).select_option(actors.plan.uuid.hex)
    expect(page.locator(".limits-table")).to_contain_text("storage")
    screenshot = screenshot_path("import-form.png")
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000


def test_plain_form_submit_shows_a_busy_button(page, actors, factory):
    item = report(factory, actors)
    log_in(page, "staff")
    page.goto(f"/backend-resources/{item.uuid.hex}/delete")
    # Hold the post back so that the in-flight state can be seen.
    page.evaluate("document.querySelector('main form').addEventListener("
                  "'submit', (event) => event.preventDefault())")
    button = page.get_by_role("button", name="Delete")
    button.click()
    expect(button).to_have_attribute("aria-busy", "true")
