"""Token authentication: every /api endpoint needs it, and every failure is a DRF-shaped 401."""

import pytest

from console.extensions import db

ENDPOINTS = [
    ("GET", "/api/backend-resources/"),
    ("HEAD", "/api/backend-resources/"),
    ("POST", "/api/backend-resources/"),
    ("GET", "/api/backend-resources/{report}/"),
    ("DELETE", "/api/backend-resources/{report}/"),
    ("PUT", "/api/backend-resources/{report}/"),
    ("PATCH", "/api/backend-resources/{report}/"),
    ("POST", "/api/backend-resources/{report}/import_resource/"),
    ("GET", "/api/projects/"),
    ("GET", "/api/projects/{project}/"),
    ("GET", "/api/marketplace-public-offerings/"),
    ("GET", "/api/marketplace-public-offerings/{offering}/"),
    ("GET", "/api/marketplace-public-offerings/{offering}/plans/"),
    ("GET", "/api/marketplace-public-offerings/{offering}/plans/{plan}/"),
    ("GET", "/api/marketplace-resources/"),
    ("GET", "/api/marketplace-orders/"),
]


@pytest.fixture
def report(actors, factory):
    return factory.backend_resource(actors.offering, actors.project)


def fill(path, actors, report):
    return path.format(
        report=report.uuid.hex, project=actors.project.uuid.hex,
        offering=actors.offering.uuid.hex, plan=actors.plan.uuid.hex,
    )


def test_every_endpoint_requires_a_token(client, actors, report):
    for method, path in ENDPOINTS:
        response = client.open(fill(path, actors, report), method=method)
        assert response.status_code == 401, (method, path)
        assert response.headers["WWW-Authenticate"] == "Token"
        if method != "HEAD":
            assert response.get_json() == {
                "detail": "Authentication credentials were not provided."
            }, (method, path)


BAD_HEADERS = [
    ("Token", "Invalid token. No credentials provided."),
    ("Token    ", "Invalid token. No credentials provided."),
    ("Token abc def", "Invalid token. Token string should not contain spaces."),
    ("Token 0123456789abcdef", "Invalid token."),
    ("Bearer abc", "Authentication credentials were not provided."),
    ("Basic c3RhZmY6cGFzcw==", "Authentication credentials were not provided."),
    ("Token \xe9t\xe9",
     "Invalid token header. Token string should not contain invalid characters."),
]


def test_bad_authorization_headers(client, actors):
    for header, detail in BAD_HEADERS:
        response = client.get("/api/backend-resources/", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.headers["WWW-Authenticate"] == "Token"
        assert response.get_json() == {"detail": detail}, header


def test_keyword_is_case_insensitive(client, actors):
    for keyword in ["Token", "token", "TOKEN", "ToKeN"]:
        response = client.get(
            "/api/backend-resources/",
            headers={"Authorization": f"{keyword} {actors.tokens['staff']}"},
        )
        assert response.status_code == 200, keyword


def test_query_parameter_fallback(client, actors):
    response = client.get(f"/api/backend-resources/?x-auth-token={actors.tokens['staff']}")
    assert response.status_code == 200
    bad = client.get("/api/backend-resources/?x-auth-token=nope")
    assert bad.status_code == 401 and bad.get_json() == {"detail": "Invalid token."}
    empty = client.get("/api/backend-resources/?x-auth-token=")
    assert empty.get_json() == {"detail": "Invalid token. No credentials provided."}


def test_query_parameter_does_not_override_a_header(client, actors):
    response = client.get(
        f"/api/backend-resources/?x-auth-token={actors.tokens['staff']}",
        headers={"Authorization": "Token wrong"},
    )
    assert response.status_code == 401
    assert response.get_json() == {"detail": "Invalid token."}


def test_inactive_user_is_refused(client, actors):
    actors.agent.is_active = False
    db.session.commit()
    response = client.get("/api/backend-resources/", headers=actors.headers("agent"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"
    assert response.get_json() == {"detail": "User inactive or deleted."}


def test_keys_are_stored_hashed(client, actors):
    from console.models import ApiToken

    hashes = set(db.session.scalars(db.select(ApiToken.key_hash)))
    assert actors.tokens["staff"] not in hashes
    # The hash itself is not a key.
    some_hash = next(iter(hashes))
    response = client.get(
        "/api/backend-resources/", headers={"Authorization": f"Token {some_hash}"}
    )
    assert response.status_code == 401


def test_non_ascii_token_is_just_invalid(client, actors):
    response = client.get("/api/backend-resources/?x-auth-token=%C3%A9t%C3%A9")
    assert response.status_code == 401
    assert response.get_json() == {"detail": "Invalid token."}
