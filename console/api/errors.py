"""DRF-shaped error bodies for the API: domain errors, authentication and malformed requests."""

from console.api import bp
from console.api.auth import AuthenticationFailed
from console.api.responses import json_response
from console.services import DomainError


class ApiError(Exception):
    """An error of the request itself (bad JSON, unsupported media type) with its status."""

    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


@bp.errorhandler(AuthenticationFailed)
def authentication_failed(error: AuthenticationFailed):
    """Answer 401 with the reason and the scheme the client should use."""
    return json_response(
        {"detail": error.detail}, 401, headers={"WWW-Authenticate": "Token"}
    )


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    """Answer a service's refusal: 400 field errors, 403 or 404 with `detail`."""
    return json_response(error.errors, error.status)


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    """Answer a malformed request with its status and `detail`."""
    return json_response({"detail": error.detail}, error.status)
