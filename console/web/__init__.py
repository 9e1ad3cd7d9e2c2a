"""The staff console: HTML pages and htmx fragments."""

from flask import Blueprint

bp = Blueprint("web", __name__)

from console.web import (  # noqa: E402, F401
    activity,
    agents,
    auth,
    backend_resources,
    bulk,
    dismissals,
    exports,
    flag_badges,
    listing,
    marketplace,
    preferences,
    return_path,
    scans,
)
