"""The staff console: HTML pages and htmx fragments."""

from flask import Blueprint

bp = Blueprint("web", __name__)
