"""The marketplace resource page: what an import created, and the order that recorded it."""

import re

from console.extensions import db
from console.services.imports import import_backend_resource
from tests.web.session_helpers import log_in


def imported(factory, actors):
    """Import a SLURM allocation report as staff through the service; return the result."""
    report = factory.backend_resource(
        actors.offering, actors.project, name="climate-allocation",
        backend_id="slurm-acct-climate", backend_metadata={"limits": {"cpu": 4000, "gpu": 120}},
    )
    return import_backend_resource(
        db.session, backend_resource_uuid=report.uuid.hex, plan_value=actors.plan.uuid.hex,
        user=actors.staff,
    )


def test_page_shows_the_resource_and_its_import_order(client, actors, factory):
    result = imported(factory, actors)
    resource, order = result.resource, result.order
    log_in(client, "staff")
    page = client.get(f"/marketplace-resources/{resource.uuid.hex}/")
    assert page.status_code == 200
    html = page.text
    assert "<h1>climate-allocation</h1>" in html
    assert re.search(r"<dt>State</dt><dd><code>OK</code></dd>", html)
    assert re.search(r"<dt>Project</dt><dd>Climate modelling</dd>", html)
    assert re.search(rf"<dt>Customer</dt><dd>{actors.project.customer.name}</dd>", html)
    assert re.search(r"<dt>Offering</dt><dd>HPC SLURM", html)
    assert re.search(r"<dt>Plan</dt><dd>Standard", html)
    assert "<code>slurm-acct-climate</code>" in html
    assert "<dt>Created</dt>" in html
    limit_cell = r"<th scope=\"row\"><code>(\w+)</code></th><td class=\"num\">([\d,]+)"
    assert re.findall(limit_cell, html) == [("cpu", "4,000"), ("gpu", "120")]
    orders = re.search(r'<table class="orders-table.*?</table>', html, re.S).group(0)
    row = re.search(r"<tbody>(.*?)</tbody>", orders, re.S).group(1)
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    assert cells[0] == "Create"
    assert cells[1] == "<code>done</code>"
    assert cells[2] == "staff"
    assert "<time datetime=" in cells[3] and "just now" in cells[3]
    assert cells[4] == f"<code>{order.uuid.hex}</code>"


def test_support_may_read_the_page(client, actors, factory):
    resource = imported(factory, actors).resource
    log_in(client, "support")
    page = client.get(f"/marketplace-resources/{resource.uuid}/")  # hyphenated works too
    assert page.status_code == 200
    assert "climate-allocation" in page.text


def test_anonymous_and_outsider_may_not(client, actors, factory):
    resource = imported(factory, actors).resource
    url = f"/marketplace-resources/{resource.uuid.hex}/"
    assert client.get(url).status_code == 302
    log_in(client, "outsider")
    assert client.get(url).status_code == 403


def test_unknown_resource_is_404(client, actors):
    log_in(client, "staff")
    for uuid in ("0" * 32, "nope"):
        page = client.get(f"/marketplace-resources/{uuid}/")
        assert page.status_code == 404
        assert "No marketplace resource with this UUID exists." in page.text


def test_page_runs_a_fixed_number_of_queries(client, actors, factory, count_statements):
    resource = imported(factory, actors).resource
    log_in(client, "staff")
    with count_statements() as statements:
        assert client.get(f"/marketplace-resources/{resource.uuid.hex}/").status_code == 200
    # The session's user, the resource with its relations, its orders with their creators, and
    # the history entry of the import (the report it came from).
    assert len(statements) == 4
