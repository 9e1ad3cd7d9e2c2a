"""Hostile input on the console pages gets a clear 4xx page, never a 500."""

import pytest

from tests.web.session_helpers import log_in

LIST_URL = "/backend-resources/"


def test_a_nul_character_in_the_login_username_is_a_failed_login(client, actors):
    """PostgreSQL cannot compare text holding NUL: it used to answer 500 to anyone."""
    for _ in range(5):
        response = log_in(client, "sta\x00ff")
        assert response.status_code == 400
        assert "Invalid username or password." in response.text
    # The failures count like any others: the sixth attempt is throttled, not a 500.
    assert log_in(client, "sta\x00ff").status_code == 429


@pytest.fixture
def staff(client, actors):
    assert log_in(client, "staff").status_code == 303
    return client


@pytest.mark.parametrize("key", ["q", "name"])
def test_a_search_of_fifty_thousand_characters_is_a_clear_400(staff, key):
    response = staff.get(LIST_URL, query_string={key: "x" * 50_000})
    assert response.status_code == 400
    assert f"The query parameter &#39;{key}&#39; is longer than 500 characters." in response.text


def test_a_sort_order_with_two_thousand_keys_is_a_clear_400(staff, app):
    app.config["CONSOLE_MAX_FILTER_LENGTH"] = 20_000
    response = staff.get(LIST_URL, query_string={"o": ",".join(["-name"] * 2000)})
    assert response.status_code == 400
    assert "Ensure there are no more than 6 sort keys (there are 2000)." in response.text


def test_the_table_leaves_the_metadata_blobs_in_the_database(
    staff, actors, factory, count_statements
):
    """The table shows the stored summary and never selects the metadata itself."""
    factory.backend_resource(
        actors.offering, actors.project,
        backend_metadata={"limits": {"cpu": 50000}, "blob": "x" * 50_000},
    )
    with count_statements() as statements:
        page = staff.get(LIST_URL)
    assert page.status_code == 200
    assert '<td class="cell-metadata">cpu 50,000</td>' in page.text
    assert not [sql for sql in statements if "backend_metadata" in sql]
