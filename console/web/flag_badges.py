"""The flags of a report as the templates read them (badges in the table, detail and forms)."""

from flask import current_app

from console.services.flags import RowFlags, row_flags
from console.web import bp


@bp.app_template_filter("flags")
def flags_of(report) -> RowFlags:
    """Jinja filter: the flags of a report loaded with its flag columns."""
    return row_flags(report, current_app.config["CONSOLE_STALE_DAYS"])
