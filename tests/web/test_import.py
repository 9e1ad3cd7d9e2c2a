"""The import form, importing a report, every refusal, and deleting a report."""

import re

from sqlalchemy import func, select

from console.extensions import db
from console.models import BackendResource, MarketplaceResource, Order
from console.services.imports import PLAN_NOT_AVAILABLE, PLAN_REQUIRED
from tests.web.session_helpers import csrf_token, log_in

LIMITS = {"cpu": 4000, "gpu": 120}


def make_report(factory, offering, project, **values):
    """A SLURM allocation report."""
    values.setdefault("name", "climate-allocation")
    values.setdefault("backend_id", "slurm-acct-climate")
    values.setdefault("backend_metadata", {"limits": LIMITS, "qos": "normal"})
    return factory.backend_resource(offering, project, **values)


def import_url(report) -> str:
    return f"/backend-resources/{report.uuid.hex}/import"


def options(html: str) -> list[tuple[str, str, bool]]:
    """The plan select's options as (value, label, selected)."""
    select_html = re.search(r'<select[^>]*name="plan".*?</select>', html, re.S).group(0)
    return [
        (re.search(r'value="([^"]*)"', attrs).group(1), label, " selected" in f" {attrs}")
        for attrs, label in re.findall(r"<option ([^>]*)>([^<]*)</option>", select_html)
    ]


def report_exists(report) -> bool:
    db.session.expire_all()
    return db.session.scalar(select(BackendResource.id).where(BackendResource.id == report.id)) \
        is not None


def resource_count() -> int:
    return db.session.scalar(select(func.count()).select_from(MarketplaceResource))


def post_import(client, report, plan_value):
    token = csrf_token(client.get(f"/backend-resources/{report.uuid.hex}/").text)
    return client.post(import_url(report), data={"csrf_token": token, "plan": plan_value})


# --- the form -------------------------------------------------------------------------------


def test_form_lists_active_plans_with_unit_and_description(client, actors, factory):
    factory.plan(actors.offering, name="Archived", archived=True)
    factory.plan(actors.offering, name="Premium", unit="hour", description="Fast GPUs")
    report = make_report(factory, actors.offering, actors.project)
    log_in(client, "staff")
    page = client.get(import_url(report))
    assert page.status_code == 200
    assert '<label for="plan">Plan</label>' in page.text
    labels = [label for _, label, _ in options(page.text)]
    assert labels == ["Choose a plan…", "Premium (per hour) — Fast GPUs", "Standard (per month)"]
    assert "Archived" not in page.text
    assert "No plan" not in page.text  # a shared offering needs a plan
    assert re.search(r'<select[^>]*required', page.text)
    # With several plans none is chosen for the user: the empty prompt stays selected.
    assert [selected for _, _, selected in options(page.text)] == [True, False, False]


def test_single_plan_is_preselected(client, actors, factory):
    report = make_report(factory, actors.offering, actors.project)
    log_in(client, "staff")
    assert options(client.get(import_url(report)).text) == [
        (actors.plan.uuid.hex, "Standard (per month)", True)
    ]


def test_private_offering_offers_no_plan(client, actors, factory):
    private = factory.offering(name="Lab cluster", shared=False)
    plan = factory.plan(private, name="Flat")
    report = make_report(factory, private, actors.project)
    log_in(client, "staff")
    html = client.get(import_url(report)).text
    assert options(html) == [("", "No plan", False), (plan.uuid.hex, "Flat (per month)", True)]
    assert not re.search(r'<select[^>]*required', html)
    assert "Optional: Lab cluster is a private offering." in html


def test_form_summarises_what_will_be_created(client, actors, factory):
    report = make_report(factory, actors.offering, actors.project)
    log_in(client, "staff")
    html = client.get(import_url(report)).text
    summary = re.search(r'<article aria-labelledby="will-create-heading".*?</article>', html,
                        re.S).group(0)
    for text in ("climate-allocation", "slurm-acct-climate", "Climate modelling", "HPC SLURM",
                 "state <code>done</code>", "<code>cpu</code>", ">4,000<", ">120<"):
        assert text in summary


def test_form_warns_when_already_imported(client, actors, factory):
    report = make_report(factory, actors.offering, actors.project)
    existing = factory._save(MarketplaceResource(
        name="old", backend_id="slurm-acct-climate", offering=actors.offering,
        project=actors.project))
    log_in(client, "staff")
    html = client.get(import_url(report)).text
    assert "Already imported." in html
    assert f'href="/marketplace-resources/{existing.uuid.hex}/"' in html


# --- importing ------------------------------------------------------------------------------


def test_import_redirects_to_the_new_resource_with_a_flash(client, actors, factory):
    report = make_report(factory, actors.offering, actors.project)
    log_in(client, "staff")
    response = post_import(client, report, actors.plan.uuid.hex)
    assert response.status_code == 303
    resource = db.session.scalar(select(MarketplaceResource))
    assert response.headers["Location"] == f"/marketplace-resources/{resource.uuid.hex}/"
    page = client.get(response.headers["Location"])
    assert "Imported climate-allocation into Climate modelling." in page.text
    assert not report_exists(report)
    assert resource.plan_id == actors.plan.id
    assert resource.limits == LIMITS
    order = db.session.scalar(select(Order))
    assert (order.state, order.type, order.created_by_id) == ("done", "Create", actors.staff.id)
    assert client.get(f"/backend-resources/{report.uuid.hex}/").status_code == 404


def test_import_without_plan_into_a_private_offering(client, actors, factory):
    private = factory.offering(name="Lab cluster", shared=False)
    factory.plan(private)
    report = make_report(factory, private, actors.project)
    log_in(client, "staff")
    response = post_import(client, report, "")
    assert response.status_code == 303
    assert db.session.scalar(select(MarketplaceResource)).plan_id is None


def test_plan_required_for_a_shared_offering(client, actors, factory):
    report = make_report(factory, actors.offering, actors.project)
    log_in(client, "staff")
    response = post_import(client, report, "")
    assert response.status_code == 400
    assert PLAN_REQUIRED in response.text
    assert 'aria-invalid="true"' in response.text
    assert report_exists(report) and resource_count() == 0


def test_archived_plan_is_not_available(client, actors, factory):
    archived = factory.plan(actors.offering, name="Old", archived=True)
    report = make_report(factory, actors.offering, actors.project)
    log_in(client, "staff")
    response = post_import(client, report, archived.uuid.hex)
    assert response.status_code == 400
    assert PLAN_NOT_AVAILABLE in response.text
    assert report_exists(report) and resource_count() == 0


def test_plan_of_another_offering_is_not_available(client, actors, factory):
    foreign = factory.plan(factory.offering(name="Other"))
    report = make_report(factory, actors.offering, actors.project)
    log_in(client, "staff")
    response = post_import(client, report, foreign.uuid.hex)
    assert response.status_code == 400
    assert PLAN_NOT_AVAILABLE in response.text
    assert report_exists(report)


def test_unknown_plan_is_refused(client, actors, factory):
    report = make_report(factory, actors.offering, actors.project)
    log_in(client, "staff")
    response = post_import(client, report, "f" * 32)
    assert response.status_code == 400
    assert "does not exist" in response.text
    assert report_exists(report)


def test_already_imported_is_refused_with_a_link(client, actors, factory):
    report = make_report(factory, actors.offering, actors.project)
    existing = factory._save(MarketplaceResource(
        name="old", backend_id="slurm-acct-climate", offering=actors.offering,
        project=actors.project))
    log_in(client, "staff")
    response = post_import(client, report, actors.plan.uuid.hex)
    assert response.status_code == 400
    assert "already imported into the offering; the report was kept" in response.text
    assert f'href="/marketplace-resources/{existing.uuid.hex}/"' in response.text
    assert report_exists(report) and resource_count() == 1


def test_report_gone_meanwhile_gives_a_clear_404(client, actors, factory):
    report = make_report(factory, actors.offering, actors.project)
    log_in(client, "staff")
    token = csrf_token(client.get(import_url(report)).text)
    db.session.delete(db.session.get(BackendResource, report.id))
    db.session.commit()
    response = client.post(import_url(report), data={"csrf_token": token,
                                                      "plan": actors.plan.uuid.hex})
    assert response.status_code == 404
    assert "no longer exists: someone may have imported or deleted it" in response.text
    assert '<a href="/backend-resources/">Back to backend resources</a>' in response.text
    assert resource_count() == 0


def test_second_import_of_the_same_report_finds_it_gone(client, actors, factory):
    report = make_report(factory, actors.offering, actors.project)
    log_in(client, "staff")
    token = csrf_token(client.get(import_url(report)).text)
    data = {"csrf_token": token, "plan": actors.plan.uuid.hex}
    assert client.post(import_url(report), data=data).status_code == 303
    again = client.post(import_url(report), data=data)
    assert again.status_code == 404
    assert "no longer exists" in again.text
    assert resource_count() == 1


def test_import_without_csrf_token_is_refused(client, actors, factory):
    report = make_report(factory, actors.offering, actors.project)
    log_in(client, "staff")
    response = client.post(import_url(report), data={"plan": actors.plan.uuid.hex})
    assert response.status_code == 400
    assert "security token" in response.text
    assert report_exists(report) and resource_count() == 0


def test_import_of_an_unknown_report_is_404(client, actors):
    log_in(client, "staff")
    assert client.get(f"/backend-resources/{'0' * 32}/import").status_code == 404


def test_anonymous_import_post_changes_nothing(client, actors, factory):
    report = make_report(factory, actors.offering, actors.project)
    response = client.post(import_url(report), data={"plan": actors.plan.uuid.hex})
    # The CSRF check comes first: no token, no further question.
    assert response.status_code == 400
    assert report_exists(report) and resource_count() == 0


# --- deleting -------------------------------------------------------------------------------


def test_delete_confirmation_page_shows_what_will_be_deleted(client, actors, factory):
    report = make_report(factory, actors.offering, actors.project)
    log_in(client, "staff")
    page = client.get(f"/backend-resources/{report.uuid.hex}/delete")
    assert page.status_code == 200
    assert "<h1>Delete the report climate-allocation?</h1>" in page.text
    assert "slurm-acct-climate" in page.text and "Climate modelling" in page.text
    assert '<button type="submit" class="danger">Delete</button>' in page.text
    assert report_exists(report)  # GET changes nothing


def test_delete_removes_the_report_and_redirects_to_the_list(client, actors, factory):
    report = make_report(factory, actors.offering, actors.project)
    log_in(client, "staff")
    url = f"/backend-resources/{report.uuid.hex}/delete"
    response = client.post(url, data={"csrf_token": csrf_token(client.get(url).text)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/backend-resources/"
    assert not report_exists(report)
    assert resource_count() == 0
    follow = client.get(f"/backend-resources/{report.uuid.hex}/")
    assert follow.status_code == 404
    assert "Deleted the report climate-allocation." in follow.text  # the flash is shown next


def test_delete_without_csrf_token_is_refused(client, actors, factory):
    report = make_report(factory, actors.offering, actors.project)
    log_in(client, "staff")
    response = client.post(f"/backend-resources/{report.uuid.hex}/delete")
    assert response.status_code == 400
    assert report_exists(report)


def test_delete_of_an_unknown_report_is_404(client, actors):
    log_in(client, "staff")
    assert client.get(f"/backend-resources/{'0' * 32}/delete").status_code == 404
