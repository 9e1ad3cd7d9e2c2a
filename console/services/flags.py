"""What the console flags on a report, computed in SQL by the one list query.

- *already imported*: the offering has an OK marketplace resource with the report's backend id;
- *previously imported*: it has one with that backend id in another state (erred, terminated…);
- *duplicate*: another report of the offering has the same backend id;
- *stale*: reported more than N days ago (`CONSOLE_STALE_DAYS`, default 14).

Reports without a backend id are never imported, previously imported or duplicates: nothing
ties them to anything else. Each flag is a filter (`flag=duplicate,stale`; a leading `-` asks
for reports without it) and, for the rows of a page, a column of the same statement, so the
table runs the same number of statements whatever its page size.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import Boolean, and_, bindparam, exists, func, not_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased, selectinload, with_expression
from sqlalchemy.sql.functions import FunctionElement

from console.models import (
    RESOURCE_STATE_OK,
    BackendResource,
    Dismissal,
    DuplicateBackendId,
    MarketplaceResource,
    utcnow,
)

IMPORTED = "imported"
PREVIOUSLY_IMPORTED = "previously_imported"
DUPLICATE = "duplicate"
STALE = "stale"
FLAGS = (IMPORTED, PREVIOUSLY_IMPORTED, DUPLICATE, STALE)
FLAG_LABELS = {
    IMPORTED: "already imported",
    PREVIOUSLY_IMPORTED: "previously imported",
    DUPLICATE: "duplicate",
    STALE: "stale",
}
DEFAULT_STALE_DAYS = 14

# `dismissed`: absent hides dismissed reports (the console's default view), "only" shows them
# alone (the Dismissed view), "any" shows both. The JSON API, as upstream, never filters on it.
DISMISSED_HIDDEN = "hidden"
DISMISSED_ONLY = "only"
DISMISSED_ANY = "any"
DISMISSED_CHOICES = (DISMISSED_ONLY, DISMISSED_ANY)

Twin = aliased(BackendResource, name="twin")
Imported = aliased(MarketplaceResource, name="imported")
Earlier = aliased(MarketplaceResource, name="earlier")


def has_backend_id():
    """The report names a backend id (the flags that compare backend ids need one)."""
    return BackendResource.backend_id != ""


def imported_resource_uuid():
    """The uuid of the offering's OK marketplace resource with the report's backend id."""
    return (
        select(Imported.uuid)
        .where(
            Imported.offering_id == BackendResource.offering_id,
            Imported.backend_id == BackendResource.backend_id,
            Imported.state == RESOURCE_STATE_OK,
            has_backend_id(),
        )
        .limit(1)
        .correlate(BackendResource)
        .scalar_subquery()
    )


def previously_imported_state():
    """The state of a marketplace resource of the offering with this backend id, not OK."""
    return (
        select(func.min(Earlier.state))
        .where(
            Earlier.offering_id == BackendResource.offering_id,
            Earlier.backend_id == BackendResource.backend_id,
            Earlier.state != RESOURCE_STATE_OK,
            has_backend_id(),
        )
        .correlate(BackendResource)
        .scalar_subquery()
    )


def duplicate_count():
    """How many other reports of the offering carry the same backend id."""
    return (
        select(func.count(Twin.id))
        .where(
            Twin.offering_id == BackendResource.offering_id,
            Twin.backend_id == BackendResource.backend_id,
            Twin.id != BackendResource.id,
            has_backend_id(),
        )
        .correlate(BackendResource)
        .scalar_subquery()
    )


def resource_flagged_report_ids(flag: str):
    """Return a select() of the ids of the reports flagged `imported` or `previously_imported`,
    found from the marketplace resources (one index probe each) instead of every report.

    A report can match several resources (an id terminated twice): the ids may repeat.
    """
    resource = aliased(MarketplaceResource, name="flagging")
    state = (
        resource.state == RESOURCE_STATE_OK if flag == IMPORTED
        else resource.state != RESOURCE_STATE_OK
    )
    return reports_of_pairs(resource).where(state, has_backend_id())


def duplicate_report_ids():
    """Return a select() of the ids of the reports flagged `duplicate`, found from the pairs
    the triggers keep in `duplicate_backend_ids` (few) instead of every report."""
    return reports_of_pairs(DuplicateBackendId)


def reports_of_pairs(pairs):
    """Return a select() of the ids of the reports naming an (offering_id, backend_id) of the
    `pairs` table: its few rows drive, each a probe of the reports' index."""
    return (
        select(BackendResource.id)
        .select_from(pairs)
        .join(
            BackendResource,
            and_(
                BackendResource.offering_id == NotIndexed(pairs.offering_id),
                BackendResource.backend_id == NotIndexed(pairs.backend_id),
            ),
        )
    )


def flagged_report_ids(flag: str):
    """Return a select() of the ids of the reports a COLLECTED_FLAGS flag marks (they may
    repeat)."""
    if flag == DUPLICATE:
        return duplicate_report_ids()
    return resource_flagged_report_ids(flag)


# Positive flags whose few reports are collected from an index: `imported` and
# `previously_imported` from the marketplace resources (one each), `duplicate` from the pairs.
COLLECTED_FLAGS = (IMPORTED, PREVIOUSLY_IMPORTED, DUPLICATE)
# Flag filters that keep most reports and hide a few that an index finds: a list with them is
# every report less those few (`-imported`, `-previously_imported`, `-duplicate`; `stale` hides
# the recent).
SUBTRACTED_FLAGS = ("-imported", "-previously_imported", "-duplicate", STALE)


def hidden_report_clause(flag: str, stale_days: int):
    """The row condition of the reports a SUBTRACTED_FLAGS filter hides, for checking rows
    found another way (SQLite is not to walk the `created` index for it)."""
    if flag == STALE:
        return NotIndexed(BackendResource.created) >= stale_cutoff_at_run(stale_days)
    return flag_clause(flag.lstrip("-"), stale_days)


def stale_cutoff(stale_days: int, now: datetime | None = None) -> datetime:
    """Reports created before this moment are stale."""
    return (now or utcnow()) - timedelta(days=stale_days)


# The name of the stale cutoff's bound value, and of no other. SQLAlchemy shares one compiled
# form between statements of the same shape, and reads a bound value from a function only when
# the statement that was compiled first did: under an anonymous name a `created >= :date` filter
# compiled first would leave the cutoff NULL.
STALE_CUTOFF_PARAMETER = "stale_cutoff"


def stale_cutoff_at_run(stale_days: int):
    """The stale cutoff as a statement's bound value, computed from the clock each time the
    statement runs: a statement kept for later requests moves with the clock."""
    return bindparam(STALE_CUTOFF_PARAMETER, callable_=partial(stale_cutoff, stale_days),
                     type_=BackendResource.created.type)


def flag_clause(flag: str, stale_days: int):
    """The WHERE clause of one flag."""
    if flag == IMPORTED:
        return and_(
            has_backend_id(),
            exists().where(
                Imported.offering_id == BackendResource.offering_id,
                Imported.backend_id == BackendResource.backend_id,
                Imported.state == RESOURCE_STATE_OK,
            ),
        )
    if flag == PREVIOUSLY_IMPORTED:
        return and_(
            has_backend_id(),
            exists().where(
                Earlier.offering_id == BackendResource.offering_id,
                Earlier.backend_id == BackendResource.backend_id,
                Earlier.state != RESOURCE_STATE_OK,
            ),
        )
    if flag == DUPLICATE:
        return and_(
            has_backend_id(),
            exists().where(
                Twin.offering_id == BackendResource.offering_id,
                Twin.backend_id == BackendResource.backend_id,
                Twin.id != BackendResource.id,
            ),
        )
    if flag == STALE:
        return BackendResource.created < stale_cutoff_at_run(stale_days)
    raise ValueError(flag)


def parse_flags(values: list[str], errors: dict) -> tuple[str, ...]:
    """Read `flag` values (repeated or comma-separated, `-` negates); note unknown ones."""
    flags = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if part.lstrip("-") not in FLAGS:
                choices = ", ".join(FLAGS)
                errors["flag"] = [f"Unknown flag {part}: choose among {choices}, or -flag."]
                return ()
            if part not in flags:
                flags.append(part)
    return tuple(flags)


def parse_dismissed(value: str | None, errors: dict) -> str:
    """Read the `dismissed` parameter of the console: hidden by default, "only" or "any"."""
    if value in (None, ""):
        return DISMISSED_HIDDEN
    if value not in DISMISSED_CHOICES:
        errors["dismissed"] = [f"Select a valid choice. {value} is not one of only, any."]
        return DISMISSED_HIDDEN
    return value


# --- The hooks the query builder calls -------------------------------------------------------


def flag_filter_clauses(params) -> list:
    """WHERE clauses for the `flag` and `dismissed` parameters (console only)."""
    clauses = []
    for flag in params.flags:
        clause = flag_clause(flag.lstrip("-"), params.stale_days)
        clauses.append(not_(clause) if flag.startswith("-") else clause)
    if params.dismissed == DISMISSED_HIDDEN:
        clauses.append(NotDismissed(BackendResource.dismissal_id))
    elif params.dismissed == DISMISSED_ONLY:
        clauses.append(is_dismissed())
    return clauses


def is_dismissed():
    """`dismissal_id IS NOT NULL` (ids are positive), which SQLite is told is rare, so that it
    reads the few dismissed reports from their index rather than another filter's."""
    return Rare(BackendResource.dismissal_id > 0)


class Rare(FunctionElement):
    """A condition few rows meet: SQLite's likelihood() says so to its planner; PostgreSQL
    knows it from its statistics. (Untyped: a Boolean would be compared with 1 on SQLite, which
    hides the condition from the planner.)"""

    inherit_cache = True


@compiles(Rare)
def _compile_rare(element, compiler, **kw):
    """PostgreSQL (and others): the condition itself."""
    return compiler.process(element.clauses, **kw)


@compiles(Rare, "sqlite")
def _compile_rare_sqlite(element, compiler, **kw):
    """SQLite: likelihood(condition, one in a million)."""
    return f"likelihood({compiler.process(element.clauses, **kw)}, 0.000001)"


class NotDismissed(FunctionElement):
    """`dismissal_id IS NULL`, asked as "not one of the dismissed reports" (ids and dismissal
    ids are positive), found from the dismissal index.

    Nearly every report is undismissed, and the test then needs no other column of the row: an
    index that covers the rest answers alone. SQLite, without statistics, would otherwise read
    every undismissed report from the dismissal index and sort them instead of walking the sort
    key's index; PostgreSQL would visit each candidate row for its dismissal_id, where a name
    search's (name, created) index covers the rest (the table's `name=gpu` at a million
    reports: 12 against 7.7 ms, and its page 200 27 against 11 ms).
    """

    type = Boolean()
    inherit_cache = True


def _dismissed_reports(element):
    """The rows of the dismissed reports, aliased, and the outer report's id column."""
    column = element.clauses.clauses[0]
    dismissed = getattr(column.table, "element", column.table).alias("dismissed")
    return dismissed, column.table.c.id


@compiles(NotDismissed)
def _compile_not_dismissed(element, compiler, **kw):
    """PostgreSQL (and others): no dismissed report has the row's id, which it plans as an anti
    join (a hash of the few dismissed ids, or a probe per row when they are many)."""
    dismissed, report_id = _dismissed_reports(element)
    clause = ~exists().where(dismissed.c.dismissal_id > 0, dismissed.c.id == report_id)
    return compiler.process(clause, **kw)


@compiles(NotDismissed, "sqlite")
def _compile_not_dismissed_sqlite(element, compiler, **kw):
    """SQLite: the id is not among the dismissed reports' (read once from the dismissal index
    into a temporary index)."""
    dismissed, report_id = _dismissed_reports(element)
    clause = report_id.not_in(
        select(dismissed.c.id).where(dismissed.c.dismissal_id > 0).correlate(None)
    )
    return compiler.process(clause, **kw)


class NotIndexed(FunctionElement):
    """A column SQLite may not look rows up by (a unary `+`); PostgreSQL sees the column.

    Without statistics SQLite would walk every report and probe the resources for each; with
    the resources' side unindexed it walks the (few) resources and probes the reports' index.
    """

    inherit_cache = True

    def __init__(self, column):
        """Wrap `column`, keeping its type so that comparisons bind as they would to it."""
        self.type = column.type
        super().__init__(column)


@compiles(NotIndexed)
def _compile_not_indexed(element, compiler, **kw):
    """PostgreSQL (and others): the column itself, which its statistics plan right."""
    return compiler.process(element.clauses, **kw)


@compiles(NotIndexed, "sqlite")
def _compile_not_indexed_sqlite(element, compiler, **kw):
    """SQLite: a unary + keeps the planner from looking rows up by this column."""
    return f"+{compiler.process(element.clauses, **kw)}"


def flag_loader_options(params) -> list:
    """Loader options that fill in each row's flags (and, when dismissed rows show, why)."""
    if not params.with_flags:
        return []
    options = [
        with_expression(BackendResource.imported_resource_uuid, imported_resource_uuid()),
        with_expression(BackendResource.previously_imported_state, previously_imported_state()),
        with_expression(BackendResource.duplicate_count, duplicate_count()),
    ]
    if params.dismissed != DISMISSED_HIDDEN:
        options.append(
            selectinload(BackendResource.dismissal).joinedload(Dismissal.created_by)
        )
    return options


# --- Reading the flags of a loaded row -------------------------------------------------------


@dataclass(frozen=True)
class RowFlags:
    """The flags of one loaded report, for badges, exports and bulk plans."""

    imported_resource_uuid: object
    previously_imported_state: str | None
    duplicate_count: int
    stale: bool
    age_days: int

    @property
    def names(self) -> list[str]:
        """The flags that are set, in display order."""
        return [
            flag
            for flag, is_set in (
                (IMPORTED, self.imported_resource_uuid is not None),
                (PREVIOUSLY_IMPORTED, self.previously_imported_state is not None),
                (DUPLICATE, self.duplicate_count > 0),
                (STALE, self.stale),
            )
            if is_set
        ]


def row_flags(report: BackendResource, stale_days: int, now: datetime | None = None) -> RowFlags:
    """The flags of a report loaded with `flag_loader_options`."""
    now = now or utcnow()
    age = now - report.created
    return RowFlags(
        imported_resource_uuid=report.imported_resource_uuid,
        previously_imported_state=report.previously_imported_state,
        duplicate_count=report.duplicate_count or 0,
        stale=report.created < stale_cutoff(stale_days, now),
        age_days=max(0, age.days),
    )
