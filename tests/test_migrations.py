"""The Alembic migrations build exactly the schema the models describe, on both databases."""

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from console import create_app
from console.extensions import db
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
        include = None
        if connection.dialect.name != "postgresql":
            def include(obj, name, type_, reflected, compare_to):
                return not (type_ == "index" and name and name.endswith("_trgm"))
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
