"""Load test: 8 clients for 30 s creating, listing, importing and deleting backend resources.

Against a live server on this machine's loopback, on a fresh SQLite file and (with
--postgresql-url) on PostgreSQL. Imports and deletes pick from the newest reports, so they race
each other on purpose. Afterwards every report is accounted for from the database:

- lost: answered 201 on create, yet neither in the database nor imported nor deleted;
- duplicated: taken twice (two successful imports or deletes of one report, or both), or more
  marketplace resources or orders than successful imports.

Bounded: each client stops at the deadline or after --max-requests, whichever comes first.

    python bench/load.py [--clients 8] [--seconds 30] [--postgresql-url URL]

A PostgreSQL database given here is EMPTIED (all tables dropped) first.
"""

import argparse
import ipaddress
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from console import create_app  # noqa: E402
from console.extensions import db  # noqa: E402
from console.models import (  # noqa: E402
    ROLE_OFFERING_MANAGER,
    BackendResource,
    Customer,
    MarketplaceResource,
    Offering,
    Order,
    Plan,
    Project,
    RoleGrant,
    User,
)
from console.services.accounts import issue_token  # noqa: E402

LOOPBACK = "127.0.0.1"
LIST_URL = "/api/backend-resources/"
# Share of each action in the mix; imports and deletes act on the newest reports.
MIX = (("create", 40), ("list", 30), ("import", 15), ("delete", 15))
NEWEST = 6


def make_app(database_url: str):
    """An app on a freshly migrated database with a catalogue, a staff user and an agent."""
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "load", "SERVER_NAME": None,
    })
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.drop_all()
            with db.engine.begin() as connection:
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        customer = Customer(name="Load provider", slug="load")
        offering = Offering(name="Load offering", slug="load", customer=customer, shared=True)
        plan = Plan(name="Standard", offering=offering)
        project = Project(name="Load project", slug="load", customer=customer)
        staff = User(username="staff", is_staff=True)
        agent = User(username="agent")
        db.session.add_all([customer, offering, plan, project, staff, agent,
                            RoleGrant(user=agent, role=ROLE_OFFERING_MANAGER, offering=offering)])
        db.session.commit()
        world = {
            "offering": offering.uuid.hex, "project": project.uuid.hex, "plan": plan.uuid.hex,
            "staff": issue_token(db.session, staff), "agent": issue_token(db.session, agent),
        }
        db.session.remove()
    return app, world


class Ledger:
    """What the clients were told, shared between their threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.created: list[str] = []
        self.taken: Counter = Counter()
        self.imported: set[str] = set()
        self.deleted: set[str] = set()
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.latencies: dict[str, list[float]] = defaultdict(list)

    def newest(self) -> str | None:
        with self.lock:
            return random.choice(self.created[-NEWEST:]) if self.created else None

    def record(self, action: str, status: int, seconds: float, uuid: str | None) -> None:
        with self.lock:
            self.statuses[action][status] += 1
            self.latencies[action].append(seconds)
            if uuid is None:
                return
            if action == "create" and status == 201:
                self.created.append(uuid)
            elif (action, status) in (("import", 201), ("delete", 204)):
                self.taken[uuid] += 1
                (self.imported if action == "import" else self.deleted).add(uuid)


def client_loop(base_url: str, world: dict, ledger: Ledger, number: int, deadline: float,
                max_requests: int) -> None:
    """One client: a random mix of actions until the deadline or the request budget."""
    rng = random.Random(number)
    actions, weights = zip(*MIX, strict=True)
    staff = {"Authorization": f"Token {world['staff']}"}
    agent = {"Authorization": f"Token {world['agent']}"}
    with httpx.Client(base_url=base_url, timeout=60) as client:
        for sequence in range(max_requests):
            if time.monotonic() >= deadline:
                return
            action = rng.choices(actions, weights)[0]
            uuid = None if action in ("create", "list") else ledger.newest()
            if uuid is None and action in ("import", "delete"):
                action = "create"
            started = time.perf_counter()
            if action == "create":
                response = client.post(LIST_URL, headers=agent, json={
                    "name": f"load-{number}-{sequence}", "backend_id": f"load-{number}-{sequence}",
                    "project": world["project"], "offering": world["offering"],
                    "backend_metadata": {"limits": {"cpu": sequence}},
                })
                if response.status_code == 201:
                    uuid = response.json()["uuid"]
            elif action == "list":
                response = client.get(LIST_URL, headers=agent, params={"page_size": 25})
            elif action == "import":
                response = client.post(f"{LIST_URL}{uuid}/import_resource/", headers=staff,
                                       json={"plan": world["plan"]})
            else:
                response = client.delete(f"{LIST_URL}{uuid}/", headers=staff)
            ledger.record(action, response.status_code, time.perf_counter() - started, uuid)


def account(app, ledger: Ledger) -> dict:
    """Compare what clients were told with what the database holds."""
    with app.app_context():
        present = {row.hex for row in db.session.scalars(select(BackendResource.uuid))}
        resources = db.session.scalar(select(func.count()).select_from(MarketplaceResource))
        orders = db.session.scalar(select(func.count()).select_from(Order))
        db.session.remove()
    created = set(ledger.created)
    lost = created - present - ledger.imported - ledger.deleted
    taken_twice = {uuid for uuid, times in ledger.taken.items() if times > 1}
    still_there = (ledger.imported | ledger.deleted) & present
    extra = max(0, resources - len(ledger.imported)) + max(0, orders - len(ledger.imported))
    return {
        "lost": len(lost), "duplicated": len(taken_twice) + len(still_there) + extra,
        "resources": resources, "orders": orders,
    }


def run(label: str, database_url: str, clients: int, seconds: float, max_requests: int) -> None:
    """Serve the app on the loopback, run the clients, print what happened."""
    app, world = make_app(database_url)
    server = make_server(LOOPBACK, 0, app, threaded=True)
    assert ipaddress.ip_address(server.server_address[0]).is_loopback
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    base_url = f"http://{LOOPBACK}:{server.server_port}"
    ledger = Ledger()
    deadline = time.monotonic() + seconds
    started = time.perf_counter()
    threads = [
        threading.Thread(target=client_loop,
                         args=(base_url, world, ledger, n, deadline, max_requests))
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    elapsed = time.perf_counter() - started
    server.shutdown()
    serving.join(timeout=10)
    totals = account(app, ledger)
    with app.app_context():
        db.engine.dispose()
    report(label, ledger, totals, elapsed, clients)


def report(label: str, ledger: Ledger, totals: dict, elapsed: float, clients: int) -> None:
    """Print one database's figures."""
    requests = sum(sum(counter.values()) for counter in ledger.statuses.values())
    errors = sum(count for counter in ledger.statuses.values()
                 for status, count in counter.items() if status >= 500)
    print(f"\n{label}: {clients} clients, {elapsed:.1f} s, {requests} requests "
          f"({requests / elapsed:.0f}/s), 5xx: {errors}, lost: {totals['lost']}, "
          f"duplicated: {totals['duplicated']}")
    print(f"  reports created {len(ledger.created)}, imported {len(ledger.imported)}, "
          f"deleted {len(ledger.deleted)}; marketplace resources {totals['resources']}, "
          f"orders {totals['orders']}")
    print(f"  {'action':<8} {'requests':>8} {'median ms':>10} {'p95 ms':>8}  statuses")
    for action, _weight in MIX:
        times = sorted(ledger.latencies.get(action, []))
        if not times:
            continue
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        statuses = ", ".join(f"{status}: {count}"
                             for status, count in sorted(ledger.statuses[action].items()))
        print(f"  {action:<8} {len(times):>8} {statistics.median(times) * 1000:>10.1f} "
              f"{p95 * 1000:>8.1f}  {statuses}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--max-requests", type=int, default=20_000,
                        help="per client; the run also stops at the deadline")
    parser.add_argument("--postgresql-url", help="also run on this PostgreSQL database (EMPTIED)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run("SQLite", f"sqlite:///{Path(folder) / 'load.sqlite3'}", args.clients, args.seconds,
            args.max_requests)
    if args.postgresql_url:
        run("PostgreSQL", args.postgresql_url, args.clients, args.seconds, args.max_requests)


if __name__ == "__main__":
    main()
