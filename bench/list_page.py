"""Benchmark of the console's backend resource page in process: the full page and the htmx
fragment, each with the three filter selects and their report counts.

    .venv/bin/python bench/list_page.py [--database-url URL | --sizes 1000,50000] [--runs 30]

Prints the median and 95th percentile latency (ms) of each request through the Flask test client,
logged in as the demo staff user, next to the API's list for the same filters. With
--database-url it reads that database as it is (for example one `bench/run.py` built, such as
`sqlite:///bench/data/console_bench_1000000_s42.sqlite3`); without it each size gets a new
temporary SQLite file of demo data. Stops by itself after `runs` requests per scenario.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import in_process_app, issue_token, staff_console  # noqa: E402
from console.demo import load_demo_data  # noqa: E402
from console.extensions import db  # noqa: E402

HX = {"HX-Request": "true"}
SCENARIOS = [
    ("newest 50", "o=-created&page_size=50"),
    ("name=gpu", "name=gpu&o=-created&page_size=50"),
    ("o=-modified, page 3", "o=-modified&page=3&page_size=50"),
    ("flag=-imported", "flag=-imported&o=-created&page_size=50"),
]


def measure(client, url: str, headers: dict, runs: int) -> list[float]:
    """Milliseconds of `runs` requests, after one warm-up."""
    client.get(url, headers=headers)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return times


def report(label: str, size: str, times: list[float]) -> float:
    """Print one line of figures; return the median."""
    times.sort()
    median = statistics.median(times)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(f"{label:40} {size:>9} {median:>10.2f} {p95:>8.2f}", flush=True)
    return median


def bench_database(url: str, size: str, runs: int) -> None:
    """Time the table's page and fragment, and the API's list, for each scenario on `url`."""
    app = in_process_app(url)
    token = issue_token(url)
    console = staff_console(app)
    api = app.test_client()
    auth = {"Authorization": f"Token {token}"}
    for label, query in SCENARIOS:
        api_median = report(f"API {label}", size,
                            measure(api, f"/api/backend-resources/?{query}", auth, runs))
        for kind, headers in (("table page", {}), ("table fragment", HX)):
            median = report(f"{kind} {label}", size,
                            measure(console, f"/backend-resources/?{query}", headers, runs))
            print(f"{'':40} {'':>9} {median / api_median:>9.1f}x the API", flush=True)
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--sizes", default="1000,50000")
    parser.add_argument("--runs", type=int, default=30)
    options = parser.parse_args()
    print(f"{'request':40} {'size':>9} {'median ms':>10} {'p95 ms':>8}")
    if options.database_url:
        bench_database(options.database_url, "given", options.runs)
        return
    with tempfile.TemporaryDirectory() as folder:
        for size in (int(part) for part in options.sizes.split(",")):
            url = f"sqlite:///{Path(folder) / f'list-{size}.sqlite3'}"
            app = in_process_app(url)
            with app.app_context():
                from flask_migrate import upgrade

                upgrade()
                load_demo_data(db.session, backend_resources=size, seed=42)
                db.session.remove()
                db.engine.dispose()
            bench_database(url, f"{size:,}", options.runs)


if __name__ == "__main__":
    main()
