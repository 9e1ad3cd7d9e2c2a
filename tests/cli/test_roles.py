"""`flask roles grant`: offering managers and customer owners, idempotent, clear refusals."""

import pytest
from sqlalchemy import select

from console.extensions import db
from console.models import ROLE_CUSTOMER_OWNER, ROLE_OFFERING_MANAGER, RoleGrant
from tests.cli.conftest import count


def grants() -> list[RoleGrant]:
    """Return every stored grant, fresh from the database."""
    db.session.expire_all()
    return list(db.session.scalars(select(RoleGrant).order_by(RoleGrant.id)))


@pytest.mark.parametrize("spelling", ["hex", "hyphenated"])
def test_grants_offering_manager(runner, factory, spelling):
    user = factory.user("agent")
    offering = factory.offering(name="HPC")
    value = offering.uuid.hex if spelling == "hex" else str(offering.uuid)
    result = runner.invoke(args=["roles", "grant", "agent", "--offering", value])
    assert result.exit_code == 0, result.output
    assert f'Granted OFFERING.MANAGER on offering "HPC" ({offering.uuid.hex})' in result.stdout
    [grant] = grants()
    assert (grant.user_id, grant.role, grant.offering_id, grant.customer_id, grant.is_active) == (
        user.id, ROLE_OFFERING_MANAGER, offering.id, None, True
    )


def test_grants_customer_owner(runner, factory):
    user = factory.user("owner")
    customer = factory.customer(name="Provider")
    result = runner.invoke(args=["roles", "grant", "owner", "--customer", str(customer.uuid)])
    assert result.exit_code == 0, result.output
    [grant] = grants()
    assert (grant.user_id, grant.role, grant.customer_id, grant.offering_id) == (
        user.id, ROLE_CUSTOMER_OWNER, customer.id, None
    )


def test_granting_twice_keeps_one_grant(runner, factory):
    factory.user("agent")
    offering = factory.offering()
    for _ in range(2):
        result = runner.invoke(args=["roles", "grant", "agent", "--offering", offering.uuid.hex])
        assert result.exit_code == 0
    assert "already holds" in result.stdout
    assert len(grants()) == 1


def test_granting_reactivates_an_inactive_grant(runner, factory):
    user = factory.user("agent")
    customer = factory.customer()
    grant = factory.grant(user, customer=customer)
    grant.is_active = False
    db.session.commit()
    result = runner.invoke(args=["roles", "grant", "agent", "--customer", customer.uuid.hex])
    assert result.exit_code == 0
    assert "Re-activated" in result.stdout
    [stored] = grants()
    assert stored.id == grant.id and stored.is_active


@pytest.mark.parametrize("options", [[], ["--offering", "x", "--customer", "y"]])
def test_exactly_one_target_is_required(runner, factory, options):
    factory.user("agent")
    result = runner.invoke(args=["roles", "grant", "agent", *options])
    assert result.exit_code == 2
    assert "exactly one of --offering UUID or --customer UUID" in result.stderr
    assert count(RoleGrant) == 0


def test_unknown_user_is_refused(runner, factory):
    offering = factory.offering()
    result = runner.invoke(args=["roles", "grant", "ghost", "--offering", offering.uuid.hex])
    assert result.exit_code == 1
    assert "User 'ghost' does not exist." in result.stderr
    assert count(RoleGrant) == 0


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--offering", "0" * 32, f"Offering {'0' * 32} does not exist."),
        ("--customer", "1" * 32, f"Customer {'1' * 32} does not exist."),
        ("--offering", "not-a-uuid", "'not-a-uuid' is not a valid uuid."),
    ],
)
def test_unknown_or_malformed_target_is_refused(runner, factory, option, value, message):
    factory.user("agent")
    factory.offering()
    result = runner.invoke(args=["roles", "grant", "agent", option, value])
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert count(RoleGrant) == 0
