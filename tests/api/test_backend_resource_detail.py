"""Retrieve, create and delete backend resources; 405s; who may do what (spec sections 2, 3, 13)."""

import json

import pytest
from sqlalchemy import func, select

from console.extensions import db
from console.models import BackendResource

NOT_FOUND = {"detail": "No BackendResource matches the given query."}
FORBIDDEN = {"detail": "You do not have permission to perform this action."}


def report_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(BackendResource))


@pytest.fixture
def report(actors, factory):
    return factory.backend_resource(actors.offering, actors.project, name="mine", backend_id="b-1")


@pytest.fixture
def foreign_report(factory):
    """A report in an offering the agent does not manage."""
    return factory.backend_resource(factory.offering(), factory.project(), name="theirs")


def payload(actors, **changes):
    body = {
        "name": "alloc-7",
        "project": actors.project.uuid.hex,
        "offering": actors.offering.uuid.hex,
        "backend_id": "alloc_7",
        "backend_metadata": {"limits": {"cpu": 10}},
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not ...}


# Retrieve

def test_retrieve_by_hex_and_hyphenated_uuid(api, report):
    by_hex = api.get(f"/api/backend-resources/{report.uuid.hex}/")
    by_hyphens = api.get(f"/api/backend-resources/{report.uuid}/")
    by_upper = api.get(f"/api/backend-resources/{str(report.uuid).upper()}/")
    assert by_hex.status_code == by_hyphens.status_code == by_upper.status_code == 200
    assert by_hex.get_json() == by_hyphens.get_json() == by_upper.get_json()
    body = by_hex.get_json()
    assert body["uuid"] == report.uuid.hex and len(body["uuid"]) == 32
    assert body["url"] == f"http://localhost/api/backend-resources/{report.uuid.hex}/"
    assert len(body) == 13 and body["backend_id"] == "b-1"


def test_retrieve_unknown_or_malformed_uuid_is_404(api, actors):
    for text in ["0" * 32, "not-a-uuid", "%00", "123", "g" * 32]:
        response = api.get(f"/api/backend-resources/{text}/")
        assert response.status_code == 404, text
        assert response.get_json() == NOT_FOUND


def test_retrieve_uses_absolute_urls_of_the_request_host(api, report):
    response = api.get(
        f"/api/backend-resources/{report.uuid}/", base_url="https://waldur.example.org"
    )
    body = response.get_json()
    assert body["url"].startswith("https://waldur.example.org/api/backend-resources/")
    assert body["project_url"].startswith("https://waldur.example.org/api/projects/")
    assert body["offering_url"].startswith(
        "https://waldur.example.org/api/marketplace-public-offerings/"
    )


# Permissions matrix

@pytest.mark.parametrize(
    ("who", "own", "foreign"),
    [("staff", 200, 200), ("support", 200, 200), ("agent", 200, 404), ("outsider", 404, 404)],
)
def test_retrieve_permissions(api, report, foreign_report, who, own, foreign):
    own_response = api.get(f"/api/backend-resources/{report.uuid.hex}/", who)
    foreign_response = api.get(f"/api/backend-resources/{foreign_report.uuid.hex}/", who)
    assert (own_response.status_code, foreign_response.status_code) == (own, foreign)
    if foreign == 404:
        assert foreign_response.get_json() == NOT_FOUND


@pytest.mark.parametrize(
    ("who", "names"),
    [
        ("staff", {"mine", "theirs"}),
        ("support", {"mine", "theirs"}),
        ("agent", {"mine"}),
        ("outsider", set()),
    ],
)
def test_list_permissions(api, report, foreign_report, who, names):
    response = api.get("/api/backend-resources/", who)
    assert response.status_code == 200
    assert {item["name"] for item in response.get_json()} == names
    assert response.headers["X-Result-Count"] == str(len(names))


def test_customer_owner_of_the_provider_is_an_agent_too(api, actors, factory, report):
    owner = factory.user("owner")
    factory.grant(owner, customer=actors.offering.customer)
    actors.tokens["owner"] = factory.token(owner)
    assert [item["name"] for item in api.get("/api/backend-resources/", "owner").get_json()] == [
        "mine"
    ]
    created = api.post("/api/backend-resources/", "owner", json=payload(actors))
    assert created.status_code == 201


def test_the_owner_of_another_customer_is_not_an_agent_of_the_offering(
    api, actors, factory, report
):
    stranger = factory.user("stranger")
    factory.grant(stranger, customer=factory.customer(name="Another provider"))
    actors.tokens["stranger"] = factory.token(stranger)
    assert api.get("/api/backend-resources/", "stranger").get_json() == []
    assert api.post("/api/backend-resources/", "stranger", json=payload(actors)).status_code == 403
    assert api.delete(f"/api/backend-resources/{report.uuid}/", "stranger").status_code == 404


def test_inactive_role_grants_nothing(api, actors, factory, report):
    grant = actors.agent.role_grants[0]
    grant.is_active = False
    db.session.commit()
    assert api.get("/api/backend-resources/", "agent").get_json() == []
    assert api.get(f"/api/backend-resources/{report.uuid}/", "agent").status_code == 404
    assert api.post("/api/backend-resources/", "agent", json=payload(actors)).status_code == 403


@pytest.mark.parametrize(
    ("who", "status"), [("staff", 201), ("agent", 201), ("support", 403), ("outsider", 403)]
)
def test_create_permissions(api, actors, who, status):
    response = api.post("/api/backend-resources/", who, json=payload(actors))
    assert response.status_code == status
    if status == 403:
        assert response.get_json() == FORBIDDEN
        assert report_count() == 0
    else:
        assert report_count() == 1


def test_agent_may_not_report_for_an_offering_it_does_not_manage(api, actors, factory):
    other = factory.offering()
    response = api.post(
        "/api/backend-resources/", "agent", json=payload(actors, offering=other.uuid.hex)
    )
    assert response.status_code == 403
    assert response.get_json() == FORBIDDEN
    assert report_count() == 0


def test_validation_comes_before_permission(api, actors, factory):
    other = factory.offering()
    for who in ("agent", "outsider", "support"):
        response = api.post(
            "/api/backend-resources/", who, json=payload(actors, offering=other.uuid.hex, name="")
        )
        assert response.status_code == 400, who
        assert response.get_json() == {"name": ["This field may not be blank."]}


@pytest.mark.parametrize(
    ("who", "own", "foreign"),
    [("staff", 204, 204), ("agent", 204, 404), ("support", 403, 403), ("outsider", 404, 404)],
)
def test_delete_permissions(api, report, foreign_report, who, own, foreign):
    own_response = api.delete(f"/api/backend-resources/{report.uuid.hex}/", who)
    foreign_response = api.delete(f"/api/backend-resources/{foreign_report.uuid}/", who)
    assert (own_response.status_code, foreign_response.status_code) == (own, foreign)
    expected_left = [own, foreign].count(204)
    assert report_count() == 2 - expected_left
    if own == 204:
        assert own_response.get_data() == b""
    if foreign == 404:
        assert foreign_response.get_json() == NOT_FOUND
    if own == 403:
        assert own_response.get_json() == FORBIDDEN


def test_delete_twice_is_404(api, report):
    assert api.delete(f"/api/backend-resources/{report.uuid}/").status_code == 204
    second = api.delete(f"/api/backend-resources/{report.uuid}/")
    assert second.status_code == 404 and second.get_json() == NOT_FOUND


# Create

def test_create_returns_201_body_and_location(api, actors):
    response = api.post("/api/backend-resources/", "agent", json=payload(actors))
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"] == body["url"]
    assert body["url"] == f"http://localhost/api/backend-resources/{body['uuid']}/"
    assert (body["name"], body["backend_id"]) == ("alloc-7", "alloc_7")
    assert body["backend_metadata"] == {"limits": {"cpu": 10}}
    assert body["project"] == actors.project.uuid.hex
    assert body["offering"] == actors.offering.uuid.hex
    assert body["created"].endswith("Z")
    stored = db.session.scalar(select(BackendResource))
    assert stored.uuid.hex == body["uuid"] and stored.backend_metadata == {"limits": {"cpu": 10}}
    assert api.get(response.headers["Location"].removeprefix("http://localhost")).status_code == 200


def test_create_accepts_hyphenated_uuids_and_defaults(api, actors):
    body = {"name": "  padded  ", "project": str(actors.project.uuid),
            "offering": str(actors.offering.uuid)}
    response = api.post("/api/backend-resources/", json=body)
    assert response.status_code == 201
    assert response.get_json()["name"] == "padded"
    assert response.get_json()["backend_id"] == ""
    assert response.get_json()["backend_metadata"] == {}


def test_duplicates_are_allowed(api, actors):
    for _ in range(2):
        assert api.post("/api/backend-resources/", json=payload(actors)).status_code == 201
    assert report_count() == 2


def test_create_accepts_a_form_body(api, actors):
    form = {"name": "from-form", "project": actors.project.uuid.hex,
            "offering": actors.offering.uuid.hex}
    response = api.post("/api/backend-resources/", data=form)
    assert response.status_code == 201
    assert response.get_json()["name"] == "from-form"


CREATE_ERRORS = [
    ({"name": ...}, {"name": ["This field is required."]}),
    ({"name": None}, {"name": ["This field may not be null."]}),
    ({"name": ""}, {"name": ["This field may not be blank."]}),
    ({"name": "   "}, {"name": ["This field may not be blank."]}),
    ({"name": "x" * 151}, {"name": ["Ensure this field has no more than 150 characters."]}),
    ({"name": ["a"]}, {"name": ["Not a valid string."]}),
    ({"name": {"a": 1}}, {"name": ["Not a valid string."]}),
    ({"name": True}, {"name": ["Not a valid string."]}),
    ({"name": "a\u0000b"}, {"name": ["Null characters are not allowed."]}),
    ({"backend_id": "x" * 256},
     {"backend_id": ["Ensure this field has no more than 255 characters."]}),
    ({"backend_id": None}, {"backend_id": ["This field may not be null."]}),
    ({"project": ...}, {"project": ["This field is required."]}),
    ({"project": None}, {"project": ["This field may not be null."]}),
    ({"project": ""}, {"project": ["This field may not be null."]}),
    ({"project": "0" * 32}, {"project": [f"Object with uuid={'0' * 32} does not exist."]}),
    ({"project": "nope"}, {"project": ["Object with uuid=nope does not exist."]}),
    ({"project": 12}, {"project": ["Invalid value."]}),
    ({"offering": ...}, {"offering": ["This field is required."]}),
    ({"offering": ["x"]}, {"offering": ["Invalid value."]}),
    ({"backend_metadata": "limits"}, {"backend_metadata": ["Expected a JSON object."]}),
    ({"backend_metadata": [1, 2]}, {"backend_metadata": ["Expected a JSON object."]}),
    ({"backend_metadata": 3}, {"backend_metadata": ["Expected a JSON object."]}),
    ({"backend_metadata": None}, {"backend_metadata": ["This field may not be null."]}),
    ({"backend_metadata": {"k": "a\u0000"}},
     {"backend_metadata": ["Null characters are not allowed."]}),
    ({"name": ..., "project": ..., "offering": ...},
     {"name": ["This field is required."], "project": ["This field is required."],
      "offering": ["This field is required."]}),
]


def test_create_validation_messages(api, actors):
    for changes, errors in CREATE_ERRORS:
        response = api.post("/api/backend-resources/", json=payload(actors, **changes))
        assert response.status_code == 400, changes
        assert response.get_json() == errors, changes
    assert report_count() == 0


def test_create_with_non_object_bodies(api):
    cases = [
        ("[]", "list"), ('"text"', "str"), ("12", "int"), ("null", "null"), ("true", "bool"),
    ]
    for text, kind in cases:
        response = api.post(
            "/api/backend-resources/", data=text, content_type="application/json"
        )
        assert response.status_code == 400, text
        assert response.get_json() == {
            "non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]
        }


def test_create_with_empty_body_lists_required_fields(api):
    response = api.post("/api/backend-resources/", data="", content_type="application/json")
    assert response.status_code == 400
    assert set(response.get_json()) == {"name", "project", "offering"}


def test_invalid_json_is_a_parse_error(api):
    for text in ["{", "{'a': 1}", '{"name": NaN}', "[" * 5000 + "]" * 5000, "\xff"]:
        response = api.post(
            "/api/backend-resources/", data=text.encode("latin-1"),
            content_type="application/json",
        )
        assert response.status_code == 400, text[:10]
        assert response.get_json()["detail"].startswith("JSON parse error - "), text[:10]


def test_deeply_nested_metadata_is_refused_not_crashing(api, actors):
    deep = "[" * 500 + "]" * 500
    text = json.dumps(payload(actors)).replace('{"limits": {"cpu": 10}}', deep)
    response = api.post("/api/backend-resources/", data=text, content_type="application/json")
    assert response.status_code == 400
    assert report_count() == 0


def test_unsupported_media_type(api):
    response = api.post("/api/backend-resources/", data="name=x", content_type="text/plain")
    assert response.status_code == 415
    assert response.get_json() == {"detail": 'Unsupported media type "text/plain" in request.'}


# 405

@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_update_is_not_allowed_after_authentication(api, client, report, method):
    path = f"/api/backend-resources/{report.uuid}/"
    response = api.request(method, path, "staff", json={"name": "new"})
    assert response.status_code == 405
    assert response.get_json() == {"detail": f'Method "{method}" not allowed.'}
    assert "GET" in response.headers["Allow"] and "DELETE" in response.headers["Allow"]
    unauthenticated = client.open(path, method=method, json={"name": "new"})
    assert unauthenticated.status_code == 401
    for who in ("outsider", "support"):
        assert api.request(method, path, who).status_code == 405


def test_other_wrong_methods(api, report):
    assert api.request("PUT", "/api/backend-resources/").status_code == 405
    assert api.request("DELETE", "/api/backend-resources/").get_json() == {
        "detail": 'Method "DELETE" not allowed.'
    }
    assert api.request("POST", f"/api/backend-resources/{report.uuid}/").status_code == 405
    assert api.get(f"/api/backend-resources/{report.uuid}/import_resource/").status_code == 405
