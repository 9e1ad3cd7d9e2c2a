"""User accounts and API tokens: the rules the command line and demo data share."""

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from console.models import ApiToken, User, hash_token_key, utcnow
from console.services import NotFound, ValidationFailed

# A prefix shorter than this could name many tokens by accident.
MIN_REVOKE_PREFIX = 6


def check_new_username(session, username: str) -> str:
    """Return the trimmed username if it is usable and free; raise ValidationFailed if not."""
    username = username.strip()
    if not username:
        raise ValidationFailed({"username": ["The username must not be empty."]})
    limit = User.username.type.length
    if len(username) > limit:
        raise ValidationFailed({"username": [f"The username is longer than {limit} characters."]})
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValidationFailed({"username": [f"User {username!r} already exists."]})
    return username


def create_user(session, *, username: str, password: str, staff: bool, support: bool) -> User:
    """Create a staff, support or plain (agent) account in one transaction."""
    if staff and support:
        raise ValidationFailed({"role": ["A user is staff or support, not both."]})
    username = check_new_username(session, username)
    if not password:
        raise ValidationFailed({"password": ["The password must not be empty."]})
    user = User(username=username, is_staff=staff, is_support=support)
    user.set_password(password)
    session.add(user)
    try:
        session.commit()
    except IntegrityError:
        # Someone created the same username between the check and the insert.
        session.rollback()
        raise ValidationFailed({"username": [f"User {username!r} already exists."]}) from None
    return user


def issue_token(session, user: User, lifetime_days: int | None = None) -> str:
    """Create an API token for the user and return its key; only its hash is stored.

    With `lifetime_days` the token stops working that many days from now.
    """
    expires = utcnow() + timedelta(days=lifetime_days) if lifetime_days else None
    token, key = ApiToken.issue(user, expires=expires)
    session.add(token)
    session.commit()
    return key


def tokens_of(session, user: User) -> list[ApiToken]:
    """The user's API tokens, oldest first."""
    return list(session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created, ApiToken.id)
    ))


def revoke_token(session, key_or_prefix: str) -> tuple[str, str]:
    """Delete the one token whose key starts with `key_or_prefix` (or is it).

    Returns the token's key prefix and its user's username.
    Refuses a prefix shorter than MIN_REVOKE_PREFIX and one that names several tokens.
    """
    text = key_or_prefix.strip().lower()
    if len(text) < MIN_REVOKE_PREFIX:
        raise ValidationFailed(
            {"key": [f"Give at least {MIN_REVOKE_PREFIX} characters of the token's key."]}
        )
    matches = list(session.scalars(
        select(ApiToken).where(ApiToken.key_hash == hash_token_key(text))
    ))
    if not matches:
        # Only the first characters of each key are kept in the clear.
        prefix = text[: ApiToken.key_prefix.type.length]
        matches = list(session.scalars(
            select(ApiToken).where(ApiToken.key_prefix.startswith(prefix, autoescape=True))
        ))
    if not matches:
        raise NotFound(f"No token's key starts with {text!r}.")
    if len(matches) > 1:
        raise ValidationFailed(
            {"key": [f"{len(matches)} tokens' keys start with {text!r}: give more characters."]}
        )
    token = matches[0]
    revoked = (token.key_prefix, token.user.username)
    session.execute(delete(ApiToken).where(ApiToken.id == token.id))
    session.commit()
    return revoked


def deactivate_user(session, user: User) -> int:
    """Deactivate the account: end its console sessions and delete its API tokens.

    Returns how many tokens were deleted. Re-activating the account later revives neither.
    """
    user.is_active = False
    user.end_sessions()
    revoked = session.execute(delete(ApiToken).where(ApiToken.user_id == user.id)).rowcount
    session.commit()
    return revoked
