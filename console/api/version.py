"""`/api/version/`: the version of the console, where Waldur reports its own."""

from functools import cache
from importlib import metadata

from console.api import bp
from console.api.responses import json_response
from console.api.routing import refuse_other_methods

VERSION_RULE = "/version/"
DISTRIBUTION = "backend-resource-console"


@cache
def app_version() -> str:
    """The installed version of the console, or `unknown` when it runs uninstalled (read once)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


@bp.get(VERSION_RULE)
def version_detail():
    """Show the console's version to any authenticated caller."""
    return json_response({"version": app_version()})


refuse_other_methods(VERSION_RULE, ("GET",))
