"""`/api/users/me/`, `/api/users/{uuid}/` and `/api/version/`: what the agent reads at start-up."""

from importlib import metadata

from waldur_api_client.api.users import users_me_retrieve, users_retrieve
from waldur_api_client.api.version import version_retrieve
from waldur_api_client.models.user import User as ClientUser
from waldur_api_client.models.user_me import UserMe
from waldur_api_client.models.user_me_field_enum import UserMeFieldEnum

from console.extensions import db
from tests.api.official_client import status_of


def test_me_is_the_caller_with_its_roles(api, actors, factory):
    provider = actors.offering.customer
    factory.grant(actors.agent, customer=provider)
    revoked = factory.grant(actors.agent, customer=factory.customer(name="Gone"))
    revoked.is_active = False
    db.session.commit()
    response = api.get("/api/users/me/", "agent")
    assert response.status_code == 200
    body = response.get_json()
    agent = actors.agent.uuid.hex
    assert body["url"] == f"http://localhost/api/users/{agent}/"
    assert (body["uuid"], body["username"]) == (agent, "agent")
    assert (body["is_staff"], body["is_support"], body["is_active"]) == (False, False, True)
    assert body["date_joined"].endswith("Z")
    assert body["permissions"] == [
        {
            "role_name": "OFFERING.MANAGER", "scope_type": "offering",
            "scope_uuid": actors.offering.uuid.hex, "scope_name": "HPC SLURM",
            "customer_uuid": provider.uuid.hex, "customer_name": provider.name,
            "expiration_time": None,
        },
        {
            "role_name": "CUSTOMER.OWNER", "scope_type": "customer",
            "scope_uuid": provider.uuid.hex, "scope_name": provider.name,
            "customer_uuid": provider.uuid.hex, "customer_name": provider.name,
            "expiration_time": None,
        },
    ]
    parsed = UserMe.from_dict(body)
    assert parsed.uuid == actors.agent.uuid
    assert [permission.scope_uuid for permission in parsed.permissions] == [
        actors.offering.uuid, provider.uuid
    ]
    staff = api.get("/api/users/me/").get_json()
    assert (staff["username"], staff["is_staff"], staff["permissions"]) == ("staff", True, [])


def test_me_honours_field(api):
    body = api.get("/api/users/me/?field=username&field=is_staff&field=nonsense", "agent")
    assert body.get_json() == {"username": "agent", "is_staff": False}
    # Only unknown names: the whole body, as upstream.
    assert "uuid" in api.get("/api/users/me/?field=nonsense", "agent").get_json()


def test_user_url_resolves_for_the_user_staff_and_support_only(api, actors):
    agent_path = f"/api/users/{actors.agent.uuid}/"
    for who in ("agent", "staff", "support"):
        response = api.get(agent_path, who)
        assert response.status_code == 200, who
        assert response.get_json()["username"] == "agent"
        ClientUser.from_dict(response.get_json())
    hidden = api.get(agent_path, "outsider")
    assert hidden.status_code == 404
    assert hidden.get_json() == {"detail": "No User matches the given query."}
    assert api.get(f"/api/users/{actors.staff.uuid.hex}/", "agent").status_code == 404
    assert api.get("/api/users/not-a-uuid/").status_code == 404
    assert api.get(f"/api/users/{'0' * 32}/").status_code == 404
    me_url = api.get("/api/users/me/", "outsider").get_json()["url"]
    assert api.get(me_url.removeprefix("http://localhost"), "outsider").status_code == 200


def test_version_for_any_authenticated_caller(api, client):
    for who in ("staff", "outsider"):
        response = api.get("/api/version/", who)
        assert response.status_code == 200
        assert response.get_json() == {"version": metadata.version("backend-resource-console")}
    assert client.get("/api/version/").status_code == 401


def test_read_only(api, actors):
    for path in ("/api/users/me/", f"/api/users/{actors.agent.uuid.hex}/", "/api/version/"):
        response = api.post(path, "staff", json={})
        assert response.status_code == 405, path
        assert response.get_json() == {"detail": 'Method "POST" not allowed.'}
    assert api.request("PATCH", "/api/users/me/", None).status_code == 401


def test_through_the_official_client(official, actors):
    agent = official("agent")
    me = users_me_retrieve.sync(client=agent)
    assert (me.uuid, me.username, me.is_staff) == (actors.agent.uuid, "agent", False)
    assert me.permissions[0].role_name == "OFFERING.MANAGER"
    narrow = users_me_retrieve.sync(client=agent, field=[UserMeFieldEnum.USERNAME])
    assert narrow.username == "agent" and not narrow.uuid
    assert users_retrieve.sync(uuid=actors.agent.uuid, client=official("support")).username == (
        "agent"
    )
    assert status_of(lambda: users_retrieve.sync(uuid=actors.staff.uuid, client=agent)) == 404
    assert version_retrieve.sync(client=agent).version == metadata.version(
        "backend-resource-console"
    )
    assert status_of(lambda: users_me_retrieve.sync(client=official(token="bad"))) == 401
