"""Racing imports over real HTTP: one winner, no duplicates, never a 500.

On PostgreSQL row locks serialise the racers; on SQLite the single writer and the unique index
on OK resources per offering and backend id do.
"""

import threading

import httpx
from sqlalchemy import func, select

from console.extensions import db
from console.models import BackendResource, MarketplaceResource, Order


def race(base_url: str, token: str, paths: list[str], body: dict) -> list[int]:
    """POST to every path at the same moment, one thread each; return the statuses."""
    barrier = threading.Barrier(len(paths))
    statuses: list[int | None] = [None] * len(paths)

    def post(index: int, path: str) -> None:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            barrier.wait()
            response = client.post(path, json=body, headers={"Authorization": f"Token {token}"})
            statuses[index] = response.status_code

    threads = [threading.Thread(target=post, args=(n, path)) for n, path in enumerate(paths)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def count(model, **filters) -> int:
    statement = select(func.count()).select_from(model).filter_by(**filters)
    return db.session.scalar(statement)


def test_two_imports_of_one_report_make_one_resource(live_server, actors, factory):
    plan = {"plan": actors.plan.uuid.hex}
    reports = [
        factory.backend_resource(actors.offering, actors.project, backend_id=f"race-{n}")
        for n in range(5)
    ]
    for report in reports:
        path = f"/api/backend-resources/{report.uuid.hex}/import_resource/"
        statuses = race(live_server, actors.tokens["staff"], [path, path], plan)
        assert sorted(statuses)[0] == 201 and statuses.count(201) == 1, statuses
        assert sorted(statuses)[1] in (400, 404), statuses
    db.session.expire_all()
    assert count(BackendResource) == 0
    for n in range(5):
        assert count(MarketplaceResource, backend_id=f"race-{n}") == 1
    assert count(Order) == 5


def test_two_reports_of_one_backend_id_import_once(live_server, actors, factory):
    plan = {"plan": actors.plan.uuid.hex}
    for n in range(3):
        twins = [
            factory.backend_resource(actors.offering, factory.project(), backend_id=f"twin-{n}")
            for _ in range(2)
        ]
        paths = [f"/api/backend-resources/{report.uuid}/import_resource/" for report in twins]
        statuses = race(live_server, actors.tokens["staff"], paths, plan)
        assert sorted(statuses) == [201, 400], statuses
    db.session.expire_all()
    assert count(MarketplaceResource) == 3 and count(Order) == 3
    # The loser's report is still there to be dealt with.
    assert count(BackendResource) == 3
