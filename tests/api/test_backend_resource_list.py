"""GET and HEAD /api/backend-resources/: filters, ordering, pagination headers, errors."""

from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from sqlalchemy import select

from console.extensions import db
from console.models import BackendResource

BASE = "http://localhost/api/backend-resources/"


def names(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["name"] for item in response.get_json()]


@pytest.fixture
def world(actors, factory):
    """Three reports in two offerings and two projects, with known names and times."""
    other_offering = factory.offering(name="Cloud")
    other_project = factory.project(name="Astro")
    rows = {
        "alpha": factory.backend_resource(
            actors.offering, actors.project, name="alpha", backend_id="id-b",
            created=datetime(2025, 1, 10, 12, tzinfo=UTC),
            modified=datetime(2025, 3, 1, tzinfo=UTC),
        ),
        "beta": factory.backend_resource(
            actors.offering, other_project, name="beta", backend_id="id-a",
            created=datetime(2025, 2, 10, 12, tzinfo=UTC),
            modified=datetime(2025, 2, 11, tzinfo=UTC),
        ),
        "gamma_ALPHA": factory.backend_resource(
            other_offering, actors.project, name="gamma_ALPHA", backend_id="id-c",
            created=datetime(2025, 3, 10, 12, tzinfo=UTC),
            modified=datetime(2025, 3, 11, tzinfo=UTC),
        ),
    }
    return {"other_offering": other_offering, "other_project": other_project, **rows}


def test_representation_has_13_keys_in_order(api, actors, factory):
    report = factory.backend_resource(
        actors.offering, actors.project, name="n1", backend_id="b1",
        backend_metadata={"limits": {"cpu": 4}},
        created=datetime(2025, 3, 1, 10, 11, 12, 123456, tzinfo=UTC),
        modified=datetime(2025, 3, 1, 10, 11, 13, tzinfo=UTC),
    )
    response = api.get("/api/backend-resources/")
    assert response.headers["Content-Type"] == "application/json"
    item = response.get_json()[0]
    assert list(item) == [
        "url", "uuid", "name", "created", "modified", "project", "project_name", "project_url",
        "offering", "offering_name", "offering_url", "backend_id", "backend_metadata",
    ]
    hex_ = report.uuid.hex
    assert item == {
        "url": f"http://localhost/api/backend-resources/{hex_}/",
        "uuid": hex_,
        "name": "n1",
        "created": "2025-03-01T10:11:12.123456Z",
        "modified": "2025-03-01T10:11:13Z",
        "project": actors.project.uuid.hex,
        "project_name": "Climate modelling",
        "project_url": f"http://localhost/api/projects/{actors.project.uuid.hex}/",
        "offering": actors.offering.uuid.hex,
        "offering_name": "HPC SLURM",
        "offering_url": (
            f"http://localhost/api/marketplace-public-offerings/{actors.offering.uuid.hex}/"
        ),
        "backend_id": "b1",
        "backend_metadata": {"limits": {"cpu": 4}},
    }
    # Key order on the wire, not only in the parsed dict.
    text = response.get_data(as_text=True)
    assert text.index('"url"') < text.index('"uuid"') < text.index('"backend_metadata"')


def test_default_order_is_newest_first(api, world):
    assert names(api.get("/api/backend-resources/")) == ["gamma_ALPHA", "beta", "alpha"]


FILTER_CASES = [
    ("name=alpha", ["gamma_ALPHA", "alpha"]),
    ("name=ALP", ["gamma_ALPHA", "alpha"]),
    ("name=a_A", ["gamma_ALPHA"]),
    ("name=%25", []),
    ("name_exact=alpha", ["alpha"]),
    ("name_exact=Alpha", []),
    ("backend_id=id-a", ["beta"]),
    ("backend_id=id", []),
    ("created=2025-02-10T12:00:00Z", ["gamma_ALPHA", "beta"]),
    ("created=2025-02-10", ["gamma_ALPHA", "beta"]),
    ("created=2025-02-10T12:00:00.000001%2B00:00", ["gamma_ALPHA"]),
    ("created=2025-02-10T13:00:00%2B01:00", ["gamma_ALPHA", "beta"]),
    ("created_before=2025-02-10T12:00:00Z", ["beta", "alpha"]),
    ("created_before=2025-02-10", ["beta", "alpha"]),
    ("created_before=2025-02-09", ["alpha"]),
    ("modified=2025-03-01", ["gamma_ALPHA", "alpha"]),
    ("modified_before=2025-02-28", ["beta"]),
    ("modified=2025-02-01&modified_before=2025-03-01T00:00:00", ["beta", "alpha"]),
    ("created=2025-01-01&created_before=2025-12-31&name=a", ["gamma_ALPHA", "beta", "alpha"]),
    ("unknown=1", ["gamma_ALPHA", "beta", "alpha"]),
    ("name=", ["gamma_ALPHA", "beta", "alpha"]),
]


def test_filters(api, world):
    for query, expected in FILTER_CASES:
        assert names(api.get(f"/api/backend-resources/?{query}")) == expected, query


def test_uuid_filters_accept_hex_and_hyphens(api, actors, world):
    offering = actors.offering.uuid
    project = world["other_project"].uuid
    assert names(api.get(f"/api/backend-resources/?offering_uuid={offering.hex}")) == [
        "beta", "alpha"
    ]
    assert names(api.get(f"/api/backend-resources/?offering_uuid={offering}")) == ["beta", "alpha"]
    assert names(api.get(f"/api/backend-resources/?project_uuid={project}")) == ["beta"]
    both = f"offering_uuid={world['other_offering'].uuid}&project_uuid={actors.project.uuid.hex}"
    assert names(api.get(f"/api/backend-resources/?{both}")) == ["gamma_ALPHA"]
    unknown = "offering_uuid=00000000000000000000000000000000"
    assert names(api.get(f"/api/backend-resources/?{unknown}")) == []


ORDERING_CASES = [
    ("o=created", ["alpha", "beta", "gamma_ALPHA"]),
    ("o=-created", ["gamma_ALPHA", "beta", "alpha"]),
    ("o=modified", ["beta", "alpha", "gamma_ALPHA"]),
    ("o=-modified", ["gamma_ALPHA", "alpha", "beta"]),
    ("o=name", ["alpha", "beta", "gamma_ALPHA"]),
    ("o=-name", ["gamma_ALPHA", "beta", "alpha"]),
    ("o=backend_id", ["beta", "alpha", "gamma_ALPHA"]),
    ("o=-backend_id", ["gamma_ALPHA", "alpha", "beta"]),
    ("o=project_name", ["beta", "alpha", "gamma_ALPHA"]),
    ("o=-project_name", ["gamma_ALPHA", "alpha", "beta"]),
    ("o=offering_name", ["gamma_ALPHA", "alpha", "beta"]),
    ("o=-offering_name", ["beta", "alpha", "gamma_ALPHA"]),
    ("o=project_name,created", ["beta", "alpha", "gamma_ALPHA"]),
    ("o=offering_name,-backend_id", ["gamma_ALPHA", "alpha", "beta"]),
    # Repeated keys: the last one wins, as with Django's widgets.
    ("o=created&o=-created", ["gamma_ALPHA", "beta", "alpha"]),
    ("o=-created&o=created", ["alpha", "beta", "gamma_ALPHA"]),
]


def test_ordering(api, world):
    for query, expected in ORDERING_CASES:
        assert names(api.get(f"/api/backend-resources/?{query}")) == expected, query


MALFORMED_CASES = [
    ("o=size", {"o": ["Select a valid choice. size is not one of the available choices."]}),
    ("o=name,-size",
     {"o": ["Select a valid choice. -size is not one of the available choices."]}),
    ("created=yesterday", {"created": ["Enter a valid date/time."]}),
    ("created_before=2025-13-01", {"created_before": ["Enter a valid date/time."]}),
    ("modified=2025-02-30", {"modified": ["Enter a valid date/time."]}),
    ("modified_before=9999-12-31T23:59:59-05:00",
     {"modified_before": ["Enter a valid date/time."]}),
    ("created=0001-01-01T00:00:00%2B05:00", {"created": ["Enter a valid date/time."]}),
    ("offering_uuid=abc", {"offering_uuid": ["Enter a valid UUID."]}),
    ("project_uuid=1234", {"project_uuid": ["Enter a valid UUID."]}),
    ("name=a%00b", {"name": ["Null characters are not allowed."]}),
    ("backend_id=%00", {"backend_id": ["Null characters are not allowed."]}),
    ("offering_uuid=x&created=y",
     {"offering_uuid": ["Enter a valid UUID."], "created": ["Enter a valid date/time."]}),
]


def test_malformed_filters_are_400(api, world):
    for query, errors in MALFORMED_CASES:
        response = api.get(f"/api/backend-resources/?{query}")
        assert response.status_code == 400, query
        assert response.get_json() == errors, query


@pytest.fixture
def twenty_five(actors, factory):
    for n in range(25):
        factory.backend_resource(
            actors.offering, actors.project, name=f"r{n:02d}",
            created=datetime(2025, 1, 1, tzinfo=UTC).replace(minute=n),
        )


def test_default_page_size_and_headers(api, twenty_five):
    response = api.get("/api/backend-resources/")
    assert names(response) == [f"r{n:02d}" for n in range(24, 14, -1)]
    assert response.headers["X-Result-Count"] == "25"
    assert response.headers["Link"] == (
        f'<{BASE}>; rel="first", <{BASE}?page=2>; rel="next", <{BASE}?page=3>; rel="last"'
    )


def test_middle_page_links_keep_other_parameters_sorted_and_encoded(api, twenty_five):
    response = api.get("/api/backend-resources/?page=2&o=-name,created&name=r&page_size=10")
    assert names(response) == [f"r{n:02d}" for n in range(14, 4, -1)]
    rest = "name=r&o=-name%2Ccreated"
    assert response.headers["Link"] == (
        f'<{BASE}?{rest}&page_size=10>; rel="first", '
        f'<{BASE}?{rest}&page_size=10>; rel="prev", '
        f'<{BASE}?{rest}&page=3&page_size=10>; rel="next", '
        f'<{BASE}?{rest}&page=3&page_size=10>; rel="last"'
    )
    assert "," not in response.headers["Link"].replace(", <", "")


def test_last_page_and_page_last(api, twenty_five):
    response = api.get("/api/backend-resources/?page=last")
    assert names(response) == ["r04", "r03", "r02", "r01", "r00"]
    assert response.headers["Link"] == (
        f'<{BASE}?page=last>; rel="first"'.replace("?page=last", "")
        + f', <{BASE}?page=2>; rel="prev", <{BASE}?page=3>; rel="last"'
    )
    assert names(api.get("/api/backend-resources/?page=3")) == ["r04", "r03", "r02", "r01", "r00"]


def test_page_two_prev_drops_page(api, twenty_five):
    response = api.get("/api/backend-resources/?page=2")
    assert response.headers["Link"] == (
        f'<{BASE}>; rel="first", <{BASE}>; rel="prev", '
        f'<{BASE}?page=3>; rel="next", <{BASE}?page=3>; rel="last"'
    )


def test_single_and_empty_pages_link_first_and_last(api, actors):
    response = api.get("/api/backend-resources/?name=nothing")
    assert response.get_json() == []
    assert response.headers["X-Result-Count"] == "0"
    url = f"{BASE}?name=nothing"
    assert response.headers["Link"] == f'<{url}>; rel="first", <{url}>; rel="last"'


def test_page_size(api, twenty_five):
    cases = [("5", 5), ("1", 1), ("300", 25), ("0", 10), ("-3", 10), ("abc", 10), ("", 10),
             ("2.5", 10), ("99999999999999999999999", 25)]
    for page_size, count in cases:
        response = api.get(f"/api/backend-resources/?page_size={page_size}")
        assert len(names(response)) == count, page_size


def test_page_size_is_capped_at_300(api, actors, factory, app):
    app.config["CONSOLE_MAX_PAGE_SIZE"] = 3
    for _ in range(5):
        factory.backend_resource(actors.offering, actors.project)
    assert len(names(api.get("/api/backend-resources/?page_size=300"))) == 3


def test_invalid_page_is_404(api, twenty_five):
    for page in ["0", "-1", "4", "abc", "1.0", "99999999999999999999999", "%00", "LAST"]:
        response = api.get(f"/api/backend-resources/?page={page}")
        assert response.status_code == 404, page
        assert response.get_json() == {"detail": "Invalid page."}, page


def test_page_one_of_an_empty_list_is_valid(api, actors):
    assert api.get("/api/backend-resources/?page=1").status_code == 200
    assert api.get("/api/backend-resources/?page=2").status_code == 404


def test_head_has_the_headers_and_no_body(api, twenty_five):
    response = api.head("/api/backend-resources/?page_size=5&page=2")
    assert response.status_code == 200
    assert response.get_data() == b""
    assert response.headers["X-Result-Count"] == "25"
    assert response.headers["Link"] == (
        f'<{BASE}?page_size=5>; rel="first", <{BASE}?page_size=5>; rel="prev", '
        f'<{BASE}?page=3&page_size=5>; rel="next", <{BASE}?page=5&page_size=5>; rel="last"'
    )


def test_head_applies_filters_and_visibility(api, world):
    response = api.head("/api/backend-resources/?name=alpha", "agent")
    assert response.headers["X-Result-Count"] == "1"
    assert api.head("/api/backend-resources/", "outsider").headers["X-Result-Count"] == "0"
    assert api.head("/api/backend-resources/?page=9").status_code == 404


def test_link_urls_keep_unicode_and_spaces_encoded(api, actors, factory):
    factory.backend_resource(actors.offering, actors.project, name="µ sigma, one")
    response = api.get("/api/backend-resources/?" + "name=" + quote("µ sigma, one"))
    assert names(response) == ["µ sigma, one"]
    assert response.headers["Link"].startswith(f"<{BASE}?name=%C2%B5+sigma%2C+one>; rel=\"first\"")


@pytest.mark.parametrize("page_size", [5, 100])
def test_list_runs_a_fixed_number_of_statements(api, actors, factory, count_statements, page_size):
    for _ in range(12):
        offering = factory.offering()
        factory.backend_resource(offering, factory.project())
    with count_statements() as statements:
        response = api.get(f"/api/backend-resources/?page_size={page_size}")
    assert len(response.get_json()) == min(page_size, 12)
    # Authentication, count, page.
    assert len(statements) == 3, statements


def test_a_first_page_asked_again_comes_with_its_count_and_follows_every_change(
    api, actors, factory, count_statements
):
    """Once a list's counts have been seen, its first page is read with its count (one
    statement fewer); the counts seen only choose the way: reports added and deleted since
    are counted, an emptied list is empty, and then counted first again."""
    offering = factory.offering()
    reports = [
        factory.backend_resource(offering, actors.project, name=f"r{n}",
                                 created=datetime(2025, 1, 1 + n, tzinfo=UTC))
        for n in range(7)
    ]
    url = f"/api/backend-resources/?offering_uuid={offering.uuid.hex}&page_size=5"

    def listed() -> tuple[list, str, int]:
        with count_statements() as statements:
            response = api.get(url)
        return names(response), response.headers["X-Result-Count"], len(statements)

    # Authentication, count, page; then authentication, the page with its count.
    assert listed() == (["r6", "r5", "r4", "r3", "r2"], "7", 3)
    assert listed() == (["r6", "r5", "r4", "r3", "r2"], "7", 2)
    # Another page counts first, to know where it is.
    with count_statements() as statements:
        response = api.get(url + "&page=2")
    assert (names(response), len(statements)) == (["r1", "r0"], 3)
    factory.backend_resource(offering, actors.project, name="newest",
                             created=datetime(2025, 2, 1, tzinfo=UTC))
    factory.backend_resource(factory.offering(), actors.project, name="elsewhere")
    for report in reports[4:]:
        db.session.delete(report)
    db.session.commit()
    assert listed() == (["newest", "r3", "r2", "r1", "r0"], "5", 2)
    for report in db.session.scalars(select(BackendResource).where(
            BackendResource.offering_id == offering.id)):
        db.session.delete(report)
    db.session.commit()
    assert listed() == ([], "0", 2)
    # Seen empty, the list is counted first again, and an empty list reads no page: walking
    # the sort index to find nothing would read all of it.
    with count_statements() as statements:
        assert names(api.get(url)) == []
    assert len(statements) == 2 and not any("LIMIT" in statement for statement in statements)


def test_head_counts_without_loading_the_page(api, actors, factory, count_statements):
    for n in range(7):
        factory.backend_resource(actors.offering, actors.project, name=f"r{n}")
    with count_statements() as statements:
        response = api.head("/api/backend-resources/?page_size=3&page=2")
    assert response.status_code == 200
    assert response.headers["X-Result-Count"] == "7"
    assert 'rel="next"' in response.headers["Link"] and response.data == b""
    # Authentication and the count: no statement reads the page's rows.
    assert len(statements) == 2, statements
    with count_statements() as statements:
        response = api.get("/api/backend-resources/?page_size=3&page=2")
    assert len(response.get_json()) == 3 and len(statements) == 3


@pytest.mark.parametrize("ordering", ["-created", "project_name", "-offering_name", "name"])
def test_each_list_item_is_the_report_as_its_detail_shows_it(api, world, actors, factory, ordering):
    factory.backend_resource(
        world["other_offering"], world["other_project"], name="meta", backend_id="",
        backend_metadata={"limits": {"cpu": 4}, "tags": ["a", "é"]},
    )
    factory.backend_resource(actors.offering, actors.project, name="no-meta", backend_id=None,
                             backend_metadata=None)
    listed = api.get(f"/api/backend-resources/?o={ordering}").get_json()
    assert len(listed) == 5
    for item in listed:
        assert item == api.get(f"/api/backend-resources/{item['uuid']}/").get_json()
