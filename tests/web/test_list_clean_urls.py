"""The plain GET form's empty fields never reach the address bar."""

import pytest
from flask import url_for
from werkzeug.datastructures import MultiDict

from console.web.list_state import ENDPOINT, STATE_KEYS, ListState
from tests.web.listing_helpers import HX, LIST_URL
from tests.web.session_helpers import log_in


@pytest.fixture
def staff(client, actors):
    assert log_in(client, "staff").status_code == 303
    return client


def test_empty_fields_of_the_form_are_dropped_with_a_redirect(staff):
    response = staff.get(
        LIST_URL + "?q=gpu&customer_uuid=&project_uuid=&offering_uuid=&name=&backend_id="
        "&created=&created_before=&modified=&modified_before=&o=&page_size=50"
    )
    assert response.status_code == 303
    assert response.headers["Location"] == LIST_URL + "?q=gpu&page_size=50"


def test_a_form_with_nothing_set_leads_to_the_plain_list(staff):
    response = staff.get(LIST_URL + "?q=&o=&page_size=")
    assert response.headers["Location"] == LIST_URL


def test_the_page_and_bad_values_survive_the_cleanup(staff):
    response = staff.get(LIST_URL + "?created=yesterday&q=&page=3")
    assert response.headers["Location"] == LIST_URL + "?created=yesterday&page=3"
    assert staff.get(response.headers["Location"]).status_code == 400


def test_a_clean_url_and_htmx_requests_are_answered_directly(staff):
    assert staff.get(LIST_URL + "?q=gpu").status_code == 200
    assert staff.get(LIST_URL + "?q=gpu&o=", headers=HX).status_code == 200


@pytest.mark.parametrize("prefix", ["", "/console"])
def test_the_tables_links_read_as_url_for_writes_them(app, prefix):
    """ListState builds its links from the table's base URL: each must be the very URL url_for
    gives, awkward characters and a mounted prefix included."""
    values = {
        "name": "a b/c:d@e'(f)*!$;?&=#%é+",
        "flag": "stale,-imported",
        "o": "-created,name",
        "page": "2",
    }
    state = ListState.from_args(MultiDict(values))
    with app.test_request_context("/backend-resources/", base_url=f"http://localhost{prefix}/"):
        assert ListState({}).url() == url_for(ENDPOINT) == f"{prefix}/backend-resources/"
        for changes in ({}, {"page": 3}, {"o": "name"}, {"name": None, "flag": None}):
            expected = {**values, **changes}
            if "page" not in changes:
                del expected["page"]
            expected = {
                key: str(expected[key]) for key in STATE_KEYS if expected.get(key) is not None
            }
            assert state.url(**changes) == url_for(ENDPOINT, **expected)
