"""schemathesis, with all its checks and phases, against a live server on each database.

It loads `/api/schema/`, generates valid and invalid requests for every operation (as staff),
and fails on any 5xx, any response the schema does not describe, and any other check it has
(see tests/api/schemathesis.toml for the one expectation set per operation, and why). Half the
uuids it puts in paths and bodies name objects that exist, so that it reaches past the 404s.
The broker is not configured: scans are recorded as not delivered and register_queue is 503.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from console.extensions import db
from console.models import MarketplaceResource, Order
from console.services.providers import service_provider_uuid

CONFIG = Path(__file__).with_name("schemathesis.toml")
# Per operation and phase; enough to reach every documented status, small enough to keep the
# run well under two minutes per database on a 2-CPU machine.
MAX_EXAMPLES = 10
SEED = 20261128
# How often a uuid in a path or body is drawn from the objects that exist.
KNOWN_UUID_PROBABILITY = 0.5
# Schema path prefix -> which existing objects its `{uuid}` may name.
PATH_OBJECTS = {
    "/api/backend-resources/": "reports",
    "/api/backend-resource-requests/": "scans",
    "/api/marketplace-site-agent-identities/": "identities",
    "/api/marketplace-site-agent-services/": "services",
    "/api/marketplace-site-agent-processors/": "processors",
    "/api/projects/": "projects",
    "/api/marketplace-public-offerings/": "offerings",
    "/api/marketplace-provider-offerings/": "offerings",
    "/api/marketplace-resources/": "resources",
    "/api/marketplace-provider-resources/": "resources",
    "/api/marketplace-orders/": "orders",
    "/api/marketplace-service-providers/": "providers",
    "/api/users/": "users",
}
BODY_OBJECTS = {"offering": "offerings", "project": "projects", "plan": "plans"}


@pytest.fixture
def world(api, actors, factory, ctx):
    """Something behind every path: reports, an import, a scan request, an agent identity."""
    other = factory.offering(name="Private storage", shared=False)
    factory.plan(other, name="Archived", archived=True)
    reports = [factory.backend_resource(actors.offering, actors.project, name=f"alloc-{number}")
               for number in range(3)]
    imported = factory.backend_resource(actors.offering, actors.project, name="imported")
    assert api.post(f"/api/backend-resources/{imported.uuid.hex}/import_resource/",
                    json={"plan": actors.plan.uuid.hex}).status_code == 201
    scan = api.post("/api/backend-resource-requests/",
                    json={"offering": actors.offering.uuid.hex}).get_json()
    identity = api.post("/api/marketplace-site-agent-identities/", "agent", json={
        "offering": actors.offering.uuid.hex, "name": "agent-1"}).get_json()
    service = api.post(
        f"/api/marketplace-site-agent-identities/{identity['uuid']}/register_service/",
        "agent", json={"name": "event_process", "mode": "event_process"}).get_json()
    processor = api.post(
        f"/api/marketplace-site-agent-services/{service['uuid']}/register_processor/",
        "agent", json={"name": "console-file", "backend_type": "console-file"}).get_json()
    factory.grant(actors.agent, customer=actors.offering.customer)

    def hexes(rows) -> list[str]:
        return [row.uuid.hex for row in rows]

    return {
        "reports": hexes(reports),
        "scans": [scan["uuid"]],
        "identities": [identity["uuid"]],
        "services": [service["uuid"]],
        "processors": [processor["uuid"]],
        "projects": hexes([actors.project]),
        "offerings": hexes([actors.offering, other]),
        "plans": hexes([actors.plan, *other.plans]),
        "resources": hexes(db.session.scalars(db.select(MarketplaceResource))),
        "orders": hexes(db.session.scalars(db.select(Order))),
        "providers": [service_provider_uuid(actors.offering.customer).hex],
        "users": hexes([actors.staff, actors.agent]),
    }


def config_with_known_uuids(objects: dict, folder: Path) -> Path:
    """tests/api/schemathesis.toml plus dictionaries of the uuids that exist, bound to paths."""
    lines = [CONFIG.read_text(), "", "[dictionaries]"]
    lines += [f"{name} = {{ values = {json.dumps(values)} }}" for name, values in objects.items()]
    binding = f"probability = {KNOWN_UUID_PROBABILITY}"
    for prefix, name in PATH_OBJECTS.items():
        lines += ["", "[[operations]]",
                  "include-path-regex = '^" + prefix + r"\{uuid\}/'",
                  f'parameters = {{ "path.uuid" = {{ dictionary = "{name}", {binding} }} }}']
    lines += ["", "[[operations]]",
              r"include-path-regex = '\{plan_uuid\}'",
              f'parameters = {{ "path.plan_uuid" = {{ dictionary = "plans", {binding} }} }}',
              "", "[parameters]"]
    lines += [f'"body.{key}" = {{ dictionary = "{name}", {binding} }}'
              for key, name in BODY_OBJECTS.items()]
    path = folder / "schemathesis.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    live_server, actors, world, tmp_path
):
    command = [
        sys.executable, "-m", "schemathesis.cli",
        "--config-file", str(config_with_known_uuids(world, tmp_path)), "--no-color",
        "run", f"{live_server}/api/schema/",
        "--checks", "all",
        "--header", f"Authorization: Token {actors.tokens['staff']}",
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", str(SEED),
        "--workers", "1",
        "--generation-database", "none",
        "--report-dir", str(tmp_path),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600,
                            cwd=tmp_path)
    output = result.stdout + result.stderr
    (tmp_path / "schemathesis-output.txt").write_text(output)
    assert result.returncode == 0, output[-25_000:]
    summary = output.rsplit("Test cases:", 1)[-1]
    assert re.search(r"(\d+) generated, \1 passed", summary), summary
