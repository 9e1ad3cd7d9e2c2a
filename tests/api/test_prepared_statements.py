"""On PostgreSQL the read-only requests prepare (plan once) the statements whose best plan does
not depend on their values: the token check, a list filtered by ids alone, the console table's
default view. A text search is never prepared (a plan made for "gpu" could be run for "a"), and
a prepared statement still answers each request for its own filters and page."""

import pytest
from sqlalchemy import event, select

from console.extensions import db
from console.models import BackendResource
from tests.web.session_helpers import log_in

on_postgresql = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def connections_used(app):
    """The driver connections the app's statements run on, and what each has prepared."""
    drivers = {}

    def record(connection, _cursor, _statement, _parameters, _context, _many):
        driver = connection.connection.driver_connection
        drivers[id(driver)] = driver

    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", record)

    class Used:
        @staticmethod
        def dropped_behind_the_drivers_back() -> None:
            """Drop every prepared statement on the server as a pooler's DISCARD ALL would,
            psycopg still believing them there."""
            for driver in drivers.values():
                driver.pgconn.exec_(b"DEALLOCATE ALL")

        @staticmethod
        def prepared() -> list[str]:
            """The statements prepared on the connections used (read on each, in autocommit)."""
            found = []
            for driver in drivers.values():
                was = driver.autocommit
                driver.autocommit = True
                found += [row[0] for row in driver.execute(
                    "SELECT statement FROM pg_prepared_statements ORDER BY prepare_time"
                )]
                driver.autocommit = was
            return found

    yield Used
    event.remove(engine, "after_cursor_execute", record)


@pytest.fixture
def two_offerings(actors, factory):
    """Seven reports on the agent's offering, three on another, in a known order."""
    other = factory.offering(name="Cloud VMs")
    for number in range(7):
        factory.backend_resource(actors.offering, actors.project, name=f"slurm-{number}")
    for number in range(3):
        factory.backend_resource(other, actors.project, name=f"vm-{number}")
    db.session.commit()
    return actors.offering, other


@on_postgresql
def test_a_list_by_ids_is_prepared_and_a_name_search_is_not(
    api, two_offerings, connections_used, autocommit_seen
):
    by_offering = f"/api/backend-resources/?offering_uuid={two_offerings[0].uuid.hex}&page_size=4"
    db.session.close()  # the test's own session holds no transaction the request would share
    autocommit_seen.clear()
    assert api.get(by_offering).status_code == 200
    prepared = connections_used.prepared()
    assert any("api_tokens" in statement for statement in prepared)  # the token check
    assert any("backend_resource_tallies" in statement for statement in prepared)  # the count
    # The page's rows, its place written in: planned once for the first page.
    assert any("LIMIT 4" in statement and "offerings" in statement for statement in prepared)
    # Run again: the list's counts seen, its first page comes with its count, one statement
    # prepared once more; and then nothing new.
    assert api.get(by_offering).status_code == 200
    first_page = set(connections_used.prepared()) - set(prepared)
    assert len(first_page) == 1
    assert all("backend_resource_tallies" in statement and "LIMIT 4" in statement
               for statement in first_page)
    prepared = connections_used.prepared()
    assert api.get(by_offering).status_code == 200
    assert connections_used.prepared() == prepared  # run again, not prepared again

    assert api.get("/api/backend-resources/?name=slurm&page_size=4").status_code == 200
    assert api.get("/api/backend-resources/?backend_id=x&page_size=4").status_code == 200
    # The token check only, already prepared: no "name ILIKE", no backend id condition.
    assert connections_used.prepared() == prepared
    assert not any("LIKE" in statement or "backend_id =" in statement for statement in prepared)
    assert autocommit_seen and all(outside for _, outside in autocommit_seen)


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_prepared_list_answers_for_its_own_filter_and_page(api, two_offerings):
    """Past the five runs after which PostgreSQL may plan a prepared statement once for all
    values, each offering and each page still gets its own rows and count."""
    offerings = {
        offering.uuid.hex: db.session.scalars(
            select(BackendResource.name).where(BackendResource.offering_id == offering.id)
            .order_by(BackendResource.created.desc(), BackendResource.id.desc())
        ).all()
        for offering in two_offerings
    }
    db.session.close()
    for _ in range(4):
        for offering, expected in offerings.items():
            for page in (1, 2, 3):
                response = api.get(
                    f"/api/backend-resources/?offering_uuid={offering}&page_size=3&page={page}"
                )
                if (page - 1) * 3 >= len(expected):
                    assert response.status_code == 404
                    continue
                assert [body["name"] for body in response.get_json()] == (
                    expected[(page - 1) * 3:page * 3]
                )
                assert response.headers["X-Result-Count"] == str(len(expected))


@on_postgresql
def test_the_console_table_reads_without_a_transaction_and_prepared(
    client, api, actors, two_offerings, connections_used, autocommit_seen
):
    project, offering = actors.project.uuid.hex, actors.offering.uuid.hex
    assert log_in(client, "staff").status_code in (302, 303)
    db.session.close()
    autocommit_seen.clear()
    page = client.get("/backend-resources/?page_size=5", headers={"HX-Request": "true"})
    assert page.status_code == 200 and "slurm-6" in page.text
    assert autocommit_seen and all(outside for _, outside in autocommit_seen)
    prepared = connections_used.prepared()
    assert any("GROUP BY" in statement for statement in prepared)  # the selects' counts
    assert any("customers.name" in statement for statement in prepared)  # their options
    assert any("LIMIT 5" in statement for statement in prepared)  # the page's rows

    # A search in the table is planned for its own text, every time.
    searched = client.get("/backend-resources/?name=vm", headers={"HX-Request": "true"})
    assert searched.status_code == 200 and "vm-2" in searched.text
    after = connections_used.prepared()
    assert set(prepared) <= set(after)
    assert not any("LIKE" in statement for statement in after)  # the options' ids may be new

    # The connection goes back as it came: the next write is one transaction.
    autocommit_seen.clear()
    created = api.post("/api/backend-resources/", "agent", json={
        "name": "alloc-1", "project": project, "offering": offering, "backend_id": "alloc_1",
    })
    assert created.status_code == 201
    assert autocommit_seen and not any(outside for _, outside in autocommit_seen)


@on_postgresql
def test_a_prepared_statement_the_server_dropped_is_prepared_again(
    api, two_offerings, connections_used
):
    by_offering = f"/api/backend-resources/?offering_uuid={two_offerings[0].uuid.hex}&page_size=4"
    db.session.close()
    first = api.get(by_offering)
    assert first.status_code == 200 and connections_used.prepared()
    connections_used.dropped_behind_the_drivers_back()
    assert connections_used.prepared() == []
    again = api.get(by_offering)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert again.headers["X-Result-Count"] == "7"
    third = api.get(by_offering)
    assert third.status_code == 200 and third.get_json() == first.get_json()
    assert any("LIMIT 4" in statement for statement in connections_used.prepared())
