"""`flask tokens create|list|revoke`: the key alone on stdout, stored only as its hash."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from console.extensions import db
from console.models import ApiToken, hash_token_key, utcnow
from tests.cli.conftest import count, succeed


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
    keys = {succeed(runner, "tokens", "create", "agent").stdout.strip() for _ in range(2)}
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
    key = succeed(runner, "tokens", "create", "agent").stdout.strip()
    accepted = client.get("/api/backend-resources/", headers={"Authorization": f"Token {key}"})
    refused = client.get("/api/backend-resources/", headers={"Authorization": "Token wrong"})
    assert (accepted.status_code, refused.status_code) == (200, 401)


def test_list_shows_each_token_by_its_prefix_and_expiry(runner, factory, app):
    factory.user("agent")
    first = succeed(runner, "tokens", "create", "agent").stdout.strip()
    app.config["CONSOLE_TOKEN_LIFETIME_DAYS"] = 30
    second = succeed(runner, "tokens", "create", "agent").stdout.strip()
    result = runner.invoke(args=["tokens", "list", "agent"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{first[:8]}…  issued ") and lines[0].endswith("never expires")
    assert lines[1].startswith(f"{second[:8]}…  issued ") and " expires " in lines[1]
    assert first not in result.stdout and second not in result.stdout


def test_list_of_a_user_without_tokens_says_so(runner, factory):
    factory.user("agent")
    result = runner.invoke(args=["tokens", "list", "agent"])
    assert (result.exit_code, result.stdout) == (0, "'agent' has no API tokens.\n")


def test_revoke_by_prefix_stops_the_token_at_once(runner, factory, client):
    factory.user("agent")
    key = succeed(runner, "tokens", "create", "agent").stdout.strip()
    kept = succeed(runner, "tokens", "create", "agent").stdout.strip()
    result = runner.invoke(args=["tokens", "revoke", key[:8]])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Revoked token {key[:8]}… of 'agent'.\n"
    refused = client.get("/api/backend-resources/", headers={"Authorization": f"Token {key}"})
    assert refused.status_code == 401
    accepted = client.get("/api/backend-resources/", headers={"Authorization": f"Token {kept}"})
    assert accepted.status_code == 200
    assert count(ApiToken) == 1


def test_revoke_accepts_the_whole_key(runner, factory):
    factory.user("agent")
    key = succeed(runner, "tokens", "create", "agent").stdout.strip()
    assert runner.invoke(args=["tokens", "revoke", key]).exit_code == 0
    assert count(ApiToken) == 0


@pytest.mark.parametrize(
    ("argument", "message"),
    [("abc", "Give at least 6 characters of the token's key."),
     ("ffffffff", "No token's key starts with 'ffffffff'.")],
)
def test_revoke_refuses_short_and_unknown_prefixes(runner, factory, argument, message):
    factory.user("agent")
    key = succeed(runner, "tokens", "create", "agent").stdout.strip()
    if key.startswith(argument):
        pytest.skip("the random key happens to start with the probe")
    result = runner.invoke(args=["tokens", "revoke", argument])
    assert result.exit_code == 1
    assert message in result.stderr
    assert count(ApiToken) == 1


def test_revoke_refuses_a_prefix_naming_two_tokens(runner, factory):
    user = factory.user("agent")
    for key in ("abcdef0011", "abcdef0022"):
        factory._save(ApiToken(user=user, key_hash=hash_token_key(key), key_prefix=key[:8]))
    result = runner.invoke(args=["tokens", "revoke", "abcdef"])
    assert result.exit_code == 1
    assert "2 tokens' keys start with 'abcdef': give more characters." in result.stderr
    assert count(ApiToken) == 2


def test_tokens_issued_with_a_lifetime_expire_on_the_api(runner, factory, client, app):
    app.config["CONSOLE_TOKEN_LIFETIME_DAYS"] = 1
    user = factory.user("agent")
    key = succeed(runner, "tokens", "create", "agent").stdout.strip()
    headers = {"Authorization": f"Token {key}"}
    assert client.get("/api/backend-resources/", headers=headers).status_code == 200
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert timedelta(hours=23) < token.expires - utcnow() <= timedelta(days=1)
    token.expires = utcnow() - timedelta(seconds=1)
    db.session.commit()
    expired = client.get("/api/backend-resources/", headers=headers)
    assert expired.status_code == 401
    assert expired.get_json() == {"detail": "Token has expired."}
