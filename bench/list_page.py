"""Benchmark of the console's backend resource page: the full page and the htmx fragment, each
with the three filter selects and their report counts, on a small and a large demo dataset.

    .venv/bin/python bench/list_page.py [--database-url URL] [--sizes 1000,50000] [--runs 15]

Prints the median and 95th percentile latency (ms) of each request through the Flask test client,
logged in as staff. Without --database-url each size gets a temporary SQLite file; a PostgreSQL
URL is EMPTIED before each size. Stops by itself after `runs` requests per scenario.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import make_app  # noqa: E402
from console.demo import DEMO_PASSWORD, load_demo_data  # noqa: E402
from console.extensions import db  # noqa: E402

HX = {"HX-Request": "true"}
SCENARIOS = [
    ("full page", "", {}),
    ("fragment", "", HX),
    ("fragment, q=climate", "q=climate", HX),
    ("fragment, o=-modified, page 3", "o=-modified&page=3", HX),
]


def log_in(client) -> None:
    """Log in as the demo staff user through the login form."""
    import re

    page = client.get("/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "staff", "password": DEMO_PASSWORD,
                                "csrf_token": token})


def measure(client, query: str, headers: dict, runs: int) -> list[float]:
    """Milliseconds of `runs` requests, after one warm-up."""
    url = f"/backend-resources/?{query}" if query else "/backend-resources/"
    client.get(url, headers=headers)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--sizes", default="1000,50000")
    parser.add_argument("--runs", type=int, default=15)
    options = parser.parse_args()
    print(f"{'request':34} {'size':>7} {'median ms':>10} {'p95 ms':>8}")
    with tempfile.TemporaryDirectory() as folder:
        for size in (int(part) for part in options.sizes.split(",")):
            url = options.database_url or f"sqlite:///{Path(folder) / f'list-{size}.sqlite3'}"
            app = make_app(url)
            app.config["WTF_CSRF_ENABLED"] = True
            with app.app_context():
                load_demo_data(db.session, backend_resources=size, seed=42)
                db.session.remove()
            client = app.test_client()
            log_in(client)
            for label, query, headers in SCENARIOS:
                times = sorted(measure(client, query, headers, options.runs))
                p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
                print(f"{label:34} {size:>7} {statistics.median(times):>10.1f} {p95:>8.1f}")
            with app.app_context():
                db.engine.dispose()


if __name__ == "__main__":
    main()
