"""Shared fixtures: an app per test on a fresh real database, users of each role, a factory.

Every test that uses `app` runs on SQLite (a real file) and, when CONSOLE_TEST_DATABASE_URL names a
PostgreSQL database, again on PostgreSQL. CI sets that variable; a run with CI set and no
PostgreSQL fails instead of silently skipping half the suite. The same holds for RabbitMQ:
CONSOLE_TEST_BROKER_URL and CONSOLE_TEST_BROKER_MANAGEMENT_URL name the broker the site-agent
tests use, and under CI a missing or unreachable broker fails the run.
"""

import itertools
import os
import shutil
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event, text
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from console import create_app
from console.extensions import db
from console.models import (
    ROLE_CUSTOMER_OWNER,
    ROLE_OFFERING_MANAGER,
    ApiToken,
    BackendResource,
    Customer,
    Offering,
    Plan,
    Project,
    RoleGrant,
    User,
)
from tests import databases
from tests.agent.broker import ManagementApi
from tests.schema_validation import ResponseChecker, record_schema_problems

POSTGRES_URL = os.environ.get("CONSOLE_TEST_DATABASE_URL", "")  # per worker: tests/databases.py
BROKER_URL = os.environ.get("CONSOLE_TEST_BROKER_URL", "")
BROKER_MANAGEMENT_URL = os.environ.get("CONSOLE_TEST_BROKER_MANAGEMENT_URL", "")
PASSWORD = "correct horse battery staple"
BROKER_WAIT_SECONDS = 300  # a restart on a busy machine has taken over 3 minutes


def pytest_configure(config):
    if os.environ.get("CI") and not POSTGRES_URL:
        raise pytest.UsageError("CI needs CONSOLE_TEST_DATABASE_URL (PostgreSQL) to be set")
    config.stash[_LEFT_OUT] = {}
    if os.environ.get("CI"):
        problem = broker_problem()
        if problem:
            raise pytest.UsageError(f"CI needs RabbitMQ: {problem}")


_LEFT_OUT = pytest.StashKey[dict]()


def _needs(item) -> str | None:
    """What missing from this machine keeps a collected test from running, if anything."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    if not POSTGRES_URL and any(
        name.endswith("database_url") and value == "postgresql" for name, value in params.items()
    ):
        return "PostgreSQL (set CONSOLE_TEST_DATABASE_URL)"
    if item.get_closest_marker("browser") and not CHROMIUM.exists():
        return f"Chromium ({CHROMIUM}: apt-get install -y chromium)"
    return None


def pytest_collection_modifyitems(config, items):
    """Leave out, and count, the tests this machine cannot run; `pytest_terminal_summary` says so
    in one line each instead of one SKIPPED line per test. Under CI nothing is left out: a
    missing PostgreSQL or Chromium fails the run instead."""
    if os.environ.get("CI"):
        return
    kept, dropped, left_out = [], [], config.stash[_LEFT_OUT]
    for item in items:
        missing = _needs(item)
        if missing:
            left_out[missing] = left_out.get(missing, 0) + 1
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    for missing, number in config.stash.get(_LEFT_OUT, {}).items():
        terminalreporter.write_line(f"Not run: {number} tests need {missing}, which is not here.")


def broker_problem(management_url: str = BROKER_MANAGEMENT_URL, broker_url: str = BROKER_URL):
    """Why the test broker cannot be used (a sentence), or None when its management API answers."""
    if not broker_url or not management_url:
        return (
            "CONSOLE_TEST_BROKER_URL and CONSOLE_TEST_BROKER_MANAGEMENT_URL are not both set "
            "(see .ci/run for how to start RabbitMQ)"
        )
    overview = management_url.rstrip("/") + "/api/overview"
    where = f"the RabbitMQ management API at {_without_credentials(overview)}"
    try:
        response = httpx.get(overview, timeout=5)
    except httpx.HTTPError as error:
        return f"{where} is unreachable: {error}"
    if response.status_code != 200:
        return f"{where} answered {response.status_code}"
    return None


def _without_credentials(url: str) -> str:
    return str(httpx.URL(url).copy_with(username=None, password=None)) if "@" in url else url


@pytest.fixture(scope="session")
def broker_settings():
    """The create_app settings that point the console at the test RabbitMQ.

    Skips when the variables are unset; fails when they are set but the broker does not answer
    (under CI, pytest_configure has refused to start already).
    """
    if not (BROKER_URL and BROKER_MANAGEMENT_URL):
        pytest.skip(broker_problem())
    # The broker is shared: something may be restarting it right now; give it a minute and a half.
    deadline = time.monotonic() + BROKER_WAIT_SECONDS
    while (problem := broker_problem()) and time.monotonic() < deadline:
        time.sleep(2)
    if problem:
        pytest.fail(problem)
    return {
        "CONSOLE_BROKER_URL": BROKER_URL,
        "CONSOLE_BROKER_MANAGEMENT_URL": BROKER_MANAGEMENT_URL,
    }


@pytest.fixture(autouse=True)
def broker_left_tidy(monkeypatch):
    """Delete, when the test ends, the vhosts and users the console provisioned on the test
    broker during it: a run leaves over a hundred otherwise, and a broker holding a few
    thousand spends a fifth of a CPU on them, idle."""
    if not (BROKER_URL and BROKER_MANAGEMENT_URL):
        yield
        return
    from console.services import agents

    provisioned = []
    provision = agents.provision_agent_queue

    def recorded(settings, *, vhost: str, username: str, **rest) -> None:
        provisioned.append((vhost, username))
        return provision(settings, vhost=vhost, username=username, **rest)

    monkeypatch.setattr(agents, "provision_agent_queue", recorded)
    yield
    if provisioned:
        management = ManagementApi(BROKER_MANAGEMENT_URL)
        try:
            for vhost, username in dict.fromkeys(provisioned):
                management.remove(vhost, username)
        finally:
            management.close()


@pytest.fixture(autouse=True)
def no_console_environment(monkeypatch):
    """Tests see the built-in defaults, not the developer's own CONSOLE_* settings."""
    for variable in list(os.environ):
        if variable.startswith("CONSOLE_") and not variable.startswith("CONSOLE_TEST_"):
            monkeypatch.delenv(variable)


_postgres_schema_ready = False


def _reset_postgres(app) -> None:
    """Create the schema once per run, then empty every table before each test."""
    global _postgres_schema_ready
    with app.app_context():
        if not _postgres_schema_ready:
            db.drop_all()
            with db.engine.begin() as connection:
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
            db.create_all()
            with db.engine.begin() as connection:
                connection.execute(text(_empty_every_table_function()))
            _postgres_schema_ready = True
        with db.engine.begin() as connection:
            connection.execute(text("SELECT console_test_empty_every_table()"))


def _empty_every_table_function() -> str:
    """A function that deletes every row, children first, and restarts every sequence at 1:
    what TRUNCATE ... RESTART IDENTITY did, in 1 to 2 ms instead of about 90 (TRUNCATE makes
    each table's files anew). The second pass deletes what the first one's triggers wrote (a
    tally counted down)."""
    tables = [table.name for table in reversed(db.metadata.sorted_tables)]
    deletes = "".join(f"DELETE FROM {name}; " for name in tables)
    return f"""
        CREATE OR REPLACE FUNCTION console_test_empty_every_table() RETURNS void
        LANGUAGE plpgsql AS $$
        DECLARE sequence_name text;
        BEGIN
            {deletes}
            {deletes}
            FOR sequence_name IN
                SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()
            LOOP
                PERFORM setval(quote_ident(sequence_name), 1, false);
            END LOOP;
        END $$"""


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A real database URL: a fresh SQLite file, or this worker's test PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    if not POSTGRES_URL:
        pytest.skip("CONSOLE_TEST_DATABASE_URL is not set")
    return databases.postgres_url()


def _skip_sqlite_fsync(dbapi_connection, _record):
    """Turn off fsync on SQLite test files: durability is irrelevant to a throwaway database."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=OFF")


@pytest.fixture
def app_settings():
    """More create_app settings for the tests of one folder or module: override to add some."""
    return {}


@pytest.fixture(scope="session")
def schema_checker():
    """Checks API responses against the OpenAPI document (built once per run)."""
    return ResponseChecker()


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory) -> Path:
    """An SQLite file holding the schema and nothing else, built once per worker: each SQLite
    test starts from a copy (create_all takes about 140 ms, a copy well under 1)."""
    path = tmp_path_factory.mktemp("schema") / "schema.sqlite3"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                      "SECRET_KEY": "test-secret-key"})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return path


@pytest.fixture
def app(database_url, app_settings, tmp_path, schema_checker, sqlite_schema, request):
    """An app on a fresh, empty database.

    Every response of an API operation is checked against the OpenAPI schema: a test whose
    requests got an answer the schema does not describe fails at teardown (a test that means to
    provoke one is marked `schema_unchecked`).
    """
    if database_url.startswith("sqlite:///"):
        shutil.copyfile(sqlite_schema, database_url.removeprefix("sqlite:///"))
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret-key",
            "SERVER_NAME": None,
            **app_settings,
        }
    )
    with app.app_context():
        event.listen(db.engine, "connect", _skip_sqlite_fsync)
    if database_url.startswith("postgresql"):
        _reset_postgres(app)
    schema_problems = record_schema_problems(app, schema_checker)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if schema_problems and not request.node.get_closest_marker("schema_unchecked"):
        shown = "\n".join(dict.fromkeys(schema_problems))
        pytest.fail(f"API responses the OpenAPI schema does not describe:\n{shown}")


@pytest.fixture
def client(app):
    """A Flask test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A Flask CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """An application context for tests that touch the database directly."""
    with app.app_context():
        yield


class Factory:
    """Makes catalogue data, users and reports with sensible defaults."""

    def __init__(self):
        self.counter = itertools.count(1)

    def _n(self) -> int:
        return next(self.counter)

    def customer(self, **values) -> Customer:
        n = self._n()
        values.setdefault("name", f"Customer {n}")
        values.setdefault("slug", f"customer-{n}")
        return self._save(Customer(**values))

    def project(self, customer=None, **values) -> Project:
        n = self._n()
        values.setdefault("name", f"Project {n}")
        values.setdefault("slug", f"project-{n}")
        return self._save(Project(customer=customer or self.customer(), **values))

    def offering(self, customer=None, **values) -> Offering:
        n = self._n()
        values.setdefault("name", f"Offering {n}")
        values.setdefault("slug", f"offering-{n}")
        values.setdefault("type", "Marketplace.Slurm")
        values.setdefault("shared", True)
        return self._save(Offering(customer=customer or self.customer(), **values))

    def plan(self, offering=None, **values) -> Plan:
        n = self._n()
        values.setdefault("name", f"Plan {n}")
        values.setdefault("unit", "month")
        return self._save(Plan(offering=offering or self.offering(), **values))

    def backend_resource(self, offering=None, project=None, **values) -> BackendResource:
        n = self._n()
        values.setdefault("name", f"resource-{n}")
        values.setdefault("backend_id", f"backend-{n}")
        values.setdefault("backend_metadata", {"limits": {"cpu": 1000 + n}})
        return self._save(
            BackendResource(
                offering=offering or self.offering(), project=project or self.project(), **values
            )
        )

    def user(self, username=None, password=PASSWORD, **values) -> User:
        user = User(username=username or f"user{self._n()}", **values)
        # One PBKDF2 round instead of scrypt: check_password reads the method from the hash,
        # and the suite creates hundreds of users.
        user.password_hash = generate_password_hash(password, method="pbkdf2:sha256:1")
        return self._save(user)

    def token(self, user) -> str:
        token, key = ApiToken.issue(user)
        self._save(token)
        return key

    def grant(self, user, *, offering=None, customer=None) -> RoleGrant:
        role = ROLE_OFFERING_MANAGER if offering is not None else ROLE_CUSTOMER_OWNER
        return self._save(RoleGrant(user=user, role=role, offering=offering, customer=customer))

    @staticmethod
    def _save(obj):
        db.session.add(obj)
        db.session.commit()
        return obj


@pytest.fixture
def factory(ctx):
    """A factory for catalogue data, users, tokens and reports (inside an app context)."""
    return Factory()


@dataclass
class Actors:
    """The people and agents of a small world: one provider offering and its agent."""

    staff: User
    support: User
    agent: User
    outsider: User
    offering: Offering
    plan: Plan
    project: Project
    tokens: dict

    def headers(self, who: str) -> dict:
        """Authorization headers for one of the actors by name."""
        return {"Authorization": f"Token {self.tokens[who]}"}


@pytest.fixture
def actors(factory):
    """Staff, support, an agent managing one offering, and an outsider, each with a token."""
    offering = factory.offering(name="HPC SLURM")
    plan = factory.plan(offering, name="Standard")
    project = factory.project(name="Climate modelling")
    people = {
        "staff": factory.user("staff", is_staff=True),
        "support": factory.user("support", is_support=True),
        "agent": factory.user("agent"),
        "outsider": factory.user("outsider"),
    }
    factory.grant(people["agent"], offering=offering)
    tokens = {name: factory.token(user) for name, user in people.items()}
    return Actors(offering=offering, plan=plan, project=project, tokens=tokens, **people)


@pytest.fixture
def count_statements(app):
    """Count the SQL statements run inside a `with count_statements() as counted:` block."""

    @contextmanager
    def counter():
        statements: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counter


@pytest.fixture
def live_server(app):
    """Serve the app over real HTTP on a free loopback port; yields its base URL.

    At the end it waits (5 s at most) for the requests still in flight, a browser's late
    static file among them, so that none runs on while the app and its database are torn down
    (one used to drop its open file unclosed, which failed whichever test came next). A
    request is done once its response is written: the server then waits for the client to
    send the rest of its request, which Chromium may not do before its socket closes.
    """
    in_flight = RequestsInFlight(app)
    server = make_server("127.0.0.1", 0, in_flight, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        in_flight.wait(timeout=5)


class RequestsInFlight:
    """A WSGI app that counts its requests from their start until their response is written
    (or closed, whichever comes first)."""

    def __init__(self, app):
        self.app = app
        self.count = 0
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            self.count += 1
        try:
            response = self.app(environ, start_response)
        except BaseException:
            self.done()
            raise
        return self.counted(response)

    def counted(self, response):
        """Yield the response's chunks; count the request done after the last one."""
        finished = False
        try:
            yield from response
            self.done()
            finished = True
        finally:
            if hasattr(response, "close"):
                response.close()
            if not finished:
                self.done()

    def done(self) -> None:
        with self.lock:
            self.count -= 1

    def wait(self, timeout: float) -> None:
        """Return once no request is in flight, or after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while self.count and time.monotonic() < deadline:
            time.sleep(0.01)


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium for the whole run."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI needs /usr/bin/chromium (apt-get install -y chromium)")
        pytest.skip("/usr/bin/chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import expect, sync_playwright

    # CI machines are shared and slow at times: wait longer before calling a page wrong.
    expect.set_options(timeout=15_000)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
