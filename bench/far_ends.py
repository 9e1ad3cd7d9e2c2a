"""Sweep of the API's list for the far ends: every filter of a kind with every sort key, first and
last page, for the demo staff user and the demo agent (who sees the HPC centre's offerings only).

    .venv/bin/python bench/far_ends.py --database-url URL [--users staff,agent] [--over 40]
    .venv/bin/python bench/far_ends.py --size 2000

Walking a sort key's index finds a page fast when the matches are spread over it, and reads
nearly every report when they crowd at one end (a site's names in its own offerings, the oldest
reports last updated long ago). This finds such lists: it prints, per user and request, the
count and the best of `runs` times (ms, in process through the Flask test client) of the first
and the last page, marks with SLOW those over `--over` ms, and ends with how many were. With
--database-url it reads that database as it is (`bench/run.py` builds them, for example
`sqlite:///bench/data/console_bench_1000000_s42.sqlite3`); with --size it makes a temporary
SQLite file of that many demo reports.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import (  # noqa: E402
    SORT_KEYS,
    catalogue_facts,
    in_process_app,
    issue_token,
    search_facts,
)
from console.demo import load_demo_data  # noqa: E402
from console.extensions import db  # noqa: E402

LIST = "/api/backend-resources/"
PAGE_SIZE = 50


def filters(facts: dict) -> list[str]:
    """One filter of each kind (and a mix): the query strings swept, the first unfiltered."""
    dates = facts["dates"]
    offering, project = facts["offering"][1], facts["project"][1]
    return [
        "", "name=gpu", "name=g", "name=zzqqxx", f"name={facts['everything']}",
        f"offering_uuid={offering}", f"project_uuid={project}",
        f"offering_uuid={offering}&project_uuid={project}", f"offering_uuid={offering}&name=gpu",
        f"modified_before={dates['modified 5']}", f"created_before={dates['created 5']}",
        f"modified={dates['modified 75']}",
    ]


def best_time(client, path: str, headers: dict, runs: int):
    """Return (best milliseconds of `runs` requests, the last response)."""
    best = None
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{path}: HTTP {response.status_code} {response.data[:200]!r}")
        best = elapsed if best is None else min(best, elapsed)
    return best, response


def sweep(url: str, users: list[str], over: float, runs: int) -> int:
    """Time every filter with every ordering, first and last page, per user; return how many
    took longer than `over` ms."""
    facts = catalogue_facts(url) | search_facts(url)
    app = in_process_app(url)
    client = app.test_client()
    orderings = [""] + [f"{sign}{key}" for key in SORT_KEYS for sign in ("", "-")]
    slow = 0
    for username in users:
        headers = {"Authorization": f"Token {issue_token(url, username)}"}
        for query in filters(facts):
            for ordering in orderings:
                parts = [part for part in (query, ordering and f"o={ordering}") if part]
                base = f"{LIST}?{'&'.join([*parts, f'page_size={PAGE_SIZE}'])}"
                first, response = best_time(client, base, headers, runs)
                count = int(response.headers["X-Result-Count"])
                last_page = max(1, -(-count // PAGE_SIZE))
                last, _ = best_time(client, f"{base}&page={last_page}", headers, runs)
                mark = "SLOW" if max(first, last) > over else ""
                slow += bool(mark)
                label = "&".join(parts) or "(no filter, default order)"
                print(f"{username:8} {label:72} {count:>9,} {first:>9.1f} {last:>9.1f} {mark}",
                      flush=True)
    with app.app_context():
        db.engine.dispose()
    print(f"{slow} requests over {over:g} ms")
    return slow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--size", type=int, default=2000,
                        help="demo reports of the temporary SQLite file (no --database-url)")
    parser.add_argument("--users", default="staff,agent")
    parser.add_argument("--over", type=float, default=40.0, help="mark requests slower (ms)")
    parser.add_argument("--runs", type=int, default=2, help="requests per page (the best kept)")
    options = parser.parse_args()
    users = options.users.split(",")
    print(f"{'user':8} {'request':72} {'count':>9} {'first ms':>9} {'last ms':>9}")
    if options.database_url:
        sweep(options.database_url, users, options.over, options.runs)
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'far-ends.sqlite3'}"
        app = in_process_app(url)
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            load_demo_data(db.session, backend_resources=options.size, seed=42)
            db.session.remove()
            db.engine.dispose()
        sweep(url, users, options.over, options.runs)


if __name__ == "__main__":
    main()
