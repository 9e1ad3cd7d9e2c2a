"""Input the console cannot keep or serve is refused with a clear 4xx, on both databases.

Numbers JSON cannot carry back (1e400 became Infinity and poisoned every list that held it),
bodies, metadata, filters and sort orders past their configured bounds, unreadable bodies.
"""

import json
import socket
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from console.extensions import db
from console.models import BackendResource

LIST = "/api/backend-resources/"


def report_body(actors, **changes) -> dict:
    body = {"name": "alloc", "project": actors.project.uuid.hex,
            "offering": actors.offering.uuid.hex, "backend_metadata": {"limits": {"cpu": 1}}}
    return body | changes


def stored_reports() -> int:
    return db.session.scalar(select(func.count()).select_from(BackendResource))


@pytest.mark.parametrize(
    "metadata_text",
    ['{"limits": {"cpu": 1e400}}', '{"x": -1e400}', '{"deep": [[{"n": 1e999}]]}',
     '{"x": NaN}', '{"x": Infinity}', '{"x": -Infinity}'],
)
def test_numbers_json_cannot_round_trip_are_refused_with_400(api, actors, metadata_text):
    body = json.dumps(report_body(actors, backend_metadata={})).replace(
        '"backend_metadata": {}', f'"backend_metadata": {metadata_text}'
    )
    response = api.post(LIST, "agent", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["detail"].startswith(
        "JSON parse error - Out of range float values are not JSON compliant"
    )
    assert stored_reports() == 0
    assert api.get(LIST).status_code == 200


def test_the_database_layer_refuses_infinity_too_so_no_row_can_poison_the_lists(
    api, actors, factory
):
    # SQLAlchemy wraps the refusal on SQLite; psycopg lets it through as it is.
    with pytest.raises(Exception, match="Out of range float values are not JSON compliant"):
        factory.backend_resource(actors.offering, actors.project,
                                 backend_metadata={"x": float("inf")})
    db.session.rollback()
    assert stored_reports() == 0
    factory.backend_resource(actors.offering, actors.project)
    assert api.get(LIST).status_code == 200


def test_metadata_larger_than_the_bound_is_refused(api, actors, app):
    app.config["CONSOLE_MAX_METADATA_BYTES"] = 100
    fits = {"limits": {"cpu": 1}, "note": "x" * 60}
    assert api.post(LIST, "agent", json=report_body(actors, backend_metadata=fits)).status_code \
        == 201
    too_big = {"limits": {"cpu": 1}, "note": "x" * 100}
    response = api.post(LIST, "agent", json=report_body(actors, backend_metadata=too_big))
    assert response.status_code == 400
    assert response.get_json() == {"backend_metadata": [
        "Ensure this value has no more than 100 bytes as JSON (it has 130)."
    ]}
    assert stored_reports() == 1


def test_metadata_nested_deeper_than_the_bound_is_refused(api, actors, app):
    app.config["CONSOLE_MAX_METADATA_DEPTH"] = 3
    assert api.post(LIST, "agent", json=report_body(
        actors, backend_metadata={"a": {"b": [1]}})).status_code == 201
    response = api.post(LIST, "agent", json=report_body(
        actors, backend_metadata={"a": {"b": [[1]]}}))
    assert response.status_code == 400
    assert response.get_json() == {"backend_metadata": [
        "Ensure this value is nested no more than 3 levels deep (it is 4)."
    ]}


def test_default_metadata_bounds_refuse_ten_megabytes(api, actors):
    huge = {"blob": "x" * (10 * 1024 * 1024)}
    response = api.post(LIST, "agent", json=report_body(actors, backend_metadata=huge))
    # The body itself is past the 1 MiB request bound.
    assert response.status_code == 413
    assert stored_reports() == 0


def test_a_body_past_the_request_bound_is_413_with_a_json_body(api, actors, app):
    app.config["MAX_CONTENT_LENGTH"] = 2000
    body = report_body(actors, backend_metadata={"note": "x" * 3000})
    response = api.post(LIST, "agent", json=body)
    assert response.status_code == 413
    assert response.get_json() == {"detail": (
        "The data value transmitted exceeds the capacity limit."
    )}
    assert stored_reports() == 0


@pytest.mark.parametrize("key", ["name", "name_exact", "backend_id", "o"])
def test_a_filter_of_fifty_thousand_characters_is_400(api, key):
    response = api.get(LIST, query_string={key: "a" * 50_000})
    assert response.status_code == 400
    assert response.get_json() == {
        "detail": f"The query parameter '{key}' is longer than 500 characters."
    }


def test_the_filter_bound_is_configurable(api, app):
    app.config["CONSOLE_MAX_FILTER_LENGTH"] = 10
    assert api.get(LIST, query_string={"name": "a" * 10}).status_code == 200
    assert api.get(LIST, query_string={"name": "a" * 11}).status_code == 400


def test_an_ordering_with_two_thousand_keys_is_400(api, app):
    app.config["CONSOLE_MAX_FILTER_LENGTH"] = 20_000
    response = api.get(LIST, query_string={"o": ",".join(["name"] * 2000)})
    assert response.status_code == 400
    assert response.get_json() == {
        "o": ["Ensure there are no more than 6 sort keys (there are 2000)."]
    }


def test_the_sort_key_bound_is_configurable(api, app):
    app.config["CONSOLE_MAX_SORT_KEYS"] = 2
    assert api.get(LIST, query_string={"o": "name,-created"}).status_code == 200
    response = api.get(LIST, query_string={"o": "name,-created,backend_id"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/login", "application/x-www-form-urlencoded"), (LIST, "application/json")],
)
def test_a_malformed_chunked_body_is_400(live_server, actors, path, content_type):
    """It was a 500 on the login form (whose CSRF check parses the body) for anyone at all."""
    address = urlsplit(live_server)
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {address.netloc}\r\n"
        f"Authorization: Token {actors.tokens['agent']}\r\n"
        f"Content-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\nZZZ\r\na=1\r\n0\r\n\r\n"
    ).encode()
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] == b"400", answer[:300]
    assert b"malformed chunked encoding" in rest
