"""Text filters are trimmed as django-filter's CharField trims them; blank means no filter."""

from waldur_api_client.api.backend_resources import backend_resources_create, backend_resources_list
from waldur_api_client.models.backend_resource_request import BackendResourceRequest
from waldur_api_client.models.backend_resource_request_backend_metadata import (
    BackendResourceRequestBackendMetadata,
)

from console.extensions import db
from console.services.imports import import_backend_resource


def names(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return sorted(item["name"] for item in response.get_json())


def test_report_with_padded_backend_id_is_found_by_the_padded_filter(api, actors, factory):
    """The agent's duplicate-report bug: it reports ' hpc_ws ' and looks it up the same way."""
    factory.backend_resource(actors.offering, actors.project, name="other", backend_id="other")
    offering, project = actors.offering.uuid.hex, str(actors.project.uuid)
    created = api.post("/api/backend-resources/", "agent", json={
        "name": " hpc_ws ", "project": project, "offering": offering, "backend_id": " hpc_ws ",
        "backend_metadata": {"limits": {"cpu": 1}},
    })
    assert created.status_code == 201
    assert created.get_json()["backend_id"] == "hpc_ws"
    lookup = (f"/api/backend-resources/?backend_id=+hpc_ws+&offering_uuid={offering}"
              f"&project_uuid={project}&page_size=100")
    assert names(api.get(lookup, "agent")) == ["hpc_ws"]
    assert names(api.get("/api/backend-resources/?backend_id=%09hpc_ws%0A", "agent")) == [
        "hpc_ws"
    ]
    # Blank after trimming: no filter at all, as upstream.
    assert names(api.get("/api/backend-resources/?backend_id=%20%20", "agent")) == [
        "hpc_ws", "other"
    ]
    assert names(api.get("/api/backend-resources/?name=%20HPC%20", "agent")) == ["hpc_ws"]
    assert names(api.get("/api/backend-resources/?name_exact=%20other%20", "agent")) == ["other"]
    assert names(api.get("/api/backend-resources/?name_exact=%20", "agent")) == ["hpc_ws", "other"]


def test_agent_sees_its_own_padded_report_through_the_official_client(official, actors):
    """Two report cycles of the agent leave one report, not two."""
    client = official("agent")
    offering, project = actors.offering.uuid, actors.project.uuid
    for _cycle in range(2):
        existing = backend_resources_list.sync_all(
            client=client, backend_id=" hpc_ws ", offering_uuid=offering, project_uuid=project
        )
        if not existing:
            backend_resources_create.sync(client=client, body=BackendResourceRequest(
                name=" hpc_ws ", project=project, offering=offering, backend_id=" hpc_ws ",
                backend_metadata=BackendResourceRequestBackendMetadata.from_dict({"limits": {}}),
            ))
    everything = backend_resources_list.sync_all(client=client)
    assert [(item.name, item.backend_id) for item in everything] == [("hpc_ws", "hpc_ws")]


def test_catalogue_text_filters_are_trimmed(api, actors, factory):
    factory.project(name="Other", slug="other-slug")
    factory.offering(name="Zeta cloud", slug="zeta")
    slug = actors.project.slug
    assert names(api.get(f"/api/projects/?slug=%20{slug}%20", "agent")) == ["Climate modelling"]
    assert names(api.get("/api/projects/?slug=%20%20", "agent")) == ["Climate modelling", "Other"]
    assert names(api.get("/api/projects/?name=%20climate%20")) == ["Climate modelling"]
    assert names(api.get("/api/projects/?name_exact=+Other+")) == ["Other"]
    offerings = "/api/marketplace-public-offerings/"
    assert names(api.get(f"{offerings}?slug=%20zeta%20")) == ["Zeta cloud"]
    assert names(api.get(f"{offerings}?name=%20hpc%20")) == ["HPC SLURM"]
    assert names(api.get(f"{offerings}?name=%20&slug=%20")) == ["HPC SLURM", "Zeta cloud"]


def test_marketplace_resource_backend_id_is_trimmed(api, actors, factory):
    report = factory.backend_resource(actors.offering, actors.project, name="a", backend_id="a-1")
    import_backend_resource(
        db.session, backend_resource_uuid=report.uuid, plan_value=actors.plan.uuid.hex,
        user=actors.staff,
    )
    resources = "/api/marketplace-resources/"
    assert names(api.get(f"{resources}?backend_id=%20a-1%20", "agent")) == ["a"]
    assert names(api.get(f"{resources}?backend_id=%20%20", "agent")) == ["a"]
    assert names(api.get(f"{resources}?backend_id=a", "agent")) == []


def test_null_characters_are_still_refused_after_trimming(api):
    for path in ("/api/backend-resources/?backend_id=%20%00%20",
                 "/api/projects/?slug=%00", "/api/marketplace-resources/?backend_id=%00"):
        response = api.get(path)
        assert response.status_code == 400, path
        key = path.split("?")[1].split("=")[0]
        assert response.get_json() == {key: ["Null characters are not allowed."]}


def test_a_uuid_filter_of_only_spaces_is_no_filter_and_a_padded_one_is_trimmed(api, actors,
                                                                               factory):
    """django-filter's UUIDFilter trims too: blank after trimming means no filter, not a 400."""
    factory.backend_resource(actors.offering, actors.project, name="mine")
    factory.backend_resource(name="elsewhere")
    for path, key in (("/api/backend-resources/", "offering_uuid"),
                      ("/api/marketplace-site-agent-identities/", "offering_uuid"),
                      ("/api/marketplace-provider-offerings/", "customer_uuid")):
        assert api.get(f"{path}?{key}=%20%0D%09").status_code == 200, path
    assert names(api.get("/api/backend-resources/?project_uuid=%20%09")) == ["elsewhere", "mine"]
    padded = f"%20{actors.project.uuid}%0A"
    assert names(api.get(f"/api/backend-resources/?project_uuid={padded}")) == ["mine"]
    assert api.get("/api/backend-resources/?project_uuid=%20nope%20").get_json() == {
        "project_uuid": ["Enter a valid UUID."]}
