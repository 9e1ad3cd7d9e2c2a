"""What every response carries and how the app answers the network's and the database's
failures: security headers, trusted hosts, proxies, a database outage, unknown paths, 500s."""

import logging

import pytest
from sqlalchemy import text

from console import create_app
from console.extensions import db
from tests.web.session_helpers import csrf_token, log_in

LIST = "/api/backend-resources/"


def test_api_responses_are_not_stored_and_not_sniffed(client, actors):
    for headers in ({"Authorization": f"Token {actors.tokens['agent']}"}, {}):
        response = client.get(LIST, headers=headers)
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_console_pages_are_not_stored_once_logged_in(client, actors):
    login_page = client.get("/login")
    assert "Cache-Control" not in login_page.headers
    assert login_page.headers["X-Content-Type-Options"] == "nosniff"
    log_in(client, "staff")
    page = client.get("/backend-resources/")
    assert page.headers["Cache-Control"] == "no-store"
    static = client.get("/static/app.css")
    static.close()
    assert static.headers.get("Cache-Control") != "no-store"
    assert static.headers["X-Content-Type-Options"] == "nosniff"


def test_a_token_in_the_query_string_is_not_copied_into_link_urls(client, actors, factory):
    for _ in range(3):
        factory.backend_resource(actors.offering, actors.project)
    key = actors.tokens["staff"]
    response = client.get(f"{LIST}?page_size=1&x-auth-token={key}")
    assert response.status_code == 200
    assert key not in response.headers["Link"]
    assert response.headers["Link"].startswith("<http://localhost/api/backend-resources/?page_size=1>")


def test_only_trusted_hosts_are_answered(client, actors, app):
    app.config["TRUSTED_HOSTS"] = ["console.example"]
    headers = {"Authorization": f"Token {actors.tokens['staff']}"}
    refused = client.get(LIST, headers=headers, base_url="http://evil.example")
    assert refused.status_code == 400
    assert refused.get_json() == {
        "detail": "The Host header names a host this console does not serve."
    }
    page = client.get("/login", base_url="http://evil.example")
    assert page.status_code == 400
    assert page.text == "The Host header names a host this console does not serve."
    assert client.get(LIST, headers=headers, base_url="http://console.example").status_code == 200


@pytest.fixture
def proxied_app(database_url):
    """An app behind one proxy that sets X-Forwarded-For, -Proto and -Host."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url,
                      "CONSOLE_PROXY_FIX": 1})
    yield app
    with app.app_context():
        db.engine.dispose()


def test_behind_a_proxy_urls_and_client_addresses_come_from_its_headers(app, proxied_app, actors):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "console.example",
                 "X-Forwarded-For": "198.51.100.7",
                 "Authorization": f"Token {actors.tokens['agent']}"}
    body = {"name": "n", "project": actors.project.uuid.hex, "offering": actors.offering.uuid.hex}
    created = proxied_app.test_client().post(LIST, json=body, headers=forwarded)
    assert created.status_code == 201
    assert created.headers["Location"].startswith("https://console.example/api/")
    direct = app.test_client().post(LIST, json=body, headers=forwarded)
    assert direct.headers["Location"].startswith("http://localhost/api/")


@pytest.fixture(params=["sqlite", "postgresql"])
def unreachable_app(request, tmp_path):
    """An app whose database cannot be reached: a folder gone after start-up, or a closed port.

    (A folder missing at start-up is refused by create_app with a clear message instead.)
    """
    folder = tmp_path / "gone"
    folder.mkdir()
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'db.sqlite3'}"
    else:
        url = "postgresql+psycopg://console@127.0.0.1:1/console"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
    folder.rmdir()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_a_database_outage_is_503_with_retry_after(unreachable_app):
    client = unreachable_app.test_client()
    api = client.get(LIST, headers={"Authorization": "Token " + "a" * 40})
    assert api.status_code == 503
    assert api.headers["Retry-After"] == "30"
    assert api.get_json() == {"detail": "The database is unavailable; try again shortly."}
    token = csrf_token(client.get("/login").text)
    page = client.post("/login", data={"username": "u", "password": "p", "csrf_token": token})
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "30"
    assert "503 · The database is unavailable" in page.text


def test_an_unknown_api_path_is_a_json_404(client, actors):
    for headers in ({"Authorization": f"Token {actors.tokens['staff']}"}, {}):
        response = client.get("/api/no-such-thing/", headers=headers)
        assert response.status_code == 404
        assert response.get_json() == {"detail": "Not found."}


@pytest.fixture
def failing_app(app):
    """The app with one view that fails inside a statement holding what a user typed."""

    def fail():
        db.session.execute(
            text("INSERT INTO users (username) VALUES (:typed)"), {"typed": "typed-secret-42"}
        )

    app.add_url_rule("/fails", "fails", fail)
    app.add_url_rule("/api/fails/", "api_fails", fail)
    return app


def test_an_unexpected_error_is_a_plain_500_page_and_the_log_keeps_what_users_typed_out(
    failing_app, caplog
):
    client = failing_app.test_client()
    with caplog.at_level(logging.ERROR):
        page = client.get("/fails")
        api = client.get("/api/fails/")
    assert page.status_code == 500
    assert "500 · Something went wrong" in page.text
    assert "nothing was saved" in page.text
    assert "Traceback" not in page.text and "INSERT" not in page.text
    assert (api.status_code, api.get_json()) == (500, {"detail": "A server error occurred."})
    assert "Unhandled error" in caplog.text and "INSERT INTO users" in caplog.text
    assert "typed-secret-42" not in caplog.text
