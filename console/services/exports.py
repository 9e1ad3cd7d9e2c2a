"""Exporting exactly what the table shows (every matching row, not one page) as CSV or JSON.

The rows come from the one query builder, read in batches (`yield_per`; a server-side cursor
on PostgreSQL) and written out as they come, so memory stays flat however many rows match.
"""

import csv
import io
import json
import re
from datetime import date

from console.services.flags import row_flags
from console.services.queries import ListParams, backend_resources_select

BATCH_ROWS = 1000
CHUNK_ROWS = 200  # rows per piece of the response
COLUMNS = (
    "uuid", "name", "backend_id", "project_uuid", "project", "customer", "offering_uuid",
    "offering", "provider", "reported", "last_updated", "age_days", "flags",
    "imported_resource_uuid", "previously_imported_state", "other_reports", "dismissed",
    "backend_metadata",
)
FILENAME_PART = re.compile(r"[^a-z0-9.]+")
FILENAME_MAX = 150


def _iso(moment) -> str:
    """A datetime as ISO 8601 UTC ending in Z."""
    return moment.isoformat().replace("+00:00", "Z")


def export_record(report, stale_days: int, now) -> dict:
    """One report as an export row: plain JSON values."""
    flags = row_flags(report, stale_days, now)
    return {
        "uuid": report.uuid.hex,
        "name": report.name,
        "backend_id": report.backend_id,
        "project_uuid": report.project.uuid.hex,
        "project": report.project.name,
        "customer": report.project.customer.name,
        "offering_uuid": report.offering.uuid.hex,
        "offering": report.offering.name,
        "provider": report.offering.customer.name,
        "reported": _iso(report.created),
        "last_updated": _iso(report.modified),
        "age_days": flags.age_days,
        "flags": flags.names,
        "imported_resource_uuid": (
            flags.imported_resource_uuid.hex if flags.imported_resource_uuid else None
        ),
        "previously_imported_state": flags.previously_imported_state,
        "other_reports": flags.duplicate_count,
        "dismissed": report.dismissal_id is not None,
        "backend_metadata": report.backend_metadata,
    }


def exported_reports(session, params: ListParams, user):
    """Every report of the view, in the view's order, read a batch at a time."""
    statement = backend_resources_select(params, user).execution_options(yield_per=BATCH_ROWS)
    yield from session.scalars(statement)


def csv_chunks(records):
    """CSV text in chunks of rows: a header, then one line per record."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for count, record in enumerate(records, start=1):
        row = dict(record)
        row["flags"] = " ".join(row["flags"])
        row["backend_metadata"] = json.dumps(row["backend_metadata"], sort_keys=True)
        row["dismissed"] = "yes" if row["dismissed"] else "no"
        writer.writerow(["" if row[key] is None else row[key] for key in COLUMNS])
        if count % CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def json_chunks(records):
    """A JSON array in chunks: one object per line."""
    yield "["
    separator = "\n"
    parts = []
    for count, record in enumerate(records, start=1):
        parts.append(separator + json.dumps(record, ensure_ascii=False, sort_keys=False))
        separator = ",\n"
        if count % CHUNK_ROWS == 0:
            yield "".join(parts)
            parts = []
    yield "".join(parts) + "\n]\n"


def filename_part(text: str) -> str:
    """Lower-case letters, digits and dots, other runs as one hyphen."""
    return FILENAME_PART.sub("-", text.lower()).strip("-")


def export_filename(filters: list[tuple[str, str]], extension: str, today: date) -> str:
    """`backend-resources_offering-hpc-slurm_flag-duplicate_2026-11-28.csv`."""
    parts = ["backend-resources"]
    for key, value in filters:
        part = filename_part(f"{key}-{value}")
        if part:
            parts.append(part)
    stem = "_".join(parts)[:FILENAME_MAX].rstrip("-_")
    return f"{stem}_{today.isoformat()}.{extension}"
