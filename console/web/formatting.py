"""Template filters for the console: relative ages, exact UTC times, readable JSON."""

import json
from datetime import UTC, datetime

from markupsafe import Markup, escape

from console.web import bp

# (seconds in the unit, label), largest first; used to say "3 h ago".
AGE_UNITS = (
    (365 * 24 * 3600, "y"),
    (30 * 24 * 3600, "mo"),
    (24 * 3600, "d"),
    (3600, "h"),
    (60, "min"),
)


def _aware(moment: datetime) -> datetime:
    """Treat a naive datetime as UTC (the database stores UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def describe_age(moment: datetime | None, now: datetime | None = None) -> str:
    """Say how long ago a moment was, coarsely: "just now", "5 min ago", "3 h ago"."""
    if moment is None:
        return ""
    now = now or datetime.now(UTC)
    seconds = (now - _aware(moment)).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < 60:
        return "just now"
    for size, label in AGE_UNITS:
        if seconds >= size:
            amount = int(seconds // size)
            return f"in {amount} {label}" if future else f"{amount} {label} ago"
    return "just now"  # unreachable: the last unit is one minute


@bp.app_template_filter("ago")
def ago(moment: datetime | None) -> str:
    """Jinja filter: relative age of a datetime, e.g. "3 h ago"."""
    return describe_age(moment)


@bp.app_template_filter("utc")
def utc(moment: datetime | None) -> str:
    """Jinja filter: the exact time in UTC, e.g. "2025-03-01 14:05:09 UTC"."""
    if moment is None:
        return ""
    return _aware(moment).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@bp.app_template_filter("isotime")
def isotime(moment: datetime | None) -> str:
    """Jinja filter: ISO 8601 in UTC for `<time datetime>` attributes."""
    if moment is None:
        return ""
    return _aware(moment).astimezone(UTC).isoformat().replace("+00:00", "Z")


@bp.app_template_filter("pretty_json")
def pretty_json(value) -> str:
    """Jinja filter: JSON indented by two spaces, keys sorted, non-ASCII kept."""
    # Sorted because PostgreSQL's JSONB does not keep the agent's key order and SQLite does:
    # the same report should read the same on both.
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


@bp.app_template_filter("scalar_or_json")
def scalar_or_json(value) -> str:
    """Jinja filter: a plain value as text (numbers grouped: 25,000), a list or object as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,}"
    return json.dumps(value, ensure_ascii=False, default=str)


@bp.app_template_filter("time_tag")
def time_tag(moment: datetime | None) -> Markup:
    """Jinja filter: `<time>` with the ISO time, the exact UTC time as its title, and the age."""
    if not moment:
        return Markup('<span class="muted">—</span>')
    moment = _aware(moment).astimezone(UTC)
    # Digits, letters, spaces, "-", ":" and "Z" only: nothing to escape (a table shows 200).
    exact = moment.isoformat(" ", "seconds")[:19]
    iso = moment.isoformat().replace("+00:00", "Z")
    return Markup(f'<time datetime="{iso}" title="{exact} UTC">{describe_age(moment)}</time>')


@bp.app_template_filter("breakable")
def breakable(value) -> Markup:
    """Let long identifiers wrap after `_`, `-`, `.` and `/` instead of mid-word."""
    text = str(escape(value))
    for separator in "_-./":
        text = text.replace(separator, f"{separator}<wbr>")
    return Markup(text)
