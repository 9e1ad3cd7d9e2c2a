"""Logging in and out of the console, safe redirects, CSRF, and who may use the console."""

import re

import pytest

from tests.web.session_helpers import csrf_token, log_in

LIST_URL = "/backend-resources/"
GENERIC_FAILURE = "Invalid username or password."
# A console page that needs a login (404 once logged in, as nothing has this UUID).
PROTECTED = "/marketplace-resources/00000000000000000000000000000000/"


def test_login_page_has_labelled_fields_and_button(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert re.search(r'<label for="username">Username</label>', page.text)
    assert re.search(r'<label for="password">Password</label>', page.text)
    assert 'autocomplete="current-password"' in page.text
    assert '<button type="submit">Log in</button>' in page.text


def test_staff_logs_in_and_lands_on_the_list(client, actors):
    response = log_in(client, "staff")
    assert response.status_code == 303
    assert response.headers["Location"] == LIST_URL
    report_page = client.get(PROTECTED)
    assert report_page.status_code == 404  # logged in: not redirected to the login page


@pytest.mark.parametrize(
    ("username", "password"),
    [("staff", "wrong password"), ("nobody", "whatever"), ("", ""), ("staff", "")],
)
def test_any_login_failure_gives_one_generic_message(client, actors, username, password):
    response = log_in(client, username, password)
    assert response.status_code == 400
    assert response.text.count(GENERIC_FAILURE) == 1
    assert "This field is required" not in response.text
    assert client.get(PROTECTED).status_code == 302


def test_inactive_user_is_refused_with_the_same_message(client, factory):
    factory.user("retired", is_staff=True, is_active=False)
    response = log_in(client, "retired")
    assert response.status_code == 400
    assert GENERIC_FAILURE in response.text
    assert client.get(PROTECTED).status_code == 302


def test_a_user_deactivated_after_login_is_logged_out(client, actors, factory):
    log_in(client, "support")
    actors.support.is_active = False
    factory._save(actors.support)
    response = client.get(PROTECTED)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_safe_next_is_followed(client, actors):
    target = "/backend-resources/?name=gpu&page=2"
    response = log_in(client, "staff", next_url=target)
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "unsafe",
    [
        "//evil.example/",
        "https://evil.example/",
        "http:/evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/\r\nLocation: https://evil.example",
        "/\tevil",
    ],
)
def test_unsafe_next_falls_back_to_the_list(client, actors, unsafe):
    response = log_in(client, "staff", next_url=unsafe)
    assert response.status_code == 303
    assert response.headers["Location"] == LIST_URL


def test_anonymous_visitor_is_sent_to_login_with_a_relative_next(client, actors, factory):
    report = factory.backend_resource(actors.offering, actors.project)
    path = f"/backend-resources/{report.uuid.hex}/"
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next={path}"
    after_login = log_in(client, "staff", next_url=path)
    assert after_login.headers["Location"] == path


def test_anonymous_htmx_request_is_told_to_redirect_not_given_the_login_page(client):
    response = client.get("/marketplace-resources/abc/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=")
    assert response.text == ""


def test_logout_is_a_post_with_csrf(client, actors):
    log_in(client, "staff")
    page = client.get(PROTECTED)
    assert '<form method="post" action="/logout"' in page.text
    assert client.get("/logout").status_code == 405

    refused = client.post("/logout")
    assert refused.status_code == 400
    assert "could not be accepted" in refused.text
    assert client.get(PROTECTED).status_code == 404

    response = client.post("/logout", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    assert "You have been logged out." in client.get("/login").text
    assert client.get(PROTECTED).status_code == 302


def test_login_without_csrf_token_is_refused(client, actors):
    response = client.post("/login", data={"username": "staff", "password": "x"})
    assert response.status_code == 400
    assert "security token" in response.text
    assert "Nothing was changed" in response.text


def test_login_with_a_forged_csrf_token_is_refused(client, actors):
    from tests.conftest import PASSWORD

    response = client.post(
        "/login", data={"username": "staff", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 400
    assert client.get(PROTECTED).status_code == 302


def test_outsider_gets_a_clear_403_page_with_a_log_out_button(client, actors, factory):
    report = factory.backend_resource(actors.offering, actors.project)
    response = log_in(client, "outsider")
    assert response.status_code == 303
    page = client.get(f"/backend-resources/{report.uuid.hex}/")
    assert page.status_code == 403
    assert "This console is for staff and support" in page.text
    assert "outsider" in page.text
    assert re.search(r'<form method="post" action="/logout">\s*<input type="hidden" '
                     r'name="csrf_token"', page.text)
    assert report.name not in page.text


def test_agent_with_offering_role_is_also_refused(client, actors, factory):
    report = factory.backend_resource(actors.offering, actors.project)
    log_in(client, "agent")
    page = client.get(f"/backend-resources/{report.uuid.hex}/import")
    assert page.status_code == 403
    assert "This console is for staff and support" in page.text


def test_console_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/login")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_is_http_only_and_same_site(client, actors):
    response = log_in(client, "staff")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_logged_in_console_user_visiting_login_goes_on(client, actors):
    log_in(client, "staff")
    response = client.get("/login", query_string={"next": "/backend-resources/?q=gpu"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/backend-resources/?q=gpu"


def test_failed_login_keeps_the_next_parameter_in_the_form(client, actors):
    response = log_in(client, "staff", "wrong", next_url="/backend-resources/?q=gpu")
    assert response.status_code == 400
    assert 'action="/login?next=/backend-resources/?q%3Dgpu"' in response.text
