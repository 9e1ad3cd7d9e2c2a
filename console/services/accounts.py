"""User accounts and API tokens: the rules the command line and demo data share."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from console.models import ApiToken, User
from console.services import ValidationFailed


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


def issue_token(session, user: User) -> str:
    """Create an API token for the user and return its key; only its hash is stored."""
    token, key = ApiToken.issue(user)
    session.add(token)
    session.commit()
    return key
