"""schemathesis, with all its checks and phases, against a live server on each database.

It loads `/api/schema/`, generates valid and invalid requests for every operation (as staff),
and fails on any 5xx, any response the schema does not describe, and any other check it has
(see tests/api/schemathesis.toml for the few expectations set per operation, and why). The broker
is not configured: scans are recorded as not delivered and register_queue answers 503.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

CONFIG = Path(__file__).with_name("schemathesis.toml")
# Per operation and phase; enough to reach every documented status, small enough to keep the
# run well under two minutes per database on a 2-CPU machine.
MAX_EXAMPLES = 10
SEED = 20261128


@pytest.fixture
def world(api, actors, factory):
    """Something behind every path: reports, an import, a scan request, an agent identity."""
    other = factory.offering(name="Private storage", shared=False)
    factory.plan(other, name="Archived", archived=True)
    for number in range(3):
        factory.backend_resource(actors.offering, actors.project, name=f"alloc-{number}")
    imported = factory.backend_resource(actors.offering, actors.project, name="imported")
    assert api.post(f"/api/backend-resources/{imported.uuid.hex}/import_resource/",
                    json={"plan": actors.plan.uuid.hex}).status_code == 201
    assert api.post("/api/backend-resource-requests/",
                    json={"offering": actors.offering.uuid.hex}).status_code == 201
    identity = api.post("/api/marketplace-site-agent-identities/", "agent", json={
        "offering": actors.offering.uuid.hex, "name": "agent-1"}).get_json()
    service = api.post(
        f"/api/marketplace-site-agent-identities/{identity['uuid']}/register_service/",
        "agent", json={"name": "event_process", "mode": "event_process"}).get_json()
    api.post(f"/api/marketplace-site-agent-services/{service['uuid']}/register_processor/",
             "agent", json={"name": "console-file", "backend_type": "console-file"})
    factory.grant(actors.agent, customer=actors.offering.customer)


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    live_server, actors, world, tmp_path
):
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "--no-color",
        "run", f"{live_server}/api/schema/",
        "--checks", "all",
        "--header", f"Authorization: Token {actors.tokens['staff']}",
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", str(SEED),
        "--workers", "1",
        "--generation-database", "none",
        "--report-dir", str(tmp_path),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300,
                            cwd=tmp_path)
    output = result.stdout + result.stderr
    (tmp_path / "schemathesis-output.txt").write_text(output)
    assert result.returncode == 0, output[-25_000:]
    summary = output.rsplit("Test cases:", 1)[-1]
    assert re.search(r"(\d+) generated, \1 passed", summary), summary
