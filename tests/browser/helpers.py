"""What the browser tests share: logging in through the form."""

import re

from playwright.sync_api import expect

from tests.conftest import PASSWORD


def log_in(page, username="staff", password=PASSWORD):
    """Log in through the form and wait for the list's deferred scripts (htmx, list.js)."""
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/backend-resources/$"))
    page.wait_for_load_state()
