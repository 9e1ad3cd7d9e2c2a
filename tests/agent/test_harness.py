"""The pieces of the site-agent harness, each proved on its own against what exists today:
the test backend as the agent loads it, RabbitMQ as register_queue/ will provision it, and the
unchanged agent process starting against a live console."""

import json
import subprocess
import time
from urllib.parse import parse_qs

import pytest

from tests.agent.agent_venv import AGENT_TESTS, executable
from tests.agent.broker import amqp_channel, publish_json
from tests.agent.harness import (
    IDENTITY_LOOKUP,
    PROJECT_PREFIX,
    STOMP_WS_HOST,
    STOMP_WS_PATH,
    STOMP_WS_PORT,
    backend_account,
)

pytestmark = pytest.mark.agent

PROBE = AGENT_TESTS / "probe.py"


def run_probe(agent_venv, command: str, argument: dict, timeout: float = 60) -> dict:
    """Run probe.py in the agent's environment and return the JSON it prints last."""
    finished = subprocess.run(
        [str(executable(agent_venv)), str(PROBE), command, json.dumps(argument)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    return json.loads(finished.stdout.strip().splitlines()[-1])


# The test backend, as the agent loads it


def test_the_agent_finds_the_test_backend_and_it_serves_its_file(agent_venv, tmp_path):
    """One backend instance, loaded as the import processor loads it, re-reads its file."""
    holdings = [
        {"resources": []},
        {
            "resources": [
                backend_account("hpc_climate_2025", "climate", cpu=400000, mem=1048576),
                backend_account("hpc_ocean", "ocean"),
            ]
        },
        {"resources": [backend_account("hpc_ocean", "ocean")], "fail_with": "slurmdbd is down"},
    ]
    settings = {"resources_file": str(tmp_path / "resources.json")}

    found = run_probe(agent_venv, "backend", {"settings": settings, "holdings": holdings})

    assert {
        "name": "console-file",
        "value": "console_file_backend.backend:FileBackend",
        "dist": "console-file-backend",
    } in found["entry_points"]
    assert found["class"] == "console_file_backend.backend.FileBackend"
    assert found["is_mock_backend"] is True
    assert found["version"] == "0.1.0"
    assert found["listings"] == [
        {"resources": []},
        {
            "resources": [
                {
                    "backend_id": "hpc_climate_2025",
                    "parent_id": PROJECT_PREFIX + "climate",
                    "limits": {"cpu": 400000, "mem": 1048576},
                },
                {"backend_id": "hpc_ocean", "parent_id": PROJECT_PREFIX + "ocean", "limits": {}},
            ]
        },
        {"error": {"type": "BackendError", "message": "slurmdbd is down"}},
    ]


def test_the_test_backend_fails_as_its_settings_say(agent_venv, tmp_path):
    message = "sacctmgr: error: slurmdbd is down"
    settings = {"resources_file": str(tmp_path / "resources.json"), "fail_with": message}
    holdings = [{"resources": [backend_account("acc_1", "climate")]}]

    found = run_probe(agent_venv, "backend", {"settings": settings, "holdings": holdings})

    assert found["listings"] == [{"error": {"type": "BackendError", "message": message}}]


# RabbitMQ, provisioned as register_queue/ will do it


@pytest.fixture
def consumer(broker, unique_name):
    """A vhost, a consumer user (password = an API token) and its durable queue; removed after."""
    account = {
        "vhost": unique_name,
        "username": f"{unique_name}-agent",
        "password": f"token-{unique_name}",
        "queue": f"consumer_{unique_name.replace('-', '')}",
    }
    broker.provision_consumer(**account)
    yield account
    broker.remove(account["vhost"], account["username"])


def test_the_broker_management_api_answers(broker):
    overview = broker.overview()

    assert overview["rabbitmq_version"]
    listeners = {(item["protocol"], item["port"]) for item in overview["listeners"]}
    assert ("amqp", 5672) in listeners
    assert ("http/web-stomp", STOMP_WS_PORT) in listeners


def test_a_message_published_to_a_provisioned_queue_can_be_read_back(
    broker, broker_settings, consumer
):
    message = {"object_type": "importable_resources", "backend_resource_request_uuid": "ab" * 16}

    with amqp_channel(broker_settings["CONSOLE_BROKER_URL"], consumer["vhost"]) as channel:
        publish_json(channel, consumer["queue"], message)
        method, properties, body = channel.basic_get(consumer["queue"], auto_ack=True)

    assert method is not None, "the queue was empty"
    assert json.loads(body) == message
    assert properties.delivery_mode == 2
    settings = broker.queue(consumer["vhost"], consumer["queue"])
    assert settings["durable"] is True
    assert settings["auto_delete"] is False


def test_the_agents_own_stomp_code_receives_from_a_provisioned_queue(
    agent_venv, broker_settings, consumer
):
    """The agent 1.0.7's EventSubscriptionManager + listener, over web-STOMP, with the consumer
    user's rights (read ^consumer_.*$ only): one message queued before it connects, one after."""
    before = {"object_type": "importable_resources", "backend_resource_request_uuid": "1" * 32}
    after = {"object_type": "importable_resources", "backend_resource_request_uuid": "2" * 32}
    with amqp_channel(broker_settings["CONSOLE_BROKER_URL"], consumer["vhost"]) as channel:
        publish_json(channel, consumer["queue"], before)

    options = {
        "host": STOMP_WS_HOST, "port": STOMP_WS_PORT, "path": STOMP_WS_PATH,
        "vhost": consumer["vhost"], "username": consumer["username"],
        "password": consumer["password"], "queue": consumer["queue"], "expect": 2,
    }
    process = subprocess.Popen(
        [str(executable(agent_venv)), str(PROBE), "stomp", json.dumps(options)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 90  # importing the agent takes seconds on a busy machine
        while "SUBSCRIBED" not in lines and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line.strip())
        assert "SUBSCRIBED" in lines, "\n".join(lines)
        with amqp_channel(broker_settings["CONSOLE_BROKER_URL"], consumer["vhost"]) as channel:
            publish_json(channel, consumer["queue"], after)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    outcome = json.loads(output.strip().splitlines()[-1])
    assert outcome["received_all"] is True
    assert [json.loads(body) for body in outcome["bodies"]] == [before, after]


# The unchanged agent process against a live console


def test_the_agent_starts_against_a_live_console_and_asks_for_its_identity(
    live_server, actors, request_log, start_site_agent
):
    """Config accepted, mode chosen, first identity lookup sent with the agent's token; what the
    console answers (404 until the identity API exists) is not this test's business."""
    offering_uuid = actors.offering.uuid.hex

    agent = start_site_agent(
        api_url=live_server, token=actors.tokens["agent"], offering_uuid=offering_uuid
    )
    lookup = request_log.wait_for(
        lambda r: r.method == "GET" and r.path == "/api/marketplace-site-agent-identities/",
        timeout=60,
    )
    agent.wait_for_log(IDENTITY_LOOKUP)

    assert parse_qs(lookup.query) == {"name": [f"agent-{offering_uuid}"]}
    assert lookup.user_agent == "waldur-site-agent-event_process/1.0.7"
    assert lookup.status != 401, "the console refused the agent's token"
    assert all(r.user_agent == lookup.user_agent for r in request_log.requests)
    assert agent.is_running()

    agent.stop()
    assert agent.process.returncode is not None
