"""Checks that run INSIDE the site agent's own environment (.venv-agent/python probe.py ...).

They import waldur_site_agent, which the console's environment does not have, and print one JSON
object on the last line of stdout for the calling test to read.

  backend '<{"settings": backend_settings, "holdings": [file content, ...]} as JSON>'
      find the test backend the way the agent does and instantiate it once; then, for each
      holding, write it to settings["resources_file"] and list the resources with their limits
  stomp '<{"host", "port", "path", "vhost", "username", "password", "queue", "expect"} as JSON>'
      subscribe to a queue with the agent's own STOMP code and print the first `expect` bodies
"""

import json
import sys
import threading
from importlib.metadata import entry_points
from pathlib import Path


def backend(options: dict) -> dict:
    """Load the backend through the agent's registry and call what the import processor calls."""
    from waldur_site_agent.backend.exceptions import BackendError
    from waldur_site_agent.common import utils
    from waldur_site_agent.common.structures import Offering
    from waldur_site_agent.testing.mock_backend import MockBackend

    group = [
        {"name": point.name, "value": point.value, "dist": point.dist.name if point.dist else None}
        for point in entry_points(group="waldur_site_agent.backends")
    ]
    offering = Offering(
        name="probe",
        waldur_api_url="http://127.0.0.1:9/api/",
        waldur_api_token="unused",
        waldur_offering_uuid="0" * 32,
        backend_type="console-file",
        order_processing_backend="console-file",
        backend_settings=options["settings"],
    )
    instance, version = utils.get_backend_for_offering(offering, "order_processing_backend")
    result = {
        "entry_points": group,
        "class": f"{type(instance).__module__}.{type(instance).__name__}",
        "is_mock_backend": isinstance(instance, MockBackend),
        "version": version,
        "backend_type": instance.backend_type,
    }
    result["listings"] = []
    for holding in options["holdings"]:
        Path(options["settings"]["resources_file"]).write_text(json.dumps(holding))
        try:
            listed = instance.list_resources()
        except BackendError as error:
            failure = {"type": type(error).__name__, "message": str(error)}
            result["listings"].append({"error": failure})
            continue
        result["listings"].append(
            {
                "resources": [
                    {
                        "backend_id": item.backend_id,
                        "parent_id": item.parent_id,
                        "limits": instance.get_resource_limits(item.backend_id),
                    }
                    for item in listed
                ]
            }
        )
    return result


def stomp(options: dict) -> dict:
    """Subscribe like the agent (EventSubscriptionManager + WaldurListener) and collect bodies."""
    from waldur_site_agent.common.structures import Offering, UnifiedQueue
    from waldur_site_agent.event_processing.event_subscription_manager import (
        EventSubscriptionManager,
    )
    from waldur_site_agent.event_processing.listener import connect_to_stomp_server

    bodies: list[str] = []
    enough = threading.Event()

    def on_message(frame, _offering, _user_agent, _expose) -> None:
        bodies.append(frame.body)
        if len(bodies) >= options["expect"]:
            enough.set()

    offering = Offering(
        name="probe",
        waldur_api_url="http://127.0.0.1:9/api/",
        waldur_api_token=options["password"],
        waldur_offering_uuid="0" * 32,
        backend_type="console-file",
        websocket_use_tls=False,
        stomp_enabled=True,
    )
    queue = UnifiedQueue(
        queue_name=options["queue"], rmq_username=options["username"], vhost=options["vhost"]
    )
    manager = EventSubscriptionManager(offering, None, on_message, "probe")
    connection = manager.setup_stomp_connection(
        queue, options["host"], options["port"], options["path"]
    )
    connect_to_stomp_server(connection, options["username"], options["password"], max_retries=3)
    print("SUBSCRIBED", flush=True)
    received = enough.wait(options.get("timeout", 20))
    manager.stop_stomp_connection(connection)
    return {"received_all": received, "bodies": bodies}


if __name__ == "__main__":
    command, argument = sys.argv[1], json.loads(sys.argv[2])
    outcome = {"backend": backend, "stomp": stomp}[command](argument)
    print(json.dumps(outcome), flush=True)
