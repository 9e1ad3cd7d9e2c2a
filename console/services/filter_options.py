"""The options of the backend resource table's customer, project and offering selects, each with
the number of reports it has under the other filters."""

import dataclasses
import uuid
from dataclasses import dataclass, field

from sqlalchemy import and_, bindparam, func, literal, null, or_, select, union_all

from console.extensions import PREPARED
from console.models import (
    BackendResource,
    BackendResourceTally,
    Customer,
    Offering,
    Project,
)
from console.services.access import Viewer, offering_scope_clause
from console.services.flags import COLLECTED_FLAGS, STALE, flagged_report_ids
from console.services.kept import KEPT_STATEMENTS
from console.services.list_plans import (
    FILTERS_OF_DATE,
    HiddenReports,
    counting_tally,
    only_filters,
    plan_stable,
    search_hints,
    tally_clauses,
)
from console.services.queries import (
    ListParams,
    Provider,
    filter_clauses,
    scope_clauses,
)

SELECT_KEYS = ("customer_uuid", "project_uuid", "offering_uuid")
# The filters of each date, which its (offering, project, date) index answers for each pair
# (`counted_in_pair_ranges`): one date's, not both (the other would be looked up row by row).
CREATED_FILTERS = FILTERS_OF_DATE["created"]
MODIFIED_FILTERS = FILTERS_OF_DATE["modified"]


@dataclass
class FilterChoices:
    """The options of the customer, project and offering selects."""

    customers: list
    projects: list
    offerings: list
    counts: dict = field(default_factory=dict)  # select key -> {uuid hex: number of reports}
    total: int = 0  # the reports that pass all three selects too: the list's own count


def count_filter_options(
    session, params: ListParams, user, chosen: dict[str, uuid.UUID | None]
) -> FilterChoices:
    """Load the select options with their report counts in two statements, whatever the data.

    Each select counts the reports that the other filters leave (so choosing a customer narrows
    the projects to that customer's); an option with no reports is left out, except the one
    `chosen` names. One pass over the reports counts them per (project, offering) under the
    filters the selects share; each select's counts are then summed from those pairs, and so
    is the list's own count (the pairs that pass all three selects).
    """
    shared = dataclasses.replace(params, **dict.fromkeys(SELECT_KEYS))
    prepared = {PREPARED: True} if plan_stable(shared) else {}
    statement = pair_counts_select(session, shared, user)
    pairs = [pair for pair in session.execute(statement, execution_options=prepared)
             if pair[2] > 0]

    projects, offerings, customers = load_options(session, pairs, chosen)
    counts, total = sum_pairs(pairs, params, projects, offerings)

    def shown(key, objects):
        return with_reports_or_chosen(objects, counts[key], chosen.get(key))

    return FilterChoices(
        customers=shown("customer_uuid", customers),
        projects=shown("project_uuid", projects),
        offerings=shown("offering_uuid", offerings),
        counts=counts,
        total=total,
    )


@dataclass(frozen=True, slots=True)
class SelectOption:
    """A customer, project or offering as a select shows it; a project's or offering's
    `customer` is its customer or provider."""

    id: int
    uuid: uuid.UUID
    name: str
    customer: "SelectOption | None" = None


def load_options(session, pairs, chosen: dict) -> tuple[list, list, list]:
    """Return the projects and offerings of the pairs and the customers of those projects (and
    each one `chosen` names), in one statement: (projects, offerings, customers), each in the
    order the select shows it."""
    values = {
        "project_ids": sorted({project for project, _o, _n in pairs}),
        "offering_ids": sorted({offering for _p, offering, _n in pairs}),
        **{f"chosen_{key}": chosen.get(key) for key in SELECT_KEYS},
    }
    options: tuple[list, list, list] = ([], [], [])
    for kind, option_id, option_uuid, name, owner_id, owner_uuid, owner_name in (
        session.execute(OPTIONS, values, execution_options={PREPARED: True})
    ):
        owner = None if owner_id is None else SelectOption(owner_id, owner_uuid, owner_name)
        options[kind].append(SelectOption(option_id, option_uuid, name, owner))
    customers, projects, offerings = options
    return projects, offerings, customers


def _options_select():
    """Build OPTIONS: the rows of the three selects, their ids and chosen uuids bound."""

    def wanted(model, ids, key):
        """Rows of `model` with these ids, or the one the URL chooses (none: NULL, no row)."""
        return or_(model.id.in_(ids), model.uuid == bindparam(f"chosen_{key}"))

    projects = select(Project.id).where(
        wanted(Project, bindparam("project_ids", expanding=True), "project_uuid")
    )
    kinds = [  # the first select gives the columns their names and types
        select(literal(1).label("kind"), Project.id, Project.uuid, Project.name,
               Customer.id.label("owner_id"), Customer.uuid.label("owner_uuid"),
               Customer.name.label("owner_name"))
        .join(Project.customer)
        .where(Project.id.in_(projects)),
        select(literal(2), Offering.id, Offering.uuid, Offering.name,
               Provider.id, Provider.uuid, Provider.name)
        .join(Offering.customer.of_type(Provider))
        .where(wanted(Offering, bindparam("offering_ids", expanding=True), "offering_uuid")),
        select(literal(0), Customer.id, Customer.uuid, Customer.name, null(), null(), null())
        .where(wanted(Customer, select(Project.customer_id).where(Project.id.in_(projects)),
                      "customer_uuid")),
    ]
    rows = union_all(*kinds).subquery()
    return select(rows).order_by(
        rows.c.kind, rows.c.owner_name, rows.c.owner_id, rows.c.name, rows.c.id
    )


# Built once: building it took longer than running it.
OPTIONS = _options_select()


def pair_counts_select(session, shared: ListParams, user):
    """Return a select() of (project id, offering id, reports) for every pair with reports
    that pass the `shared` filters (and, from the tallies, pairs left with none: 0 or less).

    Building it took longer than running it, so each one built is kept for the next request
    with the same filters and viewer (with `stale`, its cutoff is computed at each run).
    """
    dialect, viewer = session.get_bind().dialect.name, Viewer.of(user)
    key = ("pair counts", dialect, shared, viewer)
    return KEPT_STATEMENTS.get(key, lambda: build_pair_counts_select(dialect, shared, viewer))


def build_pair_counts_select(dialect: str, shared: ListParams, user):
    """Build `pair_counts_select`.

    When the tallies can answer those filters (the table's default view among them), the pairs
    are read from the tallies, less the reports the list hides that match (`HiddenReports`:
    dismissed ones, imported ones with `flag=-imported`, recent ones with `flag=stale`, each read
    from its own index), instead of grouping every report.
    """
    hidden = HiddenReports.of(shared)
    tally = counting_tally(hidden.every_report)
    if tally is None and dated_only(shared):
        return counted_in_pair_ranges(shared, user)
    if tally is None:
        # `flag=imported`, `previously_imported` or `duplicate`: group only the few reports an
        # index points to (the flag's own clause still decides).
        hints = [BackendResource.id.in_(flagged_report_ids(flag))
                 for flag in shared.flags if flag in COLLECTED_FLAGS]
        # The console's search box on SQLite: group only the reports the trigram index finds
        # (a search that finds nothing read every report's name and backend id).
        hints += search_hints(shared.q, sqlite=dialect == "sqlite")
        return grouped_reports(dialect, shared, [*scope_clauses(shared, user), *hints])
    matching = (
        select(tally.project_id, tally.offering_id, func.sum(tally.reports).label("reports"))
        .where(offering_scope_clause(user, tally.offering_id),
               *tally_clauses(tally, hidden.every_report))
        .group_by(tally.project_id, tally.offering_id)
        .subquery()
    )
    pairs = select(matching.c.project_id, matching.c.offering_id)
    left = matching.c.reports
    grouped = []  # the hidden sets that share no report: their counts per pair add up
    for part in hidden.parts(user, sqlite=dialect == "sqlite"):
        if part.ranged:
            # The recent reports (many): counted in each pair's range of its created index.
            left = left - part.count(
                BackendResource.project_id == matching.c.project_id,
                BackendResource.offering_id == matching.c.offering_id,
            )
        else:
            grouped.append(part.per_pair())
    if grouped:
        sets = union_all(*grouped).subquery()
        subtracted = (
            select(sets.c.project_id, sets.c.offering_id,
                   func.sum(sets.c.reports).label("reports"))
            .group_by(sets.c.project_id, sets.c.offering_id)
            .subquery()
        )
        left = left - func.coalesce(subtracted.c.reports, 0)
        pairs = pairs.select_from(matching.outerjoin(subtracted, and_(
            subtracted.c.project_id == matching.c.project_id,
            subtracted.c.offering_id == matching.c.offering_id,
        )))
    # Pairs left with no report come too (with 0 or less): filtering here would count twice.
    return pairs.add_columns(left)


def dated_only(shared: ListParams) -> bool:
    """Tell whether filters of one date are all the selects' shared filters hold besides the
    view (`flag=-stale`, the reports created since the stale cutoff, is one of `created`)."""
    recent = shared.flags == (f"-{STALE}",)
    if recent or any(getattr(shared, key) is not None for key in CREATED_FILTERS):
        view = ("dismissed", "flags") if recent else ("dismissed",)
        return only_filters(shared, {*CREATED_FILTERS, *view})
    updated = any(getattr(shared, key) is not None for key in MODIFIED_FILTERS)
    return updated and only_filters(shared, {*MODIFIED_FILTERS, "dismissed"})


def counted_in_pair_ranges(shared: ListParams, user):
    """Return a select() of (project id, offering id, reports) for filters of one date: each
    pair of the tallies with its matching reports counted in its range of the (offering,
    project, date) index, which holds every column the filter reads, instead of looking every
    match up for its pair (reports of the last nine days of a million: 265 against 14 ms on
    SQLite; last updated before the median day: 1.0 s against 65 ms)."""
    pair = BackendResourceTally
    reports = (
        select(func.count())
        .select_from(BackendResource)
        .where(BackendResource.offering_id == pair.offering_id,
               BackendResource.project_id == pair.project_id, *filter_clauses(shared))
        .scalar_subquery()
    )
    return (
        select(pair.project_id, pair.offering_id, reports.label("reports"))
        .where(offering_scope_clause(user, pair.offering_id))
    )


def grouped_reports(dialect: str, params: ListParams, clauses: list):
    """Return a select() of (project id, offering id, reports) grouping the matching reports."""
    project_id, offering_id = BackendResource.project_id, BackendResource.offering_id
    if filter_clauses(params) and dialect == "sqlite":
        # With a filter on the rows SQLite still groups along the (project, offering) index and
        # looks every row up from it; "+ 0" makes it read the table once and sort the few
        # matches instead (about 2-6x faster at 50,000 reports). PostgreSQL plans this itself.
        project_id, offering_id = project_id + 0, offering_id + 0
    return (
        select(
            project_id.label("project_id"), offering_id.label("offering_id"),
            func.count().label("reports"),
        )
        .where(*clauses)
        .group_by(project_id, offering_id)
    )


def sum_pairs(
    pairs, params: ListParams, projects, offerings
) -> tuple[dict[str, dict[str, int]], int]:
    """Each select's counts by option uuid hex (the pairs that pass the other two selects), and
    the reports of the pairs that pass all three: the count of the list itself."""
    wanted = {key: getattr(params, key) for key in SELECT_KEYS}
    # Per project: (customer uuid, its hex, project uuid, its hex); per offering: (uuid, hex).
    project_keys = {
        project.id: (project.customer.uuid, project.customer.uuid.hex, project.uuid,
                     project.uuid.hex)
        for project in projects
    }
    offering_keys = {offering.id: (offering.uuid, offering.uuid.hex) for offering in offerings}
    customer_counts: dict[str, int] = {}
    project_counts: dict[str, int] = {}
    offering_counts: dict[str, int] = {}
    total = 0
    for project_id, offering_id, number in pairs:
        customer, customer_hex, project, project_hex = project_keys[project_id]
        offering, offering_hex = offering_keys[offering_id]
        customer_passes = wanted["customer_uuid"] in (None, customer)
        project_passes = wanted["project_uuid"] in (None, project)
        offering_passes = wanted["offering_uuid"] in (None, offering)
        if project_passes and offering_passes:
            customer_counts[customer_hex] = customer_counts.get(customer_hex, 0) + number
        if customer_passes and offering_passes:
            project_counts[project_hex] = project_counts.get(project_hex, 0) + number
        if customer_passes and project_passes:
            offering_counts[offering_hex] = offering_counts.get(offering_hex, 0) + number
            if offering_passes:
                total += number
    counts = {"customer_uuid": customer_counts, "project_uuid": project_counts,
              "offering_uuid": offering_counts}
    return counts, total


def with_reports_or_chosen(objects, counts: dict[str, int], chosen) -> list:
    """The options a select shows: those with reports, and the chosen one (counted 0 if none)."""
    shown = []
    for obj in objects:
        if obj.uuid == chosen:
            counts.setdefault(obj.uuid.hex, 0)
            shown.append(obj)
        elif counts.get(obj.uuid.hex):
            shown.append(obj)
    return shown
