"""`/api/schema/`: an OpenAPI 3.1 document of every route, public, and true to the responses."""

import re

import pytest
from openapi_spec_validator import validate

from tests.schema_validation import ResponseChecker, documented_operations, openapi_path

SCHEMA = "/api/schema/"
METHODS = {"get", "put", "post", "delete", "patch", "head"}


def schema_operations(document) -> set[tuple[str, str]]:
    """(method, path) of every operation the document describes (HEAD left to GET)."""
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS and method != "head"
    }


def test_the_schema_is_served_without_a_token_and_is_valid_openapi(client):
    response = client.get(SCHEMA)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document = response.get_json()
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "apiKey", "in": "header", "name": "Authorization",
        "description": document["components"]["securitySchemes"]["tokenAuth"]["description"],
    }
    assert document["paths"][SCHEMA]["get"]["security"] == []


def test_only_the_schema_is_public(client):
    assert client.get("/api/version/").status_code == 401
    refused = client.post(SCHEMA)
    assert refused.status_code == 405
    assert refused.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_every_api_route_is_in_the_schema(app, client):
    document = client.get(SCHEMA).get_json()
    routed = documented_operations(app.url_map)
    assert len(routed) >= 40
    assert routed - schema_operations(document) == set()


def test_every_operation_in_the_schema_is_a_route(app, client):
    document = client.get(SCHEMA).get_json()
    adapter = app.url_map.bind("localhost")
    for method, path in schema_operations(document):
        concrete = re.sub(r"\{[^}]+\}", "0123456789abcdef0123456789abcdef", path)
        endpoint, _ = adapter.match(concrete, method=method)
        assert not endpoint.startswith("api.not_allowed_"), (method, path)
        assert (method, path) in documented_operations(app.url_map)


def test_options_lists_exactly_the_methods_the_schema_documents(api, client):
    document = client.get(SCHEMA).get_json()
    for path, item in document["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "0123456789abcdef0123456789abcdef", path)
        documented = {method.upper() for method in item if method in METHODS} | {"OPTIONS"}
        if "GET" in documented:
            documented.add("HEAD")
        response = api.request("OPTIONS", concrete)
        assert response.status_code == 200, path
        assert set(response.headers["Allow"].split(", ")) == documented, path


def test_list_operations_document_the_paging_headers_and_error_shapes(client):
    document = client.get(SCHEMA).get_json()
    listing = document["paths"]["/api/backend-resources/"]["get"]
    assert set(listing["responses"]["200"]["headers"]) == {"X-Result-Count", "Link"}
    assert {parameter["name"] for parameter in listing["parameters"]} >= {
        "name", "offering_uuid", "created_before", "o", "page", "page_size"}
    assert set(listing["responses"]) == {"200", "400", "401", "404", "429", "503"}
    queue = document["paths"]["/api/marketplace-site-agent-identities/{uuid}/register_queue/"]
    assert "503" in queue["post"]["responses"]
    assert "409" in document["paths"][
        "/api/backend-resource-requests/{uuid}/start_processing/"]["post"]["responses"]


def test_flask_rules_map_to_waldurs_path_names():
    assert openapi_path("/api/x/<uuid_text>/") == "/api/x/{uuid}/"
    assert openapi_path(
        "/api/marketplace-public-offerings/<offering_uuid_text>/plans/<plan_uuid_text>/"
    ) == "/api/marketplace-public-offerings/{uuid}/plans/{plan_uuid}/"


@pytest.fixture
def checker():
    return ResponseChecker()


def test_the_checker_catches_a_key_the_schema_does_not_know(api, actors, factory, checker):
    factory.backend_resource(actors.offering, actors.project)
    response = api.get("/api/backend-resources/")
    rule = "/api/backend-resources/"
    assert checker.problems("GET", rule, 200, response.headers, response.data) == []
    extra = response.data.replace(b'"uuid":', b'"surprise":1,"uuid":', 1)
    assert any("surprise" in problem
               for problem in checker.problems("GET", rule, 200, response.headers, extra))
    headers = {key: value for key, value in response.headers.items() if key != "Link"}
    assert checker.problems("GET", rule, 200, headers, response.data) == [
        "GET /api/backend-resources/ -> 200: header Link is missing"]
    assert checker.problems("GET", rule, 418, response.headers, response.data) == [
        "GET /api/backend-resources/ -> 418: the schema lists no 418 response for this operation"]


def test_the_schema_states_the_configured_input_bounds(app, client):
    app.config.update(CONSOLE_MAX_FILTER_LENGTH=40, CONSOLE_MAX_SORT_KEYS=2)
    document = client.get(SCHEMA).get_json()
    listing = document["paths"]["/api/backend-resources/"]["get"]
    parameters = {parameter["name"]: parameter["schema"] for parameter in listing["parameters"]}
    assert parameters["name"]["maxLength"] == 40
    ordering = re.compile(parameters["o"]["pattern"])
    assert ordering.match("name, -created") and not ordering.match("name,-created,modified")
    resources = document["paths"]["/api/marketplace-resources/"]["get"]["parameters"]
    state = next(parameter for parameter in resources if parameter["name"] == "state")
    assert state["schema"]["items"]["maxLength"] == 40
    deleting = document["paths"]["/api/backend-resources/{uuid}/"]["delete"]["responses"]
    assert {"413", "429", "503"} <= set(deleting)
    assert "413" not in listing["responses"]
