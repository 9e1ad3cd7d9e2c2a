"""The Alembic migrations build exactly the schema the models describe, on both databases."""

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from console import create_app
from console.extensions import db
from console.list_indexes import compared_with_models
from console.models import User
from console.services.queries import ListParams, page_of_backend_resources
from tests import databases

POSTGRES_URL = os.environ.get("CONSOLE_TEST_DATABASE_URL", "")


def fresh_postgres_database() -> str:
    """Return the URL of an empty PostgreSQL database beside this worker's test database."""
    url = databases.postgres_url()
    name = f"{make_url(url).database}_migrations"
    return databases.create_database(url, name, replace=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    if not POSTGRES_URL:
        pytest.skip("CONSOLE_TEST_DATABASE_URL is not set")
    return fresh_postgres_database()


def schema_differences(app) -> list:
    """Compare the migrated database with the models, as `flask db check` does."""
    with app.app_context(), db.engine.connect() as connection:
        include = compared_with_models(connection.dialect.name)
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include}
        )
        return compare_metadata(context, db.metadata)


def test_upgrade_builds_the_models_schema_and_downgrade_removes_it(empty_database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x"})
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        indexes = {index["name"] for index in inspect(db.engine).get_indexes("backend_resources")}
    assert {"backend_resources", "marketplace_resources", "orders", "api_tokens"} <= tables
    assert {"ix_backend_resources_created", "ix_backend_resources_modified"} <= indexes
    if empty_database_url.startswith("postgresql"):
        assert "ix_backend_resources_name_trgm" in indexes
    assert schema_differences(app) == []
    with app.app_context():
        downgrade(revision="base")
        remaining = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        db.engine.dispose()
    assert remaining == set()


def test_sqlite_never_reuses_the_ids_of_deleted_reports_and_tokens(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite3'}",
                      "SECRET_KEY": "x"})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            tables = dict(connection.execute(text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table'"
            )).all())
        db.engine.dispose()
    for name in ("backend_resources", "api_tokens"):
        assert "AUTOINCREMENT" in tables[name], name


def test_upgrade_summarises_the_metadata_of_reports_already_stored(empty_database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(revision="0003_scan_requests_and_agents")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO customers (uuid, name, slug) VALUES ('" + "1" * 32 + "', 'C', 'c')"
            ))
            connection.execute(text(
                "INSERT INTO projects (uuid, name, slug, description, customer_id, created)"
                " VALUES ('" + "2" * 32 + "', 'P', 'p', '', 1, '2026-01-01')"
            ))
            connection.execute(text(
                "INSERT INTO offerings (uuid, name, slug, description, type, shared, billable,"
                " state, customer_id, created) VALUES ('" + "3" * 32 + "', 'O', 'o', '', 't',"
                " true, true, 'Active', 1, '2026-01-01')"
            ))
            connection.execute(text(
                "INSERT INTO backend_resources (uuid, name, backend_id, backend_metadata,"
                " offering_id, project_id, created, modified) VALUES ('" + "4" * 32 + "', 'r',"
                " 'b', '{\"limits\": {\"cpu\": 50000, \"gpu\": 800}}', 1, 1, '2026-01-01',"
                " '2026-01-01')"
            ))
        upgrade()
        with db.engine.connect() as connection:
            summary = connection.scalar(text("SELECT metadata_summary FROM backend_resources"))
        db.engine.dispose()
    assert summary == "cpu 50,000 · gpu 800"


def test_upgrade_counts_and_indexes_the_reports_already_stored(empty_database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(revision="0003_scan_requests_and_agents")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO customers (id, uuid, name, slug) VALUES "
                "(1, '11111111111111111111111111111111', 'C', 'c')"
            ))
            connection.execute(text(
                "INSERT INTO projects (id, uuid, name, slug, description, customer_id, created) "
                "VALUES (1, '22222222222222222222222222222222', 'P', 'p', '', 1, '2026-01-01')"
            ))
            connection.execute(text(
                "INSERT INTO offerings (id, uuid, name, slug, description, type, shared, "
                "billable, state, customer_id, created) VALUES (1, "
                "'33333333333333333333333333333333', 'O', 'o', '', 't', true, true, 'Active', 1, "
                "'2026-01-01')"
            ))
            for n, name in enumerate(["GPU one", "gpu two", "École", "GPU one"]):
                connection.execute(text(
                    "INSERT INTO backend_resources (uuid, name, backend_id, backend_metadata, "
                    "offering_id, project_id, created, modified) VALUES "
                    "(:uuid, :name, :backend_id, '{}', 1, 1, '2026-01-01', '2026-01-01')"
                ), {"uuid": f"{n:032x}", "name": name, "backend_id": f"ACCT-{n}"})
        upgrade()
        staff = User(username="staff", is_staff=True)
        db.session.add(staff)
        db.session.commit()
        assert db.session.execute(text(
            "SELECT reports FROM backend_resource_tallies WHERE offering_id = 1"
        )).scalar() == 4
        assert db.session.execute(text(
            "SELECT reports FROM backend_resource_name_tallies WHERE name = 'GPU one'"
        )).scalar() == 2
        assert dict(db.session.execute(text(
            "SELECT symbol, reports FROM backend_resource_character_tallies "
            "WHERE symbol IN ('g', 'o', 'a', '-', '2', 'z')"
        )).all()) == {"g": 3, "o": 4, "a": 4, "-": 4, "2": 1}
        for params, expected in (
            (ListParams(name="gpu"), 3), (ListParams(q="acct-"), 4), (ListParams(q="cole"), 1),
            (ListParams(q="G"), 3), (ListParams(q="2"), 1), (ListParams(q="-"), 4),
        ):
            assert page_of_backend_resources(db.session, params, staff).total == expected
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()
