"""Run the real, unchanged waldur-site-agent 1.0.7 against a live console.

`write_config` writes the agent's config for one offering; `SiteAgent` runs
`waldur_site_agent -m event_process -c config.yaml` from the agent's own virtual environment
with its output in a log file, waits for log lines, and stops it. `RequestLog` records every
request the live server answers, so a test can say what the agent asked for.
"""

import json
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tests.agent.agent_venv import executable

BACKEND_NAME = "console-file"  # the test plugin's entry point (tests/agent/plugin/pyproject.toml)
PROJECT_PREFIX = "hpc_"  # backend parent ids are PROJECT_PREFIX + a console project slug
STOMP_WS_HOST = "127.0.0.1"  # RabbitMQ's web-STOMP plugin, dialled directly
STOMP_WS_PORT = 15674
STOMP_WS_PATH = "/ws"

# Log messages of the agent 1.0.7 (INFO unless noted), matched as substrings.
STARTED = "Running agent in event_process mode"
SUBSCRIBED = "Successfully subscribed to queue"  # DEBUG, logged once the SUBSCRIBE frame is sent
IDENTITY_LOOKUP = "Registering a new identity for offering"  # logged before the first lookup
SCAN_FAILED = "Failed to process importable resource list request {uuid}"  # then it gives up
# After any of these at start-up the agent never subscribes (it does not retry registration).
SUBSCRIPTION_FAILURES = (
    "Failed to register identity",
    "Unable to register unified event queue",
    "Failed to start unified STOMP connection",
    "Failed to connect to STOMP server (attempt 3)",  # it retries forever; 3 is enough locally
)


def write_config(
    path: Path,
    *,
    api_url: str,
    token: str,
    offering_uuid: str,
    resources_file: Path,
    offering_name: str = "Console e2e offering",
    fail_with: str | None = None,
    log_level: str = "DEBUG",
) -> Path:
    """Write a config.yaml that 1.0.7 accepts (common/structures.py) for one offering.

    JSON is valid YAML, and the console's environment has no YAML writer.
    """
    backend_settings = {"resources_file": str(resources_file), "project_prefix": PROJECT_PREFIX}
    if fail_with:
        backend_settings["fail_with"] = fail_with
    offering = {
        "name": offering_name,
        "waldur_api_url": api_url.rstrip("/") + "/api/",
        "waldur_api_token": token,
        "waldur_offering_uuid": offering_uuid,
        "backend_type": BACKEND_NAME,
        "backend_settings": backend_settings,
        "order_processing_backend": BACKEND_NAME,
        "resource_import_enabled": True,
        "stomp_enabled": True,
        "websocket_use_tls": False,
        "stomp_ws_host": STOMP_WS_HOST,
        "stomp_ws_port": STOMP_WS_PORT,
        "stomp_ws_path": STOMP_WS_PATH,
        "verify_ssl": False,
    }
    config = {
        "timezone": "UTC",
        "log_level": log_level,
        "expose_backend_error_details": True,
        "offerings": [offering],
    }
    path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return path


def write_resources(path: Path, resources: list[dict], fail_with: str | None = None) -> Path:
    """Write what the test backend holds: [{"backend_id", "parent_id", "limits"}, ...]."""
    data: dict = {"resources": resources}
    if fail_with:
        data["fail_with"] = fail_with
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def backend_account(backend_id: str, project_slug: str, **limits: int) -> dict:
    """One account as the backend lists it, in the project whose slug is given."""
    return {"backend_id": backend_id, "parent_id": PROJECT_PREFIX + project_slug, "limits": limits}


class AgentNotReady(AssertionError):
    """The agent did not log what a test waited for in time."""


class SiteAgent:
    """One `waldur_site_agent -m event_process` process and its log file."""

    def __init__(self, venv: Path, config_path: Path, log_path: Path):
        self.venv = venv
        self.config_path = config_path
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self._log_handle = None

    def start(self, timeout: float = 90) -> "SiteAgent":
        """Start the agent and wait until it has read its config and chosen its mode."""
        self._log_handle = self.log_path.open("ab")
        environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [
                str(executable(self.venv, "waldur_site_agent")),
                "-m",
                "event_process",
                "-c",
                str(self.config_path),
            ],
            cwd=self.config_path.parent,
            stdin=subprocess.DEVNULL,
            stdout=self._log_handle,
            stderr=subprocess.STDOUT,
            env=environment,
            start_new_session=True,  # its own process group: stopping it never reaches pytest
        )
        self.wait_for_log(STARTED, timeout)
        return self

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_text(self) -> str:
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_tail(self, lines: int = 60) -> str:
        """The last log lines, one short line per JSON record (frames and heartbeats left out)."""
        shown = []
        for line in self.log_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                shown.append(line)
                continue
            event = str(record.get("event", "")).replace("\n", " ")
            if not str(record.get("logger", "")).startswith("waldur_site_agent") and record.get(
                "level"
            ) in ("debug", "info"):
                continue  # stomp.py's frames and heartbeats (its logger renders as "None")
            text = f"{record.get('timestamp', '')[11:23]} {record.get('level', ''):7} {event[:600]}"
            if record.get("exception"):
                text += "\n    " + record["exception"].strip().splitlines()[-1][:600]
            shown.append(text)
        return "\n".join(shown[-lines:])

    def records(self) -> list[dict]:
        """The agent's log as JSON records (structlog's renderer); other lines are skipped."""
        found = []
        for line in self.log_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                found.append(record)
        return found

    def wait_for_log(self, text: str, timeout: float = 30, failures: tuple[str, ...] = ()) -> str:
        """Wait until a log line contains `text`; return that line.

        A line containing one of `failures` first ends the wait at once with that line.
        """
        deadline = time.monotonic() + timeout
        while True:
            for line in self.log_text().splitlines():
                if text in line:
                    return line
                if any(failure in line for failure in failures):
                    raise AgentNotReady(f"the site agent gave up before {text!r}: {line[:1500]}")
            if not self.is_running():
                raise AgentNotReady(
                    f"the site agent exited ({self.process.returncode}) before logging {text!r}"
                )
            if time.monotonic() > deadline:
                raise AgentNotReady(f"the site agent did not log {text!r} within {timeout:.0f} s")
            time.sleep(0.1)

    def wait_until_subscribed(self, timeout: float = 60) -> str:
        """Wait until the agent has registered its queue and subscribed to it over STOMP."""
        return self.wait_for_log(SUBSCRIBED, timeout, failures=SUBSCRIPTION_FAILURES)

    def stop(self, timeout: float = 10) -> None:
        """Stop the agent: SIGTERM (it disconnects from STOMP and exits), then SIGKILL."""
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)
            except ProcessLookupError:
                pass
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None


@dataclass(frozen=True)
class Request:
    """One request the live server answered."""

    method: str
    path: str
    query: str
    status: int
    user_agent: str


class RequestLog:
    """WSGI middleware that records each request and its status; install with `attach(app)`."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self._lock = threading.Lock()
        self._requests: list[Request] = []

    @classmethod
    def attach(cls, app) -> "RequestLog":
        log = cls(app.wsgi_app)
        app.wsgi_app = log
        return log

    def __call__(self, environ, start_response):
        def recording_start_response(status, headers, exc_info=None):
            with self._lock:
                self._requests.append(
                    Request(
                        method=environ["REQUEST_METHOD"],
                        path=environ.get("PATH_INFO", ""),
                        query=environ.get("QUERY_STRING", ""),
                        status=int(status.split()[0]),
                        user_agent=environ.get("HTTP_USER_AGENT", ""),
                    )
                )
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, recording_start_response)

    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._requests)

    def from_agent(self) -> list[Request]:
        """The requests sent by waldur-site-agent (by its User-Agent)."""
        return [r for r in self.requests if r.user_agent.startswith("waldur-site-agent")]

    def wait_for(self, predicate, timeout: float = 30) -> Request:
        """Wait until a recorded request satisfies `predicate`; return it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for request in self.requests:
                if predicate(request):
                    return request
            time.sleep(0.05)
        seen = "\n".join(f"  {r.method} {r.path}?{r.query} -> {r.status}" for r in self.requests)
        raise AssertionError(f"no such request within {timeout:.0f} s; the server saw:\n{seen}")
