"""The resources API bodies link to: projects, offerings, plans, marketplace resources, orders.

Visibility: offerings and plans for every authenticated user; projects for staff, support and
anyone holding an offering role; marketplace resources and orders for staff, support and the
managers of their offering.
"""

import pytest
from waldur_api_client.models.base_public_plan import BasePublicPlan
from waldur_api_client.models.order_details import OrderDetails
from waldur_api_client.models.project import Project as ClientProject
from waldur_api_client.models.public_offering_details import PublicOfferingDetails
from waldur_api_client.models.resource import Resource

from console.extensions import db
from console.services.imports import import_backend_resource


@pytest.fixture
def imported(actors, factory):
    """Two imported resources: one in the agent's offering, one elsewhere."""
    theirs_offering = factory.offering(name="Elsewhere", shared=False)
    results = {}
    for label, offering in (("mine", actors.offering), ("theirs", theirs_offering)):
        report = factory.backend_resource(offering, actors.project, name=label, backend_id=label)
        plan = actors.plan.uuid.hex if offering is actors.offering else None
        results[label] = import_backend_resource(
            db.session, backend_resource_uuid=report.uuid, plan_value=plan, user=actors.staff
        )
    return results


def test_project_detail_and_visibility(api, actors, factory):
    owner = factory.user("owner")
    factory.grant(owner, customer=factory.customer())
    actors.tokens["owner"] = factory.token(owner)
    path = f"/api/projects/{actors.project.uuid}/"
    for who in ("staff", "support", "agent", "owner"):
        response = api.get(path, who)
        assert response.status_code == 200, who
    response = api.get(path, "outsider")
    assert response.status_code == 404
    assert response.get_json() == {"detail": "No Project matches the given query."}
    body = api.get(path).get_json()
    assert body["uuid"] == actors.project.uuid.hex
    assert body["url"] == f"http://localhost/api/projects/{actors.project.uuid.hex}/"
    assert (body["name"], body["customer_uuid"]) == (
        "Climate modelling", actors.project.customer.uuid.hex
    )
    parsed = ClientProject.from_dict(body)
    assert parsed.uuid == actors.project.uuid


def test_project_list_filters_by_slug_and_name(api, actors, factory):
    factory.project(name="Other", slug="other-slug")
    slug = actors.project.slug
    listed = api.get(f"/api/projects/?slug={slug}", "agent")
    assert [item["uuid"] for item in listed.get_json()] == [actors.project.uuid.hex]
    assert listed.headers["X-Result-Count"] == "1"
    assert "Link" in listed.headers
    assert [item["name"] for item in api.get("/api/projects/?name=climate").get_json()] == [
        "Climate modelling"
    ]
    assert [item["name"] for item in api.get("/api/projects/?name_exact=Other").get_json()] == [
        "Other"
    ]
    assert api.get("/api/projects/?slug=missing").get_json() == []
    assert api.get("/api/projects/", "outsider").get_json() == []
    assert len(api.get("/api/projects/", "support").get_json()) == 2
    assert api.get("/api/projects/?page=2").status_code == 404
    assert api.get("/api/projects/?name=%00").status_code == 400


def test_offering_detail_with_plans_for_everyone(api, actors, factory):
    factory.plan(actors.offering, name="Archived", archived=True)
    path = f"/api/marketplace-public-offerings/{actors.offering.uuid}/"
    for who in ("staff", "support", "agent", "outsider"):
        assert api.get(path, who).status_code == 200, who
    body = api.get(path, "outsider").get_json()
    assert body["uuid"] == actors.offering.uuid.hex
    assert body["url"] == f"http://localhost/api/marketplace-public-offerings/{body['uuid']}/"
    assert [plan["name"] for plan in body["plans"]] == ["Archived", "Standard"]
    assert body["state"] == "Active"
    parsed = PublicOfferingDetails.from_dict(body)
    assert parsed.uuid == actors.offering.uuid and len(parsed.plans) == 2
    missing = api.get(f"/api/marketplace-public-offerings/{'0' * 32}/")
    assert missing.get_json() == {"detail": "No Offering matches the given query."}


def test_offering_list(api, actors, factory):
    factory.offering(name="Zeta cloud", slug="zeta")
    listed = api.get("/api/marketplace-public-offerings/", "outsider")
    assert [item["name"] for item in listed.get_json()] == ["HPC SLURM", "Zeta cloud"]
    assert listed.headers["X-Result-Count"] == "2"
    assert [item["name"] for item in api.get(
        "/api/marketplace-public-offerings/?slug=zeta").get_json()] == ["Zeta cloud"]
    assert [item["name"] for item in api.get(
        "/api/marketplace-public-offerings/?name=hpc").get_json()] == ["HPC SLURM"]


def test_plan_detail_and_list(api, actors, factory):
    offering, plan = actors.offering.uuid, actors.plan.uuid
    path = f"/api/marketplace-public-offerings/{offering}/plans/{plan}/"
    response = api.get(path, "outsider")
    assert response.status_code == 200
    body = response.get_json()
    assert body["url"] == (
        f"http://localhost/api/marketplace-public-offerings/{offering.hex}/plans/{plan.hex}/"
    )
    assert (body["name"], body["unit"]) == ("Standard", "month")
    assert BasePublicPlan.from_dict(body).uuid == plan
    listed = api.get(f"/api/marketplace-public-offerings/{offering}/plans/", "agent")
    assert [item["uuid"] for item in listed.get_json()] == [plan.hex]
    # A plan addressed under another offering does not exist there.
    other = factory.offering()
    wrong = api.get(f"/api/marketplace-public-offerings/{other.uuid}/plans/{plan}/")
    assert wrong.status_code == 404
    assert wrong.get_json() == {"detail": "No Plan matches the given query."}
    assert api.get(f"/api/marketplace-public-offerings/x/plans/{plan}/").status_code == 404


def test_marketplace_resource_visibility(api, imported):
    mine, theirs = imported["mine"].resource, imported["theirs"].resource
    cases = {
        "staff": {"mine", "theirs"}, "support": {"mine", "theirs"},
        "agent": {"mine"}, "outsider": set(),
    }
    for who, visible in cases.items():
        listed = api.get("/api/marketplace-resources/", who)
        assert {item["name"] for item in listed.get_json()} == visible, who
        for resource in (mine, theirs):
            status = api.get(f"/api/marketplace-resources/{resource.uuid}/", who).status_code
            assert status == (200 if resource.name in visible else 404), (who, resource.name)
    hidden = api.get(f"/api/marketplace-resources/{theirs.uuid}/", "agent")
    assert hidden.get_json() == {"detail": "No Resource matches the given query."}


def test_marketplace_resource_list_filters_and_parses(api, actors, imported):
    listed = api.get(f"/api/marketplace-resources/?offering_uuid={actors.offering.uuid}")
    bodies = listed.get_json()
    assert [item["name"] for item in bodies] == ["mine"]
    for body in api.get("/api/marketplace-resources/").get_json():
        Resource.from_dict(body)
        assert body["creation_order"]["type"] == "Create"
    assert [item["name"] for item in api.get(
        "/api/marketplace-resources/?backend_id=theirs").get_json()] == ["theirs"]
    assert len(api.get(
        f"/api/marketplace-resources/?project_uuid={actors.project.uuid.hex}").get_json()) == 2
    bad = api.get("/api/marketplace-resources/?offering_uuid=nope")
    assert bad.status_code == 400
    assert bad.get_json() == {"offering_uuid": ["Enter a valid UUID."]}


def test_order_visibility_and_shape(api, imported):
    mine, theirs = imported["mine"], imported["theirs"]
    cases = {
        "staff": {mine.order.uuid.hex, theirs.order.uuid.hex},
        "support": {mine.order.uuid.hex, theirs.order.uuid.hex},
        "agent": {mine.order.uuid.hex},
        "outsider": set(),
    }
    for who, visible in cases.items():
        listed = api.get("/api/marketplace-orders/", who).get_json()
        assert {item["uuid"] for item in listed} == visible, who
    body = api.get(f"/api/marketplace-orders/{mine.order.uuid}/", "agent").get_json()
    parsed = OrderDetails.from_dict(body)
    assert parsed.marketplace_resource_uuid == mine.resource.uuid
    assert body["state"] == "done"
    hidden = api.get(f"/api/marketplace-orders/{theirs.order.uuid}/", "agent")
    assert hidden.status_code == 404
    assert hidden.get_json() == {"detail": "No Order matches the given query."}
    by_resource = api.get(f"/api/marketplace-orders/?resource_uuid={theirs.resource.uuid}")
    assert [item["uuid"] for item in by_resource.get_json()] == [theirs.order.uuid.hex]


def test_catalog_is_read_only(api, actors):
    for path in ("/api/projects/", f"/api/projects/{actors.project.uuid}/",
                 "/api/marketplace-public-offerings/", "/api/marketplace-orders/",
                 "/api/marketplace-resources/"):
        response = api.post(path, json={})
        assert response.status_code == 405, path
        assert response.get_json() == {"detail": 'Method "POST" not allowed.'}
