"""The site agent identity API, as waldur-site-agent 1.0.7 calls it at start-up and per message."""

from datetime import UTC, datetime

import pytest
from waldur_api_client import errors
from waldur_api_client.api.marketplace_site_agent_identities import (
    marketplace_site_agent_identities_create,
    marketplace_site_agent_identities_list,
    marketplace_site_agent_identities_register_service,
    marketplace_site_agent_identities_retrieve,
    marketplace_site_agent_identities_update,
)
from waldur_api_client.api.marketplace_site_agent_services import (
    marketplace_site_agent_services_register_processor,
)
from waldur_api_client.models import (
    AgentIdentityRequest,
    AgentProcessorCreateRequest,
    AgentServiceCreateRequest,
)
from waldur_api_client.models.agent_dependency_request import AgentDependencyRequest

from console.extensions import db
from console.models import AgentIdentity, AgentProcessor, AgentService

IDENTITIES = "/api/marketplace-site-agent-identities/"


def identity_body(actors, name="agent-1", **extra):
    """The body the agent sends when it registers."""
    return {"offering": actors.offering.uuid.hex, "name": name, "version": "1.0.7",
            "dependencies": [{"package": "waldur-api-client", "version": "8.1.2"}],
            "config_file_path": "", "config_file_content": "",
            "last_restarted": "2026-11-28T10:00:00+00:00", **extra}


def register(api, actors, who="agent", **extra):
    """POST an identity as an actor."""
    return api.post(IDENTITIES, who, json=identity_body(actors, **extra))


def test_an_agent_registers_an_identity_that_is_stored(api, actors):
    response = register(api, actors)
    assert response.status_code == 201
    body = response.get_json()
    assert body["name"] == "agent-1"
    assert body["offering"] == actors.offering.uuid.hex
    assert body["created_by"] == actors.agent.uuid.hex
    assert body["services"] == []
    assert body["last_restarted"] == "2026-11-28T10:00:00Z"
    stored = db.session.scalar(db.select(AgentIdentity))
    assert stored.uuid.hex == body["uuid"]
    assert stored.dependencies == [{"package": "waldur-api-client", "version": "8.1.2"}]
    assert stored.version == "1.0.7"


@pytest.mark.parametrize("who", ["support", "outsider"])
def test_only_managers_of_the_offering_register(api, actors, who):
    assert register(api, actors, who).status_code == 403
    assert db.session.scalar(db.select(db.func.count()).select_from(AgentIdentity)) == 0


def test_an_agent_may_not_register_for_another_offering(api, actors, factory):
    other = factory.offering(name="Other")
    response = api.post(IDENTITIES, "agent", json={"offering": other.uuid.hex, "name": "x"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [({"name": "x"}, "offering"), ({"offering": "0" * 32, "name": "x"}, "offering"),
     ({"offering": None, "name": "x"}, "offering"), ("offering", "non_field_errors"),
     ({"name": "  "}, "name"), ({"dependencies": "numpy"}, "dependencies"),
     ({"last_restarted": "yesterday"}, "last_restarted")],
)
def test_bad_bodies_are_400_with_field_errors(api, actors, body, field):
    if isinstance(body, dict) and "offering" not in body and field != "offering":
        body = {**identity_body(actors), **body}
    response = api.post(IDENTITIES, "agent", json=body)
    assert response.status_code == 400
    assert field in response.get_json()


def test_list_by_exact_name_is_scoped_to_managed_offerings(api, actors, factory):
    register(api, actors, name="agent-a")
    register(api, actors, name="agent-ab")
    other = factory.offering(name="Other")
    factory._save(AgentIdentity(offering=other, name="agent-a"))
    names = [item["name"] for item in api.get(IDENTITIES + "?name=agent-a", "agent").get_json()]
    assert names == ["agent-a"]
    assert len(api.get(IDENTITIES + "?name=agent-a", "staff").get_json()) == 2
    assert len(api.get(IDENTITIES + "?name=%20agent-a%20", "support").get_json()) == 2
    assert api.get(IDENTITIES, "outsider").get_json() == []
    assert len(api.get(IDENTITIES + f"?offering_uuid={other.uuid}", "staff").get_json()) == 1


def test_put_updates_in_place(api, actors):
    uuid_hex = register(api, actors).get_json()["uuid"]
    response = api.request("PUT", f"{IDENTITIES}{uuid_hex}/", "agent",
                           json=identity_body(actors, version="1.0.8"))
    assert response.status_code == 200
    assert response.get_json()["version"] == "1.0.8"
    assert db.session.scalar(db.select(db.func.count()).select_from(AgentIdentity)) == 1
    assert api.request("PUT", f"{IDENTITIES}{uuid_hex}/", "support",
                       json=identity_body(actors)).status_code == 403
    assert api.request("PATCH", f"{IDENTITIES}{uuid_hex}/", "agent", json={}).status_code == 405
    assert api.request("DELETE", f"{IDENTITIES}{uuid_hex}/", "agent").status_code == 405


def test_register_service_and_processor_return_the_existing_ones_on_repeat(api, actors):
    identity = register(api, actors).get_json()
    path = f"{IDENTITIES}{identity['uuid']}/register_service/"
    body = {"name": "event_process-importable_resources", "mode": "event_process"}
    first = api.post(path, "agent", json=body)
    again = api.post(path, "agent", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["uuid"] == again.get_json()["uuid"]
    service = first.get_json()
    assert service["identity"] == identity["uuid"] and service["state"] == "Active"
    processor_path = f"/api/marketplace-site-agent-services/{service['uuid']}/register_processor/"
    processor_body = {"name": "OfferingImportableResourcesProcessor",
                      "backend_type": "plugin.FakeBackend", "backend_version": "1"}
    created = api.post(processor_path, "agent", json=processor_body)
    repeated = api.post(processor_path, "agent", json={**processor_body, "backend_version": "2"})
    assert (created.status_code, repeated.status_code) == (201, 200)
    assert repeated.get_json()["backend_version"] == "2"
    assert db.session.scalar(db.select(db.func.count()).select_from(AgentService)) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(AgentProcessor)) == 1
    shown = api.get(f"{IDENTITIES}{identity['uuid']}/", "support").get_json()
    assert [item["name"] for item in shown["services"]] == [body["name"]]
    assert api.get(repeated.get_json()["url"], "staff").status_code == 200
    assert api.get(service["url"], "staff").get_json()["processors"][0]["name"] == (
        "OfferingImportableResourcesProcessor")
    assert api.post(path, "support", json=body).status_code == 403
    assert api.post(processor_path, "outsider", json=processor_body).status_code == 404


def test_register_queue_without_a_broker_is_503_and_changes_nothing(api, actors):
    uuid_hex = register(api, actors).get_json()["uuid"]
    response = api.post(f"{IDENTITIES}{uuid_hex}/register_queue/", "agent",
                        json={"object_types": ["importable_resources"]})
    assert response.status_code == 503
    assert "not configured" in response.get_json()["detail"]
    assert db.session.scalar(db.select(AgentIdentity)).queue_registered is None


def test_register_queue_refuses_unknown_object_types(api, actors):
    uuid_hex = register(api, actors).get_json()["uuid"]
    response = api.post(f"{IDENTITIES}{uuid_hex}/register_queue/", "agent",
                        json={"object_types": ["gossip"]})
    assert response.status_code == 400
    assert response.get_json() == {"object_types": ['"gossip" is not a valid choice.']}


def test_the_official_client_registers_as_the_agent_does(official, actors):
    agent = official("agent")
    name = f"agent-{actors.offering.uuid.hex}"
    request = AgentIdentityRequest(
        offering=actors.offering.uuid, name=name, version="1.0.7",
        last_restarted=datetime.now(UTC),
        dependencies=[AgentDependencyRequest(package="httpx", version="0.28.1")],
        config_file_path="", config_file_content="",
    )
    created = marketplace_site_agent_identities_create.sync(body=request, client=agent)
    assert created.name == name and created.offering == actors.offering.uuid
    found = marketplace_site_agent_identities_list.sync(client=agent, name=name)
    assert [item.uuid for item in found] == [created.uuid]
    updated = marketplace_site_agent_identities_update.sync(
        uuid=created.uuid.hex, body=request, client=agent)
    assert updated.uuid == created.uuid
    service = marketplace_site_agent_identities_register_service.sync(
        uuid=created.uuid.hex, client=agent,
        body=AgentServiceCreateRequest(name="event_process-importable_resources",
                                       mode="event_process"),
    )
    processor = marketplace_site_agent_services_register_processor.sync(
        uuid=service.uuid.hex, client=agent,
        body=AgentProcessorCreateRequest(name="OfferingImportableResourcesProcessor",
                                         backend_type="fake.Backend", backend_version="1"),
    )
    assert processor.service == service.uuid
    shown = marketplace_site_agent_identities_retrieve.sync(uuid=created.uuid.hex, client=agent)
    assert [item.uuid for item in shown.services] == [service.uuid]
    with pytest.raises(errors.UnexpectedStatus) as refused:
        marketplace_site_agent_identities_create.sync(body=request, client=official("outsider"))
    assert refused.value.status_code == 403
