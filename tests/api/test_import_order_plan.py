"""The done CREATE order an import records carries the plan the import chose."""

from waldur_api_client.models.order_details import OrderDetails

from console.extensions import db
from console.services.imports import import_backend_resource


def test_order_of_an_import_with_a_plan_shows_the_plan(api, actors, factory):
    report = factory.backend_resource(actors.offering, actors.project, backend_id="with-plan")
    imported = api.post(
        f"/api/backend-resources/{report.uuid.hex}/import_resource/",
        json={"plan": actors.plan.uuid.hex},
    )
    assert imported.status_code == 201
    offering, plan = actors.offering.uuid.hex, actors.plan.uuid.hex
    creation = imported.get_json()["creation_order"]
    assert creation["plan_uuid"] == plan
    order = api.get(f"/api/marketplace-orders/{creation['uuid']}/", "agent").get_json()
    assert (order["plan_uuid"], order["plan_name"], order["plan_unit"]) == (
        plan, "Standard", "month"
    )
    assert order["plan"] == (
        f"http://localhost/api/marketplace-public-offerings/{offering}/plans/{plan}/"
    )
    assert OrderDetails.from_dict(order).plan_uuid == actors.plan.uuid


def test_order_of_an_import_without_a_plan_has_none(api, actors, factory):
    report = factory.backend_resource(factory.offering(shared=False), actors.project)
    result = import_backend_resource(
        db.session, backend_resource_uuid=report.uuid, plan_value=None, user=actors.staff
    )
    assert result.order.plan is None
    order = api.get(f"/api/marketplace-orders/{result.order.uuid.hex}/").get_json()
    assert order["plan"] is None and "plan_uuid" not in order
