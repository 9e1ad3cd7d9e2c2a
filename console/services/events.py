"""The message broker: provisioning agents' queues and publishing events to them (RabbitMQ).

Two channels, both configured by URL: AMQP (`CONSOLE_BROKER_URL`) to publish, and the management
plugin's HTTP API (`CONSOLE_BROKER_MANAGEMENT_URL`) to create vhosts, users, permissions and
queues. Every failure surfaces as BrokerUnavailable with a message fit for staff.
"""

import json
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

import httpx
import pika
import pika.exceptions

# What an agent's RabbitMQ user may do in its vhost: read its own consumer queues, nothing else.
AGENT_PERMISSIONS = {"configure": "^$", "write": "^$", "read": "^consumer_.*$"}
PUBLISHER_PERMISSIONS = {"configure": ".*", "write": ".*", "read": ".*"}
QUEUE_SETTINGS = {"durable": True, "auto_delete": False, "arguments": {}}
TIMEOUT_SECONDS = 5.0
# Creating a vhost makes RabbitMQ start a message store; on a busy host that takes seconds.
MANAGEMENT_TIMEOUT = httpx.Timeout(30.0, connect=TIMEOUT_SECONDS)
MANAGEMENT_ATTEMPTS = 2


class BrokerUnavailable(Exception):
    """The broker is not configured, cannot be reached, or refused what was asked."""


@dataclass(frozen=True)
class BrokerSettings:
    """Where the broker is: its AMQP URL and its management API URL (credentials inside)."""

    amqp_url: str = ""
    management_url: str = ""

    @classmethod
    def from_config(cls, config) -> "BrokerSettings":
        """Read the two URLs from the app's settings."""
        return cls(
            amqp_url=(config.get("CONSOLE_BROKER_URL") or "").strip(),
            management_url=(config.get("CONSOLE_BROKER_MANAGEMENT_URL") or "").strip(),
        )

    @property
    def configured(self) -> bool:
        """Both URLs are set: agents can be provisioned and notified."""
        return bool(self.amqp_url and self.management_url)

    @property
    def publisher_username(self) -> str:
        """The AMQP user that publishes; it needs rights in every agent vhost."""
        return unquote(urlsplit(self.amqp_url).username or "guest")


def _management_client(settings: BrokerSettings) -> httpx.Client:
    """An HTTP client for the management API, its credentials taken out of the URL."""
    parts = urlsplit(settings.management_url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    base = f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}/api/"
    auth = (unquote(parts.username or ""), unquote(parts.password or ""))
    return httpx.Client(base_url=base, auth=auth, timeout=MANAGEMENT_TIMEOUT)


def _put(client: httpx.Client, path: str, body: dict) -> None:
    """PUT one management object (idempotent, so a timed-out PUT is tried again once)."""
    for attempt in range(1, MANAGEMENT_ATTEMPTS + 1):
        try:
            response = client.put(path, json=body)
            break
        except httpx.TimeoutException:
            if attempt == MANAGEMENT_ATTEMPTS:
                raise
    if response.status_code not in (200, 201, 204):
        raise BrokerUnavailable(
            f"The broker refused PUT /api/{path}: {response.status_code} {response.text[:200]}"
        )


def provision_agent_queue(
    settings: BrokerSettings, *, vhost: str, username: str, password: str, queue_name: str
) -> None:
    """Create (idempotently) the vhost, the agent's user and rights, and its durable queue."""
    if not settings.configured:
        raise BrokerUnavailable(
            "Event delivery is not configured on this server (CONSOLE_BROKER_URL and "
            "CONSOLE_BROKER_MANAGEMENT_URL are unset)."
        )
    quoted_vhost = quote(vhost, safe="")
    try:
        with _management_client(settings) as client:
            _put(client, f"vhosts/{quoted_vhost}", {})
            _put(client, f"users/{quote(username, safe='')}", {"password": password, "tags": ""})
            _put(client, f"permissions/{quoted_vhost}/{quote(username, safe='')}",
                 AGENT_PERMISSIONS)
            _put(client,
                 f"permissions/{quoted_vhost}/{quote(settings.publisher_username, safe='')}",
                 PUBLISHER_PERMISSIONS)
            _put(client, f"queues/{quoted_vhost}/{quote(queue_name, safe='')}", QUEUE_SETTINGS)
    except httpx.HTTPError as error:
        raise BrokerUnavailable(f"The broker's management API cannot be reached: {error}") from None


@dataclass(frozen=True)
class Delivery:
    """One message for one queue in one vhost."""

    vhost: str
    queue_name: str
    body: dict


def publish(settings: BrokerSettings, deliveries: list[Delivery]) -> None:
    """Publish persistent messages, each confirmed by the broker as routed to its queue."""
    if not settings.configured:
        raise BrokerUnavailable("Event delivery is not configured on this server.")
    by_vhost: dict[str, list[Delivery]] = {}
    for delivery in deliveries:
        by_vhost.setdefault(delivery.vhost, []).append(delivery)
    for vhost, items in by_vhost.items():
        _publish_in_vhost(settings, vhost, items)


def _publish_in_vhost(settings: BrokerSettings, vhost: str, items: list[Delivery]) -> None:
    """Open one confirmed AMQP channel in the vhost and publish its messages."""
    parameters = pika.URLParameters(settings.amqp_url)
    parameters.virtual_host = vhost
    parameters.socket_timeout = TIMEOUT_SECONDS
    parameters.blocked_connection_timeout = TIMEOUT_SECONDS
    parameters.connection_attempts = 1
    try:
        connection = pika.BlockingConnection(parameters)
    except pika.exceptions.AMQPError as error:
        raise BrokerUnavailable(f"The broker cannot be reached: {error!r}") from None
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        for item in items:
            channel.basic_publish(
                exchange="",
                routing_key=item.queue_name,
                body=json.dumps(item.body).encode(),
                properties=pika.BasicProperties(
                    content_type="application/json", delivery_mode=2
                ),
                mandatory=True,
            )
    except pika.exceptions.UnroutableError:
        raise BrokerUnavailable(
            "The broker has no queue for an agent (it was deleted): ask the agent to restart."
        ) from None
    except pika.exceptions.AMQPError as error:
        raise BrokerUnavailable(f"The broker failed while publishing: {error!r}") from None
    finally:
        if connection.is_open:
            connection.close()
