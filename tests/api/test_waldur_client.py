"""The official waldur-api-client 8.1.3 against the app served over real HTTP."""

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from waldur_api_client import errors
from waldur_api_client.api.backend_resources import (
    backend_resources_count,
    backend_resources_create,
    backend_resources_destroy,
    backend_resources_import_resource,
    backend_resources_list,
    backend_resources_retrieve,
)
from waldur_api_client.api.marketplace_public_offerings import (
    marketplace_public_offerings_plans_retrieve,
    marketplace_public_offerings_retrieve,
)
from waldur_api_client.api.projects import projects_list, projects_retrieve
from waldur_api_client.models.backend_resource import BackendResource as ClientBackendResource
from waldur_api_client.models.backend_resource_import_request import BackendResourceImportRequest
from waldur_api_client.models.backend_resource_req_o_enum import BackendResourceReqOEnum
from waldur_api_client.models.backend_resource_request import BackendResourceRequest
from waldur_api_client.models.backend_resource_request_backend_metadata import (
    BackendResourceRequestBackendMetadata,
)
from waldur_api_client.models.resource_state import ResourceState

from console.extensions import db
from console.models import BackendResource, MarketplaceResource, Order

T0 = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
def ids(actors):
    """Plain values of the actors' world, read once so threads do not share ORM objects."""
    return {
        "offering": actors.offering.uuid,
        "project": actors.project.uuid,
        "plan": actors.plan.uuid,
        "project_slug": actors.project.slug,
    }


@pytest.fixture
def three(actors, factory):
    """Three reports one day apart, with names in reverse creation order."""
    other_project = factory.project(name="Other")
    made = {}
    for n, name in enumerate(["zulu", "yankee", "xray"]):
        moment = T0 + timedelta(days=n)
        made[name] = factory.backend_resource(
            actors.offering, other_project if name == "yankee" else actors.project,
            name=name, backend_id=f"id-{name}", created=moment, modified=moment,
        )
    return {name: report.uuid for name, report in made.items()} | {
        "other_project": other_project.uuid
    }


def names(items):
    assert all(isinstance(item, ClientBackendResource) for item in items)
    return [item.name for item in items]


def test_list_with_every_filter(official, ids, three):
    client = official("agent")
    assert names(backend_resources_list.sync(client=client)) == ["xray", "yankee", "zulu"]
    cases = [
        ({"name": "ANKE"}, ["yankee"]),
        ({"name_exact": "xray"}, ["xray"]),
        ({"backend_id": "id-zulu"}, ["zulu"]),
        ({"offering_uuid": ids["offering"]}, ["xray", "yankee", "zulu"]),
        ({"offering_uuid": uuid.uuid4()}, []),
        ({"project_uuid": three["other_project"]}, ["yankee"]),
        ({"created": T0 + timedelta(days=1)}, ["xray", "yankee"]),
        ({"created_before": T0 + timedelta(days=1)}, ["yankee", "zulu"]),
        ({"modified": T0 + timedelta(hours=36)}, ["xray"]),
        ({"modified_before": T0 + timedelta(hours=12)}, ["zulu"]),
        ({"created": T0, "created_before": T0 + timedelta(days=2), "name": "a"},
         ["xray", "yankee"]),
        # A non-UTC offset in the query is understood.
        ({"created": (T0 + timedelta(days=1)).astimezone(timezone(timedelta(hours=5)))},
         ["xray", "yankee"]),
        ({"o": [BackendResourceReqOEnum.CREATED]}, ["zulu", "yankee", "xray"]),
        ({"o": [BackendResourceReqOEnum.VALUE_0]}, ["xray", "yankee", "zulu"]),
        ({"o": [BackendResourceReqOEnum.VALUE_0, BackendResourceReqOEnum.CREATED]},
         ["zulu", "yankee", "xray"]),
        ({"page": 2, "page_size": 2}, ["zulu"]),
    ]
    for filters, expected in cases:
        assert names(backend_resources_list.sync(client=client, **filters)) == expected, filters
    parsed = backend_resources_list.sync(client=client, name_exact="xray")[0]
    assert parsed.uuid == three["xray"] and parsed.offering == ids["offering"]
    assert parsed.created == T0 + timedelta(days=2)
    assert set(parsed.backend_metadata.additional_properties) == {"limits"}


def test_sync_all_follows_link_next_across_pages(official, actors, factory, ids):
    project = actors.project
    for n in range(230):
        factory.backend_resource(
            actors.offering, project, name=f"r{n:03d}", created=T0 + timedelta(minutes=n)
        )
    client = official("agent")
    everything = backend_resources_list.sync_all(client=client)
    assert len(everything) == 230
    assert [item.name for item in everything] == [f"r{n:03d}" for n in range(229, -1, -1)]
    filtered = backend_resources_list.sync_all(
        client=client, name="r1", o=[BackendResourceReqOEnum.CREATED],
        offering_uuid=ids["offering"],
    )
    assert [item.name for item in filtered] == [f"r{n:03d}" for n in range(100, 200)]
    assert backend_resources_count.sync(client=client) == 230
    assert backend_resources_count.sync(client=client, name="r22") == 10
    assert backend_resources_count.sync(client=official("outsider")) == 0


def test_create_retrieve_destroy(official, ids):
    client = official("agent")
    body = BackendResourceRequest(
        name="alloc-9", project=ids["project"], offering=ids["offering"], backend_id="alloc_9",
        backend_metadata=BackendResourceRequestBackendMetadata.from_dict({"limits": {"cpu": 8}}),
    )
    created = backend_resources_create.sync(client=client, body=body)
    assert created.name == "alloc-9" and created.backend_id == "alloc_9"
    assert created.backend_metadata.additional_properties == {"limits": {"cpu": 8}}
    assert isinstance(created.uuid, uuid.UUID)
    # The client formats a UUID object with hyphens in the path.
    fetched = backend_resources_retrieve.sync(uuid=created.uuid, client=client)
    assert fetched.uuid == created.uuid and fetched.project == ids["project"]
    assert fetched.url.endswith(f"/api/backend-resources/{created.uuid.hex}/")
    assert backend_resources_count.sync(client=client, backend_id="alloc_9") == 1
    deleted = backend_resources_destroy.sync_detailed(uuid=created.uuid, client=client)
    assert deleted.status_code == 204
    with pytest.raises(errors.UnexpectedStatus) as raised:
        backend_resources_retrieve.sync(uuid=created.uuid, client=client)
    assert raised.value.status_code == 404


def test_agent_flow_resolves_project_slug_then_reports(official, ids):
    """What waldur-site-agent does: project by slug, check for duplicates, create."""
    client = official("agent")
    projects = projects_list.sync(client=client, slug=ids["project_slug"])
    assert [project.uuid for project in projects] == [ids["project"]]
    project = projects_retrieve.sync(uuid=ids["project"], client=client)
    assert project.name == "Climate modelling"
    existing = backend_resources_list.sync_all(
        client=client, backend_id="job-1", project_uuid=projects[0].uuid,
        offering_uuid=ids["offering"],
    )
    assert existing == []
    backend_resources_create.sync(
        client=client,
        body=BackendResourceRequest(
            name="job-1", project=projects[0].uuid, offering=ids["offering"], backend_id="job-1",
            backend_metadata=BackendResourceRequestBackendMetadata.from_dict({"limits": {}}),
        ),
    )
    assert len(backend_resources_list.sync_all(
        client=client, backend_id="job-1", project_uuid=projects[0].uuid,
        offering_uuid=ids["offering"],
    )) == 1
    offering = marketplace_public_offerings_retrieve.sync(uuid=ids["offering"], client=client)
    assert offering.uuid == ids["offering"] and offering.plans[0].uuid == ids["plan"]
    plan = marketplace_public_offerings_plans_retrieve.sync(
        uuid=ids["offering"], plan_uuid=ids["plan"], client=client
    )
    assert plan.name == "Standard"


def test_import_with_and_without_plan(official, actors, factory, ids):
    shared = factory.backend_resource(actors.offering, actors.project, backend_id="with-plan")
    private = factory.backend_resource(
        factory.offering(shared=False), actors.project, backend_id="no-plan",
        backend_metadata={"limits": {"gpu": 2}},
    )
    shared_uuid, private_uuid = shared.uuid, private.uuid
    client = official("staff")
    with_plan = backend_resources_import_resource.sync(
        uuid=shared_uuid, client=client, body=BackendResourceImportRequest(plan=ids["plan"])
    )
    assert with_plan.state == ResourceState.OK
    assert with_plan.plan_uuid == ids["plan"] and with_plan.backend_id == "with-plan"
    assert with_plan.creation_order.state.value == "done"
    without_plan = backend_resources_import_resource.sync(
        uuid=private_uuid, client=client, body=BackendResourceImportRequest()
    )
    assert without_plan.plan is None and without_plan.backend_id == "no-plan"
    assert without_plan.limits.additional_properties == {"gpu": 2}
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(BackendResource)) == 0
    assert db.session.scalar(select(func.count()).select_from(MarketplaceResource)) == 2
    assert db.session.scalar(select(func.count()).select_from(Order)) == 2


def status_of(call) -> int:
    with pytest.raises(errors.UnexpectedStatus) as raised:
        call()
    return raised.value.status_code


def test_error_statuses_raise_unexpected_status(official, actors, factory, ids):
    report_uuid = factory.backend_resource(actors.offering, actors.project).uuid
    good = BackendResourceRequest(name="n", project=ids["project"], offering=ids["offering"])
    bad_token = official(token="not-a-real-token")
    support = official("support")
    staff = official("staff")
    assert status_of(lambda: backend_resources_list.sync(client=bad_token)) == 401
    assert status_of(lambda: backend_resources_count.sync(client=bad_token)) == 401
    assert status_of(lambda: backend_resources_create.sync(client=support, body=good)) == 403
    assert status_of(lambda: backend_resources_import_resource.sync(
        uuid=report_uuid, client=support, body=BackendResourceImportRequest(plan=ids["plan"])
    )) == 403
    assert status_of(lambda: backend_resources_retrieve.sync(
        uuid=uuid.uuid4(), client=staff)) == 404
    assert status_of(lambda: backend_resources_destroy.sync_detailed(
        uuid=uuid.uuid4(), client=staff)) == 404
    assert status_of(lambda: backend_resources_import_resource.sync(
        uuid=uuid.uuid4(), client=staff, body=BackendResourceImportRequest(plan=ids["plan"])
    )) == 404
    unknown_project = BackendResourceRequest(
        name="n", project=uuid.uuid4(), offering=ids["offering"]
    )
    assert status_of(lambda: backend_resources_create.sync(
        client=staff, body=unknown_project)) == 400
    blank = BackendResourceRequest(name=" ", project=ids["project"], offering=ids["offering"])
    assert status_of(lambda: backend_resources_create.sync(client=staff, body=blank)) == 400
    assert status_of(lambda: backend_resources_list.sync(client=staff, page=99)) == 404
    # Support reads everything.
    assert backend_resources_retrieve.sync(uuid=report_uuid, client=support).uuid == report_uuid
