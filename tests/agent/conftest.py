"""Fixtures that run the real waldur-site-agent 1.0.7, in its own environment, against a console."""

import logging
import os
import uuid

import pytest

from tests.agent import agent_venv as agent_environment
from tests.agent.broker import ManagementApi
from tests.agent.harness import RequestLog, SiteAgent, write_config, write_resources


@pytest.fixture(scope="session")
def agent_venv():
    """The agent's virtual environment, built on first use and reused while its inputs match."""
    try:
        return agent_environment.ensure()
    except Exception as error:  # noqa: BLE001 (a build failure is reported, whatever it is)
        if os.environ.get("CI"):
            pytest.fail(f"could not build the site agent's environment: {error}")
        pytest.skip(f"could not build the site agent's environment: {error}")


@pytest.fixture
def request_log(app):
    """Every request the live server answers, with its status and User-Agent.

    The server's own per-request log lines are silenced meanwhile: polling a scan makes hundreds.
    """
    server_log = logging.getLogger("werkzeug")
    level = server_log.level
    server_log.setLevel(logging.WARNING)
    yield RequestLog.attach(app)
    server_log.setLevel(level)


@pytest.fixture
def broker(broker_settings):
    """RabbitMQ's management API, as the console's settings name it."""
    api = ManagementApi(broker_settings["CONSOLE_BROKER_MANAGEMENT_URL"])
    yield api
    api.close()


@pytest.fixture
def resources_file(tmp_path):
    """What the test backend holds; rewrite it with `write_resources` between scans."""
    return write_resources(tmp_path / "backend-resources.json", [])


@pytest.fixture
def start_site_agent(request, agent_venv, tmp_path, resources_file):
    """Start `waldur_site_agent -m event_process` for one offering; stopped at teardown.

    `start_site_agent(api_url=..., token=..., offering_uuid=..., fail_with=None)` writes the
    config next to `resources_file` and returns the started SiteAgent. A failed test shows the
    tail of each agent's log (see pytest_runtest_makereport below).
    """
    agents: list[SiteAgent] = []
    request.node.site_agents = agents

    def start(*, api_url: str, token: str, offering_uuid: str, fail_with: str | None = None):
        name = f"agent-{len(agents) + 1}"
        config = write_config(
            tmp_path / f"{name}.yaml",
            api_url=api_url,
            token=token,
            offering_uuid=offering_uuid,
            resources_file=resources_file,
            fail_with=fail_with,
        )
        agent = SiteAgent(agent_venv, config, tmp_path / f"{name}.log")
        agents.append(agent)
        return agent.start()

    yield start
    for agent in agents:
        agent.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Add the tail of each site agent's log to the report of a failed test."""
    report = yield
    for number, agent in enumerate(getattr(item, "site_agents", []), start=1):
        if report.failed and report.when in ("setup", "call"):
            report.sections.append(
                (f"site agent {number} log ({agent.log_path}), last lines", agent.log_tail())
            )
    return report


@pytest.fixture
def unique_name():
    """A name no other test (or other test run on a shared broker) uses."""
    return f"console-test-{uuid.uuid4().hex[:12]}"
