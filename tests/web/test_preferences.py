"""Compact rows are a per-user choice, saved with a CSRF-checked post."""

import pytest

from console.extensions import db
from console.models import User
from tests.web.listing_helpers import LIST_URL
from tests.web.session_helpers import csrf_token, log_in

URL = "/preferences/list-density"


def density_of(username: str) -> str:
    db.session.expire_all()
    return db.session.scalar(db.select(User.list_density).where(User.username == username))


def post_density(client, value, back="/backend-resources/?q=gpu&page=2", headers=None):
    token = csrf_token(client.get(LIST_URL).text)
    return client.post(URL, query_string={"back": back},
                       data={"csrf_token": token, "density": value}, headers=headers or {})


@pytest.mark.parametrize("username", ["staff", "support"])
def test_a_user_switches_to_compact_rows_and_back(client, actors, factory, username):
    factory.backend_resource(actors.offering, actors.project)
    log_in(client, username)
    assert density_of(username) == "comfortable"
    assert 'class="resource-list density-comfortable"' in client.get(LIST_URL).text
    response = post_density(client, "compact")
    assert response.status_code == 303
    assert response.headers["Location"] == "/backend-resources/?q=gpu&page=2"
    assert density_of(username) == "compact"
    page = client.get(LIST_URL).text
    assert 'class="resource-list density-compact"' in page
    assert 'aria-pressed="true"' in page
    assert post_density(client, "comfortable").status_code == 303
    assert density_of(username) == "comfortable"


def test_the_choice_is_one_users_own(client, actors):
    log_in(client, "staff")
    post_density(client, "compact")
    assert density_of("support") == "comfortable"


def test_a_value_that_is_not_a_density_is_refused(client, actors):
    log_in(client, "staff")
    assert post_density(client, "tiny").status_code == 400
    assert density_of("staff") == "comfortable"


def test_without_a_token_nothing_changes(client, actors):
    log_in(client, "staff")
    assert client.post(URL, data={"density": "compact"}).status_code == 400
    assert density_of("staff") == "comfortable"


def test_script_posts_stay_on_the_page(client, actors):
    log_in(client, "staff")
    response = post_density(client, "compact", headers={"X-Console-History": "replace"})
    assert response.status_code == 204


@pytest.mark.parametrize("username", ["agent", None])
def test_only_console_users_have_the_preference(client, actors, username):
    if username:
        log_in(client, username)
    response = client.post(URL, data={"density": "compact"})
    assert response.status_code in (302, 400, 403)
    assert density_of("agent") == "comfortable"
