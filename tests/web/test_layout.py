"""The shared layout: vendored assets, no inline scripts or styles, skip link, filters, macros."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import render_template_string

from console.web.formatting import describe_age, pretty_json
from tests.web.session_helpers import log_in


def static_file(client, url: str) -> tuple[int, str]:
    """Fetch a static file and close it (file responses otherwise leak a handle)."""
    with client.get(url) as response:
        return response.status_code, response.get_data(as_text=True)


@pytest.fixture
def detail_page(client, actors, factory):
    """A logged-in staff user's view of a report's detail page."""
    report = factory.backend_resource(actors.offering, actors.project)
    log_in(client, "staff")
    return client.get(f"/backend-resources/{report.uuid.hex}/")


def test_layout_loads_vendored_pico_and_htmx_and_they_are_served(client, detail_page):
    html = detail_page.text
    css = re.search(r'href="(/static/vendor/pico-[\d.]+\.min\.css)"', html).group(1)
    htmx = re.search(r'src="(/static/vendor/htmx-2\.0\.\d+\.min\.js)"', html).group(1)
    assert static_file(client, css)[0] == 200
    status, script = static_file(client, htmx)
    assert status == 200
    assert "htmx" in script
    assert static_file(client, "/static/app.css")[0] == 200
    assert static_file(client, "/static/js/console.js")[0] == 200
    assert "//cdn" not in html and "https://" not in html


def test_htmx_is_configured_for_full_page_history_restores_and_a_strict_csp(detail_page):
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", detail_page.text)
    assert '"historyRestoreAsHxRequest": false' in config.group(1)
    assert '"includeIndicatorStyles": false' in config.group(1)
    assert '"allowEval": false' in config.group(1)


def test_pages_have_no_inline_scripts_styles_or_event_handlers(client, detail_page):
    pages = [detail_page.text, client.get("/login").text]
    for html in pages:
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
        assert not re.search(r"\son[a-z]+=", html)
        assert not re.search(r"\sstyle=", html)
        assert "<style" not in html


def test_layout_has_skip_link_main_landmark_and_user_menu(detail_page):
    html = detail_page.text
    assert '<a class="skip-link" href="#main">Skip to content</a>' in html
    assert '<main class="container" id="main"' in html
    assert '<span class="username">staff</span>' in html
    assert 'name="color-scheme" content="light dark"' in html
    assert "Log out" in html


def test_loading_indicator_styles_exist(client):
    css = static_file(client, "/static/app.css")[1]
    assert ".htmx-request .htmx-indicator" in css
    assert ":focus-visible" in css
    assert "prefers-color-scheme: dark" in css


def test_describe_age_is_coarse_and_readable():
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    assert describe_age(now - timedelta(seconds=20), now) == "just now"
    assert describe_age(now - timedelta(minutes=5), now) == "5 min ago"
    assert describe_age(now - timedelta(hours=3, minutes=59), now) == "3 h ago"
    assert describe_age(now - timedelta(days=2), now) == "2 d ago"
    assert describe_age(now - timedelta(days=65), now) == "2 mo ago"
    assert describe_age(now - timedelta(days=800), now) == "2 y ago"
    assert describe_age(now + timedelta(hours=2), now) == "in 2 h"
    assert describe_age(datetime(2025, 3, 1, 11, 0), now) == "1 h ago"  # naive means UTC
    assert describe_age(None, now) == ""


def test_time_ago_macro_renders_iso_datetime_and_exact_utc_title(app):
    moment = datetime.now(UTC) - timedelta(hours=3, minutes=5)
    with app.test_request_context():
        html = render_template_string(
            '{% import "_macros.html" as m %}{{ m.time_ago(moment) }}', moment=moment
        )
    iso = moment.isoformat().replace("+00:00", "Z")
    exact = moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    assert html == f'<time datetime="{iso}" title="{exact}">3 h ago</time>'


def test_ago_and_utc_filters_are_registered(app):
    moment = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    with app.test_request_context():
        assert render_template_string("{{ m|utc }}", m=moment) == "2024-01-02 03:04:05 UTC"
        assert render_template_string("{{ m|ago }}", m=moment).endswith(" ago")


def test_json_block_is_indented_and_escaped(app):
    value = {"limits": {"cpu": 10}, "note": "<script>"}
    with app.test_request_context():
        html = render_template_string(
            '{% import "_macros.html" as m %}{{ m.json_block(value) }}', value=value
        )
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert pretty_json(value).startswith('{\n  "limits": {\n    "cpu": 10\n  },')


def test_server_error_page_is_calm_and_leaks_nothing(app):
    with app.test_request_context():
        html = render_template_string('{% include "error.html" %}', error=None)
    assert "500 · Something went wrong" in html
    assert "nothing was saved" in html
    assert "Traceback" not in html


def test_405_page_is_explained(client):
    page = client.get("/logout")
    assert page.status_code == 405
    assert "405 · Method not allowed" in page.text


def test_long_backend_ids_wrap_at_separators_and_stay_escaped(app):
    from console.web.formatting import breakable

    assert breakable("hpc_climate_2024") == "hpc_<wbr>climate_<wbr>2024"
    assert breakable("<b>a-b</b>") == "&lt;b&gt;a-<wbr>b&lt;/<wbr>b&gt;"
