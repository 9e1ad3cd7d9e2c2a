"""Console sessions end on the server: at logout, at deactivation, when idle, when too old.

These run against a live server over real HTTP, each request in its own context, with cookies
copied between clients the way an attacker holding a stolen cookie would.
"""

import copy
import time

import httpx
import pytest

from console.extensions import db
from console.services.accounts import deactivate_user
from tests.conftest import PASSWORD
from tests.web.session_helpers import csrf_token

LIST_URL = "/backend-resources/"
SESSION_ENDED = "Your session has ended; please log in again."


def logged_in_client(base_url: str, username: str) -> httpx.Client:
    """A client that logged in through the form."""
    client = httpx.Client(base_url=base_url, timeout=30)
    token = csrf_token(client.get("/login").text)
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303, response.text[:500]
    return client


def copy_of(client: httpx.Client) -> httpx.Client:
    """Another client holding the same cookies."""
    other = httpx.Client(base_url=str(client.base_url), timeout=30)
    for cookie in client.cookies.jar:
        other.cookies.jar.set_cookie(copy.copy(cookie))
    return other


def is_logged_in(client: httpx.Client) -> bool:
    response = client.get(LIST_URL)
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    return False


def log_out(client: httpx.Client) -> None:
    token = csrf_token(client.get(LIST_URL).text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303


def test_a_cookie_copied_before_logout_cannot_delete_a_report_afterwards(
    live_server, actors, factory
):
    report = factory.backend_resource(actors.offering, actors.project)
    browser = logged_in_client(live_server, "staff")
    delete_url = f"/backend-resources/{report.uuid.hex}/delete"
    stolen = copy_of(browser)
    stolen_token = csrf_token(stolen.get(delete_url).text)
    log_out(browser)
    response = stolen.post(delete_url, data={"csrf_token": stolen_token})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert db.session.get(type(report), report.id) is not None


def test_logging_out_ends_every_session_of_the_account(live_server, actors):
    office = logged_in_client(live_server, "staff")
    laptop = logged_in_client(live_server, "staff")
    log_out(office)
    assert not is_logged_in(laptop)
    follow = laptop.get("/login")
    assert SESSION_ENDED in follow.text


def test_deactivation_ends_sessions_and_reactivation_does_not_revive_them(live_server, actors):
    browser = logged_in_client(live_server, "support")
    deactivate_user(db.session, actors.support)
    assert not is_logged_in(copy_of(browser))
    actors.support.is_active = True
    db.session.commit()
    assert not is_logged_in(browser)
    assert is_logged_in(logged_in_client(live_server, "support"))


def rewrite_session(app, client: httpx.Client, **changes) -> None:
    """Re-sign the client's session cookie with some values changed (time passing, in effect)."""
    serializer = app.session_interface.get_signing_serializer(app)
    cookie = next(c for c in client.cookies.jar if c.name == app.config["SESSION_COOKIE_NAME"])
    cookie.value = serializer.dumps(serializer.loads(cookie.value) | changes)


@pytest.mark.parametrize(
    ("started_ago", "seen_ago", "alive"),
    [
        (3600, 29 * 60, True),
        (3600, 31 * 60, False),  # idle for more than CONSOLE_SESSION_IDLE_MINUTES (30)
        (11 * 3600, 60, True),
        (12 * 3600 + 60, 60, False),  # older than CONSOLE_SESSION_LIFETIME_HOURS (12)
    ],
)
def test_sessions_end_when_idle_or_too_old(live_server, actors, app, started_ago, seen_ago, alive):
    client = logged_in_client(live_server, "staff")
    now = int(time.time())
    rewrite_session(app, client, started=now - started_ago, seen=now - seen_ago)
    assert is_logged_in(client) is alive


def test_a_csrf_token_of_an_ended_session_is_refused(live_server, actors, factory):
    report = factory.backend_resource(actors.offering, actors.project)
    client = logged_in_client(live_server, "staff")
    delete_url = f"/backend-resources/{report.uuid.hex}/delete"
    old_token = csrf_token(client.get(delete_url).text)
    log_out(client)
    token = csrf_token(client.get("/login").text)
    client.post("/login", data={"username": "staff", "password": PASSWORD, "csrf_token": token})
    response = client.post(delete_url, data={"csrf_token": old_token})
    assert response.status_code == 400
    assert "The form could not be accepted" in response.text
    assert db.session.get(type(report), report.id) is not None


@pytest.mark.parametrize("path", ["/favicon.ico", "/login", "/static/app.css"])
def test_a_request_sent_before_login_and_answered_after_it_keeps_the_user_logged_in(
    live_server, actors, path
):
    """A browser fetches the favicon (or another page) with the login page's cookie while the
    login is posted; whatever cookie that late answer sets, the user stays logged in."""
    browser = httpx.Client(base_url=live_server, timeout=30)
    token = csrf_token(browser.get("/login").text)
    cookie_before_login = browser.cookies["session"]
    response = browser.post(
        "/login", data={"username": "staff", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
    late = httpx.get(live_server + path, cookies={"session": cookie_before_login}, timeout=30)
    browser.cookies.extract_cookies(late)
    assert is_logged_in(browser)


def test_a_session_cookie_works_only_in_the_browser_that_logged_in(live_server, actors):
    browser = logged_in_client(live_server, "staff")
    same_browser = copy_of(browser)
    other_browser = copy_of(browser)
    other_browser.headers["User-Agent"] = "Mozilla/5.0 (somewhere else)"
    assert is_logged_in(same_browser)
    assert not is_logged_in(other_browser)
