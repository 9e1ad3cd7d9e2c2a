"""The README's "Connecting a site agent" files work as printed against the demo data."""

import re
import time
from pathlib import Path

import httpx

from console.demo import load_demo_data
from console.extensions import db
from tests.agent.harness import SiteAgent

README = Path(__file__).resolve().parents[2] / "README.md"
READY = "Started unified STOMP connection for queue"
DEMO_OFFERING = "b325c5190c0650c4907f4aa4e9561aee"


def readme_block(marker: str) -> str:
    """The fenced block that follows `<!-- marker -->` in the README."""
    found = re.search(rf"<!-- {marker} -->\n```\w*\n(.*?)\n```", README.read_text(), re.S)
    assert found, f"README.md has no block marked {marker}"
    return found.group(1) + "\n"


def test_the_readme_agent_config_scans_and_reports_into_the_demo(
    app, ctx, live_server, agent_venv, broker_settings, tmp_path
):
    app.config.update(broker_settings)
    tokens = load_demo_data(db.session, backend_resources=0).tokens
    config = readme_block("agent-config")
    assert "http://127.0.0.1:5000/api/" in config and "AGENT_TOKEN" in config
    config = config.replace("http://127.0.0.1:5000", live_server).replace(
        "AGENT_TOKEN", tokens["agent"])
    (tmp_path / "agent-config.yaml").write_text(config)
    (tmp_path / "backend-accounts.json").write_text(readme_block("agent-accounts"))
    agent = SiteAgent(agent_venv, tmp_path / "agent-config.yaml", tmp_path / "agent.log")
    try:
        agent.start()
        agent.wait_for_log(READY, 60)
        staff = {"Authorization": f"Token {tokens['staff']}"}
        with httpx.Client(base_url=live_server, headers=staff, timeout=30) as client:
            scan = client.post("/api/backend-resource-requests/",
                               json={"offering": DEMO_OFFERING}).json()
            deadline = time.monotonic() + 60
            while scan["state"] in ("Sent", "Processing") and time.monotonic() < deadline:
                time.sleep(0.3)
                scan = client.get(f"/api/backend-resource-requests/{scan['uuid']}/").json()
            assert scan["state"] == "Done", (scan, agent.log_tail())
            reports = client.get("/api/backend-resources/",
                                 params={"offering_uuid": DEMO_OFFERING}).json()
    finally:
        agent.stop()
    assert {(r["backend_id"], r["project_name"], r["backend_metadata"]["limits"].get("cpu"))
            for r in reports} == {
        ("hpc_coral_2026", "Coral reef imaging", 120000),
        ("hpc_qcd_2026", "Lattice QCD", 800000),
    }
