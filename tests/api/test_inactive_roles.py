"""A deactivated role grant gives nothing: not the provider's rows, not even the project list."""

import pytest

from console.extensions import db
from console.services.imports import import_backend_resource


@pytest.fixture
def owner(actors, factory):
    """A CUSTOMER.OWNER of the provider of the actors' offering, with a token."""
    user = factory.user("owner")
    grant = factory.grant(user, customer=actors.offering.customer)
    actors.tokens["owner"] = factory.token(user)
    return grant


@pytest.fixture
def provider_rows(actors, factory):
    """A report and an imported resource (with its order) in the actors' offering."""
    factory.backend_resource(actors.offering, actors.project, name="waiting", backend_id="w")
    report = factory.backend_resource(actors.offering, actors.project, name="done", backend_id="d")
    import_backend_resource(
        db.session, backend_resource_uuid=report.uuid, plan_value=actors.plan.uuid.hex,
        user=actors.staff,
    )


LISTS = ("/api/backend-resources/", "/api/marketplace-resources/", "/api/marketplace-orders/")


def listed_counts(api) -> list[int]:
    return [len(api.get(path, "owner").get_json()) for path in LISTS]


def test_an_active_owner_sees_the_providers_reports_resources_and_orders(
    api, owner, provider_rows
):
    assert listed_counts(api) == [1, 1, 1]


def test_a_deactivated_owner_sees_none_of_them(api, owner, provider_rows):
    owner.is_active = False
    db.session.commit()
    assert listed_counts(api) == [0, 0, 0]


def test_only_active_grants_let_a_user_list_projects(api, actors, factory):
    user = factory.user("former-manager")
    grant = factory.grant(user, offering=actors.offering)
    actors.tokens["former"] = factory.token(user)
    assert len(api.get("/api/projects/", "former").get_json()) == 1
    grant.is_active = False
    db.session.commit()
    assert api.get("/api/projects/", "former").get_json() == []
    assert api.get(f"/api/projects/{actors.project.uuid}/", "former").status_code == 404
