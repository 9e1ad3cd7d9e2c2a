"""Filters of /api/marketplace-orders/ and /api/marketplace-resources/, as the agent sends them."""

from datetime import UTC, datetime, timedelta

import pytest
from waldur_api_client.api.marketplace_orders import marketplace_orders_list
from waldur_api_client.api.marketplace_resources import marketplace_resources_list
from waldur_api_client.models.order_state import OrderState
from waldur_api_client.models.request_types import RequestTypes
from waldur_api_client.models.resource_state import ResourceState

from console.extensions import db
from console.models import MarketplaceResource, Order
from console.services.imports import import_backend_resource
from tests.api.official_client import status_of

T0 = datetime(2025, 1, 1, tzinfo=UTC)
ORDERS = "/api/marketplace-orders/"
RESOURCES = "/api/marketplace-resources/"


def save(obj):
    db.session.add(obj)
    db.session.commit()
    return obj


def make_resource(offering, project, name, state="OK"):
    """A marketplace resource in a given state, stored as written."""
    return save(MarketplaceResource(
        name=name, backend_id=name, state=state, offering=offering, project=project
    ))


def make_order(resource, state, type_="Create", moment=T0):
    """An order of a resource, created and last modified at `moment`."""
    return save(Order(
        type=type_, state=state, resource=resource, offering=resource.offering,
        project=resource.project, created=moment, modified=moment,
    ))


def listed(api, path, who="staff") -> list[str]:
    response = api.get(path, who)
    assert response.status_code == 200, response.get_data(as_text=True)
    return sorted(item["uuid"] for item in response.get_json())


@pytest.fixture
def import_order(actors, factory):
    """The only order of a fresh console: the done CREATE order an import records."""
    report = factory.backend_resource(actors.offering, actors.project, backend_id="imported")
    return import_backend_resource(
        db.session, backend_resource_uuid=report.uuid, plan_value=actors.plan.uuid.hex,
        user=actors.staff,
    ).order


@pytest.fixture
def orders(actors):
    """Orders in several states and types, one day apart from T0."""
    resource = make_resource(actors.offering, actors.project, "r1")
    made = {
        "pending": make_order(resource, "pending-provider", moment=T0),
        "executing": make_order(resource, "executing", "Update", T0 + timedelta(days=1)),
        "done": make_order(resource, "done", "Terminate", T0 + timedelta(days=2)),
    }
    return {name: order.uuid.hex for name, order in made.items()}


def test_agent_reconciliation_call_skips_the_done_import_order(api, actors, import_order):
    cutoff = (datetime.now(UTC) + timedelta(minutes=5)).isoformat().replace("+", "%2B")
    path = (f"{ORDERS}?offering_uuid={actors.offering.uuid.hex}&state=pending-provider"
            f"&state=executing&modified_before={cutoff}&page_size=100")
    response = api.get(path, "agent")
    assert response.status_code == 200
    assert response.get_json() == []
    assert response.headers["X-Result-Count"] == "0"
    # Without the state filter the same call finds the import's order.
    assert listed(api, path.replace("&state=pending-provider&state=executing", ""), "agent") == [
        import_order.uuid.hex
    ]


def test_order_state_takes_any_of_its_values(api, orders):
    assert listed(api, f"{ORDERS}?state=pending-provider&state=executing") == sorted(
        [orders["pending"], orders["executing"]]
    )
    assert listed(api, f"{ORDERS}?state=done") == [orders["done"]]
    assert listed(api, f"{ORDERS}?state=erred") == []
    bad = api.get(f"{ORDERS}?state=executing&state=stuck")
    assert bad.status_code == 400
    assert bad.get_json() == {
        "state": ["Select a valid choice. stuck is not one of the available choices."]
    }
    # Choices are matched exactly, as Django's MultipleChoiceField matches them.
    assert api.get(f"{ORDERS}?state=Done").status_code == 400


def test_order_type_and_dates(api, orders):
    assert listed(api, f"{ORDERS}?type=Update&type=Terminate") == sorted(
        [orders["executing"], orders["done"]]
    )
    assert api.get(f"{ORDERS}?type=Delete").get_json() == {
        "type": ["Select a valid choice. Delete is not one of the available choices."]
    }
    assert listed(api, f"{ORDERS}?created=2025-01-02") == sorted(
        [orders["executing"], orders["done"]]
    )
    assert listed(api, f"{ORDERS}?created_before=2025-01-02") == sorted(
        [orders["pending"], orders["executing"]]
    )
    assert listed(api, f"{ORDERS}?modified=2025-01-02T12:00:00Z") == [orders["done"]]
    assert listed(api, f"{ORDERS}?modified_before=2025-01-01T23:00:00%2B00:00") == [
        orders["pending"]
    ]
    bad = api.get(f"{ORDERS}?modified_before=yesterday&created=2025-13-01&state=x")
    assert bad.status_code == 400
    assert bad.get_json() == {
        "state": ["Select a valid choice. x is not one of the available choices."],
        "created": ["Enter a valid date/time."],
        "modified_before": ["Enter a valid date/time."],
    }


def test_order_filters_through_the_official_client(official, actors, orders):
    client = official("agent")
    stuck = marketplace_orders_list.sync_all(
        client=client, offering_uuid=actors.offering.uuid,
        state=[OrderState.PENDING_PROVIDER, OrderState.EXECUTING],
        modified_before=T0 + timedelta(hours=36),
    )
    assert sorted(order.uuid.hex for order in stuck) == sorted(
        [orders["pending"], orders["executing"]]
    )
    assert stuck[0].state in (OrderState.PENDING_PROVIDER, OrderState.EXECUTING)
    terminating = marketplace_orders_list.sync(client=client, type_=[RequestTypes.TERMINATE])
    assert [order.uuid.hex for order in terminating] == [orders["done"]]
    assert status_of(lambda: marketplace_orders_list.sync(
        client=client, created=datetime(2025, 1, 1), page=9)) == 404


@pytest.fixture
def resources(actors, factory):
    """Resources in two offerings and several states, one stored in lower case."""
    other = factory.offering(name="Cloud")
    third = factory.offering(name="Archive")
    made = {
        "ok": make_resource(actors.offering, actors.project, "ok", "OK"),
        "erred": make_resource(actors.offering, actors.project, "erred", "erred"),
        "creating": make_resource(other, actors.project, "creating", "Creating"),
        "terminated": make_resource(other, actors.project, "terminated", "Terminated"),
        "archived": make_resource(third, actors.project, "archived", "OK"),
    }
    return {
        "offerings": (actors.offering.uuid, other.uuid, third.uuid),
        **{name: resource.uuid.hex for name, resource in made.items()},
    }


def test_resource_state_matches_any_value_whatever_the_stored_case(api, resources):
    assert listed(api, f"{RESOURCES}?state=OK&state=Erred&state=Creating") == sorted(
        [resources[name] for name in ("ok", "erred", "creating", "archived")]
    )
    assert listed(api, f"{RESOURCES}?state=Erred") == [resources["erred"]]
    assert listed(api, f"{RESOURCES}?state=Updating") == []
    bad = api.get(f"{RESOURCES}?state=OK&state=Broken")
    assert bad.status_code == 400
    assert bad.get_json() == {
        "state": ["Select a valid choice. Broken is not one of the available choices."]
    }


def test_resource_offering_uuid_is_repeatable(api, resources):
    mine, other, third = resources["offerings"]
    both = sorted(resources[name] for name in ("ok", "erred", "creating", "terminated"))
    assert listed(api, f"{RESOURCES}?offering_uuid={mine.hex}&offering_uuid={other}") == both
    assert listed(api, f"{RESOURCES}?offering_uuid={mine.hex},{other.hex}") == both
    assert listed(api, f"{RESOURCES}?offering_uuid={third}&state=OK") == [resources["archived"]]
    assert listed(api, f"{RESOURCES}?offering_uuid=") == sorted(
        value for key, value in resources.items() if key != "offerings"
    )
    bad = api.get(f"{RESOURCES}?offering_uuid={mine.hex}&offering_uuid=nope")
    assert bad.get_json() == {"offering_uuid": ["Enter a valid UUID."]}


def test_resource_filters_through_the_official_client(official, resources):
    mine, other, _third = resources["offerings"]
    found = marketplace_resources_list.sync(
        client=official("staff"), offering_uuid=[mine, other],
        state=[ResourceState.OK, ResourceState.ERRED, ResourceState.CREATING],
    )
    assert sorted(item.uuid.hex for item in found) == sorted(
        [resources["ok"], resources["erred"], resources["creating"]]
    )
    assert {item.state for item in found} == {
        ResourceState.OK, ResourceState.ERRED, ResourceState.CREATING
    }
