"""Benchmark of the backend resource list against Datasette serving the same SQLite file.

For each size (10,000 / 100,000 / 1,000,000 reports by default) it builds, or reuses, one
SQLite file and one PostgreSQL database of demo data (keyed by size and seed; built with
`flask db upgrade` and `flask demo-data`, timed, with the seeding process's peak memory),
starts Datasette on the SQLite file as the anchor and the app the way production runs it
(gunicorn with gunicorn.conf.py, as `make serve` does) on each database, then times the same
requests over HTTP on 127.0.0.1 and prints one table: p50 / p95 per request, size and server,
the ratio of Datasette's p50 to the app's, and the growth from the smallest size to the largest.

The console table carries the triage flags on every row and hides dismissed reports by default;
it is measured as is, and with flag and metadata filters (Q1-Q4 with `flag=-imported`, and
triage's own filters). Then, in process (Flask test client): a streamed CSV export of every row
(time and peak Python memory) and a bulk import of 1,000 rows driven the way the browser drives
it, on a copy of the database (so that the reused one keeps its reports).

    python bench/run.py [--sizes 10000,100000,1000000] [--seed 42] [--budget 3600]

Everything listens on 127.0.0.1 only. The run stops by itself: every request scenario has a
time budget, the whole run a deadline, and the servers are stopped on the way out.
"""

import argparse
import contextlib
import html
import http.client
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
LIST = "/api/backend-resources/"
TABLE = "/backend-resources/"
SORT_KEYS = ("name", "backend_id", "project_name", "offering_name", "created", "modified")
CONCURRENT_CLIENTS = 4
BULK_ROWS = 1000
DEFAULT_SIZES = "10000,100000,1000000"


def log(message: str) -> None:
    """Say what the run is doing, on standard error (the table goes to standard output)."""
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Databases


def postgres_admin_url(base: str) -> str:
    """Return a libpq URL of the maintenance database on `base`'s server."""
    from sqlalchemy.engine import make_url

    url = make_url(base).set(drivername="postgresql", database="postgres")
    return url.render_as_string(hide_password=False)


def postgres_url(base: str, name: str) -> str:
    """Return the SQLAlchemy URL of database `name` on `base`'s server."""
    from sqlalchemy.engine import make_url

    return make_url(base).set(database=name).render_as_string(hide_password=False)


def run_timed(command: list[str], env: dict, timeout: float) -> tuple[float, float, float]:
    """Run a command; return (wall seconds, CPU seconds, peak memory in MB) of its process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    timer = threading.Timer(timeout, process.kill)
    timer.start()
    try:
        _pid, status, usage = os.wait4(process.pid, 0)
    finally:
        timer.cancel()
    output = process.stdout.read()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{output[-2000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - started, cpu, usage.ru_maxrss / 1024


def database_state(url: str) -> tuple[str | None, int]:
    """Return (alembic revision, number of reports) of a database, or (None, 0)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            reports = connection.execute(text("SELECT count(*) FROM backend_resources")).scalar()
            return revision, reports
    except Exception:  # noqa: BLE001 (a missing or half-built database is simply rebuilt)
        return None, 0
    finally:
        engine.dispose()


def head_revision() -> str:
    """Return the newest migration's revision id."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


def ensure_database(kind: str, size: int, seed: int, postgres_base: str) -> dict:
    """Build the database of `size` reports unless it already exists; return its facts."""
    name = f"console_bench_{size}_s{seed}"
    if kind == "sqlite":
        DATA.mkdir(parents=True, exist_ok=True)
        path = DATA / f"{name}.sqlite3"
        url = f"sqlite:///{path}"
    else:
        url = postgres_url(postgres_base, name)
    facts = {"url": url, "built": None}
    if database_state(url) == (head_revision(), size):
        log(f"  {kind} {size:,}: reusing {name}")
        return facts
    log(f"  {kind} {size:,}: building {name}")
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        import psycopg

        with psycopg.connect(postgres_admin_url(postgres_base), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
    env = dict(os.environ, CONSOLE_DATABASE_URL=url, CONSOLE_SECRET_KEY="bench")
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    run_timed([*flask, "db", "upgrade"], env, timeout=600)
    load_before = os.getloadavg()[0]
    wall, cpu, memory = run_timed(
        [*flask, "demo-data", "--backend-resources", str(size), "--seed", str(seed)],
        env, timeout=1800,
    )
    load = (load_before, os.getloadavg()[0])
    if kind == "postgresql":
        from sqlalchemy import create_engine, text

        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("VACUUM ANALYZE"))
        engine.dispose()
    facts["built"] = (wall, cpu, memory, load)
    log(f"  {kind} {size:,}: seeded in {wall:.1f} s ({cpu:.1f} s CPU), peak {memory:.0f} MB, "
        f"load average {load[0]:.1f} before, {load[1]:.1f} after")
    return facts


def catalogue_facts(url: str) -> dict:
    """Return the staff token, the busiest (offering, project) pair and one report to show."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        offering, project, offering_uuid, project_uuid = connection.execute(text(
            "SELECT t.offering_id, t.project_id, o.uuid, p.uuid "
            "FROM backend_resource_tallies t JOIN offerings o ON o.id = t.offering_id "
            "JOIN projects p ON p.id = t.project_id ORDER BY t.reports DESC, t.offering_id, "
            "t.project_id LIMIT 1"
        )).one()
        report_id, report_uuid = connection.execute(text(
            "SELECT id, uuid FROM backend_resources ORDER BY id LIMIT 1 OFFSET "
            "(SELECT count(*) / 2 FROM backend_resources)"
        )).one()
        # An account of the busiest pair, as the site agent asks for it before reporting it.
        account = connection.execute(text(
            "SELECT backend_id FROM backend_resources WHERE offering_id = :offering AND "
            "project_id = :project ORDER BY id LIMIT 1 OFFSET (SELECT count(*) / 2 FROM "
            "backend_resources WHERE offering_id = :offering AND project_id = :project)"
        ), {"offering": offering, "project": project}).scalar()
        account_reports = connection.execute(text(
            "SELECT count(*) FROM backend_resources WHERE offering_id = :offering AND "
            "project_id = :project AND backend_id = :account"
        ), {"offering": offering, "project": project, "account": account}).scalar()
        # The days before which a twentieth of the reports were last updated (reported), and
        # after which a quarter were: filters whose matches sit at the far end of the other
        # date's order.
        dates = {
            f"{column} {share}": str(connection.execute(text(
                f"SELECT {column} FROM backend_resources ORDER BY {column} LIMIT 1 OFFSET "
                f"(SELECT count(*) * {share} / 100 FROM backend_resources)"
            )).scalar())[:10]
            for column, share in (("modified", 5), ("created", 5), ("modified", 75))
        }
    engine.dispose()
    return {
        "offering": (offering, hex_uuid(offering_uuid)),
        "project": (project, hex_uuid(project_uuid)),
        "report": (report_id, hex_uuid(report_uuid)),
        "account": (account, account_reports),
        "dates": dates,
    }


def hex_uuid(value) -> str:
    """Return a uuid as 32 hex digits, whether the driver gave a UUID or a string."""
    return value.hex if hasattr(value, "hex") else str(value).replace("-", "")


def issue_token(url: str, username: str = "staff") -> str:
    """Issue a fresh API token for a demo user (the staff user by default); return its key."""
    env = dict(os.environ, CONSOLE_DATABASE_URL=url, CONSOLE_SECRET_KEY="bench")
    output = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "tokens", "create", username],
        env=env, cwd=ROOT, capture_output=True, text=True, check=True, timeout=120,
    ).stdout
    return re.findall(r"[0-9a-f]{40}", output)[-1]


# ---------------------------------------------------------------------------------------------
# Servers


def free_port() -> int:
    """Return a free TCP port on the loopback interface."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def server(command: list[str], env: dict, port: int, ready_path: str):
    """Run a server in its own process group until the block ends."""
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):
                status, _body, _headers = request(port, "GET", ready_path)
                if status < 500:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]} did not start on port {port}")
            time.sleep(0.3)
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def app_server(url: str):
    """Start the app as production does: gunicorn with gunicorn.conf.py (`make serve`)."""
    port = free_port()
    env = dict(os.environ, CONSOLE_DATABASE_URL=url, CONSOLE_SECRET_KEY="bench",
               CONSOLE_BIND=f"{HOST}:{port}")
    command = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"]
    return server(command, env, port, "/login")


def datasette_server(path: Path):
    """Start Datasette on the SQLite file, with its exact counts and without facet suggestions."""
    port = free_port()
    command = [
        str(BIN / "datasette"), "serve", str(path), "--host", HOST, "--port", str(port),
        "--setting", "suggest_facets", "off", "--setting", "sql_time_limit_ms", "60000",
        "--setting", "max_returned_rows", "1000",
    ]
    return server(command, dict(os.environ), port, "/-/versions.json")


# ---------------------------------------------------------------------------------------------
# Requests


def request(port: int, method: str, path: str, headers: dict | None = None):
    """Do one HTTP request on a new connection; return (status, body, headers)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=120)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        connection.close()


class Client:
    """Requests to one server, with the headers (token or session cookie) it needs."""

    def __init__(self, port: int, headers: dict | None = None):
        self.port = port
        self.headers = headers or {}

    def get(self, path: str, method: str = "GET", extra: dict | None = None):
        """Do a request; fail loudly on anything but 200."""
        status, body, headers = request(self.port, method, path, self.headers | (extra or {}))
        if status != 200:
            raise RuntimeError(f"{method} {path}: HTTP {status} {body[:300]!r}")
        return body, headers

    @classmethod
    def logged_in(cls, port: int) -> "Client":
        """Log in to the console as the demo staff user; return a client with its cookie."""
        agent = {"User-Agent": "console-bench"}
        status, body, headers = request(port, "GET", "/login", agent)
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body).group(1).decode()
        cookie = headers["Set-Cookie"].split(";", 1)[0]
        form = urllib.parse.urlencode(
            {"csrf_token": html.unescape(token), "username": "staff", "password": "demo"}
        )
        connection = http.client.HTTPConnection(HOST, port, timeout=60)
        connection.request("POST", "/login", body=form, headers=agent | {
            "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded",
        })
        response = connection.getresponse()
        response.read()
        cookie = next(
            value.split(";", 1)[0] for value in response.msg.get_all("Set-Cookie")
            if value.startswith("session=")
        )
        connection.close()
        if response.status not in (302, 303):
            raise RuntimeError(f"console login failed: HTTP {response.status}")
        return cls(port, agent | {"Cookie": cookie})


def throughput(run, seconds: float) -> float:
    """Run `run` in CONCURRENT_CLIENTS threads for `seconds`; return requests per second."""
    done = [0] * CONCURRENT_CLIENTS
    stop = time.perf_counter() + seconds

    def client(index: int) -> None:
        while time.perf_counter() < stop:
            run()
            done[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CONCURRENT_CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - started)


def datasette_page(client: Client, path: str, page: int) -> str:
    """Follow Datasette's `_next` cursor to page `page` of `path`; return that page's URL."""
    current = path
    for _ in range(page - 1):
        body, _headers = client.get(current)
        token = json.loads(body).get("next")
        if not token:
            break
        current = f"{path}&_next={urllib.parse.quote(str(token))}"
    return current


def check_count(body: bytes, headers: dict, expected: int | None) -> None:
    """Fail when the app's count is missing or differs from the expected one."""
    if expected is not None and int(headers["X-Result-Count"]) != expected:
        raise RuntimeError(f"X-Result-Count {headers['X-Result-Count']} != {expected}")


# ---------------------------------------------------------------------------------------------
# Scenarios


def scenarios(size: int, facts: dict) -> list[dict]:
    """Return the measured requests for one size: label, app query, Datasette query, kind."""
    offering_id, offering_uuid = facts["offering"]
    project_id, project_uuid = facts["project"]
    report_id, report_uuid = facts["report"]
    deep = facts["gpu_pages"]
    rows = [
        dict(label="Q1 newest 50", query="o=-created&page_size=50",
             datasette="_sort_desc=created&_size=50", target=2),
        dict(label="Q2 name=gpu", query="name=gpu&o=-created&page_size=50",
             datasette="name__contains=gpu&_sort_desc=created&_size=50", target=2),
        dict(label="Q3 name=gpu deep page", query=f"name=gpu&o=-created&page_size=50&page={deep}",
             datasette="name__contains=gpu&_sort_desc=created&_size=50", cursor=deep, target=2),
        dict(label="Q4 busiest offering+project",
             query=f"offering_uuid={offering_uuid}&project_uuid={project_uuid}"
                   "&o=-created&page_size=50",
             datasette=f"offering_id={offering_id}&project_id={project_id}"
                       "&_sort_desc=created&_size=50", target=2),
        dict(label="Q5 one report", path=f"{LIST}{report_uuid}/",
             datasette_path=f"/backend_resources/{report_id}.json", target=2),
        dict(label="Q2 x4 clients (req/s)", query="name=gpu&o=-created&page_size=50",
             datasette="name__contains=gpu&_sort_desc=created&_size=50", concurrent=True,
             target=2),
        dict(label="HEAD Q1", query="o=-created&page_size=50", method="HEAD", of_q1=2),
        # No target: each server's cheapest request (no list, no row), the floor under Q1-Q5.
        dict(label="floor: version only", path="/api/version/",
             datasette_root_path="/-/versions.json"),
    ]
    for key in SORT_KEYS:
        for direction in ("", "-"):
            for page in ("1", "last"):
                rows.append(dict(label=f"o={direction}{key} page {page}",
                                 query=f"o={direction}{key}&page_size=50&page={page}", of_q1=2))
    rows += [
        dict(label="search: nothing (zzqqxx)", query="name=zzqqxx&page_size=50", of_q1=2),
        dict(label=f"search: most ({facts['everything']})",
             query=f"name={facts['everything']}&page_size=50", of_q1=2),
        dict(label="search: one character (g)", query="name=g&page_size=50", of_q1=2),
    ]
    # Sorted by one date, filtered by the other (no target): the matches at the far end.
    dates = facts["dates"]
    crossed = [
        ("modified_before", dates["modified 5"], "-created"),
        ("created_before", dates["created 5"], "-modified"),
        ("modified", dates["modified 75"], "created"),
    ]
    for name, day, ordering in crossed:
        rows.append(dict(label=f"dates crossed: {name}={day} o={ordering}",
                         query=f"{name}={day}&o={ordering}&page_size=50",
                         of_api="Q1 newest 50"))
    name, day, ordering = crossed[0]
    rows.append(dict(label=f"table dates crossed: {name}={day}",
                     table=f"{name}={day}&o={ordering}&page_size=50", fragment=True,
                     of_api="Q1 newest 50"))
    # Last updated before the day after which a quarter were: three quarters of the reports,
    # which the select counts count per (offering, project) pair.
    rows.append(dict(label=f"table dates: modified_before={dates['modified 75']}",
                     table=f"modified_before={dates['modified 75']}&page_size=50",
                     fragment=True, of_api="Q1 newest 50"))
    # A search whose matches crowd at the far end of the sort key (no target): the demo's
    # "gpu" reports have the lowest backend ids.
    rows += [
        dict(label="far end: name=gpu o=-backend_id", query="name=gpu&o=-backend_id&page_size=50",
             of_api="Q1 newest 50"),
        # A site's names crowd in its own offerings and projects: one offering by name, from
        # the end its names are not at, and a search by offering, its last page.
        dict(label="far end: offering o=-name",
             query=f"offering_uuid={offering_uuid}&o=-name&page_size=50", of_api="Q1 newest 50"),
        dict(label="far end: name=gpu o=offering_name last",
             query="name=gpu&o=offering_name&page_size=50&page=last", of_api="Q1 newest 50"),
        # A project's backend ids crowd together in its offering's: the busiest pair by them.
        dict(label="far end: busiest pair o=backend_id",
             query=f"offering_uuid={offering_uuid}&project_uuid={project_uuid}"
                   "&o=backend_id&page_size=50", of_api="Q1 newest 50"),
        dict(label="table far end: q=gpu o=-backend_id",
             table="q=gpu&o=-backend_id&page_size=50", fragment=True, of_api="Q1 newest 50"),
    ]
    # The site agent's check of one account before it reports it (its token; no target): an
    # account of the busiest pair, and one it has not reported. Uuids hyphenated, as it sends.
    pair = (f"offering_uuid={uuid.UUID(offering_uuid)}&project_uuid={uuid.UUID(project_uuid)}"
            "&page_size=100")
    account = urllib.parse.quote(facts["account"][0])
    rows += [
        dict(label="agent check: an account", query=f"backend_id={account}&{pair}",
             agent=True, of_api="Q1 newest 50"),
        dict(label="agent check: a new account", query=f"backend_id=not-reported-yet&{pair}",
             agent=True, of_api="Q1 newest 50"),
    ]
    for source in rows[:4]:
        for fragment in (False, True):
            label = f"{source['label'][:2]} table {'fragment' if fragment else 'page'}"
            rows.append(dict(label=label, table=source["query"], fragment=fragment,
                             of_api=source["label"], target_api=1.5))
    # Triage: Q1-Q4 in the table with a flag filter (the not-yet-imported reports), and the
    # table's own flag and metadata filters; compared with the API request without them.
    for source in rows[:4]:
        rows.append(dict(label=f"{source['label'][:2]} table flag=-imported",
                         table=f"{source['query']}&flag=-imported", fragment=True,
                         of_api=source["label"], target_api=1.5))
    for label, query in (
        ("table flag=duplicate", "flag=duplicate"),
        ("table flag=stale,-imported", "flag=stale,-imported"),
        ("table metadata partition=gpu", "metadata=partition%3Dgpu"),
        ("table metadata limits.cpu>10000", "metadata=limits.cpu%3E10000"),
        ("table dismissed=only", "dismissed=only"),
        # The table's search box (`q`: name or backend id), as the API's searches above.
        ("table search: nothing (q=zzqqxx)", "q=zzqqxx"),
        (f"table search: most (q={facts['everything']})", f"q={facts['everything']}"),
        ("table search: one character (q=g)", "q=g"),
        ("table search: two characters (q=gp)", "q=gp"),
        ("table search: three characters (q=gpu)", "q=gpu"),
    ):
        rows.append(dict(label=label, table=f"{query}&o=-created&page_size=50", fragment=True,
                         of_api="Q1 newest 50", target_api=1.5))
    # A search or metadata filter the tallies cannot count, at CONSOLE_COUNT_LATER_FROM reports
    # or more: the fragment above is its first page, and this request brings its counts (no
    # target: the rows are on the screen meanwhile).
    for label, query in (
        ("metadata partition=gpu", "metadata=partition%3Dgpu"),
        ("metadata limits.cpu>10000", "metadata=limits.cpu%3E10000"),
        ("search q=gp", "q=gp"),
        ("search q=gpu", "q=gpu"),
    ):
        rows.append(dict(label=f"table counts: {label}", table=f"{query}&o=-created&page_size=50",
                         fragment=True, counts=True, of_api="Q1 newest 50"))
    return rows


def run_scenario(row: dict, servers: dict, args, expected: dict, reference: dict) -> dict:
    """Measure one request on Datasette (if it has one) and on the app on each database.

    The servers take turns, request by request, so that a busy moment of the machine falls
    on all of them alike. A row compared with another request of the app (Q1, or the API for
    the console table) takes turns with that request too, and keeps its figure as `<kind> ref`.
    """
    runs = {}
    if "datasette" in row or "datasette_path" in row or "datasette_root_path" in row:
        client = servers["datasette"]
        path = row.get("datasette_path") or f"/backend_resources.json?{row.get('datasette')}"
        path = row.get("datasette_root_path") or f"/{servers['datasette_db']}{path}"
        if row.get("cursor"):
            path = datasette_page(client, path, row["cursor"])
        runs["datasette"] = lambda c=client, p=path: c.get(p)
    for kind in ("sqlite", "postgresql"):
        if kind not in servers:
            continue
        if "table" in row:
            client = servers[f"{kind}-console"]
            extra = {"HX-Request": "true"} if row["fragment"] else {}
            path = f"{TABLE}{'counts' if row.get('counts') else ''}?{row['table']}"
            runs[kind] = lambda c=client, p=path, e=extra: c.get(p, extra=e)
        else:
            client = servers[f"{kind}-agent" if row.get("agent") else kind]
            runs[kind] = api_call(client, row, expected.get(row["label"]))
        compared = reference.get(row.get("of_api") or ("Q1 newest 50" if "of_q1" in row else ""))
        if compared is not None:
            runs[f"{kind} ref"] = api_call(servers[kind], compared, None)
    if row.get("concurrent"):
        results = {}
        for name, run in runs.items():
            run()
            results[name] = (throughput(run, args.concurrent_seconds),)
        return results
    timings = measure_in_turns(runs, args.scenario_budget * len(runs), args.runs)
    return {
        name: (statistics.median(values), p95(values), len(values))
        for name, values in timings.items()
    }


def api_call(client: Client, row: dict, count: int | None):
    """Return a function doing the row's API request once (and checking its count)."""
    path = row.get("path") or f"{LIST}?{row['query']}"
    method = row.get("method", "GET")

    def run() -> None:
        body, headers = client.get(path, method=method)
        check_count(body, headers, count)

    return run


def measure_in_turns(runs: dict, budget: float, most: int) -> dict:
    """Time each function in turn, up to `most` rounds within `budget` s (at least 5); ms."""
    for run in runs.values():
        run()
    timings = {name: [] for name in runs}
    stop = time.perf_counter() + budget
    rounds = 0
    while rounds < most and (rounds < 5 or time.perf_counter() < stop):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            timings[name].append((time.perf_counter() - started) * 1000)
        rounds += 1
    return timings


def p95(values: list[float]) -> float:
    """Return the 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def staff_console(app):
    """A test client logged in to the console as the demo staff user (in process)."""
    client = app.test_client()
    response = client.post("/login", data={"username": "staff", "password": "demo"})
    if response.status_code not in (302, 303):
        raise RuntimeError(f"console login failed: HTTP {response.status_code}")
    return client


def in_process_app(url: str):
    """The app on `url`, in this process, without CSRF (the test client posts forms)."""
    from console import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                       "WTF_CSRF_ENABLED": False})


def export_once(url: str) -> tuple[float, float, int]:
    """Stream a CSV export of every row: (seconds, peak Python MiB while streaming, rows).

    Timed in one pass and traced in a second, since tracing memory slows Python severalfold.
    """
    app = in_process_app(url)
    client = staff_console(app)

    def stream() -> int:
        """Download the export chunk by chunk; return its line count."""
        response = client.get(f"{TABLE}export.csv?dismissed=any")
        return sum(chunk.count(b"\n") for chunk in response.response)

    started = time.perf_counter()
    lines = stream()
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    stream()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    dispose(app)
    return elapsed, peak / 2**20, lines - 1


def bulk_import_once(url: str, rows: int) -> dict:
    """Import the newest `rows` reports through the bulk pages; time it and count outcomes."""
    from sqlalchemy import select

    from console.extensions import db
    from console.models import BackendResource

    app = in_process_app(url)
    client = staff_console(app)
    with app.app_context():
        # The newest `rows` reports: those created at or after the rows-th newest one.
        cutoff = db.session.scalar(
            select(BackendResource.created).order_by(BackendResource.created.desc())
            .offset(rows - 1).limit(1)
        )
        db.session.remove()
    query = urllib.parse.urlencode({"created": cutoff.isoformat()})
    started = time.perf_counter()
    response = client.post(f"{TABLE}bulk", data={"action": "import", "scope": "all",
                                                 "query": query})
    if response.status_code != 303:
        raise RuntimeError(f"bulk selection: HTTP {response.status_code}")
    job_url = response.headers["Location"]
    confirm = client.get(job_url).text
    plans = {}
    for key, options in re.findall(r'<select id="(plan-[0-9a-f]{32})"[^>]*>(.*?)</select>',
                                   confirm, re.S):
        values = re.findall(r'<option value="([0-9a-f]*)"', options)
        plans[key] = values[-1] if values else ""
    selected = time.perf_counter()
    client.post(f"{job_url}start", data=plans)
    chunks = 0
    while True:
        chunks += 1
        fragment = client.post(f"{job_url}work", headers={"HX-Request": "true"}).text
        if "Done:" in fragment:
            break
    elapsed = time.perf_counter() - started
    counts = dict(re.findall(r"(\d[\d,]*) (imported|refused)", re.sub(r"\s+", " ", fragment)))
    dispose(app)
    return {"seconds": elapsed, "select_seconds": selected - started, "chunks": chunks,
            "counts": counts}


def dispose(app) -> None:
    """Close the app's database connections."""
    from console.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@contextlib.contextmanager
def database_copy(kind: str, url: str, postgres_base: str):
    """Yield the URL of a throw-away copy of a bench database (the bulk import writes)."""
    from sqlalchemy.engine import make_url

    if kind == "sqlite":
        import sqlite3

        with tempfile.TemporaryDirectory(dir=DATA) as folder:
            copy = Path(folder) / "copy.sqlite3"
            source = sqlite3.connect(make_url(url).database)
            target = sqlite3.connect(copy)
            source.backup(target)
            source.close()
            target.close()
            yield f"sqlite:///{copy}"
        return
    import psycopg

    name = make_url(url).database
    copy = f"{name}_copy"
    with psycopg.connect(postgres_admin_url(postgres_base), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
    try:
        yield postgres_url(postgres_base, copy)
    finally:
        with psycopg.connect(postgres_admin_url(postgres_base), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')


def triage_figures(size: int, databases: dict, args, deadline: float) -> dict:
    """The CSV export and the bulk import of 1,000 rows on each database (in process)."""
    figures = {}
    for kind, database in databases.items():
        if time.perf_counter() > deadline:
            break
        log(f"  {kind} {size:,}: CSV export and bulk import")
        figures[(kind, "export")] = export_once(database["url"])
        with database_copy(kind, database["url"], args.postgres) as copy:
            figures[(kind, "bulk")] = bulk_import_once(copy, min(BULK_ROWS, size))
    return figures


def search_facts(url: str) -> dict:
    """Count the "gpu" matches the plain way, and find the letter most names contain."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        gpu = connection.execute(text(
            "SELECT count(*) FROM backend_resources WHERE lower(name) LIKE '%gpu%'"
        )).scalar()
        letters = {
            letter: connection.execute(text(
                "SELECT sum(reports) FROM backend_resource_name_tallies "
                "WHERE lower(name) LIKE :pattern"
            ), {"pattern": f"%{letter}%"}).scalar() or 0
            for letter in "aeiorst"
        }
    engine.dispose()
    return {"gpu": gpu, "everything": max(letters, key=letters.get)}


# ---------------------------------------------------------------------------------------------
# Output


def cell(result) -> str:
    """Format a result: "p50 / p95" in ms, or req/s."""
    if result is None:
        return "-"
    if len(result) == 1:
        return f"{result[0]:.1f} req/s"
    return f"{result[0]:.1f} / {result[1]:.1f}"


def ratio(anchor, result) -> float | None:
    """Return how many times faster than the anchor the result is (req/s: how many times more)."""
    if anchor is None or result is None:
        return None
    if len(result) == 1:
        return result[0] / anchor[0]
    return anchor[0] / result[0]


def verdict(row: dict, size_results: dict, kind: str) -> str:
    """Say whether the target of the row holds on this database."""
    result = size_results[row["label"]].get(kind)
    if result is None:
        return ""
    if "target" in row:
        value = ratio(size_results[row["label"]].get("datasette"), result)
        return "" if value is None else ("ok" if value >= row["target"] else "MISS")
    limit = row.get("of_q1") or row.get("target_api")
    reference = size_results[row["label"]].get(f"{kind} ref")
    if reference is None:
        return ""
    share = result[0] / reference[0]
    if limit is None:
        return f"{share:.1f}x"  # compared, with no target
    return f"{share:.1f}x " + ("ok" if share <= limit else "MISS")


def print_triage(sizes: list[int], triage: dict) -> None:
    """Print the CSV export and bulk import figures of each size and database."""
    for size in sizes:
        for (kind, what), figure in sorted(triage.get(size, {}).items()):
            if what == "export":
                seconds, peak, lines = figure
                print(f"{size:,} reports, {kind}: CSV export of {lines:,} rows streamed in "
                      f"{seconds:.2f} s, peak Python memory {peak:.1f} MiB")
            else:
                counts = ", ".join(f"{n} {outcome}" for n, outcome in sorted(
                    ((n, outcome) for outcome, n in figure["counts"].items()),
                    key=lambda pair: pair[1]))
                print(f"{size:,} reports, {kind}: bulk import of {min(BULK_ROWS, size):,} rows "
                      f"in {figure['seconds']:.1f} s (selection and confirmation "
                      f"{figure['select_seconds']:.1f} s, {figure['chunks']} chunks): {counts}")


def print_table(sizes: list[int], rows_by_size: dict, results: dict, seeding: dict) -> None:
    """Print the one table, the growth factors and the seeding figures."""
    head = (f"{'request':30} {'size':>9} | {'Datasette p50/p95':>19} | {'SQLite p50/p95':>19}"
            f" {'xDS':>5} {'check':>9} | {'PostgreSQL p50/p95':>19} {'xDS':>5} {'check':>9}")
    print(head)
    print("-" * len(head))
    for size in sizes:
        if size not in results:
            continue
        for row in rows_by_size[size]:
            found = results[size].get(row["label"])
            if found is None:
                print(f"{row['label']:30} {size:>9,} | skipped (deadline)")
                continue
            anchor = found.get("datasette")
            parts = [f"{row['label']:30} {size:>9,} | {cell(anchor):>19}"]
            for kind in ("sqlite", "postgresql"):
                value = ratio(anchor, found.get(kind))
                shown = f"{value:.1f}" if value is not None else ""
                parts.append(f"{cell(found.get(kind)):>19} {shown:>5} "
                             f"{verdict(row, results[size], kind):>9}")
            print(" | ".join(parts))
        print()
    if len(sizes) > 1 and sizes[0] in results and sizes[-1] in results:
        small, large = sizes[0], sizes[-1]
        print(f"growth of p50 from {small:,} to {large:,} reports")
        for row in rows_by_size[large]:
            label = row["label"]
            small_row = next((r for r in rows_by_size[small] if r["label"] == label), None)
            if small_row is None or "table" in row:
                continue
            line = f"  {label:30}"
            for kind in ("datasette", "sqlite", "postgresql"):
                a = results[small].get(small_row["label"], {}).get(kind)
                b = results[large].get(label, {}).get(kind)
                if a and b:
                    factor = a[0] / b[0] if len(a) == 1 else b[0] / a[0]
                    line += f"  {kind} x{factor:.1f}"
            print(line)
        print()
    for size in sizes:
        deep_rows = [row for row in rows_by_size.get(size, ()) if row.get("cursor")]
        if size in results and deep_rows:
            deep = deep_rows[0]["cursor"]
            print(f"Q3 at {size:,} reports is page {deep} (the last if there are fewer than 200)")
    for (kind, size), built in sorted(seeding.items()):
        if built:
            wall, cpu, memory, load = built
            print(f"seeding {size:,} reports on {kind}: {wall:.1f} s ({cpu:.1f} s CPU), "
                  f"peak memory {memory:.0f} MB, load average {load[0]:.1f} before, "
                  f"{load[1]:.1f} after")


# ---------------------------------------------------------------------------------------------


def bench_size(size: int, args, deadline: float, seeding: dict):
    """Build or reuse the databases of one size, start the servers and measure every request."""
    databases = {}
    for kind in args.kinds:
        databases[kind] = ensure_database(kind, size, args.seed, args.postgres)
        seeding[(kind, size)] = databases[kind]["built"]
    sqlite_url = databases["sqlite"]["url"]
    sqlite_path = Path(sqlite_url.removeprefix("sqlite:///"))
    facts = catalogue_facts(sqlite_url) | search_facts(sqlite_url)
    facts["gpu_pages"] = min(200, max(1, -(-facts["gpu"] // 50)))
    every_row = scenarios(size, facts)
    reference = {row["label"]: row for row in every_row}
    rows = [row for row in every_row if not args.only or row["label"].startswith(args.only)]
    expected = {"Q2 name=gpu": facts["gpu"], "Q1 newest 50": size,
                "agent check: an account": facts["account"][1], "agent check: a new account": 0}
    results: dict = {}
    with contextlib.ExitStack() as stack:
        servers = {"datasette_db": sqlite_path.stem}
        servers["datasette"] = Client(stack.enter_context(datasette_server(sqlite_path)))
        for kind, database in databases.items():
            token = issue_token(database["url"])
            port = stack.enter_context(app_server(database["url"]))
            servers[kind] = Client(port, {"Authorization": f"Token {token}"})
            servers[f"{kind}-console"] = Client.logged_in(port)
            agent = issue_token(database["url"], "agent")
            servers[f"{kind}-agent"] = Client(port, {"Authorization": f"Token {agent}"})
            other = catalogue_facts(database["url"])
            if other["report"][1] != facts["report"][1]:
                raise RuntimeError(f"{kind} {size}: not the same demo data as the SQLite file")
        log(f"  measuring {len(rows)} requests on {size:,} reports")
        for row in rows:
            if time.perf_counter() > deadline:
                log("  deadline reached: the remaining requests are skipped")
                break
            results[row["label"]] = run_scenario(row, servers, args, expected, reference)
    triage = {} if args.no_triage else triage_figures(size, databases, args, deadline)
    return rows, results, triage


def main() -> None:
    """Parse options, measure every size within the deadline and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=os.environ.get("SIZE") or DEFAULT_SIZES,
                        help=f"comma-separated numbers of reports (default {DEFAULT_SIZES})")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--postgres", default=os.environ.get(
        "CONSOLE_BENCH_POSTGRES_URL", "postgresql+psycopg:///console_bench"),
        help="PostgreSQL server (its databases console_bench_<size>_s<seed> are created)")
    parser.add_argument("--no-postgres", action="store_true", help="measure SQLite only")
    parser.add_argument("--no-triage", action="store_true",
                        help="skip the CSV export and the bulk import")
    parser.add_argument("--only", default=os.environ.get("ONLY", ""),
                        help="comma-separated label beginnings: measure only those requests "
                             "(for example 'Q1,Q4')")
    parser.add_argument("--runs", type=int, default=100, help="most requests per scenario")
    parser.add_argument("--scenario-budget", type=float, default=3.0,
                        help="seconds per scenario and server")
    parser.add_argument("--concurrent-seconds", type=float, default=5.0)
    parser.add_argument("--budget", type=float, default=5400.0,
                        help="deadline of the whole run in seconds, seeding included")
    args = parser.parse_args()
    args.only = tuple(part.strip() for part in args.only.split(",") if part.strip())
    args.kinds = ["sqlite"] if args.no_postgres else ["sqlite", "postgresql"]
    sizes = sorted(int(part.replace("_", "")) for part in args.sizes.split(",") if part.strip())
    deadline = time.perf_counter() + args.budget
    signal.signal(signal.SIGALRM, lambda *_: sys.exit("bench: time budget exceeded"))
    signal.alarm(int(args.budget) + 600)
    rows_by_size, results, seeding, triage = {}, {}, {}, {}
    for size in sizes:
        if time.perf_counter() > deadline:
            log(f"deadline reached: {size:,} skipped")
            break
        log(f"{size:,} reports")
        rows_by_size[size], results[size], triage[size] = bench_size(
            size, args, deadline, seeding
        )
    print(f"\nGET {LIST} and {TABLE} over HTTP on {HOST}; app: gunicorn (gunicorn.conf.py), "
          f"Datasette on the same SQLite file; {platform.node()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")
    print("p50 / p95 in ms; xDS = Datasette p50 / app p50 (req/s: app / Datasette); check: "
          "target met (ok) or not (MISS); 1.3x = p50 / the p50 of Q1 (sort keys, searches) or "
          "of the API request (console table), measured in turns with it\n")
    print_table(sizes, rows_by_size, results, seeding)
    print_triage(sizes, triage)


if __name__ == "__main__":
    main()
