"""The staff console: HTML pages and htmx fragments."""

from flask import Blueprint

bp = Blueprint("web", __name__)

from console.web import (  # noqa: E402, F401
    agents,
    auth,
    backend_resources,
    listing,
    marketplace,
    scans,
)
