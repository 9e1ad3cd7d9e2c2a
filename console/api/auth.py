"""Token authentication, answered the way Waldur's TokenAuthentication does (spec section 6)."""

from flask import current_app, g, request
from sqlalchemy import bindparam, select

from console.api import bp
from console.extensions import PREPARED, db
from console.models import ApiToken, User, hash_token_key, utcnow
from console.services.access import Viewer
from console.throttling import count_refused_token

KEYWORD = b"token"
QUERY_PARAMETER = "x-auth-token"
NOT_PROVIDED = "Authentication credentials were not provided."
INVALID_TOKEN = "Invalid token."
NO_KEY = "Invalid token. No credentials provided."
KEY_WITH_SPACES = "Invalid token. Token string should not contain spaces."
KEY_NOT_TEXT = "Invalid token header. Token string should not contain invalid characters."
USER_INACTIVE = "User inactive or deleted."
TOKEN_EXPIRED = "Token has expired."
# The OpenAPI document is public, as upstream's is: it describes the API and holds no data.
PUBLIC_ENDPOINTS = {"api.schema_document", "api.not_allowed_schema"}


class AuthenticationFailed(Exception):
    """No usable credentials: answered 401 with `WWW-Authenticate: Token`."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


def authorization_value() -> bytes:
    """Return the Authorization header, or a Token header made from `?x-auth-token=`."""
    header = request.headers.get("Authorization", "")
    if header:
        # WSGI hands headers over as latin-1 text; DRF works on those bytes.
        return header.encode("latin-1", errors="replace")
    if QUERY_PARAMETER in request.args:
        return b"Token " + request.args[QUERY_PARAMETER].encode("utf-8", errors="replace")
    return b""


# Built once: every API request runs it, and building it anew cost as much as running it. Plain
# columns, no user object: most requests read only what the visibility rules read (`Viewer`);
# `current_user` loads the user itself for the requests that need more of it.
TOKEN_OWNER = (
    select(User.id, User.is_active, User.is_staff, User.is_support, ApiToken.expires)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.key_hash == bindparam("key_hash"))
    .execution_options(**{PREPARED: True})
)


def viewer_for_key(key: str) -> Viewer:
    """Return the active user owning the unexpired token key, as a Viewer, or raise
    AuthenticationFailed."""
    row = db.session.connection().execute(
        TOKEN_OWNER, {"key_hash": hash_token_key(key)}
    ).first()
    if row is None:
        refuse_token(INVALID_TOKEN)
    user_id, is_active, is_staff, is_support, expires = row
    if not is_active:
        refuse_token(USER_INACTIVE)
    if expires is not None and expires <= utcnow():
        refuse_token(TOKEN_EXPIRED)
    return Viewer(user_id, True, bool(is_staff), bool(is_support))


def refuse_token(reason: str):
    """Log a refused token (never its key) and answer 401, or 429 once too many were refused."""
    current_app.logger.warning(
        "API token refused from %s: %s (%s %s)", request.remote_addr, reason,
        request.method, request.path,
    )
    count_refused_token()
    raise AuthenticationFailed(reason)


@bp.before_request
def authenticate() -> None:
    """Require a valid token on every API request and remember its user in `g.api_user`."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    parts = authorization_value().split()
    if not parts or parts[0].lower() != KEYWORD:
        raise AuthenticationFailed(NOT_PROVIDED)
    if len(parts) == 1:
        raise AuthenticationFailed(NO_KEY)
    if len(parts) > 2:
        raise AuthenticationFailed(KEY_WITH_SPACES)
    try:
        key = parts[1].decode()
    except UnicodeError:
        raise AuthenticationFailed(KEY_NOT_TEXT) from None
    g.pop("api_user", None)  # an earlier request's, where requests share `g` (tests)
    g.api_viewer = viewer_for_key(key)
    g.api_token_key = key


def current_viewer() -> Viewer:
    """Return what the visibility rules read of the user the request authenticated as."""
    return g.api_viewer


def current_user() -> User:
    """Return the user the request authenticated as (loaded on first use)."""
    if "api_user" not in g:
        g.api_user = db.session.get(User, g.api_viewer.id)
    return g.api_user


def presented_token_key() -> str:
    """Return the token key the request authenticated with (an agent's broker password)."""
    return g.api_token_key
