"""In real Chromium: axe-core finds no accessibility violation on any console page, in light
mode, dark mode and at phone width; and no page scrolls sideways.

axe-core is vendored from npm (static/vendor/axe-core-<version>.min.js) and loaded only here.
To cover a new page, add it to `pages_to_check`; links in the main navigation are found and
checked on their own, so a new page linked from the header is covered without editing this file.
"""

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser

VENDOR = Path(__file__).resolve().parents[2] / "static" / "vendor"
AXE_PATH = next(VENDOR.glob("axe-core-*.min.js"))
AXE_URL = f"/static/vendor/{AXE_PATH.name}"
# WCAG 2.x A and AA, plus axe's best practices (landmarks, headings, region, ...).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
MODES = {
    "light": {"color_scheme": "light", "viewport": {"width": 1366, "height": 900}},
    "dark": {"color_scheme": "dark", "viewport": {"width": 1366, "height": 900}},
    "mobile": {"color_scheme": "light", "viewport": {"width": 390, "height": 844}},
}


def axe_violations(page) -> list[dict]:
    """Run axe-core on the page as it is now; return its violations, shortly described."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Served from 'self', so the Content-Security-Policy lets it run like the page's own JS.
        page.add_script_tag(url=AXE_URL)
    result = page.evaluate(
        "tags => axe.run(document,"
        " {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [
        {
            "rule": violation["id"],
            "help": violation["help"],
            "nodes": [
                {"target": node["target"], "summary": node.get("failureSummary", "")}
                for node in violation["nodes"][:5]
            ],
        }
        for violation in result["violations"]
    ]


@pytest.fixture
def world(factory, actors):
    """One report of each kind a page can show: plain, already imported, an import result, a
    dismissed one; and bulk jobs, one waiting for confirmation and one finished."""
    from werkzeug.datastructures import MultiDict

    from console.extensions import db
    from console.services.bulk import create_bulk_job, process_chunk, start_bulk_job
    from console.services.dismissals import dismiss_backend_resource
    from console.services.imports import import_backend_resource

    metadata = {"limits": {"cpu": 400000, "gpu": 2400}, "partition": "gpu-a100"}
    plain = factory.backend_resource(
        actors.offering, actors.project, name="climate-allocation-2025",
        backend_id="hpc_climate_2025", backend_metadata=metadata,
    )
    for n in range(30):
        factory.backend_resource(actors.offering, actors.project, name=f"ocean-run-{n:02d}")
    imported_report = factory.backend_resource(
        actors.offering, actors.project, name="imported-once", backend_id="dup_1"
    )
    result = import_backend_resource(
        db.session, backend_resource_uuid=imported_report.uuid.hex,
        plan_value=actors.plan.uuid.hex, user=actors.staff,
    )
    duplicate = factory.backend_resource(
        actors.offering, actors.project, name="imported-again", backend_id="dup_1"
    )
    dismissed = factory.backend_resource(
        actors.offering, actors.project, name="retired-scratch", backend_id="hpc_scratch"
    )
    dismiss_backend_resource(db.session, report_uuid=dismissed.uuid, user=actors.staff,
                             reason="Scratch space, never billed")

    def bulk_job(action: str, names: str):
        return create_bulk_job(
            db.session, action=action, user=actors.staff, selected=[], all_matching=True,
            query_args=MultiDict({"name": names}), stale_days=14, max_rows=1000,
        )

    draft = bulk_job("import", "ocean-run-0")
    finished = bulk_job("delete", "ocean-run-2")
    start_bulk_job(db.session, finished, user=actors.staff, plan_values={})
    process_chunk(db.session, finished.uuid)
    return {
        "report": plain.uuid.hex,
        "duplicate": duplicate.uuid.hex,
        "resource": result.resource.uuid.hex,
        "offering": actors.offering.uuid.hex,
        "draft_job": draft.uuid.hex,
        "finished_job": finished.uuid.hex,
    }


def pages_to_check(world: dict) -> list[tuple[str, str]]:
    """(name, URL) of every console page a staff user reaches, in its interesting states."""
    report, duplicate = world["report"], world["duplicate"]
    return [
        ("list", "/backend-resources/"),
        ("list filtered", f"/backend-resources/?q=ocean&offering_uuid={world['offering']}&o=name"),
        ("list with more filters open", "/backend-resources/?name=ocean&created=2020-01-01"),
        ("list with bad values", "/backend-resources/?created=yesterday&o=colour"),
        ("list past the last page", "/backend-resources/?page=99"),
        ("list with nothing found", "/backend-resources/?q=no-such-thing"),
        ("report", f"/backend-resources/{report}/"),
        ("report already imported", f"/backend-resources/{duplicate}/"),
        ("import form", f"/backend-resources/{report}/import"),
        ("import form already imported", f"/backend-resources/{duplicate}/import"),
        ("delete confirmation", f"/backend-resources/{report}/delete"),
        ("dismiss confirmation", f"/backend-resources/{report}/dismiss"),
        ("list, dismissed view", "/backend-resources/?dismissed=only"),
        ("list with triage filters", "/backend-resources/?flag=duplicate,-stale"
                                     "&metadata=partition%3Dgpu-a100"),
        ("activity", "/activity/"),
        ("bulk confirmation", f"/bulk/{world['draft_job']}/?back=/backend-resources/%3Fo%3Dname"),
        ("bulk result", f"/bulk/{world['finished_job']}/?back=/backend-resources/%3Fo%3Dname"),
        ("marketplace resource", f"/marketplace-resources/{world['resource']}/"),
        ("not found", "/backend-resources/00000000000000000000000000000000/"),
    ]


def nav_links(page) -> list[str]:
    """The local pages the main navigation links to."""
    hrefs = page.eval_on_selector_all(
        "nav[aria-label=Main] a[href]", "links => links.map(a => a.href)"
    )
    here = urlsplit(page.url).netloc
    return [
        parts.path + (f"?{parts.query}" if parts.query else "")
        for parts in map(urlsplit, hrefs)
        if parts.netloc == here
    ]


@pytest.mark.parametrize("mode", MODES)
def test_every_page_has_no_axe_violations(chromium, live_server, app, world, mode):
    settings = MODES[mode]
    context = chromium.new_context(
        base_url=live_server, viewport=settings["viewport"], color_scheme=settings["color_scheme"]
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto("/login")
        found = {"login": axe_violations(page)}
        log_in(page)
        checked = pages_to_check(world)
        urls = {url for _name, url in checked}
        checked += [(f"nav {url}", url) for url in nav_links(page) if url not in urls]
        sideways = {}
        for name, url in checked:
            page.goto(url)
            page.wait_for_load_state()
            found[name] = axe_violations(page)
            sideways[name] = page.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth"
            )
        found["shortcut help"] = open_shortcut_help(page)
    finally:
        context.close()
    failures = {name: violations for name, violations in found.items() if violations}
    assert failures == {}, json.dumps(failures, indent=1)
    # No page scrolls sideways, at phone width either (wide tables scroll in their own box).
    assert {name: px for name, px in sideways.items() if px > 0} == {}


def open_shortcut_help(page) -> list[dict]:
    """The keyboard shortcut overlay, opened with `?` on the list."""
    page.goto("/backend-resources/")
    page.wait_for_load_state()
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    return axe_violations(page)


def test_axe_reports_a_violation_it_is_shown(page, live_server, actors):
    """The check can fail: an unlabelled control added to a page is caught."""
    log_in(page)
    page.evaluate(
        "document.querySelector('main')"
        ".insertAdjacentHTML('beforeend', '<input id=\"unlabelled\">')"
    )
    rules = {violation["rule"] for violation in axe_violations(page)}
    assert "label" in rules
