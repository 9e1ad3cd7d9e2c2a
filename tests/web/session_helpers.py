"""Logging in through the real login form, and reading CSRF tokens out of rendered pages."""

import re

from tests.conftest import PASSWORD

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    """The first CSRF token in a rendered page."""
    match = CSRF_FIELD.search(html)
    assert match, "no csrf_token field on the page"
    return match.group(1)


def log_in(client, username: str, password: str = PASSWORD, next_url: str | None = None):
    """Post the login form with the token it rendered; return the response."""
    query = {} if next_url is None else {"next": next_url}
    page = client.get("/login", query_string=query)
    return client.post(
        "/login",
        query_string=query,
        data={"username": username, "password": password, "csrf_token": csrf_token(page.text)},
    )
