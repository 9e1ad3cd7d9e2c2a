"""The migration path: `flask db upgrade` on an empty database, then demo data and commands."""

from sqlalchemy import func, inspect, select

from console import create_app
from console.extensions import db
from console.models import BackendResource, User


def test_upgrade_then_demo_data_on_an_empty_sqlite_file(tmp_path):
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'migrated.sqlite3'}",
        "SECRET_KEY": "x",
        "TESTING": True,
    })
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["demo-data", "--backend-resources", "25"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "create", "ops", "--staff", "--password", "pw"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert "alembic_version" in inspect(db.engine).get_table_names()
        assert db.session.scalar(select(func.count(BackendResource.id))) == 25
        assert db.session.scalar(select(func.count(User.id))) == 4
        db.session.remove()
        db.engine.dispose()


def test_commands_on_an_unmigrated_database_fail_cleanly(tmp_path):
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "SECRET_KEY": "x",
        "TESTING": True,
    })
    result = app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code == 1
    assert "Database error" in result.stderr and "flask db upgrade" in result.stderr
    assert "Traceback" not in result.output
    with app.app_context():
        db.engine.dispose()
