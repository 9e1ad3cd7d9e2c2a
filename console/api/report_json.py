"""A report's JSON written by the database: `backend_resource_json`, key for key, as SQL.

A list page (and a report's own page) selects one text column per report and joins the texts:
no row objects, no uuid or datetime values, no metadata decoded only to be encoded again. The
same values as `backend_resource_json` (tests compare the two on both databases): uuids as 32
hex characters, datetimes as Python's `isoformat` with `Z`, a missing backend id as "",
metadata that is not an object as {}.
"""

import json
from functools import lru_cache
from itertools import groupby

from sqlalchemy import String, Text, case, cast, func, literal, literal_column, type_coerce

from console.api.representations import UUID_SLOT, detail_url
from console.models import BackendResource, Offering, Project

# How a value is written into a report's JSON (see `_postgresql_json_object`).
TEXT, SAFE, JSON = "text", "safe", "json"
REPORT_ENDPOINTS = ("api.backend_resource_detail", "api.project_detail", "api.offering_detail")


def report_json_columns(session) -> tuple:
    """Return the columns of a report's JSON: one labelled column `body`, the JSON text of each
    report row (joined to its project and offering), for the session's database (SQLite or
    PostgreSQL), with this request's absolute URLs."""
    templates = tuple(
        tuple(detail_url(endpoint, UUID_SLOT).split(UUID_SLOT)) for endpoint in REPORT_ENDPOINTS
    )
    return _report_json_columns(session.get_bind().dialect.name, templates)


@lru_cache(maxsize=32)
def _report_json_columns(dialect: str, templates: tuple) -> tuple:
    """Build the column once per database and host: the expression and its cache key are
    what a list page would otherwise spend most of its time on."""
    sqlite = dialect == "sqlite"
    # PostgreSQL writes the URLs' fixed parts as they are, JSON-escaped here once.
    report_url, project_url, offering_url = (
        _url_of(*template, escaped=not sqlite) for template in templates
    )
    hex_of = _sqlite_hex if sqlite else _postgresql_hex
    iso = _sqlite_iso if sqlite else _postgresql_iso
    report, project, offering = (
        hex_of(BackendResource.uuid), hex_of(Project.uuid), hex_of(Offering.uuid)
    )
    # (key, value, how the value is written): TEXT may hold any character, SAFE only
    # characters JSON writes as they are (hex digits, digits, the URLs' escaped parts), JSON is
    # a JSON text already.
    pairs = (
        ("url", report_url(report), SAFE),
        ("uuid", report, SAFE),
        ("name", BackendResource.name, TEXT),
        ("created", iso(BackendResource.created), SAFE),
        ("modified", iso(BackendResource.modified), SAFE),
        ("project", project, SAFE),
        ("project_name", Project.name, TEXT),
        ("project_url", project_url(project), SAFE),
        ("offering", offering, SAFE),
        ("offering_name", Offering.name, TEXT),
        ("offering_url", offering_url(offering), SAFE),
        ("backend_id", func.coalesce(BackendResource.backend_id, ""), TEXT),
        ("backend_metadata", (_sqlite_object if sqlite else _postgresql_object)(
            BackendResource.backend_metadata
        ), JSON),
    )
    if sqlite:
        arguments = [
            part for key, value, _how in pairs for part in (literal_column(f"'{key}'"), value)
        ]
        body = func.json_object(*arguments, type_=Text)
    else:
        body = _postgresql_json_object(pairs)
    return (body.label("body"),)


def _postgresql_json_object(pairs):
    """The JSON object of (key, value, how) triples, compact as SQLite's json_object and DRF
    write it (json_build_object puts spaces around every colon), keys in their order.

    Only TEXT values go through to_json: the others need no escaping, and leaving it out (with
    one to_char per datetime) takes more than half of the server's time off a page of 50."""
    pieces = []  # fixed text (str) and SQL expressions, in order
    for number, (key, value, how) in enumerate(pairs):
        pieces.append(f'{"{" if number == 0 else ","}"{key}":')
        if how == TEXT:
            pieces.append(func.coalesce(cast(func.to_json(value), Text), literal_column("'null'")))
        elif how == SAFE:
            pieces += ['"', value, '"']
        else:
            pieces.append(cast(value, Text))
    pieces.append("}")
    body = None
    for fixed, group in groupby(pieces, key=lambda piece: isinstance(piece, str)):
        # The keys hold no quote: each run of fixed text is one SQL string literal.
        group = list(group)
        for part in [literal_column(f"'{''.join(group)}'", Text)] if fixed else group:
            body = part if body is None else body.concat(part)
    return body


def _url_of(before: str, after: str, *, escaped: bool):
    """Return a function of a uuid expression: the URL around it (its fixed parts
    JSON-escaped, without quotes, if `escaped`)."""
    if escaped:
        before, after = (json.dumps(part, ensure_ascii=False)[1:-1] for part in (before, after))
    return lambda uuid_hex: literal(before, String).concat(uuid_hex).concat(after)


def _sqlite_hex(column):
    """SQLite keeps a uuid as its 32 hex characters."""
    return type_coerce(column, String)


def _sql_text(value: str):
    """A fixed text written into the statement, not bound: PostgreSQL then reads a format or a
    time zone once per plan instead of once per row of a prepared statement's generic plan."""
    return literal_column("'" + value.replace("'", "''") + "'", Text)


def _postgresql_hex(column):
    """PostgreSQL's uuid as 32 hex characters."""
    return func.replace(cast(column, Text), _sql_text("-"), _sql_text(""), type_=String)


def _sqlite_iso(column):
    """A stored 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC) as isoformat gives it (no zero fraction), Z."""
    stored = type_coerce(column, String)
    whole = case((func.substr(stored, 20) == ".000000", func.substr(stored, 1, 19)), else_=stored)
    return func.replace(whole, " ", "T", type_=String).concat("Z")


def _postgresql_iso(column):
    """A timestamptz in UTC as isoformat gives it (no zero fraction), with Z: one to_char."""
    text = func.to_char(func.timezone(_sql_text("UTC"), column),
                        _sql_text('YYYY-MM-DD"T"HH24:MI:SS.US'), type_=String)
    return func.replace(text.concat(_sql_text("Z")), _sql_text(".000000Z"), _sql_text("Z"),
                        type_=String)


def _sqlite_object(column):
    """The stored metadata if it is a JSON object, else {}; embedded as JSON, not as a string."""
    stored = type_coerce(column, String)
    return func.json(case((func.json_type(stored) == "object", stored), else_=literal("{}")))


def _postgresql_object(column):
    """The metadata if it is a JSON object, else {}."""
    return case(
        (func.jsonb_typeof(column) == "object", column), else_=literal_column("'{}'::jsonb")
    )


def json_array(bodies) -> str:
    """Join JSON texts into one JSON array."""
    return "[" + ",".join(bodies) + "]"
