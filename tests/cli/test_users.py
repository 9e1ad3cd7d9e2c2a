"""`flask users create`: kinds of users, passwords, prompts and refusals."""

import pytest
from sqlalchemy import select

from console.extensions import db
from console.models import ApiToken, User
from tests.cli.conftest import count, succeed


def stored_user(username: str) -> User | None:
    """Return the user as stored now."""
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


@pytest.mark.parametrize(
    ("flags", "is_staff", "is_support", "kind"),
    [
        ([], False, False, "user"),
        (["--staff"], True, False, "staff user"),
        (["--support"], False, True, "support user"),
    ],
)
def test_creates_user_of_each_kind(runner, ctx, flags, is_staff, is_support, kind):
    result = runner.invoke(args=["users", "create", "alice", *flags, "--password", "s3cret!"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Created {kind} 'alice'.\n"
    user = stored_user("alice")
    assert (user.is_staff, user.is_support, user.is_active) == (is_staff, is_support, True)
    assert user.check_password("s3cret!")
    assert not user.check_password("wrong")


def test_staff_and_support_are_mutually_exclusive(runner, ctx):
    result = runner.invoke(
        args=["users", "create", "alice", "--staff", "--support", "--password", "x"]
    )
    assert result.exit_code == 2  # click's usage error
    assert "mutually exclusive" in result.stderr
    assert count(User) == 0


def test_duplicate_username_is_refused_and_changes_nothing(runner, factory):
    factory.user("alice", password="original")
    result = runner.invoke(args=["users", "create", "alice", "--staff", "--password", "new"])
    assert result.exit_code == 1
    assert "User 'alice' already exists." in result.stderr
    assert "Traceback" not in result.output
    user = stored_user("alice")
    assert count(User) == 1
    assert user.check_password("original") and not user.is_staff


def test_missing_password_without_terminal_is_an_error(runner, ctx):
    result = runner.invoke(args=["users", "create", "alice"])
    assert result.exit_code == 1
    assert "--password" in result.stderr
    assert count(User) == 0


def test_prompts_twice_for_password_on_a_terminal(runner, ctx, monkeypatch):
    monkeypatch.setattr("console.cli.stdin_is_terminal", lambda: True)
    result = runner.invoke(args=["users", "create", "bob"], input="typed-pw\ntyped-pw\n")
    assert result.exit_code == 0, result.output
    assert stored_user("bob").check_password("typed-pw")


def test_prompt_asks_again_when_confirmation_differs(runner, ctx, monkeypatch):
    monkeypatch.setattr("console.cli.stdin_is_terminal", lambda: True)
    result = runner.invoke(
        args=["users", "create", "bob"], input="first\nsecond\nthird\nthird\n"
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert stored_user("bob").check_password("third")


def test_empty_password_is_refused(runner, ctx):
    result = runner.invoke(args=["users", "create", "alice", "--password", ""])
    assert result.exit_code == 1
    assert "must not be empty" in result.stderr
    assert count(User) == 0


def test_deactivate_ends_the_users_tokens_and_sessions(runner, factory, client):
    from tests.web.session_helpers import log_in

    factory.user("alice", is_staff=True)
    key = succeed(runner, "tokens", "create", "alice").stdout.strip()
    succeed(runner, "tokens", "create", "alice")
    assert log_in(client, "alice").status_code == 303
    result = runner.invoke(args=["users", "deactivate", "alice"])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Deactivated 'alice': console sessions ended, 2 API tokens deleted.\n"
    )
    user = stored_user("alice")
    assert (user.is_active, user.session_generation) == (False, 1)
    assert count(ApiToken) == 0
    refused = client.get("/api/backend-resources/", headers={"Authorization": f"Token {key}"})
    assert refused.status_code == 401


def test_deactivate_an_unknown_user_fails_cleanly(runner, ctx):
    result = runner.invoke(args=["users", "deactivate", "nobody"])
    assert result.exit_code == 1
    assert "User 'nobody' does not exist." in result.stderr
