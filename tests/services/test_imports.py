"""The import service: what it creates, what it refuses, and that it leaves nothing half done."""

import pytest
from sqlalchemy import func, select

from console.extensions import db
from console.models import BackendResource, MarketplaceResource, Order
from console.services import PermissionDenied, imports
from console.services.imports import (
    AlreadyImported,
    BackendResourceGone,
    PlanProblem,
    import_backend_resource,
)


def counts():
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (BackendResource, MarketplaceResource, Order)
    )


def test_import_creates_resource_and_done_order_and_deletes_report(actors, factory):
    report = factory.backend_resource(
        actors.offering, actors.project, name="alloc-1", backend_id="alloc_1",
        backend_metadata={"limits": {"cpu": 100, "mem": 5}, "partition": "gpu"},
    )
    result = import_backend_resource(
        db.session, backend_resource_uuid=report.uuid.hex, plan_value=actors.plan.uuid.hex,
        user=actors.staff,
    )
    resource = db.session.scalar(select(MarketplaceResource))
    assert resource.uuid == result.resource.uuid
    assert (resource.name, resource.backend_id, resource.state) == ("alloc-1", "alloc_1", "OK")
    assert resource.limits == {"cpu": 100, "mem": 5}
    assert resource.plan == actors.plan and resource.project == actors.project
    order = db.session.scalar(select(Order))
    assert (order.state, order.type, order.created_by) == ("done", "Create", actors.staff)
    assert order.resource == resource and order.limits == {"cpu": 100, "mem": 5}
    assert counts() == (0, 1, 1)


def test_shared_offering_requires_plan(actors, factory):
    report = factory.backend_resource(actors.offering, actors.project)
    with pytest.raises(PlanProblem) as raised:
        import_backend_resource(
            db.session, backend_resource_uuid=report.uuid, plan_value=None, user=actors.staff
        )
    assert raised.value.errors == {"plan": "Plan is required when importing resources."}
    assert counts() == (1, 0, 0)


def test_private_offering_imports_without_plan(actors, factory):
    private = factory.offering(shared=False)
    report = factory.backend_resource(private, actors.project)
    result = import_backend_resource(
        db.session, backend_resource_uuid=report.uuid, plan_value=None, user=actors.staff
    )
    assert result.resource.plan is None
    assert counts() == (0, 1, 1)


@pytest.mark.parametrize("which", ["other_offering", "archived"])
def test_plan_must_be_available_in_offering(actors, factory, which):
    report = factory.backend_resource(actors.offering, actors.project)
    if which == "archived":
        plan = factory.plan(actors.offering, archived=True)
    else:
        plan = factory.plan(factory.offering())
    with pytest.raises(PlanProblem) as raised:
        import_backend_resource(
            db.session, backend_resource_uuid=report.uuid, plan_value=plan.uuid.hex,
            user=actors.staff,
        )
    assert raised.value.errors == {
        "plan": ["This plan is not available for the selected offering."]
    }
    assert counts() == (1, 0, 0)


def test_already_imported_backend_id_is_refused(actors, factory):
    first = factory.backend_resource(actors.offering, actors.project, backend_id="dup")
    second = factory.backend_resource(actors.offering, actors.project, backend_id="dup")
    done = import_backend_resource(
        db.session, backend_resource_uuid=first.uuid, plan_value=actors.plan.uuid.hex,
        user=actors.staff,
    )
    with pytest.raises(AlreadyImported) as raised:
        import_backend_resource(
            db.session, backend_resource_uuid=second.uuid, plan_value=actors.plan.uuid.hex,
            user=actors.staff,
        )
    assert raised.value.errors == ["Resource has been imported already."]
    assert raised.value.existing.uuid == done.resource.uuid
    assert counts() == (1, 1, 1)


def test_non_staff_may_not_import(actors, factory):
    report = factory.backend_resource(actors.offering, actors.project)
    for user in (actors.support, actors.agent, actors.outsider):
        with pytest.raises(PermissionDenied):
            import_backend_resource(
                db.session, backend_resource_uuid=report.uuid, plan_value=actors.plan.uuid.hex,
                user=user,
            )
    assert counts() == (1, 0, 0)


def test_missing_report_is_gone(actors):
    with pytest.raises(BackendResourceGone):
        import_backend_resource(
            db.session, backend_resource_uuid="0" * 32, plan_value=actors.plan.uuid.hex,
            user=actors.staff,
        )


def test_failure_inside_import_leaves_nothing_behind(actors, factory, monkeypatch):
    report = factory.backend_resource(actors.offering, actors.project)
    real_take = imports.take_backend_resource

    def failing_take(session, backend_resource):
        real_take(session, backend_resource)
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports, "take_backend_resource", failing_take)
    with pytest.raises(RuntimeError):
        import_backend_resource(
            db.session, backend_resource_uuid=report.uuid, plan_value=actors.plan.uuid.hex,
            user=actors.staff,
        )
    monkeypatch.undo()
    db.session.expire_all()
    assert counts() == (1, 0, 0)


def test_unique_index_refuses_a_second_ok_resource_even_past_the_check(actors, factory):
    """The database, not only the service's check, refuses a duplicate OK import."""
    from sqlalchemy.exc import IntegrityError

    from console.services.imports import _is_duplicate_import

    first = factory.backend_resource(actors.offering, actors.project, backend_id="same")
    import_backend_resource(
        db.session, backend_resource_uuid=first.uuid, plan_value=actors.plan.uuid.hex,
        user=actors.staff,
    )
    db.session.add(
        MarketplaceResource(
            name="twin", backend_id="same", offering=actors.offering, project=actors.project
        )
    )
    with pytest.raises(IntegrityError) as raised:
        db.session.flush()
    db.session.rollback()
    assert _is_duplicate_import(raised.value)
