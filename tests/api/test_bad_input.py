"""Bad input of every kind gets a DRF-shaped 4xx, never a 500."""

import json

import pytest

WEIRD_TEXT = [
    "", " ", "%00", "%FF", "%C3%A9", "..", "%2E%2E", "{}", "[]", "null", "9" * 400,
    "00000000-0000-0000-0000-000000000000", "urn:uuid:" + "0" * 32, "%E2%80%AE", "'; DROP--",
]


@pytest.fixture
def report(actors, factory):
    return factory.backend_resource(actors.offering, actors.project)


def assert_client_error(response, what):
    assert 400 <= response.status_code < 500, (what, response.status_code, response.data[:200])
    body = response.get_json()
    assert isinstance(body, dict | list), what


def test_weird_path_uuids(api, actors):
    templates = [
        "/api/backend-resources/{}/", "/api/backend-resources/{}/import_resource/",
        "/api/projects/{}/", "/api/marketplace-public-offerings/{}/",
        "/api/marketplace-public-offerings/{}/plans/", "/api/marketplace-resources/{}/",
        "/api/marketplace-orders/{}/",
        f"/api/marketplace-public-offerings/{actors.offering.uuid.hex}/plans/{{}}/",
    ]
    for template in templates:
        for text in WEIRD_TEXT:
            if not text.strip():
                continue
            path = template.format(text)
            for method in ("GET", "DELETE", "POST", "PUT"):
                response = api.request(method, path, "staff", json={})
                assert_client_error(response, (method, path))


def test_weird_query_parameters(api, report):
    keys = ["name", "name_exact", "backend_id", "offering_uuid", "project_uuid", "created",
            "created_before", "modified", "modified_before", "o", "page", "page_size", "slug",
            "resource_uuid"]
    lists = ["/api/backend-resources/", "/api/projects/", "/api/marketplace-public-offerings/",
             "/api/marketplace-resources/", "/api/marketplace-orders/"]
    for path in lists:
        for key in keys:
            for text in WEIRD_TEXT:
                response = api.get(f"{path}?{key}={text}")
                assert response.status_code < 500, (path, key, text)
                assert isinstance(response.get_json(), dict | list)


BODIES = [
    "", "{}", "[]", "null", "0", "1e999", '"x"', "true", "{", "}", "[{}]", '{"name": {}}',
    '{"name": 1e400}', '{"name": -0.0, "project": [], "offering": {}}',
    '{"project": "' + "f" * 10000 + '"}', '{"backend_metadata": {"a": [1, {"b": null}]}}',
    '{"plan": {"uuid": "x"}}', '{"plan": 1.5}', '{"plan": true}', '{"plan": "%00"}',
    '{"\\u0000": "\\u0000"}', '{"name": "\\ud800"}', '{"backend_id": ["a"]}',
    '{"backend_metadata": {"limits": NaN}}',
    '{"backend_metadata": {"k": 123456789012345678901234567890}}',
]


def test_weird_bodies(api, actors, report):
    paths = ["/api/backend-resources/", f"/api/backend-resources/{report.uuid}/import_resource/"]
    for path in paths:
        for text in BODIES:
            for content_type in ("application/json", "application/x-www-form-urlencoded",
                                 "text/plain", "application/vnd.api+json"):
                response = api.post(path, data=text.encode(), content_type=content_type)
                assert response.status_code < 500, (path, text[:40], content_type)


def test_huge_but_valid_metadata_round_trips(api, actors):
    limits = {"big": 123456789012345678901234567890, "neg": -1.5, "tiny": 2.5e-7}
    metadata = {"limits": limits, "ü": "✓"}
    body = {"name": "big", "project": actors.project.uuid.hex,
            "offering": actors.offering.uuid.hex, "backend_metadata": metadata}
    response = api.post("/api/backend-resources/", data=json.dumps(body),
                        content_type="application/json")
    assert response.status_code == 201
    shown = api.get(f"/api/backend-resources/{response.get_json()['uuid']}/").get_json()
    assert shown["backend_metadata"] == metadata


def test_lone_surrogates_are_a_parse_error(api, actors):
    for field in ('"name": "\\ud800x"', '"backend_metadata": {"\\udfff": 1}'):
        project, offering = actors.project.uuid.hex, actors.offering.uuid.hex
        body = f'{{"name": "n", "project": "{project}", "offering": "{offering}", {field}}}'
        response = api.post(
            "/api/backend-resources/", data=body, content_type="application/json"
        )
        assert response.status_code == 400, field
        assert response.get_json() == {
            "detail": "JSON parse error - lone surrogates are not valid text."
        }
