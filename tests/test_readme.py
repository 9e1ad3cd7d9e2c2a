"""The README's commands work as printed: its runnable blocks are taken out of README.md and run
with bash, from the project folder, on a fresh database (and a live server for the API block).

A block is runnable when the line before its fence is `<!-- runnable... -->`; blocks marked
`<!-- runnable with the server... -->` run after the others, once a server is listening at
$BASE. Blocks that start the server or install system packages are not marked.
"""

import json
import os
import re
import subprocess
import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from console.extensions import db
from console.models import ApiToken, BackendResource, Offering, RoleGrant, User

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BLOCK = re.compile(r"<!-- (runnable[^>]*)-->\n```bash\n(.*?)```", re.S)


def runnable_blocks() -> tuple[list[str], list[str]]:
    """The runnable bash blocks of the README: (plain ones, ones that need the server)."""
    plain, with_server = [], []
    for marker, body in BLOCK.findall(README.read_text()):
        (with_server if "with the server" in marker else plain).append(body)
    return plain, with_server


def test_the_readme_marks_its_command_blocks_runnable():
    plain, with_server = runnable_blocks()
    commands = "\n".join(plain + with_server)
    for expected in ("catalog load docs/sample-catalog.json", "tokens create", "roles grant",
                     "demo-data --if-empty", "/api/backend-resources/"):
        assert expected in commands


def test_the_sample_catalogue_loads_and_a_second_load_changes_nothing(runner, ctx):
    path = str(ROOT / "docs" / "sample-catalog.json")
    first = runner.invoke(args=["catalog", "load", path])
    assert first.exit_code == 0, first.output
    assert "created 8" in first.output
    second = runner.invoke(args=["catalog", "load", path])
    assert "created 0, updated 0, unchanged 8" in second.output
    names = set(db.session.scalars(select(Offering.name)))
    assert names == {offering["name"] for offering in
                     json.loads(Path(path).read_text())["offerings"]}


@pytest.fixture
def fresh_instance(tmp_path):
    """An app on an empty SQLite file without a schema (the README's `db upgrade` makes it),
    served over real HTTP on a free loopback port: (app, database URL, base URL)."""
    from console import create_app

    url = f"sqlite:///{tmp_path / 'readme.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "readme"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, url, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_the_readme_commands_run_as_printed(fresh_instance):
    app, database_url, base = fresh_instance
    plain, with_server = runnable_blocks()
    script = "set -euo pipefail\n" + "\n".join(plain + with_server)
    assert (ROOT / ".venv" / "bin" / "flask").exists(), "the README's commands use .venv/bin"
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={
            **os.environ,
            "CONSOLE_DATABASE_URL": database_url,
            "CONSOLE_SECRET_KEY": "readme",
            "BASE": base,
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    # The API block reported a resource as the agent, then listed it.
    assert "HTTP/1.1 200 OK" in result.stdout
    assert '"name": "alloc-1"' in result.stdout or '"name":"alloc-1"' in result.stdout
    assert "make a new one with" in result.stdout  # demo-data --if-empty on a full database
    with app.app_context():
        report = db.session.scalar(select(BackendResource).where(BackendResource.name == "alloc-1"))
        assert report is not None and report.offering.uuid.hex == "3f2a9c1e8b7d4e5f9a0b1c2d3e4f5a6b"
        users = set(db.session.scalars(select(User.username)))
        assert {"alice", "bob", "slurm-agent", "staff", "support", "agent"} <= users
        assert db.session.scalar(select(ApiToken.id).join(ApiToken.user).where(
            User.username == "slurm-agent")) is not None
        grants = db.session.scalars(select(RoleGrant))
        roles = {(grant.user.username, grant.role) for grant in grants}
        assert {("slurm-agent", "OFFERING.MANAGER"), ("alice", "CUSTOMER.OWNER")} <= roles
