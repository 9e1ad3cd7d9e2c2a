"""A report's JSON written by the database: `backend_resource_json`, key for key, as SQL.

A list page (and a report's own page) selects one text column per report and joins the texts:
no row objects, no uuid or datetime values, no metadata decoded only to be encoded again. The
same values as `backend_resource_json` (tests compare the two on both databases): uuids as 32
hex characters, datetimes as Python's `isoformat` with `Z`, a missing backend id as "",
metadata that is not an object as {}.
"""

from functools import lru_cache

from sqlalchemy import String, Text, case, cast, func, literal, literal_column, type_coerce

from console.api.representations import UUID_SLOT, detail_url
from console.models import BackendResource, Offering, Project

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
    report_url, project_url, offering_url = (_url_of(*template) for template in templates)
    sqlite = dialect == "sqlite"
    hex_of = _sqlite_hex if sqlite else _postgresql_hex
    iso = _sqlite_iso if sqlite else _postgresql_iso
    report, project, offering = (
        hex_of(BackendResource.uuid), hex_of(Project.uuid), hex_of(Offering.uuid)
    )
    pairs = (
        ("url", report_url(report)),
        ("uuid", report),
        ("name", BackendResource.name),
        ("created", iso(BackendResource.created)),
        ("modified", iso(BackendResource.modified)),
        ("project", project),
        ("project_name", Project.name),
        ("project_url", project_url(project)),
        ("offering", offering),
        ("offering_name", Offering.name),
        ("offering_url", offering_url(offering)),
        ("backend_id", func.coalesce(BackendResource.backend_id, "")),
        ("backend_metadata", (_sqlite_object if sqlite else _postgresql_object)(
            BackendResource.backend_metadata
        )),
    )
    if sqlite:
        arguments = [
            part for key, value in pairs for part in (literal_column(f"'{key}'"), value)
        ]
        body = func.json_object(*arguments, type_=Text)
    else:
        body = _postgresql_json_object(pairs)
    return (body.label("body"),)


def _postgresql_json_object(pairs):
    """The JSON object of (key, value) pairs, compact as SQLite's json_object and DRF write
    it (json_build_object puts spaces around every colon), keys in their order."""
    body = None
    for number, (key, value) in enumerate(pairs):
        if key != "backend_metadata":
            value = func.coalesce(cast(func.to_json(value), Text), literal_column("'null'"))
        else:
            value = cast(value, Text)
        key = literal_column(f"""'{"{" if number == 0 else ","}"{key}":'""", Text)
        body = key if body is None else body.concat(key)
        body = body.concat(value)
    return body.concat(literal_column("'}'", Text))


def _url_of(before: str, after: str):
    """Return a function of a uuid expression: the URL around it."""
    return lambda uuid_hex: literal(before, String).concat(uuid_hex).concat(after)


def _sqlite_hex(column):
    """SQLite keeps a uuid as its 32 hex characters."""
    return type_coerce(column, String)


def _postgresql_hex(column):
    """PostgreSQL's uuid as 32 hex characters."""
    return func.replace(cast(column, Text), "-", "", type_=String)


def _sqlite_iso(column):
    """A stored 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC) as isoformat gives it (no zero fraction), Z."""
    stored = type_coerce(column, String)
    whole = case((func.substr(stored, 20) == ".000000", func.substr(stored, 1, 19)), else_=stored)
    return func.replace(whole, " ", "T", type_=String).concat("Z")


def _postgresql_iso(column):
    """A timestamptz in UTC as isoformat gives it (no zero fraction), with Z."""
    text = func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS.US', type_=String)
    return case((func.right(text, 7) == ".000000", func.left(text, 19)), else_=text).concat("Z")


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
