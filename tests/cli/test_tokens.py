"""`flask tokens create`: the key alone on stdout, stored only as its hash."""

from sqlalchemy import select

from console.extensions import db
from console.models import ApiToken, hash_token_key
from tests.cli.conftest import count


def test_prints_only_the_key_and_stores_its_hash(runner, factory):
    user = factory.user("agent")
    result = runner.invoke(args=["tokens", "create", "agent"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and result.stdout == lines[0] + "\n"
    key = lines[0]
    token = db.session.scalar(select(ApiToken).where(ApiToken.key_hash == hash_token_key(key)))
    assert token is not None and token.user_id == user.id
    assert token.key_hash != key  # only the hash is stored


def test_each_call_issues_a_new_key(runner, factory):
    factory.user("agent")
    keys = {runner.invoke(args=["tokens", "create", "agent"]).stdout.strip() for _ in range(2)}
    assert len(keys) == 2
    assert count(ApiToken) == 2


def test_unknown_user_is_an_error_on_stderr(runner, ctx):
    result = runner.invoke(args=["tokens", "create", "nobody"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "User 'nobody' does not exist." in result.stderr
    assert count(ApiToken) == 0


def test_inactive_user_gets_a_warning_on_stderr_only(runner, factory):
    factory.user("retired", is_active=False)
    result = runner.invoke(args=["tokens", "create", "retired"])
    assert result.exit_code == 0
    assert len(result.stdout.split()) == 1
    assert "inactive" in result.stderr


def test_issued_key_authenticates_on_the_api(runner, factory, client):
    factory.user("agent")
    key = runner.invoke(args=["tokens", "create", "agent"]).stdout.strip()
    accepted = client.get("/api/backend-resources/", headers={"Authorization": f"Token {key}"})
    refused = client.get("/api/backend-resources/", headers={"Authorization": "Token wrong"})
    assert (accepted.status_code, refused.status_code) == (200, 401)
