"""The JSON API for agents and scripts, wire-compatible with Waldur's paths."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from console.api import auth, backend_resources, catalog, errors  # noqa: E402, F401
