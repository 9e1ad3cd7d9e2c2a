"""`/api/backend-resource-requests/`: the scan request object, to Waldur's wire contract."""

from datetime import UTC, datetime, timedelta

import pytest
from waldur_api_client import errors
from waldur_api_client.api.backend_resource_requests import (
    backend_resource_requests_count,
    backend_resource_requests_create,
    backend_resource_requests_list,
    backend_resource_requests_retrieve,
    backend_resource_requests_set_done,
    backend_resource_requests_set_erred,
    backend_resource_requests_start_processing,
)
from waldur_api_client.models.backend_resource_req_request import BackendResourceReqRequest
from waldur_api_client.models.backend_resource_req_state_enum import BackendResourceReqStateEnum
from waldur_api_client.models.backend_resource_request_set_erred_request import (
    BackendResourceRequestSetErredRequest,
)

from console.extensions import db
from console.models import BackendResourceRequest

KEYS = [
    "url", "uuid", "created", "modified", "started", "finished", "state", "offering",
    "offering_name", "offering_url", "error_message", "error_traceback",
]
LIST = "/api/backend-resource-requests/"


def create(api, offering_uuid, who="staff"):
    """POST a scan request for an offering."""
    return api.post(LIST, who, json={"offering": offering_uuid.hex})


def detail(uuid_hex: str, action: str = "") -> str:
    """Path of a request, or of one of its actions."""
    return f"{LIST}{uuid_hex}/" + (f"{action}/" if action else "")


def test_staff_create_answers_201_sent_with_all_twelve_keys(api, actors):
    response = create(api, actors.offering.uuid)
    assert response.status_code == 201
    body = response.get_json()
    assert list(body) == KEYS
    assert body["state"] == "Sent"
    assert body["started"] is None and body["finished"] is None
    assert body["offering"] == actors.offering.uuid.hex
    assert body["offering_name"] == "HPC SLURM"
    assert body["offering_url"].endswith(f"/api/marketplace-public-offerings/{body['offering']}/")
    assert body["error_message"] == "" and body["error_traceback"] == ""
    assert response.headers["Location"] == body["url"]
    assert api.get(body["url"]).get_json() == body


@pytest.mark.parametrize("who", ["agent", "support", "outsider"])
def test_only_staff_create(api, actors, who):
    response = create(api, actors.offering.uuid, who)
    assert response.status_code == 403
    assert response.get_json() == {"detail": "You do not have permission to perform this action."}
    assert db.session.scalar(db.select(db.func.count()).select_from(BackendResourceRequest)) == 0


@pytest.mark.parametrize(
    ("body", "errors_expected"),
    [
        ({}, {"offering": ["This field is required."]}),
        ({"offering": None}, {"offering": ["This field may not be null."]}),
        ({"offering": "0" * 32}, {"offering": [f"Object with uuid={'0' * 32} does not exist."]}),
        ([], {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
    ],
)
def test_create_refuses_bad_bodies_with_field_errors(api, body, errors_expected):
    response = api.post(LIST, json=body)
    assert response.status_code == 400
    assert response.get_json() == errors_expected


def test_without_a_broker_the_request_is_recorded_as_not_sent(api, actors):
    body = create(api, actors.offering.uuid).get_json()
    scan = db.session.scalar(db.select(BackendResourceRequest))
    assert scan.uuid.hex == body["uuid"]
    assert scan.delivery == "not_configured"
    assert scan.created_by.username == "staff"


def test_the_agent_walks_sent_processing_done(api, actors):
    uuid_hex = create(api, actors.offering.uuid).get_json()["uuid"]
    response = api.post(detail(uuid_hex, "start_processing"), "agent")
    assert response.status_code == 200
    assert response.get_json() == {"status": "Request state set to processing."}
    started = api.get(detail(uuid_hex), "agent").get_json()
    assert started["state"] == "Processing" and started["started"] is not None
    assert started["finished"] is None
    response = api.post(detail(uuid_hex, "set_done"), "agent")
    assert response.get_json() == {"status": "Request state set to done."}
    done = api.get(detail(uuid_hex), "agent").get_json()
    assert done["state"] == "Done" and done["finished"] >= done["started"]


def test_wrong_state_answers_409_with_the_valid_state(api, actors):
    uuid_hex = create(api, actors.offering.uuid).get_json()["uuid"]
    response = api.post(detail(uuid_hex, "set_done"), "agent")
    assert response.status_code == 409
    assert response.get_json() == {"detail": "Valid states for operation: Processing."}
    api.post(detail(uuid_hex, "start_processing"), "agent")
    response = api.post(detail(uuid_hex, "start_processing"), "agent")
    assert response.status_code == 409
    assert response.get_json() == {"detail": "Valid states for operation: Sent."}
    assert api.get(detail(uuid_hex)).get_json()["state"] == "Processing"


def test_set_erred_from_any_state_even_done_keeps_the_agents_words(api, actors):
    uuid_hex = create(api, actors.offering.uuid).get_json()["uuid"]
    api.post(detail(uuid_hex, "start_processing"), "agent")
    api.post(detail(uuid_hex, "set_done"), "agent")
    response = api.post(
        detail(uuid_hex, "set_erred"), "agent",
        json={"error_message": "sacctmgr failed", "error_traceback": "Traceback ...\nboom"},
    )
    assert response.get_json() == {"status": "Request state set to erred."}
    body = api.get(detail(uuid_hex)).get_json()
    assert body["state"] == "Erred"
    assert body["error_message"] == "sacctmgr failed"
    assert body["error_traceback"] == "Traceback ...\nboom"


def test_set_erred_with_an_empty_body_defaults_to_blank_texts(api, actors):
    uuid_hex = create(api, actors.offering.uuid).get_json()["uuid"]
    assert api.post(detail(uuid_hex, "set_erred"), "agent").status_code == 200
    body = api.get(detail(uuid_hex)).get_json()
    assert (body["state"], body["error_message"]) == ("Erred", "")
    assert body["finished"] is not None and body["started"] is None


@pytest.mark.parametrize("action", ["start_processing", "set_done", "set_erred"])
def test_support_sees_but_may_not_act(api, actors, action):
    uuid_hex = create(api, actors.offering.uuid).get_json()["uuid"]
    assert api.get(detail(uuid_hex), "support").status_code == 200
    response = api.post(detail(uuid_hex, action), "support")
    assert response.status_code == 403
    assert api.get(detail(uuid_hex)).get_json()["state"] == "Sent"


def test_another_offerings_agent_neither_sees_nor_acts(api, actors, factory):
    other = factory.offering(name="Other")
    uuid_hex = create(api, other.uuid).get_json()["uuid"]
    assert api.get(detail(uuid_hex), "agent").status_code == 404
    assert api.post(detail(uuid_hex, "start_processing"), "agent").status_code == 404
    assert api.get(LIST, "agent").get_json() == []
    assert api.get(LIST, "outsider").get_json() == []
    assert [item["uuid"] for item in api.get(LIST, "support").get_json()] == [uuid_hex]


def test_a_customer_owner_of_the_provider_may_act(api, actors, factory):
    owner = factory.user("owner")
    factory.grant(owner, customer=actors.offering.customer)
    token = factory.token(owner)
    uuid_hex = create(api, actors.offering.uuid).get_json()["uuid"]
    response = api.post(detail(uuid_hex, "start_processing"), None,
                        headers={"Authorization": f"Token {token}"})
    assert response.status_code == 200


def test_an_inactive_managers_grant_gives_nothing(api, actors):
    grant = actors.agent.role_grants[0]
    grant.is_active = False
    db.session.commit()
    uuid_hex = create(api, actors.offering.uuid).get_json()["uuid"]
    assert api.post(detail(uuid_hex, "start_processing"), "agent").status_code == 404


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_put_patch_delete_are_not_allowed(api, actors, method):
    uuid_hex = create(api, actors.offering.uuid).get_json()["uuid"]
    response = api.request(method, detail(uuid_hex), json={"offering": actors.offering.uuid.hex})
    assert response.status_code == 405
    assert response.get_json() == {"detail": f'Method "{method}" not allowed.'}
    assert api.request(method, detail(uuid_hex), None).status_code == 401


def test_unknown_and_malformed_uuids_are_404(api):
    for path in (detail("0" * 32), detail("nope"), detail("0" * 32, "set_done")):
        response = api.post(path) if path.endswith("set_done/") else api.get(path)
        assert response.status_code == 404
        assert response.get_json() == {
            "detail": "No BackendResourceRequest matches the given query."
        }


def make_scans(factory, offering, count, **values):
    """Insert scan requests directly, with given states and times."""
    scans = []
    for n in range(count):
        scan = BackendResourceRequest(offering=offering, **values)
        if "created" not in values:
            scan.created = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=n)
        scans.append(factory._save(scan))
    return scans


def test_filters_state_repeatable_offering_and_dates(api, actors, factory):
    other = factory.offering(name="Other")
    sent = make_scans(factory, actors.offering, 2)
    done = make_scans(factory, other, 1, state="Done",
                      started=datetime(2025, 2, 1, tzinfo=UTC),
                      finished=datetime(2025, 2, 2, tzinfo=UTC),
                      created=datetime(2025, 2, 1, tzinfo=UTC))
    erred = make_scans(factory, actors.offering, 1, state="Erred",
                       created=datetime(2025, 3, 1, tzinfo=UTC),
                       finished=datetime(2025, 3, 1, tzinfo=UTC))

    def uuids(query):
        response = api.get(LIST + query)
        assert response.status_code == 200, response.get_json()
        return {item["uuid"] for item in response.get_json()}

    assert uuids("?state=Done&state=Erred") == {done[0].uuid.hex, erred[0].uuid.hex}
    assert uuids("?state=Sent") == {scan.uuid.hex for scan in sent}
    assert uuids(f"?offering_uuid={other.uuid}") == {done[0].uuid.hex}
    assert uuids("?started=2025-01-15") == {done[0].uuid.hex}
    assert uuids("?finished=2025-02-15") == {erred[0].uuid.hex}
    assert uuids("?created=2025-02-01") == {done[0].uuid.hex, erred[0].uuid.hex}
    assert uuids("?created_before=2025-01-01") == {scan.uuid.hex for scan in sent}
    assert len(uuids("?modified=2000-01-01")) == 4
    assert uuids("?modified_before=2000-01-01") == set()


def test_ordering_paging_headers_and_head_count(api, actors, factory):
    scans = make_scans(factory, actors.offering, 12)
    newest_first = api.get(LIST)
    assert [item["uuid"] for item in newest_first.get_json()] == [
        scan.uuid.hex for scan in reversed(scans)][:10]
    assert newest_first.headers["X-Result-Count"] == "12"
    assert 'rel="next"' in newest_first.headers["Link"]
    oldest_first = api.get(LIST + "?o=created&page=2")
    assert [item["uuid"] for item in oldest_first.get_json()] == [
        scan.uuid.hex for scan in scans[10:]]
    head = api.head(LIST + "?state=Sent")
    assert head.status_code == 200 and head.headers["X-Result-Count"] == "12"
    assert head.data == b""


@pytest.mark.parametrize(
    ("query", "field"),
    [("?state=Waiting", "state"), ("?o=name", "o"), ("?offering_uuid=x", "offering_uuid"),
     ("?started=yesterday", "started")],
)
def test_bad_filter_values_are_400_naming_the_field(api, query, field):
    response = api.get(LIST + query)
    assert response.status_code == 400
    assert list(response.get_json()) == [field]


def test_the_official_client_drives_the_whole_contract(official, actors):
    offering_uuid = actors.offering.uuid
    staff, agent = official("staff"), official("agent")
    created = backend_resource_requests_create.sync(
        client=staff, body=BackendResourceReqRequest(offering=offering_uuid)
    )
    assert created.state == BackendResourceReqStateEnum.SENT
    assert created.offering == offering_uuid
    fetched = backend_resource_requests_retrieve.sync(uuid=created.uuid.hex, client=agent)
    assert fetched.uuid == created.uuid
    backend_resource_requests_start_processing.sync(uuid=created.uuid.hex, client=agent)
    backend_resource_requests_set_done.sync(uuid=created.uuid.hex, client=agent)
    listed = backend_resource_requests_list.sync_all(
        client=agent, offering_uuid=offering_uuid, state=[BackendResourceReqStateEnum.DONE]
    )
    assert [item.uuid for item in listed] == [created.uuid]
    assert isinstance(listed[0].finished, datetime)
    assert backend_resource_requests_count.sync(client=staff) == 1
    backend_resource_requests_set_erred.sync(
        uuid=created.uuid.hex, client=agent,
        body=BackendResourceRequestSetErredRequest(error_message="late", error_traceback="tb"),
    )
    assert backend_resource_requests_retrieve.sync(
        uuid=created.uuid.hex, client=staff
    ).state == BackendResourceReqStateEnum.ERRED
    with pytest.raises(errors.UnexpectedStatus) as refused:
        backend_resource_requests_create.sync(
            client=agent, body=BackendResourceReqRequest(offering=offering_uuid)
        )
    assert refused.value.status_code == 403
