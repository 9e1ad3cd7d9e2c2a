"""The console table's rows as plain values: one statement of columns, no ORM objects.

A `TableRow` reads like a loaded report (`row.project.customer.name`, `row.offering.uuid`, the
flag columns), so the table's templates and `flags.row_flags` take either. The Dismissed views
show who dismissed each report and load the reports themselves (they are few). A dense search
or metadata filter among many reports is shown before its list is counted (`counts_come_later`).
"""

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from console.models import BackendResource, Customer, Offering, Project
from console.services.flags import (
    DISMISSED_HIDDEN,
    duplicate_count,
    imported_resource_uuid,
    previously_imported_state,
)
from console.services.list_plans import ListPlan, counts_read_reports
from console.services.queries import ListParams, Page, Provider, page_of_backend_resources

TABLE_COLUMNS = (
    BackendResource.uuid,
    BackendResource.name,
    BackendResource.backend_id,
    BackendResource.created,
    BackendResource.modified,
    BackendResource.metadata_summary,
    BackendResource.dismissal_id,
    Project.name.label("project_name"),
    Customer.name.label("customer_name"),
    Offering.uuid.label("offering_uuid"),
    Offering.name.label("offering_name"),
    Provider.name.label("provider_name"),
    imported_resource_uuid().label("imported_resource_uuid"),
    previously_imported_state().label("previously_imported_state"),
    duplicate_count().label("duplicate_count"),
)


@dataclass(frozen=True, slots=True)
class Owner:
    """A project's customer or an offering's provider, as the table shows it."""

    name: str


@dataclass(frozen=True, slots=True)
class Holder:
    """A report's project or offering, as the table shows it."""

    name: str
    customer: Owner
    uuid: UUID | None = None


@dataclass(frozen=True, slots=True)
class TableRow:
    """One report of the table, with its project, offering and flag columns."""

    uuid: UUID
    name: str
    backend_id: str
    created: datetime
    modified: datetime
    metadata_summary: str
    dismissal_id: int | None
    project: Holder
    offering: Holder
    imported_resource_uuid: UUID | None
    previously_imported_state: str | None
    duplicate_count: int

    @classmethod
    def of(cls, row) -> "TableRow":
        """Build one from a row of TABLE_COLUMNS."""
        return cls(
            uuid=row.uuid, name=row.name, backend_id=row.backend_id, created=row.created,
            modified=row.modified, metadata_summary=row.metadata_summary,
            dismissal_id=row.dismissal_id,
            project=Holder(name=row.project_name, customer=Owner(row.customer_name)),
            offering=Holder(name=row.offering_name, customer=Owner(row.provider_name),
                            uuid=row.offering_uuid),
            imported_resource_uuid=row.imported_resource_uuid,
            previously_imported_state=row.previously_imported_state,
            duplicate_count=row.duplicate_count or 0,
        )


def counts_come_later(session, params: ListParams, user, *, from_reports: int) -> bool:
    """Tell whether the table should show a page before counting its list: the count and the
    select counts would read every report its search or metadata filter matches (see
    `counts_read_reports`), among at least `from_reports` reports the user sees, and the match
    is dense enough for the page to be found at once (the trigram index does not find a
    search's few matches, and the newest reports hold the page and those before it)."""
    number = page_number_asked(params)
    if number is None or not counts_read_reports(params):
        return False
    plan = ListPlan(session, params, user)
    if plan.count_visible() < from_reports:
        return False
    return not plan.few_search_hits() and plan.reaches_early(number * params.page_size + 1)


def page_number_asked(params: ListParams) -> int | None:
    """The page number the list asks for; None for the last page, which needs the count."""
    return int(params.page) if params.page.isdigit() and int(params.page) >= 1 else None


def table_rows_uncounted(session, params: ListParams, user) -> Page | None:
    """Return the table's page without counting the list (see `ListPlan.rows_uncounted`): its
    total only when the rows end on it, else None and whether more follow; None for a page
    past the end (for the table to count, and say so)."""
    number = page_number_asked(params)
    columns = table_columns(params)
    plan = ListPlan(session, params, user, with_metadata=False)
    rows, more = plan.rows_uncounted(number, columns=columns)
    if not rows and number > 1:
        return None
    before = (number - 1) * params.page_size
    return Page(items=table_items(columns, rows), total=None if more else before + len(rows),
                number=number, size=params.page_size, more=more)


def table_page(session, params: ListParams, user, *, known_total: int | None = None) -> Page:
    """Return one page of the console's table: the count (unless `known_total`) and the rows."""
    columns = table_columns(params)
    page = page_of_backend_resources(session, params, user, with_metadata=False,
                                     columns=columns, known_total=known_total)
    return replace(page, items=table_items(columns, page.items))


def table_columns(params: ListParams) -> tuple | None:
    """The columns the table reads of each report; None in the Dismissed views, whose rows say
    who dismissed each report and why: the reports come loaded with their dismissals."""
    return TABLE_COLUMNS if params.dismissed == DISMISSED_HIDDEN else None


def table_items(columns: tuple | None, rows: list) -> list:
    """The table's rows: a `TableRow` of each row of `columns`, or the loaded reports."""
    return rows if columns is None else [TableRow.of(row) for row in rows]
