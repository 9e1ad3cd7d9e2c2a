"""Benchmark of the backend resource list on a small and a large demo dataset.

Besides the JSON list: the console table with its flags (and flag and metadata filters), a
streamed CSV export of every row (time and peak Python memory), and a bulk import of 1,000
rows driven the way the browser drives it (POST the selection, start, then ask for chunks).

For each dataset size: a fresh database migrated with Alembic, demo data with that many backend
resources, then the median and 95th percentile latency of `GET /api/backend-resources/` for a
few typical requests, through the Flask test client with a staff token (or, if the API does
not answer yet, of the query builder and paginator it uses). Stops by itself: every scenario
has a time budget, and the whole run a deadline.

    python bench/run.py [--database-url URL] [--sizes 1000,50000] [--budget 100]

Without --database-url each size gets its own temporary SQLite file. A PostgreSQL URL is
EMPTIED (all tables dropped) before each size.
"""

import argparse
import re
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import select, text  # noqa: E402
from werkzeug.datastructures import MultiDict  # noqa: E402

from console import create_app  # noqa: E402
from console.demo import DEMO_PASSWORD, load_demo_data  # noqa: E402
from console.extensions import db  # noqa: E402
from console.models import BackendResource, User  # noqa: E402
from console.services.queries import (  # noqa: E402
    backend_resources_select,
    paginate,
    parse_list_params,
)

LIST_URL = "/api/backend-resources/"
TABLE_URL = "/backend-resources/"
WARMUP = 2
BULK_ROWS = 1000


def scenarios(total: int) -> list[tuple[str, str, str]]:
    """Return (label, who, query string) of each measured request for a dataset size."""
    deep = max(1, total // 100)
    return [
        ("page_size=10", "staff", "page_size=10"),
        ("page_size=100", "staff", "page_size=100"),
        ("page_size=300", "staff", "page_size=300"),
        ("name=climate (icontains)", "staff", "name=climate&page_size=10"),
        ("name=plankton, page_size=100", "staff", "name=plankton&page_size=100"),
        ("o=project_name", "staff", "o=project_name&page_size=10"),
        ("o=-name, page_size=100", "staff", "o=-name&page_size=100"),
        ("middle page (size 100)", "staff", f"page_size=100&page={max(1, deep // 2)}"),
        ("last page (size 100)", "staff", f"page_size=100&page={deep}"),
        ("agent scope, page_size=10", "agent", "page_size=10"),
        ("table+flags, page_size=25", "table", ""),
        ("table+flags, page_size=100", "table", "page_size=100"),
        ("table flag=duplicate", "table", "flag=duplicate"),
        ("table flag=stale,-imported", "table", "flag=stale,-imported"),
        ("table metadata partition=gpu", "table", "metadata=partition%3Dgpu"),
        ("table metadata limits.cpu>10000", "table", "metadata=limits.cpu%3E10000"),
    ]


def make_app(database_url: str):
    """Return an app on the database, whose schema is (re)built by the migrations."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.drop_all()
            with db.engine.begin() as connection:
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
    return app


def load(app, size: int) -> tuple[dict, float]:
    """Load demo data with `size` backend resources; return the tokens and the seconds taken."""
    with app.app_context():
        started = time.perf_counter()
        result = load_demo_data(db.session, backend_resources=size, seed=42)
        elapsed = time.perf_counter() - started
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        db.session.remove()
    return result.tokens, elapsed


def api_answers(app, token: str) -> bool:
    """Tell whether the HTTP list answers a JSON array with a result count."""
    response = app.test_client().get(
        f"{LIST_URL}?page_size=1", headers={"Authorization": f"Token {token}"}
    )
    return response.status_code == 200 and "X-Result-Count" in response.headers


def http_request(app, token: str, query: str):
    """Return a function doing the request once through the test client."""
    client = app.test_client()
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}

    def run() -> None:
        """Do the request and check it worked."""
        response = client.get(f"{LIST_URL}?{query}", headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"{query}: HTTP {response.status_code} {response.data[:200]!r}")
        response.get_json()

    return run


def staff_console(app):
    """A test client logged in to the console as the demo staff user."""
    client = app.test_client()
    response = client.post("/login", data={"username": "staff", "password": DEMO_PASSWORD})
    if response.status_code != 303:
        raise RuntimeError(f"console login failed: HTTP {response.status_code}")
    return client


def table_request(app, query: str):
    """Return a function loading the console table page (with every row's flags) once."""
    client = staff_console(app)

    def run() -> None:
        """Load the page and check it worked."""
        response = client.get(f"{TABLE_URL}?{query}")
        if response.status_code != 200:
            raise RuntimeError(f"table {query}: HTTP {response.status_code}")

    return run


def export_once(app) -> tuple[float, float, int]:
    """Stream a CSV export of every row: (seconds, peak Python MiB while streaming, rows).

    Timed in one pass and traced in a second, since tracing memory slows Python severalfold.
    """
    client = staff_console(app)

    def stream() -> int:
        """Download the export chunk by chunk; return its line count."""
        response = client.get("/backend-resources/export.csv?dismissed=any")
        return sum(chunk.count(b"\n") for chunk in response.response)

    started = time.perf_counter()
    lines = stream()
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    stream()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak / 2**20, lines - 1


def bulk_import_once(app, rows: int = BULK_ROWS) -> dict:
    """Import the newest `rows` reports through the bulk pages; time it and count outcomes."""
    client = staff_console(app)
    with app.app_context():
        # The newest `rows` reports: those created at or after the rows-th newest one.
        cutoff = db.session.scalar(
            select(BackendResource.created).order_by(BackendResource.created.desc())
            .offset(rows - 1).limit(1)
        )
        db.session.remove()
    query = urlencode({"created": cutoff.isoformat()})
    started = time.perf_counter()
    response = client.post(f"{TABLE_URL}bulk", data={
        "action": "import", "scope": "all", "query": query,
    })
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
    return {"seconds": elapsed, "select_seconds": selected - started, "chunks": chunks,
            "counts": counts}


def direct_request(app, username: str, query: str):
    """Return a function running the query builder and paginator once, as the view would."""
    args = MultiDict([part.split("=", 1) for part in query.split("&")])

    def run() -> None:
        """Build and run the page query inside an app context."""
        with app.app_context():
            user = db.session.scalar(db.select(User).where(User.username == username))
            params = parse_list_params(args, default_page_size=10, max_page_size=300)
            statement = backend_resources_select(params, user)
            page = paginate(db.session, statement, params.page, params.page_size)
            [item.project.name for item in page.items]
            db.session.remove()

    return run


def measure(run, *, budget: float, max_runs: int) -> list[float]:
    """Time `run` repeatedly until `max_runs` or the budget is spent; return milliseconds."""
    for _ in range(WARMUP):
        run()
    timings = []
    stop = time.perf_counter() + budget
    while len(timings) < max_runs and (len(timings) < 5 or time.perf_counter() < stop):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def p95(values: list[float]) -> float:
    """Return the 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def bench_size(database_url: str, size: int, args, deadline: float) -> dict:
    """Build a dataset of `size` backend resources and measure every scenario on it."""
    app = make_app(database_url)
    tokens, load_seconds = load(app, size)
    use_http = api_answers(app, tokens["staff"])
    print(
        f"  {size:,} backend resources loaded in {load_seconds:.2f} s; measuring "
        f"{'HTTP GET ' + LIST_URL if use_http else 'query builder + paginate (no HTTP API yet)'}",
        file=sys.stderr,
    )
    results = {"load": load_seconds, "http": use_http, "rows": {}}
    for label, who, query in scenarios(size):
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            print("  deadline reached: remaining scenarios skipped", file=sys.stderr)
            break
        if who == "table":
            run = table_request(app, query)
        elif use_http:
            run = http_request(app, tokens[who], query)
        else:
            run = direct_request(app, who, query)
        timings = measure(run, budget=min(args.scenario_budget, remaining), max_runs=args.runs)
        results["rows"][label] = (statistics.median(timings), p95(timings), len(timings))
    if deadline - time.perf_counter() > 0:
        results["export"] = export_once(app)
    if deadline - time.perf_counter() > 0:
        results["bulk"] = bulk_import_once(app, min(BULK_ROWS, size))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return results


def print_table(sizes: list[int], results: dict) -> None:
    """Print the medians and p95s per scenario and size, and the large/small ratio."""
    header = f"{'scenario':32}" + "".join(
        f"{f'{size:,} rows: median / p95 ms':>32}" for size in sizes
    ) + f"{'ratio':>8}"
    print(header)
    print("-" * len(header))
    labels = [label for label, _who, _query in scenarios(sizes[0])]
    for label in labels:
        line = f"{label:32}"
        medians = []
        for size in sizes:
            row = results[size]["rows"].get(label)
            if row is None:
                line += f"{'skipped':>32}"
                continue
            median, high, runs = row
            medians.append(median)
            line += f"{f'{median:8.2f} / {high:8.2f}  (n={runs})':>32}"
        ratio = medians[-1] / medians[0] if len(medians) == len(sizes) > 1 else None
        line += f"{ratio:8.1f}" if ratio else f"{'':>8}"
        print(line)
    print()
    for size in sizes:
        mode = "HTTP test client" if results[size]["http"] else "query builder (no HTTP)"
        print(f"{size:,} rows: demo data loaded in {results[size]['load']:.2f} s; measured: {mode}")
    print()
    for size in sizes:
        if "export" in results[size]:
            seconds, peak, lines = results[size]["export"]
            print(f"{size:,} rows: CSV export of {lines:,} rows streamed in {seconds:.2f} s, "
                  f"peak Python memory {peak:.1f} MiB")
        if "bulk" in results[size]:
            bulk = results[size]["bulk"]
            counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(
                ((outcome, n) for n, outcome in bulk["counts"].items())))
            print(f"{size:,} rows: bulk import of {min(BULK_ROWS, size):,} rows in "
                  f"{bulk['seconds']:.1f} s (selection and confirmation "
                  f"{bulk['select_seconds']:.1f} s, {bulk['chunks']} chunks): {counts}")


def main() -> None:
    """Parse options, run every size within the deadline and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file per size")
    parser.add_argument("--sizes", default="1000,50000", help="comma-separated dataset sizes")
    parser.add_argument("--runs", type=int, default=50, help="max runs per scenario")
    parser.add_argument(
        "--scenario-budget", type=float, default=3.0, help="seconds per scenario and size"
    )
    parser.add_argument("--budget", type=float, default=100.0, help="deadline of the whole run")
    args = parser.parse_args()
    sizes = [int(part) for part in args.sizes.split(",") if part.strip()]
    deadline = time.perf_counter() + args.budget
    results = {}
    with tempfile.TemporaryDirectory(prefix="console-bench-") as directory:
        for size in sizes:
            url = args.database_url or f"sqlite:///{Path(directory) / f'bench-{size}.sqlite3'}"
            print(f"dataset of {size:,} on {url.split('://')[0]}", file=sys.stderr)
            results[size] = bench_size(url, size, args, deadline)
    engine = (args.database_url or "sqlite").split(":")[0]
    print(f"\nGET {LIST_URL} latency, {engine}, Python {sys.version.split()[0]}\n")
    print_table(sizes, results)


if __name__ == "__main__":
    main()
