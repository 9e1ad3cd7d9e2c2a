"""`flask demo-data`: a realistic catalogue, demo users with tokens, seeded backend resources."""

import hashlib
import json
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import select, text

from console import create_app
from console.demo import load_demo_data
from console.extensions import db
from console.metadata_summary import summarize_metadata
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
    hash_token_key,
)
from tests.cli.conftest import count, succeed


def tokens_in(output: str) -> dict:
    """Return the `name token: key` lines of the output as a dict."""
    return {
        line.split(" token: ")[0]: line.split(" token: ")[1]
        for line in output.splitlines()
        if " token: " in line
    }


def resource_snapshot() -> list:
    """Return what the seed decides about each backend resource, in a stable order."""
    rows = db.session.execute(
        select(
            BackendResource.uuid, BackendResource.name, BackendResource.backend_id,
            BackendResource.backend_metadata, Offering.slug, Project.slug,
        ).join(BackendResource.offering).join(BackendResource.project)
        .order_by(BackendResource.uuid)
    )
    return [tuple(row) for row in rows]


def test_loads_catalogue_users_and_resources(runner, ctx):
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    assert count(BackendResource) == 200
    assert count(Customer) >= 6 and count(Project) >= 12 and count(Offering) >= 6
    assert count(Plan, Plan.archived.is_(True)) == 1
    shared = {offering.shared for offering in db.session.scalars(select(Offering))}
    assert shared == {True, False}
    types = {offering.type for offering in db.session.scalars(select(Offering))}
    assert {"Marketplace.Slurm", "OpenStack.Tenant", "OpenStack.Instance"} <= types
    # Resources land on several offerings, with limits in their metadata, over recent weeks.
    resources = list(db.session.scalars(select(BackendResource)))
    assert len(Counter(resource.offering_id for resource in resources)) >= 5
    assert all(isinstance(r.backend_metadata.get("limits"), dict) for r in resources)
    assert all(r.metadata_summary for r in resources)
    assert any(r.backend_id.startswith("hpc_") for r in resources)
    days = {r.created.date() for r in resources}
    assert len(days) > 20
    assert all(r.modified >= r.created for r in resources)
    backend_ids = Counter((r.offering_id, r.backend_id) for r in resources)
    assert max(backend_ids.values()) == 1


def test_demo_users_can_log_in_and_their_tokens_work(runner, ctx):
    result = runner.invoke(args=["demo-data", "--backend-resources", "5"])
    users = {user.username: user for user in db.session.scalars(select(User))}
    assert set(users) == {"staff", "support", "agent"}
    assert users["staff"].is_staff and users["support"].is_support
    assert not (users["agent"].is_staff or users["agent"].is_support)
    assert all(user.check_password("demo") for user in users.values())
    tokens = tokens_in(result.stdout)
    assert set(tokens) == {"staff", "support", "agent"}
    for username, key in tokens.items():
        token = db.session.scalar(select(ApiToken).where(ApiToken.key_hash == hash_token_key(key)))
        assert token.user.username == username
    grants = list(db.session.scalars(select(RoleGrant)))
    assert {grant.user.username for grant in grants} == {"agent"}
    roles = Counter(grant.role for grant in grants)
    assert roles[ROLE_CUSTOMER_OWNER] == 1 and roles[ROLE_OFFERING_MANAGER] >= 2
    provider = next(g.customer for g in grants if g.role == ROLE_CUSTOMER_OWNER)
    assert all(
        g.offering.customer_id == provider.id for g in grants if g.role == ROLE_OFFERING_MANAGER
    )


def other_app(tmp_path):
    """A second app on a fresh SQLite file, to load the same seed into."""
    return create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.sqlite3'}",
        "SECRET_KEY": "x", "TESTING": True,
    })


def test_same_seed_gives_same_resources_on_a_fresh_database(runner, ctx, tmp_path):
    succeed(runner, "demo-data", "--backend-resources", "50", "--seed", "7")
    first = resource_snapshot()
    other = other_app(tmp_path)
    with other.app_context():
        db.create_all()
        result = other.test_cli_runner().invoke(
            args=["demo-data", "--backend-resources", "50", "--seed", "7"]
        )
        assert result.exit_code == 0, result.output
        assert resource_snapshot() == first
        db.session.remove()
        db.engine.dispose()
    assert len(first) == 50


def test_another_seed_gives_other_resources(runner, ctx):
    succeed(runner, "demo-data", "--backend-resources", "30", "--seed", "1")
    first = {row[1] for row in resource_snapshot()}
    db.session.execute(BackendResource.__table__.delete())
    db.session.commit()
    succeed(runner, "demo-data", "--backend-resources", "30", "--seed", "2")
    assert {row[1] for row in resource_snapshot()} != first


def test_if_empty_loads_an_empty_database_and_then_does_nothing(runner, ctx):
    result = runner.invoke(args=["demo-data", "--if-empty", "--backend-resources", "10"])
    assert result.exit_code == 0 and count(BackendResource) == 10
    customers = count(Customer)
    result = runner.invoke(args=["demo-data", "--if-empty"])
    assert result.exit_code == 0
    assert f"already has {customers} customers: demo data not loaded" in result.stdout
    assert " token: " not in result.stdout
    assert "make a new one with: .venv/bin/flask --app wsgi tokens create staff" in result.stdout
    assert (count(BackendResource), count(Customer), count(ApiToken)) == (10, customers, 3)


def test_if_empty_respects_any_existing_customer(runner, factory):
    factory.customer()
    result = runner.invoke(args=["demo-data", "--if-empty"])
    assert "demo data not loaded" in result.stdout
    assert (count(Customer), count(BackendResource), count(User)) == (1, 0, 0)


def test_second_run_reuses_catalogue_and_users_and_adds_resources(runner, ctx):
    succeed(runner, "demo-data", "--backend-resources", "40")
    catalogue = (count(Customer), count(Project), count(Offering), count(Plan), count(RoleGrant))
    staff = db.session.scalar(select(User).where(User.username == "staff"))
    staff.set_password("changed")
    db.session.commit()
    result = runner.invoke(args=["demo-data", "--backend-resources", "40"])
    assert result.exit_code == 0, result.output
    assert "Users reused, passwords unchanged: staff, support, agent" in result.stdout
    assert (count(Customer), count(Project), count(Offering), count(Plan), count(RoleGrant)) == (
        catalogue
    )
    assert count(BackendResource) == 80 and count(User) == 3 and count(ApiToken) == 6
    db.session.expire_all()
    assert staff.check_password("changed")
    pairs = Counter(
        db.session.execute(select(BackendResource.offering_id, BackendResource.backend_id))
    )
    assert max(pairs.values()) == 1


def test_zero_resources_is_allowed(runner, ctx):
    result = runner.invoke(args=["demo-data", "--backend-resources", "0"])
    assert result.exit_code == 0, result.output
    assert count(BackendResource) == 0 and count(Offering) > 0


def test_negative_count_is_a_usage_error(runner, ctx):
    result = runner.invoke(args=["demo-data", "--backend-resources", "-1"])
    assert result.exit_code == 2
    assert count(Customer) == 0


def stored(resource_id: int) -> tuple:
    """A report's columns as the database holds them (text on SQLite), less id and uuid."""
    return tuple(db.session.execute(text(
        "SELECT name, backend_id, backend_metadata, metadata_summary, offering_id, project_id, "
        "created, modified FROM backend_resources WHERE id = :id"
    ), {"id": resource_id}).one())


def test_rows_written_in_bulk_are_stored_as_the_orm_stores_them(ctx):
    load_demo_data(db.session, backend_resources=300, seed=11, bulk_minimum=0)
    reports = db.session.scalars(select(BackendResource).order_by(BackendResource.id)).all()
    # One report of each offering (each kind of metadata), copied through the ORM.
    samples = list({report.offering_id: report for report in reports}.values())
    assert len(samples) >= 5
    copies = [
        BackendResource(
            name=report.name, backend_id=report.backend_id,
            backend_metadata=json.loads(json.dumps(report.backend_metadata)),
            offering_id=report.offering_id, project_id=report.project_id,
            created=report.created, modified=report.modified,
        )
        for report in samples
    ]
    db.session.add_all(copies)
    db.session.commit()
    for report, copy in zip(samples, copies, strict=True):
        assert stored(report.id) == stored(copy.id)
    assert len({len(str(report.uuid)) for report in reports}) == 1
    assert all(report.created.tzinfo is not None for report in reports)
    # Every summary is the one the ORM would write for that metadata.
    assert all(
        report.metadata_summary == summarize_metadata(report.backend_metadata)
        for report in reports
    )


def test_a_seed_gives_the_same_reports_as_it_always_did(ctx):
    """Seeding got faster without changing a row: the bench's databases and tests stay valid."""
    load_demo_data(
        db.session, backend_resources=2000, seed=42, now=datetime(2026, 5, 1, 13, tzinfo=UTC),
        bulk_minimum=0,
    )
    digest = hashlib.sha256()
    rows = db.session.execute(
        select(
            BackendResource.uuid, BackendResource.name, BackendResource.backend_id,
            BackendResource.backend_metadata, BackendResource.metadata_summary, Offering.slug,
            Project.slug, BackendResource.created, BackendResource.modified,
        ).join(BackendResource.offering).join(BackendResource.project)
        .order_by(BackendResource.id)
    )
    for row in rows:
        digest.update(repr((
            row[0].hex, row[1], row[2], json.dumps(row[3], sort_keys=True), row[4], row[5],
            row[6], row[7].isoformat(), row[8].isoformat(),
        )).encode())
    # Taken from the generator before it was rewritten for speed (same seed, size and day).
    assert digest.hexdigest() == (
        "dde7d2b9d22fa13d430158994f91420d618505a56c683be3c1552613fdc2668f"
    )


def test_a_bulk_load_gives_the_rows_a_small_load_gives(ctx, tmp_path):
    fixed = datetime(2026, 5, 1, tzinfo=UTC)
    load_demo_data(db.session, backend_resources=120, seed=3, now=fixed, bulk_minimum=0)
    first = resource_snapshot()
    other = other_app(tmp_path)
    with other.app_context():
        db.create_all()
        load_demo_data(db.session, backend_resources=120, seed=3, now=fixed, bulk_minimum=10**9)
        assert resource_snapshot() == first
        db.session.remove()
        db.engine.dispose()
    assert len(first) == 120
