"""The test RabbitMQ, driven as the console's server side will drive it: its management HTTP API
for provisioning (vhost, user, permissions, queue) and AMQP through pika for messages."""

import json
from contextlib import contextmanager
from urllib.parse import quote

import httpx
import pika


class ManagementApi:
    """RabbitMQ's management API at a URL such as http://guest:guest@127.0.0.1:15672."""

    def __init__(self, url: str):
        parsed = httpx.URL(url)
        self.username = parsed.username
        self.client = httpx.Client(
            base_url=str(parsed.copy_with(username=None, password=None)).rstrip("/") + "/api",
            auth=(parsed.username, parsed.password),
            timeout=10,
        )

    def close(self) -> None:
        self.client.close()

    @staticmethod
    def _quote(name: str) -> str:
        return quote(name, safe="")

    def _put(self, path: str, body: dict) -> httpx.Response:
        response = self.client.put(path, json=body)
        response.raise_for_status()
        return response

    def overview(self) -> dict:
        """GET /api/overview: the broker's version and totals."""
        response = self.client.get("/overview")
        response.raise_for_status()
        return response.json()

    def provision_consumer(self, vhost: str, username: str, password: str, queue: str) -> None:
        """What register_queue/ does: vhost, consumer user, permissions, durable queue."""
        v = self._quote(vhost)
        self._put(f"/vhosts/{v}", {})
        self._put(f"/users/{self._quote(username)}", {"password": password, "tags": ""})
        self._put(
            f"/permissions/{v}/{self._quote(username)}",
            {"configure": "^$", "write": "^$", "read": "^consumer_.*$"},
        )
        # The publishing account needs rights in a new vhost too, even the administrator.
        self._put(
            f"/permissions/{v}/{self._quote(self.username)}",
            {"configure": ".*", "write": ".*", "read": ".*"},
        )
        self._put(
            f"/queues/{v}/{self._quote(queue)}",
            {"durable": True, "auto_delete": False, "arguments": {}},
        )

    def queue(self, vhost: str, queue: str) -> dict:
        """GET /api/queues/{vhost}/{queue}: the queue's settings and counters."""
        response = self.client.get(f"/queues/{self._quote(vhost)}/{self._quote(queue)}")
        response.raise_for_status()
        return response.json()

    def remove(self, vhost: str, username: str) -> None:
        """Delete a vhost (with its queues) and a user; missing ones are fine."""
        self.client.delete(f"/vhosts/{self._quote(vhost)}")
        self.client.delete(f"/users/{self._quote(username)}")


@contextmanager
def amqp_channel(broker_url: str, vhost: str):
    """A pika channel on one vhost of the broker at an amqp:// URL."""
    parameters = pika.URLParameters(broker_url)
    parameters.virtual_host = vhost
    connection = pika.BlockingConnection(parameters)
    try:
        yield connection.channel()
    finally:
        connection.close()


def publish_json(channel, queue: str, message: dict) -> None:
    """Publish a persistent JSON message to the default exchange, routed to one queue."""
    channel.basic_publish(
        exchange="",
        routing_key=queue,
        body=json.dumps(message).encode(),
        properties=pika.BasicProperties(content_type="application/json", delivery_mode=2),
        mandatory=True,
    )
