"""The JSON API for agents and scripts, wire-compatible with Waldur's paths."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from console.api import (  # noqa: E402, F401
    agents,
    auth,
    backend_resources,
    catalog,
    errors,
    providers,
    scans,
    schema,
    users,
    version,
)
