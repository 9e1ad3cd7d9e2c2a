"""Browser tests: pages of a live server in the shared headless Chromium (tests/conftest.py)."""

import os
from pathlib import Path

import pytest

# Read when the suite starts: the autouse `no_console_environment` fixture hides CONSOLE_*
# variables from the tests themselves.
UPDATE_SCREENSHOTS = bool(os.environ.get("CONSOLE_UPDATE_SCREENSHOTS"))


@pytest.fixture(params=["sqlite"])
def database_url(request, tmp_path):
    """Browser tests run on one database: a fresh SQLite file (the API suite covers both)."""
    return f"sqlite:///{tmp_path / 'browser.sqlite3'}"


@pytest.fixture
def page(chromium, live_server):
    """A fresh browser page (own cookies) whose relative URLs go to the live server."""
    context = chromium.new_context(base_url=live_server, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def console_errors(page):
    """Uncaught script errors, CSP reports and htmx errors (there should be none)."""
    messages = []
    page.on("pageerror", lambda error: messages.append(str(error)))
    page.on(
        "console",
        lambda message: messages.append(message.text)
        if "Content Security Policy" in message.text or "htmx" in message.text.lower()
        else None,
    )
    return messages


@pytest.fixture
def screenshot_path(tmp_path):
    """Where a README screenshot goes: docs/screenshots/ under `make screenshots`, else tmp_path.

    `make screenshots` sets CONSOLE_UPDATE_SCREENSHOTS=1; an ordinary test run leaves the
    committed pictures alone.
    """

    def path_for(name: str) -> Path:
        if UPDATE_SCREENSHOTS:
            folder = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
        else:
            folder = tmp_path
        folder.mkdir(parents=True, exist_ok=True)
        return folder / name

    return path_for
