"""Failed logins are throttled per username and per client address, in the shared database.

Each setting stacks windows, so the lockout grows; a locked-out attempt costs no password
hashing, says how long to wait, and the log names the username, never the password.
"""

import logging
import re
import time

import httpx
import pytest

from console import create_app
from console.extensions import db
from tests.conftest import PASSWORD
from tests.web.session_helpers import csrf_token

THROTTLED = re.compile(
    r"Too many failed logins for this username or from your address\. Try again in \d+ minutes?\."
)


def attempt(client, username: str, password: str, address: str = "127.0.0.1"):
    """One login post from a client address."""
    environ = {"REMOTE_ADDR": address}
    page = client.get("/login", environ_base=environ)
    return client.post(
        "/login", environ_base=environ,
        data={"username": username, "password": password, "csrf_token": csrf_token(page.text)},
    )


def test_a_username_is_locked_after_five_failures_even_for_the_right_password(client, actors):
    for _ in range(5):
        assert attempt(client, "staff", "wrong").status_code == 400
    refused = attempt(client, "staff", PASSWORD)
    assert refused.status_code == 429
    assert THROTTLED.search(refused.text)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Other accounts are not locked by it.
    assert attempt(client, "support", PASSWORD).status_code == 303


def test_successful_logins_do_not_count(live_server, actors):
    for _ in range(8):
        with httpx.Client(base_url=live_server, timeout=30) as browser:
            token = csrf_token(browser.get("/login").text)
            response = browser.post(
                "/login", data={"username": "staff", "password": PASSWORD, "csrf_token": token}
            )
            assert response.status_code == 303


def test_an_address_is_locked_after_twenty_failures_across_usernames(client, actors):
    for n in range(20):
        assert attempt(client, f"guess{n}", "wrong", "10.9.8.7").status_code == 400
    assert attempt(client, "staff", PASSWORD, "10.9.8.7").status_code == 429
    assert attempt(client, "staff", PASSWORD, "10.9.8.6").status_code == 303


def test_the_lockout_grows_as_failures_go_on(client, actors, app):
    app.config["CONSOLE_LOGIN_LIMITS_PER_USERNAME"] = "2 per second; 3 per hour"
    for _ in range(2):
        assert attempt(client, "staff", "wrong").status_code == 400
    first = attempt(client, "staff", "wrong")
    assert first.status_code == 429 and int(first.headers["Retry-After"]) <= 1
    time.sleep(1.1)
    assert attempt(client, "staff", "wrong").status_code == 400
    second = attempt(client, "staff", PASSWORD)
    assert second.status_code == 429
    assert int(second.headers["Retry-After"]) > 60


def test_failures_are_logged_with_the_username_and_never_the_password(client, actors, caplog):
    with caplog.at_level(logging.WARNING):
        attempt(client, "staff", "hunter2-typed-password")
    failures = [record.getMessage() for record in caplog.records]
    assert "Failed login for username 'staff' from 127.0.0.1" in failures
    assert not [text for text in caplog.text.splitlines() if "hunter2" in text]


def test_the_counts_are_shared_by_every_app_server_on_the_database(client, actors, app):
    """A second app (another server process, in effect) sees the first one's failures."""
    for _ in range(5):
        assert attempt(client, "staff", "wrong").status_code == 400
    other_server = create_app({
        "TESTING": True, "SECRET_KEY": app.config["SECRET_KEY"],
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
    })
    try:
        assert attempt(other_server.test_client(), "staff", PASSWORD).status_code == 429
    finally:
        with other_server.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("username", ["staff", "Staff "])
def test_the_username_key_is_the_name_as_typed_but_trimmed(client, actors, username):
    for _ in range(5):
        attempt(client, username, "wrong")
    assert attempt(client, "staff", PASSWORD).status_code == (429 if username == "staff" else 303)
