"""The detail page of a report: every field, formatted metadata, warnings, and who sees what."""

import re

from sqlalchemy import select

from console.extensions import db
from console.models import BackendResource, MarketplaceResource
from tests.web.session_helpers import csrf_token, log_in

SLURM_METADATA = {
    "limits": {"cpu": 4000, "gpu": 120, "mem": 512000},
    "qos": "normal",
    "users": ["alice", "bob"],
}


def make_report(factory, actors, **values):
    """A SLURM allocation report in the actors' offering and project."""
    values.setdefault("name", "climate-allocation")
    values.setdefault("backend_id", "slurm-acct-climate")
    values.setdefault("backend_metadata", SLURM_METADATA)
    return factory.backend_resource(actors.offering, actors.project, **values)


def detail_url(report) -> str:
    return f"/backend-resources/{report.uuid.hex}/"


def test_staff_sees_every_field(client, actors, factory):
    report = make_report(factory, actors)
    log_in(client, "staff")
    page = client.get(detail_url(report))
    assert page.status_code == 200
    html = page.text
    assert "<h1>climate-allocation</h1>" in html
    assert f"<code>{report.uuid.hex}</code>" in html
    assert "<code>slurm-acct-climate</code>" in html
    assert "Climate modelling" in html  # project
    assert actors.project.customer.name in html
    assert "HPC SLURM" in html  # offering
    assert actors.offering.customer.name in html  # provider
    assert "<code>Marketplace.Slurm</code>" in html
    assert re.search(r"<dt>Shared</dt><dd>Yes", html)
    assert re.search(r"<dt>Billable</dt><dd>Yes", html)
    created = report.created.strftime("%Y-%m-%d %H:%M:%S UTC")
    assert re.search(rf"<dt>Reported</dt><dd><time datetime=\"[^\"]+\">{created}</time> "
                     r"<span class=\"muted\">\(just now\)</span>", html)
    assert "<dt>Updated</dt>" in html
    assert 'data-copy="slurm-acct-climate"' in html
    assert f'data-copy="{report.uuid.hex}"' in html


def test_metadata_is_an_indented_json_block_and_limits_a_table(client, actors, factory):
    report = make_report(factory, actors)
    log_in(client, "staff")
    html = client.get(detail_url(report)).text
    block = re.search(r'<pre class="json-block"[^>]*><code>(.*?)</code></pre>', html, re.S)
    assert block.group(1).startswith("{\n  &#34;limits&#34;: {\n    &#34;cpu&#34;: 4000,")
    assert "&#34;users&#34;: [\n    &#34;alice&#34;," in block.group(1)
    table = re.search(r'<table class="limits-table.*?</table>', html, re.S).group(0)
    rows = re.findall(r"<th scope=\"row\"><code>(\w+)</code></th><td class=\"num\">([\d,]+)</td>",
                      table)
    assert rows == [("cpu", "4,000"), ("gpu", "120"), ("mem", "512,000")]


def test_limits_that_are_not_a_mapping_get_no_table(client, actors, factory):
    report = make_report(factory, actors, backend_metadata={"limits": [1, 2]})
    log_in(client, "staff")
    html = client.get(detail_url(report)).text
    assert "limits-table" not in html
    assert "&#34;limits&#34;: [" in html


def test_report_without_metadata_says_so(client, actors, factory):
    report = make_report(factory, actors, backend_metadata={})
    log_in(client, "staff")
    html = client.get(detail_url(report)).text
    assert "The agent sent no metadata." in html
    assert "json-block" not in html


def test_metadata_is_escaped(client, actors, factory):
    report = make_report(factory, actors, backend_metadata={"note": "<img src=x>"})
    log_in(client, "staff")
    html = client.get(detail_url(report)).text
    assert "<img src=x>" not in html
    assert "&lt;img src=x&gt;" in html


def test_hyphenated_uuid_is_accepted(client, actors, factory):
    report = make_report(factory, actors)
    log_in(client, "staff")
    page = client.get(f"/backend-resources/{report.uuid}/")
    assert page.status_code == 200
    assert "climate-allocation" in page.text


def test_unknown_or_malformed_uuid_gives_a_helpful_404_page(client, actors):
    log_in(client, "staff")
    for uuid in ("0" * 32, "not-a-uuid"):
        page = client.get(f"/backend-resources/{uuid}/")
        assert page.status_code == 404
        assert "no longer exists" in page.text
        assert '<a href="/backend-resources/">Back to backend resources</a>' in page.text


def test_already_imported_warning_links_to_the_existing_resource(client, actors, factory):
    report = make_report(factory, actors)
    existing = factory._save(
        MarketplaceResource(
            name="climate-allocation", backend_id="slurm-acct-climate",
            offering=actors.offering, project=actors.project,
        )
    )
    log_in(client, "staff")
    html = client.get(detail_url(report)).text
    warning = re.search(r'<div class="notice notice-warning already-imported".*?</div>', html, re.S)
    assert warning, "no already-imported warning"
    assert "Already imported." in warning.group(0)
    assert f'href="/marketplace-resources/{existing.uuid.hex}/"' in warning.group(0)


def test_no_warning_for_a_same_backend_id_in_another_offering_or_not_ok(client, actors, factory):
    report = make_report(factory, actors)
    factory._save(MarketplaceResource(name="x", backend_id="slurm-acct-climate",
                                      offering=factory.offering(), project=actors.project))
    factory._save(MarketplaceResource(name="y", backend_id="slurm-acct-climate", state="Terminated",
                                      offering=actors.offering, project=actors.project))
    log_in(client, "staff")
    assert "Already imported." not in client.get(detail_url(report)).text


def test_staff_sees_import_and_delete_controls(client, actors, factory):
    report = make_report(factory, actors)
    log_in(client, "staff")
    html = client.get(detail_url(report)).text
    assert f'href="/backend-resources/{report.uuid.hex}/import">Import</a>' in html
    assert f'href="/backend-resources/{report.uuid.hex}/delete">Delete</a>' in html


def test_support_sees_the_detail_without_import_or_delete_controls(client, actors, factory):
    report = make_report(factory, actors)
    log_in(client, "support")
    page = client.get(detail_url(report))
    assert page.status_code == 200
    assert "climate-allocation" in page.text
    assert "/import" not in page.text
    assert "/delete" not in page.text
    assert ">Import<" not in page.text and ">Delete<" not in page.text
    assert "read-only access" in page.text


def test_support_cannot_open_or_post_import_and_delete(client, actors, factory):
    report = make_report(factory, actors)
    log_in(client, "support")
    token = csrf_token(client.get(detail_url(report)).text)
    plan = actors.plan.uuid.hex
    for path in ("import", "delete"):
        assert client.get(f"{detail_url(report)}{path}").status_code == 403
        refused = client.post(f"{detail_url(report)}{path}",
                              data={"csrf_token": token, "plan": plan})
        assert refused.status_code == 403
        assert "importing and deleting reports is for staff" in refused.text
    db.session.expire_all()
    assert db.session.scalar(select(BackendResource).where(BackendResource.id == report.id))
    assert db.session.scalar(select(MarketplaceResource)) is None


def test_detail_page_runs_a_fixed_number_of_queries(client, actors, factory, count_statements):
    small = make_report(factory, actors, backend_metadata={})
    other_offering = factory.offering(name="Cloud", shared=False)
    big = factory.backend_resource(
        other_offering, factory.project(name="Genomics"), name="big",
        backend_metadata={"limits": {f"c{i}": i for i in range(50)}, "tags": list(range(100))},
    )
    log_in(client, "staff")
    counts = []
    for report in (small, big):
        with count_statements() as statements:
            assert client.get(detail_url(report)).status_code == 200
        counts.append(len(statements))
    # The session's user, the report with project, customer, offering and provider, and the
    # check for an imported resource with the same backend id.
    assert counts == [3, 3]
