"""The one query builder behind the JSON list and the HTML table of backend resources."""

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import aliased, contains_eager, defer

from console.extensions import PREPARED
from console.identifiers import parse_uuid
from console.models import BackendResource, Customer, Offering, Project
from console.services import NotFound, ValidationFailed
from console.services import flags as report_flags
from console.services.access import Viewer, visible_backend_resources_clause
from console.services.kept import KEPT_STATEMENTS, Same
from console.services.metadata_filters import (
    MetadataCondition,
    metadata_clauses,
    parse_metadata_filter,
)
from console.services.parameters import last_value, read_text, read_uuids
from console.services.text_match import ContainsIgnoringCase

DEFAULT_ORDERING = "-created"
BACKEND_RESOURCE_NOT_FOUND = "No BackendResource matches the given query."
# Sort key name -> column; the allow-list of the `o` parameter.
ORDERING_COLUMNS = {
    "created": BackendResource.created,
    "modified": BackendResource.modified,
    "name": BackendResource.name,
    "backend_id": BackendResource.backend_id,
    "project_name": Project.name,
    "offering_name": Offering.name,
}
ORDERING_CHOICES = tuple(
    choice for key in ORDERING_COLUMNS for choice in (key, f"-{key}")
)
TIE_BREAKERS = {"project_name": (Project.id,), "offering_name": (Offering.id,)}
PAGE_SIZE_CHOICES = (10, 25, 50, 100)
# The offering's provider is a customer too: joined under its own name.
Provider = aliased(Customer, name="provider")


@dataclass(frozen=True)
class ListParams:
    """Validated filters, ordering and paging of a backend resource list."""

    name: str | None = None
    name_exact: str | None = None
    backend_id: str | None = None
    offering_uuid: uuid.UUID | None = None
    project_uuid: uuid.UUID | None = None
    customer_uuid: uuid.UUID | None = None
    q: str | None = None
    created: datetime | None = None
    created_before: datetime | None = None
    modified: datetime | None = None
    modified_before: datetime | None = None
    ordering: tuple[str, ...] = (DEFAULT_ORDERING,)
    page: str = "1"
    page_size: int = 10
    # Triage (console/services/flags.py and metadata_filters.py).
    metadata: tuple[MetadataCondition, ...] = ()
    flags: tuple[str, ...] = ()
    dismissed: str = report_flags.DISMISSED_ANY
    stale_days: int = report_flags.DEFAULT_STALE_DAYS
    with_flags: bool = False


def parse_datetime(value: str, *, end_of_day: bool = False) -> datetime:
    """Parse an ISO 8601 date or date-time into an aware UTC datetime.

    A plain date means the start of that day, or its end for the `_before` filters, so that
    "created before 2025-01-31" includes the whole of that day.
    """
    text = value.strip()
    if len(text) == 10:
        day = date.fromisoformat(text)
        moment = datetime.combine(day, time.min, tzinfo=UTC)
        return moment + timedelta(days=1, microseconds=-1) if end_of_day else moment
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_list_params(
    args, *, default_page_size: int = 10, max_page_size: int = 300, max_sort_keys: int = 6,
    console: bool = False, stale_days: int = report_flags.DEFAULT_STALE_DAYS,
) -> ListParams:
    """Validate list query parameters; raise ValidationFailed with DRF-style field errors.

    `console` adds the console's own parameters (`q`, `customer_uuid`, `flag`, `dismissed`),
    hides dismissed reports unless asked, and computes each row's flags; the API ignores them,
    as it ignores every unknown parameter.
    """
    errors: dict[str, list[str]] = {}
    values: dict = {}

    text_keys = ["name", "name_exact", "backend_id"] + (["q"] if console else [])
    values.update(read_text(args, text_keys, errors))
    uuid_keys = ["offering_uuid", "project_uuid"] + (["customer_uuid"] if console else [])
    values.update(read_uuids(args, uuid_keys, errors))

    for key in ("created", "created_before", "modified", "modified_before"):
        value = last_value(args, key)
        if value in (None, ""):
            continue
        try:
            values[key] = parse_datetime(value, end_of_day=key.endswith("_before"))
        except (ValueError, OverflowError):
            errors[key] = ["Enter a valid date/time."]

    metadata_value = last_value(args, "metadata")
    if metadata_value not in (None, ""):
        try:
            values["metadata"] = parse_metadata_filter(metadata_value)
        except ValueError as error:
            errors["metadata"] = [str(error)]
    if console:  # triage: flags and the Dismissed view
        values["flags"] = report_flags.parse_flags(
            args.getlist("flag") if hasattr(args, "getlist") else [args.get("flag") or ""], errors
        )
        values["dismissed"] = report_flags.parse_dismissed(last_value(args, "dismissed"), errors)
        values["stale_days"] = stale_days
        values["with_flags"] = True

    ordering_value = last_value(args, "o")
    if ordering_value not in (None, ""):
        keys = tuple(part.strip() for part in ordering_value.split(",") if part.strip())
        invalid = [key for key in keys if key not in ORDERING_CHOICES]
        if len(keys) > max_sort_keys:
            errors["o"] = [
                f"Ensure there are no more than {max_sort_keys} sort keys (there are {len(keys)})."
            ]
        elif invalid:
            errors["o"] = [
                f"Select a valid choice. {invalid[0]} is not one of the available choices."
            ]
        elif keys:
            values["ordering"] = keys

    if errors:
        raise ValidationFailed(errors)

    values["page"], values["page_size"] = parse_paging(
        args, default_page_size=default_page_size, max_page_size=max_page_size
    )
    return ListParams(**values)


def parse_paging(args, *, default_page_size: int = 10, max_page_size: int = 300):
    """Return (page, page_size) as DRF reads them: a bad or missing page size means the default."""
    page_size = default_page_size
    raw_page_size = last_value(args, "page_size")
    if raw_page_size:
        try:
            requested = int(raw_page_size)
        except ValueError:
            requested = 0
        if requested > 0:
            page_size = min(requested, max_page_size)
    return last_value(args, "page") or "1", page_size


def backend_resources_select(params: ListParams, user, *, with_metadata: bool = True):
    """Return a select() of the backend resources the user may see, filtered and ordered.

    Without metadata the rows leave the metadata blob in the database (reading it raises);
    the console table shows only `metadata_summary`.
    """
    return with_relations(select(BackendResource), params, with_metadata=with_metadata).where(
        *scope_clauses(params, user)
    ).order_by(*ordering_clauses(params.ordering))


def with_relations(statement, params: ListParams, *, with_metadata: bool = True):
    """Join each report's project, customer, offering and provider, and load them with it.

    Every list page loads its rows through here (whatever way the plan found their ids), so an
    option that loads more (or less) per row belongs here.
    """
    statement = (
        relation_joins(statement)
        .options(
            contains_eager(BackendResource.project).contains_eager(Project.customer),
            contains_eager(BackendResource.offering).contains_eager(
                Offering.customer.of_type(Provider)
            ),
            *report_flags.flag_loader_options(params),  # triage: each row's flags
        )
    )
    if not with_metadata:
        statement = statement.options(defer(BackendResource.backend_metadata, raiseload=True))
    return statement


def relation_joins(statement):
    """Join each report's project, customer, offering and provider (every list row has them)."""
    return (
        statement.join(BackendResource.project)
        .join(Project.customer)
        .join(BackendResource.offering)
        .join(Offering.customer.of_type(Provider))
    )


def columns_select(columns: tuple, *, owners: bool = True):
    """Return a select() of `columns` of the reports joined to their project and offering, and
    to the customer and provider unless the columns read neither (`owners=False`): PostgreSQL
    plans every join anew for each statement, and two fewer take a millisecond off a page."""
    statement = select(*columns).select_from(BackendResource)
    if owners:
        return relation_joins(statement)
    return statement.join(BackendResource.project).join(BackendResource.offering)


def scope_clauses(params: ListParams, user) -> list:
    """Return the WHERE clauses of a list: what the user may see, narrowed by the filters.

    They name backend_resources columns only (related rows through subqueries), so the count
    needs no joins.
    """
    return [visible_backend_resources_clause(user), *filter_clauses(params)]


def backend_resources_count_select(params: ListParams, user):
    """Return a select() counting the rows `backend_resources_select` would return."""
    return select(func.count()).select_from(BackendResource).where(*scope_clauses(params, user))


def page_of_backend_resources(
    session, params: ListParams, user, *, with_items: bool = True, with_metadata: bool = True,
    columns: tuple | None = None, owners: bool = True, known_total: int | None = None,
) -> "Page":
    """Return one page of the list: two statements, the count and the rows (one for a first
    page of `columns` that the tallies count, once its list's counts have been seen).

    The answer is always that of `backend_resources_select` and its count; `ListPlan` only
    picks faster ways to the same rows. Without `with_items` (HEAD) the rows are not loaded;
    with `columns` the items are plain rows of those columns instead of loaded objects (joined
    to the customer and provider only with `owners`, see `columns_select`). A
    `known_total` (counted by the caller under the same filters) spares counting the reports.
    """
    from console.services.list_plans import ListPlan  # it builds on this module

    plan = ListPlan(session, params, user, with_metadata=with_metadata)
    seen = plan.seen_counts(known_total) if with_items and columns is not None else None
    if seen is not None:
        items, total = plan.first_page_counted(seen, known=known_total, columns=columns,
                                               owners=owners)
        return Page(items=items, total=total, number=1, size=params.page_size)
    total = plan.total(known=known_total)
    number, _pages = page_number(params.page, total, params.page_size)
    items = []
    if with_items and total:
        items = plan.items(number, total, columns=columns, owners=owners)
    return Page(items=items, total=total, number=number, size=params.page_size)


def find_backend_resource(session, uuid_value, user, *, with_flags=False) -> BackendResource:
    """Return the backend resource with this uuid if the user may see it, else raise NotFound."""
    statement = backend_resources_select(ListParams(with_flags=with_flags), user)
    return _found_by_uuid(uuid_value, lambda resource_uuid: session.scalars(
        statement.where(BackendResource.uuid == resource_uuid)
    ).unique().one_or_none())


def find_backend_resource_row(session, uuid_value, user, columns: tuple, *, owners: bool = True):
    """Return the row of `columns` (see `columns_select`) of the backend resource with this
    uuid, as `find_backend_resource` finds it."""
    viewer = Viewer.of(user)
    statement = KEPT_STATEMENTS.get(("row by uuid", Same(columns), owners, viewer), lambda: (
        columns_select(columns, owners=owners)
        .where(*scope_clauses(ListParams(), viewer))
        .where(BackendResource.uuid == bindparam("report_uuid"))
    ))
    return _found_by_uuid(uuid_value, lambda resource_uuid: session.execute(
        statement, {"report_uuid": resource_uuid}, execution_options={PREPARED: True}
    ).one_or_none())


def _found_by_uuid(uuid_value, find):
    """Return `find(uuid)` for the uuid a URL names; NotFound when it names none or finds none."""
    resource_uuid = parse_uuid(str(uuid_value))
    found = None if resource_uuid is None else find(resource_uuid)
    if found is None:
        raise NotFound(BACKEND_RESOURCE_NOT_FOUND)
    return found


def duplicate_reports(session, report: BackendResource, limit: int = 20) -> list:
    """The other reports of the offering with the same backend id (none without a backend id)."""
    if not report.duplicate_count:
        return []
    return list(
        session.scalars(
            select(BackendResource)
            .where(
                BackendResource.offering_id == report.offering_id,
                BackendResource.backend_id == report.backend_id,
                BackendResource.id != report.id,
            )
            .order_by(BackendResource.created.desc(), BackendResource.id.desc())
            .limit(limit)
        )
    )


class ReportsByBackendId:
    """The reports' columns for the catalogue clauses of a list filtered by backend id, the
    project's as an expression no index serves: the backend id names a report or two, found
    from an index of it ((offering, backend id), or (backend id, id)), each one's project then
    checked. (Without statistics, SQLite counted the pair's reports from an (offering, project,
    date) index instead, one by one, and walked the project's by date for the page: the site
    agent's check of one account in its offering and project took 0.1 s at a million.)"""

    name = BackendResource.name
    offering_id = BackendResource.offering_id
    project_id = BackendResource.project_id + 0


def filter_clauses(params: ListParams) -> list:
    """Return the WHERE clauses for the filters that are set."""
    by_backend_id = params.backend_id is not None
    clauses = catalogue_clauses(params, ReportsByBackendId if by_backend_id else BackendResource)
    if by_backend_id:
        clauses.append(BackendResource.backend_id == params.backend_id)
    if params.q:
        clauses.append(
            or_(
                ContainsIgnoringCase(BackendResource.name, params.q),
                ContainsIgnoringCase(BackendResource.backend_id, params.q),
            )
        )
    if params.created is not None:
        clauses.append(BackendResource.created >= params.created)
    if params.created_before is not None:
        clauses.append(BackendResource.created <= params.created_before)
    if params.modified is not None:
        clauses.append(BackendResource.modified >= params.modified)
    if params.modified_before is not None:
        clauses.append(BackendResource.modified <= params.modified_before)
    clauses.extend(metadata_clauses(params.metadata))  # triage: what the agent sent
    clauses.extend(report_flags.flag_filter_clauses(params))  # triage: flags and dismissed
    return clauses


def catalogue_clauses(params: ListParams, rows) -> list:
    """Return the clauses of the filters the tallies can answer too: offering, project,
    customer and name, on `rows` (the reports, or one of their tallies).

    An offering or project named by uuid is looked up by a scalar subquery: an equality the
    database can walk an index with, and NULL (no rows) for an unknown uuid.
    """
    clauses = []
    if params.name is not None:
        clauses.append(ContainsIgnoringCase(rows.name, params.name))
    if params.name_exact is not None:
        clauses.append(rows.name == params.name_exact)
    if params.offering_uuid is not None:
        clauses.append(
            rows.offering_id
            == select(Offering.id).where(Offering.uuid == params.offering_uuid).scalar_subquery()
        )
    if params.project_uuid is not None:
        clauses.append(
            rows.project_id
            == select(Project.id).where(Project.uuid == params.project_uuid).scalar_subquery()
        )
    if params.customer_uuid is not None:
        clauses.append(
            rows.project_id.in_(
                select(Project.id)
                .join(Project.customer)
                .where(Customer.uuid == params.customer_uuid)
                .correlate(None)
            )
        )
    return clauses


def ordering_clauses(ordering: tuple[str, ...]) -> list:
    """Return ORDER BY clauses for sort keys, with ids as stable tie-breakers.

    A project or offering name is followed by that project's or offering's id, so that reports
    of two projects with one name never interleave: each project's reports are one run, which
    an index on (project, id) reads in order.
    """
    clauses = []
    for key in ordering:
        descending = key.startswith("-")
        name = key.lstrip("-")
        columns = [ORDERING_COLUMNS[name], *TIE_BREAKERS.get(name, ())]
        clauses.extend(directed(column, descending=descending) for column in columns)
    last_descending = ordering[-1].startswith("-") if ordering else True
    clauses.append(directed(BackendResource.id, descending=last_descending))
    return clauses


def directed(column, *, descending: bool):
    """Return `column` as an ORDER BY clause in the given direction."""
    return column.desc() if descending else column.asc()


@dataclass
class Page:
    """One page of a list: its rows, the total and where it stands."""

    items: list
    total: int | None  # None: not counted yet (the console's table counts it by a second request)
    number: int
    size: int
    more: bool = False  # without a total: whether rows follow this page

    @property
    def pages(self) -> int | None:
        """Number of pages (None until counted); an empty list still has page 1."""
        if self.total is None:
            return None
        return max(1, math.ceil(self.total / self.size))

    @property
    def has_next(self) -> bool:
        if self.total is None:
            return self.more
        return self.number < self.pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def first_index(self) -> int:
        """1-based position of the first row shown (0 when there is none)."""
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        """1-based position of the last row shown."""
        return (self.number - 1) * self.size + len(self.items)


def count_rows(session, statement) -> int:
    """Count the rows a select() would return."""
    counted = statement.order_by(None).with_only_columns(
        func.count(), maintain_column_froms=True
    )
    return session.scalar(counted)


class InvalidPage(NotFound):
    """The page asked for is not a number within range; carries the list's size."""

    def __init__(self, total: int, pages: int):
        super().__init__("Invalid page.")
        self.total = total
        self.pages = pages


def page_number(page: str, total: int, page_size: int) -> tuple[int, int]:
    """Return (page number, number of pages) for the requested page of `total` rows.

    Raises InvalidPage (a NotFound, "Invalid page.") for a page that is not a positive number
    within range, as DRF does; `last` names the last page.
    """
    pages = max(1, math.ceil(total / page_size))
    if page == "last":
        return pages, pages
    try:
        number = int(page)
    except (TypeError, ValueError):
        raise InvalidPage(total, pages) from None
    if number < 1 or number > pages:
        raise InvalidPage(total, pages)
    return number, pages


def paginate(session, statement, page: str, page_size: int, *, count_statement=None) -> Page:
    """Run a select() for one page: two statements, the count and the rows.

    `count_statement` may give a cheaper count than counting `statement` itself.
    """
    if count_statement is None:
        total = count_rows(session, statement)
    else:
        total = session.scalar(count_statement)
    number, _pages = page_number(page, total, page_size)
    rows = session.scalars(statement.limit(page_size).offset((number - 1) * page_size))
    return Page(items=list(rows.unique()), total=total, number=number, size=page_size)
