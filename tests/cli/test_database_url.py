"""CONSOLE_DATABASE_URL as a shell user writes it: relative SQLite paths are read from the
current folder, and a path that cannot be opened gets a clear one-line error."""

import os

import pytest
from sqlalchemy import inspect

from console import create_app
from console.extensions import db
from console.settings import DatabaseUnusable


def test_a_relative_sqlite_path_is_read_from_the_current_folder(tmp_path, monkeypatch):
    (tmp_path / "instance").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CONSOLE_DATABASE_URL", "sqlite:///instance/x.sqlite3")
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        f"sqlite:///{tmp_path / 'instance' / 'x.sqlite3'}"
    )
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "instance" / "x.sqlite3").exists()
    with app.app_context():
        assert "backend_resources" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_a_folder_that_does_not_exist_is_named_in_the_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CONSOLE_DATABASE_URL", "sqlite:///missing/x.sqlite3")
    with pytest.raises(DatabaseUnusable) as raised:
        create_app({"SECRET_KEY": "x"})
    assert f"{tmp_path / 'missing'} does not exist" in raised.value.message


def test_the_command_line_prints_one_line_instead_of_a_traceback(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    flask = Path(sys.executable).with_name("flask")
    result = subprocess.run(
        [str(flask), "--app", str(root / "wsgi.py"), "db", "upgrade"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env={**os.environ, "CONSOLE_DATABASE_URL": "sqlite:///instance/x.sqlite3",
             "CONSOLE_SECRET_KEY": "x"},
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"The SQLite database {tmp_path / 'instance' / 'x.sqlite3'} cannot be opened" in lines[0]


def test_other_databases_and_memory_are_left_alone(monkeypatch):
    from console.settings import resolve_sqlite_path

    url = "postgresql+psycopg://user:pw@db.internal/console"
    assert resolve_sqlite_path(url) == url
    assert resolve_sqlite_path("sqlite://") == "sqlite://"
    assert resolve_sqlite_path("sqlite:///:memory:") == "sqlite:///:memory:"
    with pytest.raises(DatabaseUnusable, match="is not a database URL"):
        resolve_sqlite_path("not a url")
