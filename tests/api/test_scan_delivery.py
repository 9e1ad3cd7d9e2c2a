"""Scan requests reach agents through a real RabbitMQ: queue provisioning and publishing."""

import json

import pika
import pika.exceptions
import pytest

from console.extensions import db
from console.models import AgentIdentity, BackendResourceRequest
from console.services import events
from console.services.events import BrokerSettings
from console.services.scans import resend_scan_request
from tests.broker_link import BrokerLink

IDENTITIES = "/api/marketplace-site-agent-identities/"
SCANS = "/api/backend-resource-requests/"


@pytest.fixture
def broker_app(app, broker_settings):
    """The app with event delivery configured against the test broker."""
    app.config.update(broker_settings)
    return app


def register_agent(api, actors, object_types=("importable_resources",)):
    """Register an identity and its queue as the agent does at start-up; return the answer."""
    identity = api.post(IDENTITIES, "agent", json={
        "offering": actors.offering.uuid.hex, "name": f"agent-{actors.offering.uuid.hex}",
    }).get_json()
    response = api.post(f"{IDENTITIES}{identity['uuid']}/register_queue/", "agent",
                        json={"object_types": list(object_types)})
    assert response.status_code == 200, response.get_json()
    return identity, response.get_json()


def agent_channel(settings: BrokerSettings, registration: dict, password: str):
    """Log in to the broker as the agent does: its RabbitMQ user, its API token, its vhost."""
    parameters = pika.URLParameters(settings.amqp_url)
    parameters.virtual_host = registration["vhost"]
    parameters.credentials = pika.PlainCredentials(registration["rmq_username"], password)
    connection = pika.BlockingConnection(parameters)
    return connection, connection.channel()


def drain(settings, registration, password) -> list[dict]:
    """Read every message waiting in the agent's queue."""
    connection, channel = agent_channel(settings, registration, password)
    messages = []
    try:
        while True:
            method, properties, body = channel.basic_get(registration["queue_name"], auto_ack=True)
            if method is None:
                return messages
            assert properties.delivery_mode == 2
            messages.append(json.loads(body))
    finally:
        connection.close()


def test_register_queue_provisions_what_the_agent_logs_in_with(broker_app, api, actors):
    settings = BrokerSettings.from_config(broker_app.config)
    identity, registration = register_agent(api, actors)
    assert registration == {
        "rmq_username": actors.agent.uuid.hex,
        "queue_name": f"consumer_{identity['uuid']}",
        "vhost": actors.agent.uuid.hex,
        "observable_object_types": ["importable_resources"],
    }
    assert drain(settings, registration, actors.tokens["agent"]) == []
    with pytest.raises(pika.exceptions.ProbableAuthenticationError):
        agent_channel(settings, registration, "not-the-token")
    again = api.post(f"{IDENTITIES}{identity['uuid']}/register_queue/", "agent",
                     json={"object_types": ["importable_resources"]})
    assert again.get_json() == registration
    stored = db.session.scalar(db.select(AgentIdentity))
    assert stored.queue_registered is not None and stored.vhost == registration["vhost"]


def test_a_scan_request_is_published_to_the_subscribed_queue(broker_app, api, actors):
    settings = BrokerSettings.from_config(broker_app.config)
    _, registration = register_agent(api, actors)
    scan = api.post(SCANS, "staff", json={"offering": actors.offering.uuid.hex}).get_json()
    assert drain(settings, registration, actors.tokens["agent"]) == [{
        "object_type": "importable_resources",
        "backend_resource_request_uuid": scan["uuid"],
        "offering_uuid": actors.offering.uuid.hex,
    }]
    stored = db.session.scalar(db.select(BackendResourceRequest))
    assert (stored.delivery, stored.delivered_queues) == ("delivered", 1)


def test_an_agent_not_observing_importable_resources_is_not_sent_scans(broker_app, api, actors):
    settings = BrokerSettings.from_config(broker_app.config)
    _, registration = register_agent(api, actors, object_types=["order"])
    api.post(SCANS, "staff", json={"offering": actors.offering.uuid.hex})
    assert drain(settings, registration, actors.tokens["agent"]) == []
    assert db.session.scalar(db.select(BackendResourceRequest)).delivery == "no_agent"


def test_an_agent_that_lost_its_role_is_not_sent_scans(broker_app, api, actors):
    settings = BrokerSettings.from_config(broker_app.config)
    _, registration = register_agent(api, actors)
    actors.agent.role_grants[0].is_active = False
    db.session.commit()
    api.post(SCANS, "staff", json={"offering": actors.offering.uuid.hex})
    assert drain(settings, registration, actors.tokens["agent"]) == []
    assert db.session.scalar(db.select(BackendResourceRequest)).delivery == "no_agent"


def test_while_the_broker_cannot_be_reached_requests_are_kept_and_can_be_sent_again(
    broker_app, api, actors
):
    """The console reaches RabbitMQ through a relay this test cuts: the network outage the
    console sees when the broker is down, without stopping the broker other tests share."""
    settings = BrokerSettings.from_config(broker_app.config)
    link = BrokerLink(settings.amqp_url, settings.management_url)
    broker_app.config.update({
        "CONSOLE_BROKER_URL": link.url("amqp"),
        "CONSOLE_BROKER_MANAGEMENT_URL": link.url("management"),
    })
    _, registration = register_agent(api, actors)
    link.cut()
    try:
        response = api.post(SCANS, "staff", json={"offering": actors.offering.uuid.hex})
        assert response.status_code == 201
        assert response.get_json()["state"] == "Sent"
        stored = db.session.scalar(db.select(BackendResourceRequest))
        assert stored.delivery == "failed"
        assert "cannot be reached" in stored.delivery_error
        queue = api.post(
            f"{IDENTITIES}{db.session.scalar(db.select(AgentIdentity)).uuid.hex}/register_queue/",
            "agent", json={"object_types": ["importable_resources"]})
        assert queue.status_code == 503
    finally:
        link.restore()
    assert drain(settings, registration, actors.tokens["agent"]) == []
    stored = db.session.scalar(db.select(BackendResourceRequest))
    relayed = BrokerSettings.from_config(broker_app.config)
    assert resend_scan_request(db.session, scan=stored, user=actors.staff,
                               broker=relayed) == "delivered"
    assert drain(settings, registration, actors.tokens["agent"]) == [{
        "object_type": "importable_resources",
        "backend_resource_request_uuid": stored.uuid.hex,
        "offering_uuid": actors.offering.uuid.hex,
    }]
    link.cut()


def test_a_management_call_the_broker_leaves_unanswered_is_tried_again(
    broker_app, api, actors, monkeypatch
):
    """A broker busy creating a vhost may not answer in time; the idempotent PUT is retried."""
    settings = BrokerSettings.from_config(broker_app.config)
    link = BrokerLink(settings.amqp_url, settings.management_url)
    broker_app.config["CONSOLE_BROKER_MANAGEMENT_URL"] = link.url("management")
    # Long enough for a busy broker's real answers (1 s was not, once, on a loaded CI machine),
    # short enough to wait out the stalled calls.
    monkeypatch.setattr(events, "MANAGEMENT_TIMEOUT", events.httpx.Timeout(4.0))
    link.relays["management"].stall_next(1)
    try:
        _, registration = register_agent(api, actors)
        assert drain(settings, registration, actors.tokens["agent"]) == []
        link.relays["management"].stall_next(2)
        identity = db.session.scalar(db.select(AgentIdentity)).uuid.hex
        response = api.post(f"{IDENTITIES}{identity}/register_queue/", "agent",
                            json={"object_types": ["importable_resources"]})
        assert response.status_code == 503
        assert "cannot be reached" in response.get_json()["detail"]
    finally:
        link.cut()


def test_staff_registering_a_queue_never_resets_the_agents_broker_password(
    broker_app, api, actors
):
    settings = BrokerSettings.from_config(broker_app.config)
    identity, registration = register_agent(api, actors)
    staffs = api.post(f"{IDENTITIES}{identity['uuid']}/register_queue/", "staff",
                      json={"object_types": ["importable_resources"]}).get_json()
    assert staffs["vhost"] == actors.staff.uuid.hex
    assert drain(settings, registration, actors.tokens["agent"]) == []
