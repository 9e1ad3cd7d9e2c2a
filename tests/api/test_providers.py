"""Provider views: `marketplace-provider-offerings`, `marketplace-service-providers` and
`marketplace-provider-resources`, with who sees what.
"""

import uuid

import pytest
from waldur_api_client.models.provider_offering_details import ProviderOfferingDetails
from waldur_api_client.models.resource import Resource
from waldur_api_client.models.service_provider import ServiceProvider

from console.extensions import db
from console.services.imports import import_backend_resource
from console.services.providers import SERVICE_PROVIDER_NAMESPACE

OFFERINGS = "/api/marketplace-provider-offerings/"
PROVIDERS = "/api/marketplace-service-providers/"
RESOURCES = "/api/marketplace-provider-resources/"
AGENT_FIELDS = "field=components&field=customer_uuid&field=partitions&field=plugin_options"


@pytest.fixture
def world(actors, factory):
    """The agent's provider and offering, a second provider with its owner, a bare customer."""
    cloud_provider = factory.customer(name="Cloud Inc", slug="cloud-inc")
    cloud = factory.offering(cloud_provider, name="Cloud VMs", slug="cloud-vms", shared=False)
    owner = factory.user("owner")
    factory.grant(owner, customer=cloud_provider)
    actors.tokens["owner"] = factory.token(owner)
    factory.customer(name="Consumer only")
    return {"cloud": cloud, "cloud_provider": cloud_provider, "hpc": actors.offering}


def derived(customer) -> str:
    return uuid.uuid5(SERVICE_PROVIDER_NAMESPACE, customer.uuid.hex).hex


def listed(api, path, who, key="name") -> list:
    response = api.get(path, who)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item[key] for item in response.get_json()]


def test_provider_offering_with_the_agents_fields(api, actors, world):
    path = f"{OFFERINGS}{actors.offering.uuid.hex}/?{AGENT_FIELDS}"
    response = api.get(path, "agent")
    assert response.status_code == 200
    body = response.get_json()
    provider = actors.offering.customer
    assert body == {
        "partitions": [], "customer_uuid": provider.uuid.hex, "components": [],
        "plugin_options": {},
    }
    assert list(body) == ["partitions", "customer_uuid", "components", "plugin_options"]
    parsed = ProviderOfferingDetails.from_dict(body)
    assert parsed.customer_uuid == provider.uuid
    assert parsed.plugin_options.additional_properties == {}


def test_provider_offering_full_body(api, actors, world):
    offering, plan = actors.offering.uuid.hex, actors.plan.uuid.hex
    body = api.get(f"{OFFERINGS}{actors.offering.uuid}/", "agent").get_json()
    assert body["url"] == f"http://localhost/api/marketplace-provider-offerings/{offering}/"
    assert (body["uuid"], body["name"], body["state"], body["type"]) == (
        offering, "HPC SLURM", "Active", "Marketplace.Slurm"
    )
    assert [item["uuid"] for item in body["plans"]] == [plan]
    assert body["created"].endswith("Z")
    parsed = ProviderOfferingDetails.from_dict(body)
    assert parsed.uuid == actors.offering.uuid and parsed.plans[0].uuid == actors.plan.uuid


def test_provider_offering_visibility(api, actors, world):
    hpc, cloud = world["hpc"].uuid.hex, world["cloud"].uuid.hex
    cases = {
        "staff": {hpc, cloud}, "support": {hpc, cloud}, "agent": {hpc}, "owner": {cloud},
        "outsider": set(),
    }
    for who, visible in cases.items():
        assert set(listed(api, OFFERINGS, who, "uuid")) == visible, who
        for offering in (hpc, cloud):
            status = api.get(f"{OFFERINGS}{offering}/", who).status_code
            assert status == (200 if offering in visible else 404), (who, offering)
    hidden = api.get(f"{OFFERINGS}{cloud}/", "agent")
    assert hidden.get_json() == {"detail": "No Offering matches the given query."}
    assert api.get(f"{OFFERINGS}nope/").status_code == 404


def test_provider_offering_list_filters(api, actors, world):
    provider = world["cloud_provider"].uuid.hex
    assert listed(api, OFFERINGS, "staff") == ["Cloud VMs", "HPC SLURM"]
    assert listed(api, f"{OFFERINGS}?customer_uuid={provider}", "staff") == ["Cloud VMs"]
    assert listed(api, f"{OFFERINGS}?name=%20slurm%20", "staff") == ["HPC SLURM"]
    assert listed(api, f"{OFFERINGS}?name_exact=Cloud%20VMs", "staff") == ["Cloud VMs"]
    assert listed(api, f"{OFFERINGS}?slug=cloud-vms&field=name", "staff") == ["Cloud VMs"]
    assert api.get(f"{OFFERINGS}?field=name").get_json() == [
        {"name": "Cloud VMs"}, {"name": "HPC SLURM"}
    ]
    response = api.get(f"{OFFERINGS}?page_size=1", "staff")
    assert response.headers["X-Result-Count"] == "2"
    assert 'rel="next"' in response.headers["Link"]
    assert api.get(f"{OFFERINGS}?customer_uuid=x").get_json() == {
        "customer_uuid": ["Enter a valid UUID."]
    }


def test_service_provider_of_the_agents_offering(api, actors, world):
    provider = actors.offering.customer
    response = api.get(f"{PROVIDERS}?customer_uuid={provider.uuid.hex}&field=uuid", "agent")
    assert response.status_code == 200
    assert response.get_json() == [{"uuid": derived(provider)}]
    # Stable: the same uuid on every request, and a different one for another provider.
    again = api.get(f"{PROVIDERS}?customer_uuid={provider.uuid}&field=uuid", "agent")
    assert again.get_json() == [{"uuid": derived(provider)}]
    assert derived(world["cloud_provider"]) != derived(provider)
    body = api.get(f"{PROVIDERS}?customer_uuid={provider.uuid.hex}", "agent").get_json()[0]
    assert body["url"] == f"http://localhost/api/marketplace-service-providers/{derived(provider)}/"
    assert (body["customer_uuid"], body["customer_name"], body["offering_count"]) == (
        provider.uuid.hex, provider.name, 1
    )
    parsed = ServiceProvider.from_dict(body)
    assert parsed.uuid.hex == derived(provider) and parsed.customer_uuid == provider.uuid


def test_service_provider_visibility(api, actors, world):
    hpc = actors.offering.customer.name
    cases = {
        "staff": ["Cloud Inc", hpc], "support": ["Cloud Inc", hpc], "agent": [hpc],
        "owner": ["Cloud Inc"], "outsider": [],
    }
    for who, visible in cases.items():
        assert listed(api, PROVIDERS, who, "customer_name") == sorted(visible), who
    # A customer without offerings is no service provider, even for staff.
    assert "Consumer only" not in listed(api, PROVIDERS, "staff", "customer_name")
    cloud_url = f"{PROVIDERS}{derived(world['cloud_provider'])}/"
    assert api.get(cloud_url, "owner").get_json()["customer_name"] == "Cloud Inc"
    assert api.get(cloud_url, "support").status_code == 200
    hidden = api.get(cloud_url, "agent")
    assert hidden.status_code == 404
    assert hidden.get_json() == {"detail": "No ServiceProvider matches the given query."}
    # The customer's own uuid is not the service provider's.
    assert api.get(f"{PROVIDERS}{world['cloud_provider'].uuid.hex}/").status_code == 404
    assert api.get(f"{PROVIDERS}x/").status_code == 404


@pytest.fixture
def resources(actors, factory, world):
    """Imported resources: two in the agent's offering (one erred), one in the cloud offering."""
    made = {}
    for name, offering in (("hpc-1", world["hpc"]), ("hpc-2", world["hpc"]),
                           ("cloud-1", world["cloud"])):
        report = factory.backend_resource(offering, actors.project, name=name, backend_id=name)
        plan = actors.plan.uuid.hex if offering is world["hpc"] else None
        made[name] = import_backend_resource(
            db.session, backend_resource_uuid=report.uuid, plan_value=plan, user=actors.staff
        ).resource
    made["hpc-2"].state = "Erred"
    db.session.commit()
    return {name: resource.uuid.hex for name, resource in made.items()}


def test_provider_resources_visibility_and_body(api, actors, world, resources):
    cases = {
        "staff": {"hpc-1", "hpc-2", "cloud-1"}, "support": {"hpc-1", "hpc-2", "cloud-1"},
        "agent": {"hpc-1", "hpc-2"}, "owner": {"cloud-1"}, "outsider": set(),
    }
    for who, visible in cases.items():
        assert set(listed(api, RESOURCES, who)) == visible, who
        for name, resource_uuid in resources.items():
            status = api.get(f"{RESOURCES}{resource_uuid}/", who).status_code
            assert status == (200 if name in visible else 404), (who, name)
    provider_body = api.get(f"{RESOURCES}{resources['hpc-1']}/", "agent").get_json()
    assert provider_body == api.get(
        f"/api/marketplace-resources/{resources['hpc-1']}/", "agent"
    ).get_json()
    assert Resource.from_dict(provider_body).backend_id == "hpc-1"
    hidden = api.get(f"{RESOURCES}{resources['cloud-1']}/", "agent")
    assert hidden.get_json() == {"detail": "No Resource matches the given query."}


def test_provider_resource_filters(api, actors, world, resources):
    hpc, cloud = world["hpc"].uuid.hex, world["cloud"].uuid
    assert sorted(listed(api, f"{RESOURCES}?offering_uuid={hpc}&offering_uuid={cloud}", "staff")
                  ) == ["cloud-1", "hpc-1", "hpc-2"]
    assert listed(api, f"{RESOURCES}?offering_uuid={cloud}", "staff") == ["cloud-1"]
    assert sorted(listed(api, f"{RESOURCES}?state=OK", "staff")) == ["cloud-1", "hpc-1"]
    assert listed(api, f"{RESOURCES}?state=Erred&state=Creating", "staff") == ["hpc-2"]
    assert listed(api, f"{RESOURCES}?backend_id=+hpc-1+", "staff") == ["hpc-1"]
    assert len(listed(api, f"{RESOURCES}?project_uuid={actors.project.uuid}", "staff")) == 3
    assert listed(api, f"{RESOURCES}?project_uuid={uuid.uuid4()}", "staff") == []
    assert listed(api, f"{RESOURCES}?state=OK&field=name", "agent") == ["hpc-1"]
    assert api.get(f"{RESOURCES}?state=OK&field=name", "agent").get_json() == [{"name": "hpc-1"}]
    response = api.get(f"{RESOURCES}?page_size=2", "staff")
    assert response.headers["X-Result-Count"] == "3"
    assert 'rel="next"' in response.headers["Link"]
    assert api.get(f"{RESOURCES}?page=3&page_size=2").get_json() == {"detail": "Invalid page."}
    assert api.get(f"{RESOURCES}?state=ok").status_code == 400
    assert api.get(f"{RESOURCES}?offering_uuid=x").get_json() == {
        "offering_uuid": ["Enter a valid UUID."]
    }


def test_provider_views_are_read_only_and_need_a_token(api, client, actors, world):
    paths = (OFFERINGS, f"{OFFERINGS}{actors.offering.uuid.hex}/", PROVIDERS,
             f"{PROVIDERS}{derived(actors.offering.customer)}/", RESOURCES,
             f"{RESOURCES}{uuid.uuid4().hex}/")
    for path in paths:
        response = api.post(path, json={})
        assert response.status_code == 405, path
        assert response.get_json() == {"detail": 'Method "POST" not allowed.'}
        assert client.get(path).status_code == 401, path


def test_lists_load_in_a_fixed_number_of_statements(api, actors, factory, world,
                                                    count_statements):
    def statements(path):
        with count_statements() as counted:
            assert api.get(path, "staff").status_code == 200
        return len(counted)

    before = {path: statements(path) for path in (OFFERINGS, PROVIDERS)}
    for n in range(4):
        provider = factory.customer(name=f"P{n}")
        offering = factory.offering(provider)
        factory.plan(offering)
    assert {path: statements(path) for path in (OFFERINGS, PROVIDERS)} == before
