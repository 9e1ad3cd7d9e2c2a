"""The staff console: HTML pages and htmx fragments."""

from flask import Blueprint

bp = Blueprint("web", __name__)

from console.web import auth, backend_resources, listing, marketplace  # noqa: E402, F401
