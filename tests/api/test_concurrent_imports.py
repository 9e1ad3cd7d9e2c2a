"""Racing imports and deletes over real HTTP: each report is taken exactly once, never a 500.

The loser of a race gets 404 (the report is gone), never a second success. On PostgreSQL row
locks serialise the racers; on SQLite the import holds the write lock from its first read, and
every delete names the row by id and uuid, so a stale id never deletes a newer report.
"""

import threading

import httpx
from sqlalchemy import func, select

from console.extensions import db
from console.models import BackendResource, MarketplaceResource, Order

ROUNDS = 5


def race(base_url: str, token: str, requests: list[tuple[str, str, dict | None]]) -> list[int]:
    """Send every (method, path, body) at the same moment, one thread each; return the statuses."""
    barrier = threading.Barrier(len(requests))
    statuses: list[int | None] = [None] * len(requests)

    def send(index: int, method: str, path: str, body: dict | None) -> None:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            barrier.wait()
            response = client.request(
                method, path, json=body, headers={"Authorization": f"Token {token}"}
            )
            statuses[index] = response.status_code

    threads = [
        threading.Thread(target=send, args=(n, *request)) for n, request in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def count(model, **filters) -> int:
    statement = select(func.count()).select_from(model).filter_by(**filters)
    return db.session.scalar(statement)


def detail_path(report) -> str:
    return f"/api/backend-resources/{report.uuid.hex}/"


def import_path(report) -> str:
    return f"/api/backend-resources/{report.uuid.hex}/import_resource/"


def test_two_imports_of_one_report_make_one_resource_and_the_loser_gets_404(
    live_server, actors, factory
):
    plan = {"plan": actors.plan.uuid.hex}
    reports = [
        factory.backend_resource(actors.offering, actors.project, backend_id=f"race-{n}")
        for n in range(ROUNDS)
    ]
    for report in reports:
        request = ("POST", import_path(report), plan)
        statuses = race(live_server, actors.tokens["staff"], [request, request])
        # 404, not 400: the loser waited for the winner's lock and then found the report gone.
        assert sorted(statuses) == [201, 404], statuses
    db.session.expire_all()
    assert count(BackendResource) == 0
    for n in range(ROUNDS):
        assert count(MarketplaceResource, backend_id=f"race-{n}") == 1
    assert count(Order) == ROUNDS


def test_two_reports_of_one_backend_id_import_once(live_server, actors, factory):
    plan = {"plan": actors.plan.uuid.hex}
    for n in range(3):
        twins = [
            factory.backend_resource(actors.offering, factory.project(), backend_id=f"twin-{n}")
            for _ in range(2)
        ]
        requests = [("POST", import_path(report), plan) for report in twins]
        statuses = race(live_server, actors.tokens["staff"], requests)
        assert sorted(statuses) == [201, 400], statuses
    db.session.expire_all()
    assert count(MarketplaceResource) == 3 and count(Order) == 3
    # The loser's report is still there to be dealt with.
    assert count(BackendResource) == 3


def test_two_deletes_of_one_report_answer_204_then_404(live_server, actors, factory):
    for _ in range(ROUNDS):
        report = factory.backend_resource(actors.offering, actors.project)
        request = ("DELETE", detail_path(report), None)
        statuses = race(live_server, actors.tokens["staff"], [request, request])
        assert sorted(statuses) == [204, 404], statuses
    db.session.expire_all()
    assert count(BackendResource) == 0


def test_import_and_delete_of_one_report_exactly_one_succeeds(live_server, actors, factory):
    plan = {"plan": actors.plan.uuid.hex}
    imported = 0
    for n in range(ROUNDS):
        report = factory.backend_resource(actors.offering, actors.project, backend_id=f"id-{n}")
        import_status, delete_status = race(
            live_server,
            actors.tokens["staff"],
            [("POST", import_path(report), plan), ("DELETE", detail_path(report), None)],
        )
        outcome = (import_status, delete_status)
        assert outcome in {(201, 404), (404, 204)}, outcome
        imported += import_status == 201
    db.session.expire_all()
    assert count(BackendResource) == 0
    assert count(MarketplaceResource) == imported and count(Order) == imported


def test_no_report_is_lost_when_an_import_and_a_delete_race_an_agent_creating_reports(
    live_server, actors, factory
):
    """SQLite used to give the id a delete had read to a report created meanwhile, and delete it."""
    plan = {"plan": actors.plan.uuid.hex}
    created_body = {
        "project": actors.project.uuid.hex, "offering": actors.offering.uuid.hex,
        "backend_metadata": {"limits": {"cpu": 1}},
    }
    with httpx.Client(base_url=live_server, timeout=30) as client:
        for n in range(30):
            # The newest report: its id is the one SQLite would hand out again.
            response = client.post(
                "/api/backend-resources/",
                json={**created_body, "name": f"target-{n}", "backend_id": f"target-{n}"},
                headers=actors.headers("agent"),
            )
            target = response.json()["uuid"]
            statuses = race(
                live_server,
                actors.tokens["staff"],
                [
                    ("POST", f"/api/backend-resources/{target}/import_resource/", plan),
                    ("DELETE", f"/api/backend-resources/{target}/", None),
                    ("POST", "/api/backend-resources/",
                     {**created_body, "name": f"new-{n}", "backend_id": f"new-{n}"}),
                ],
            )
            assert statuses[2] == 201, statuses
            assert sorted(statuses[:2]) in ([201, 404], [204, 404]), statuses
    db.session.expire_all()
    names = set(db.session.scalars(select(BackendResource.name)))
    assert names == {f"new-{n}" for n in range(30)}, "reports answered 201 were lost"
