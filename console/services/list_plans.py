"""How a backend resource list is counted and paged fast, without changing its answer.

The answer is fixed by `queries.backend_resources_select`: its rows, in its order, and their
exact count. A plan only picks the way there:

- count: from the tallies the database keeps (reports per offering and project, per name, and
  per character: a one-character `q`) when every filter set is one they can answer; hiding
  dismissed reports (the console's default), the already or previously imported ones
  (`flag=-imported`), the duplicates (`-duplicate`) or the recent ones (`flag=stale`)
  subtracts those that match, found from their own index; else
  by counting the matching reports (other flag filters, metadata filters, dates, backend id,
  the Dismissed view), where `flag=imported`, `previously_imported` or `duplicate` count only
  the few reports an index points to;
- page: the ids of the page first (an index walk, no joins unless the sort key needs them),
  then only those rows with their project, offering and owners; a page past the middle is read
  from the other end, so the last page costs what the first does;
- search: a dense match is found by walking the sort key's index and checking each row; a
  sparse one (judged from the counts, when the tallies give them) is collected and sorted: "name
  contains" as the reports bearing one of the tally's names that contain the term (a (name,
  created) index), `q` on SQLite from a trigram index of the lowered text, ASCII letters folded
  as the plain search's LIKE folds them (three characters or more), which also counts an
  unfiltered `q` search;
- far end: a search's matches can crowd at one end of a sort key (the names with "gpu" at the
  lowest backend ids); walking from the other end would read nearly every report, so a walk
  stops at a fence as many rows into the index as the search matches, and a page not found
  inside it is collected instead (`ListPlan.fenced`);
- a site's names crowd in its own offerings and projects: a user who sees some offerings only
  has the page merged from each offering walked in the sort key's order (PostgreSQL,
  `ListPlan.offering_walk`), or, by a date on SQLite, the date's index walked with each row's
  offering checked, up to a fence (`ListPlan.scope_fenced`; so too one offering's or project's
  reports by date of update, `holder_fenced`); a walk project by project (offering by offering)
  reads only those holding the user's reports (SQLite is told to walk them in name order,
  `ListPlan.walks_dimension_in_order`; PostgreSQL walks a search's first few reports of each,
  the rest from the trigram index, `ListPlan.searched_dimension_walk`), and a search with few
  matches sorted by project or offering name is collected instead (`ListPlan.few_found`); one
  offering's reports in one project sorted by backend id (a project's crowd together) are
  collected from the pair (`ListPlan.pair_unordered`);
- dates: a list sorted by one date and filtered by the other (`modified_before` an early day,
  newest first) has its matches at the far end of the sort key's index; each date's index holds
  the other date, so the walk reads index entries only, and few matches are collected from the
  filter's index instead (`ListPlan.crosses_dates`);
- a page without a count (the console's table, for a dense search or metadata filter the
  tallies cannot count; see `table_rows.counts_come_later`): one row more than the page, walking
  the sort key's index, tells whether more follow.
"""

from dataclasses import dataclass, fields, replace

from sqlalchemy import (
    Integer,
    any_,
    bindparam,
    column,
    func,
    literal,
    literal_column,
    not_,
    select,
    table,
    true,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql import operators
from sqlalchemy.sql.expression import Join, UnaryExpression

from console.extensions import PREPARED
from console.list_indexes import SEARCH_TABLE, TALLIED_CHARACTERS
from console.models import (
    BackendResource,
    BackendResourceCharacterTally,
    BackendResourceNameTally,
    BackendResourceTally,
    Offering,
    Project,
)
from console.services.access import (
    Viewer,
    offering_scope_clause,
    sees_everything,
    visible_backend_resources_clause,
)
from console.services.flags import (
    COLLECTED_FLAGS,
    DISMISSED_ANY,
    DISMISSED_HIDDEN,
    DISMISSED_ONLY,
    STALE,
    SUBTRACTED_FLAGS,
    NotIndexed,
    flagged_report_ids,
    hidden_report_clause,
    is_dismissed,
    stale_cutoff_at_run,
)
from console.services.kept import (
    KEPT_COUNTS,
    KEPT_STATEMENTS,
    Same,
    SeenCounts,
)
from console.services.queries import (
    ORDERING_COLUMNS,
    ListParams,
    catalogue_clauses,
    columns_select,
    directed,
    filter_clauses,
    ordering_clauses,
    with_relations,
)
from console.services.text_match import ContainsIgnoringCase

# Filters the tallies answer; any other filter (now or added later) means counting reports.
TALLIED_FILTERS = frozenset(
    {"name", "name_exact", "offering_uuid", "project_uuid", "customer_uuid"}
)
# Besides a single character searched for (`q`), the filters the character tally answers.
CHARACTER_TALLIED_FILTERS = frozenset({"q", "offering_uuid", "project_uuid", "customer_uuid"})
# ListParams fields that do not narrow the list; a new field that does not filter belongs here.
# (`stale_days` matters only with the `stale` flag, and `flags` is a filter the tallies lack.)
NOT_FILTERS = frozenset({"ordering", "page", "page_size", "with_flags", "stale_days"})
# Flag filters that leave out the reports of a COLLECTED_FLAGS flag (few, found by a join).
EXCLUDED_BY_ID = tuple(f"-{flag}" for flag in COLLECTED_FLAGS)
# The trigram index knows strings of three characters or more.
TRIGRAM = 3
# A search the trigram index finds at most this many reports for is counted from the index.
FEW_SEARCH_HITS = 1000
# The newest reports whose matches tell whether a match is dense enough to walk an index for.
NEWEST_SAMPLE = 20_000
# Sort keys that are the name of a small table the reports point to.
DIMENSIONS = {
    "project_name": (Project, BackendResource.project_id),
    "offering_name": (Offering, BackendResource.offering_id),
}
# A search sorted by project or offering name is walked project by project from this many
# matches; fewer are collected and sorted (tens of milliseconds at most).
DIMENSION_WALK_FROM = 100_000
# A list an index finds, walked project by project, reads this many times the page's depth of
# each one's reports, then takes the rest of its matches from that index
# (`searched_dimension_walk`).
DIMENSION_FENCE_DEPTHS = 40
# Sort keys no index gives in order within one offering and project (its (offering, project,
# created, id) index gives the date reported; the name comes from the offering's or project's
# own index), and how many reports of such a pair are collected and sorted instead of walked.
PAIR_UNORDERED_KEYS = frozenset({"backend_id"})
PAIR_COLLECTED_UP_TO = 100_000
# Sort keys an index gives in order within each offering ((offering, key, id) or (offering,
# key)): the page of a user who sees some offerings only, unfiltered but for the dismissed
# view, is merged from each one's walk there (PostgreSQL, `ListPlan.offering_walk`).
OFFERING_ORDERED_KEYS = frozenset({"name", "backend_id", "created"})
OFFERING_WALK_FILTERS = frozenset({"dismissed"})
# The walks that are not the sort key's own index (`ListPlan.way`).
BY_DIMENSION = "dimension"
BY_OFFERING = "offering"
# A match read from an index costs about a tenth of a row read while walking the sort index.
COLLECT_FROM_INDEX = 10
# A list sorted by one date and filtered by the other is collected when this many reports match
# or fewer (about 10 ms of index entries at a million reports; see `ListPlan.crosses_dates`).
CROSSED_DATES_COLLECTED_UP_TO = 100_000
# A walk to a search's page stops at a fence this many rows or fewer into the sort key's index
# (as many as the search matches: see `ListPlan.fenced`); finding the fence reads them from the
# index (a few milliseconds at most), and past it the matches are collected instead.
FENCED_UP_TO = 20_000
# The sort keys whose index can be fenced (columns of the reports that are never NULL), and the
# filters of a list walked with a fence: a search among every report, no other index to take.
FENCED_KEYS = frozenset({"name", "backend_id", "created", "modified"})
FENCED_FILTERS = frozenset({"name", "q", "dismissed"})
# A user who sees some offerings only walks the index of a date, on SQLite, with a fence this
# many times the page's depth into it, filtered by these alone (`ListPlan.scope_fenced`). The
# name's and backend id's order within each offering come from an index of their own.
SCOPE_FENCE_DEPTHS = 64
SCOPE_FENCED_KEYS = frozenset({"created", "modified"})
SCOPE_FENCED_FILTERS = frozenset({"name", "q", "dismissed"})
# The same walk for one offering's or one project's reports by a date no (offering or project,
# date) index gives (SQLite), with these filters at most.
HOLDER_FENCED_KEYS = frozenset({"modified"})
HOLDER_FENCED_FILTERS = SCOPE_FENCED_FILTERS | {"offering_uuid", "project_uuid"}
# The table's page shown before counting (a search or metadata filter) is walked with a fence
# this many rows into the sort key's index: as many as `reaches_early` found the page among
# (the newest reports, the head of the default sort only).
UNCOUNTED_FENCED_FILTERS = frozenset({"q", "metadata", "dismissed"})
UNCOUNTED_FENCE_ROWS = NEWEST_SAMPLE
# Sort keys whose collected page PostgreSQL plans well by itself: the name search's (name,
# created) index gives its matches in either order (see `ListPlan.way`).
PLANNED_COLLECT_KEYS = frozenset({"name", "created"})
# The filters on each date (each date with indexes of its own), and those a list sorted by
# project or offering name may have for SQLite to walk them in name order
# (`walks_dimension_in_order`).
FILTERS_OF_DATE = {
    "created": frozenset({"created", "created_before"}),
    "modified": frozenset({"modified", "modified_before"}),
}
DATE_FILTERS = FILTERS_OF_DATE["created"] | FILTERS_OF_DATE["modified"]
IN_ORDER_FILTERS = frozenset({*DATE_FILTERS, "name", "q", "dismissed", "flags"})
# The other date of each date sort key, and the filters on it.
CROSSED_DATES = {"created": FILTERS_OF_DATE["modified"], "modified": FILTERS_OF_DATE["created"]}
# Filters whose values leave the best plan as it is: ids looked up, the dismissed view and the
# flags (each a set of reports found from its own index). A list filtered by these alone has
# its statements prepared (planned once) on PostgreSQL; text, dates and metadata do not.
PLAN_STABLE_FILTERS = frozenset(
    {"offering_uuid", "project_uuid", "customer_uuid", "dismissed", "flags"}
)

search_index = table(SEARCH_TABLE, column("rowid"))


def counting_tally(params: ListParams):
    """Return the tally that counts the reports matching `params` (hidden ones too); None when
    only the reports can count them.

    Per pair, or per pair and name ("name contains", "name is"), or per pair and character
    for a search of one tallied character (`q`: name or backend id).
    """
    if only_filters(params, TALLIED_FILTERS):
        by_name = params.name is not None or params.name_exact is not None
        return BackendResourceNameTally if by_name else BackendResourceTally
    if tallied_character(params.q) and only_filters(params, CHARACTER_TALLIED_FILTERS):
        return BackendResourceCharacterTally
    return None


def counts_read_reports(params: ListParams) -> bool:
    """Tell whether counting the list and its select counts reads every report that its search
    (`q`) or metadata filter matches: no tally counts them (what is hidden set apart), and
    neither a flag nor the Dismissed view narrows them to the few an index finds."""
    if not (params.q or params.metadata) or params.dismissed == DISMISSED_ONLY:
        return False
    if counting_tally(HiddenReports.of(params).every_report) is not None:
        return False
    return not any(flag in COLLECTED_FLAGS for flag in params.flags)


def tally_clauses(tally, params: ListParams) -> list:
    """The WHERE clauses that pick the rows of `tally` (`counting_tally`'s) counting `params`."""
    clauses = catalogue_clauses(params, tally)
    if tally is BackendResourceCharacterTally:
        clauses.append(tally.symbol == params.q.lower())
    return clauses


def tallied_character(q: str | None) -> bool:
    """Tell whether `q` is one character that the character tally counts (lowered the same
    in Python and in the database: ASCII)."""
    return q is not None and len(q) == 1 and q.isascii() and q.lower() in TALLIED_CHARACTERS


def only_filters(params: ListParams, allowed) -> bool:
    """Tell whether no filter is set besides the `allowed` ones."""
    defaults = ListParams()
    return all(
        getattr(params, field.name) == getattr(defaults, field.name)
        for field in fields(ListParams)
        if field.name not in NOT_FILTERS and field.name not in allowed
    )


def moves_with_the_clock(flags: tuple[str, ...]) -> bool:
    """Tell whether a list's statements hold the stale cutoff, a moment computed from the clock
    at each run (`stale_cutoff_at_run`), whose value may change the best plan."""
    return any(flag.lstrip("-") == STALE for flag in flags)


def plan_stable(params: ListParams) -> bool:
    """Tell whether the best plan of the list's statements is the same whatever the values of its
    filters (and not computed from the clock, as the stale cutoff is)."""
    return only_filters(params, PLAN_STABLE_FILTERS) and not moves_with_the_clock(params.flags)


def sorted_by_a_dimension(ordering: tuple[str, ...]) -> bool:
    """Tell whether the list is sorted by project or offering name alone (ties by id)."""
    return len(ordering) == 1 and ordering[0].lstrip("-") in DIMENSIONS


def reversed_ordering(ordering: tuple[str, ...]) -> tuple[str, ...]:
    """Return the sort keys the other way round (ties by id reverse with them)."""
    return tuple(key[1:] if key.startswith("-") else f"-{key}" for key in ordering)


def search_hits(term: str):
    """Return a select() of the ids whose lowered name or backend id holds `term` (SQLite).

    The phrase is lowered by SQLite's own lower(), as the indexed text is (ASCII letters only,
    those the plain search's LIKE folds).
    """
    phrase = func.replace(func.lower(literal(term)), '"', '""')
    query = literal('"').concat(phrase).concat('"')
    return select(search_index.c.rowid).where(literal_column(SEARCH_TABLE).op("MATCH")(query))


def search_hints(q: str | None, *, sqlite: bool) -> list:
    """`q` on SQLite, three characters or more: "among the reports the trigram index finds", a
    clause to add to the plain search's, which still decides. None elsewhere."""
    if sqlite and q and len(q) >= TRIGRAM:
        return [BackendResource.id.in_(search_hits(q))]
    return []


def bearing_a_name_containing(term: str, *, sqlite: bool):
    """"Name contains `term`" as "name is one of the tally's names that contain it": the name
    tally holds every name a report bears, so both select the same rows, and an index on
    (name, created) finds them."""
    names = select(BackendResourceNameTally.name).where(
        ContainsIgnoringCase(BackendResourceNameTally.name, term)
    )
    if sqlite:
        return BackendResource.name.in_(names)
    # An array, not IN (subquery): PostgreSQL then reads the (name, created) index for each
    # name instead of scanning the names for each row.
    return BackendResource.name == any_(func.array(names.scalar_subquery()))


@dataclass(frozen=True)
class HiddenReports:
    """What a list hides of the reports the tallies count: the dismissed ones (the console's
    default view), and those a flag filter of SUBTRACTED_FLAGS leaves out (the already or
    previously imported ones, found from the marketplace resources; the duplicates, from the
    pairs the triggers keep; with `stale`, the recent ones). Each set is found from its own
    index, so the list is every report less them."""

    every_report: ListParams  # the list's parameters without what is hidden
    dismissed: bool
    flags: tuple[str, ...]

    @classmethod
    def of(cls, params: ListParams) -> "HiddenReports":
        """Split `params` into every report's filters and what is hidden from them."""
        hidden = tuple(flag for flag in params.flags if flag in SUBTRACTED_FLAGS)
        kept = tuple(flag for flag in params.flags if flag not in hidden)
        dismissed = params.dismissed == DISMISSED_HIDDEN
        every_report = replace(params, dismissed=DISMISSED_ANY if dismissed else params.dismissed,
                               flags=kept)
        return cls(every_report=every_report, dismissed=dismissed, flags=hidden)

    def parts(self, user, *, sqlite: bool) -> list["HiddenPart"]:
        """Return the hidden sets, each of the reports that match every other filter and are
        in none of the sets before it, so that they add up: the recent ones first (with
        `stale`: the largest set, one range of the `created` index, or of the (name, created)
        index for each name with "name contains"), then the dismissed ones, then those of each
        flag (few, found from the resources or the duplicate pairs)."""
        stale_days = self.every_report.stale_days
        every_report = self.every_report
        matching = [visible_backend_resources_clause(user),
                    *filter_clauses(replace(every_report, name=None))]
        if every_report.name is not None:
            matching.append(bearing_a_name_containing(every_report.name, sqlite=sqlite))
        parts, before = [], []  # `before`: the row conditions of the sets already taken

        def take(condition, *own, found=None, ranged=False) -> None:
            """Add the set of reports meeting `own` (or among the `found` ids) that match and
            are in none of the sets before it; `condition` tells its reports from the rest."""
            where = [*own, *matching, *(not_(earlier) for earlier in before)]
            parts.append(HiddenPart(where=where, found=found, ranged=ranged))
            before.append(condition)

        if STALE in self.flags:
            recent = BackendResource.created >= stale_cutoff_at_run(stale_days)
            take(hidden_report_clause(STALE, stale_days), recent, ranged=True)
        if self.dismissed:
            take(NotIndexed(BackendResource.dismissal_id).is_not(None), is_dismissed())
        for flag in self.flags:
            if flag != STALE:
                take(hidden_report_clause(flag, stale_days),
                     found=flagged_report_ids(flag.lstrip("-")))
        return parts


@dataclass(frozen=True)
class HiddenPart:
    """One set of hidden reports: those meeting `where`, among the `found` ids (a select() of
    ids found by a join from a few rows, which may repeat: a backend id terminated twice)."""

    where: list
    found: object = None
    ranged: bool = False  # the recent reports: many, one range of a created index per pair

    def clauses(self) -> list:
        """The WHERE clauses of the set's reports; found ids are looked up by id, so that the
        few rows they come from drive the query, whatever index the other filters offer."""
        if self.found is None:
            return self.where
        return [BackendResource.id.in_(self.found), *self.where]

    def count(self, *within):
        """Return a scalar subquery: how many reports the set holds (of those meeting
        `within`, which may refer to an enclosing query)."""
        return select(func.count()).select_from(BackendResource).where(
            *self.clauses(), *within).scalar_subquery()

    def per_pair(self):
        """Return a select() of (project id, offering id, reports) of the set."""
        project_id, offering_id = BackendResource.project_id, BackendResource.offering_id
        return (
            select(project_id, offering_id, func.count().label("reports"))
            .where(*self.clauses())
            .group_by(project_id, offering_id)
        )


class InOrder(Join):
    """An inner join SQLite runs in the order written, its left table the outer loop (`CROSS
    JOIN`); other databases plan it as any join."""

    inherit_cache = True


@compiles(InOrder, "sqlite")
def _compile_in_order_sqlite(element, compiler, from_linter=None, asfrom=False, **kw):
    """SQLite: `left CROSS JOIN right ON ...`."""
    if from_linter:
        from_linter.edges.add((element.left, element.right))
    left = compiler.process(element.left, asfrom=True, from_linter=from_linter, **kw)
    right = compiler.process(element.right, asfrom=True, from_linter=from_linter, **kw)
    onclause = compiler.process(element.onclause, from_linter=from_linter, **kw)
    return f"{left} CROSS JOIN {right} ON {onclause}"


class UnindexedHolders:
    """The reports' offering and project as expressions no index serves, for the clauses of a
    walk that checks them row by row (`ListPlan.clauses_unindexed`)."""

    offering_id = BackendResource.offering_id + 0
    project_id = BackendResource.project_id + 0


class ListPlan:
    """Counts and pages one list request; see the module docstring for the ways it takes."""

    def __init__(
        self, session, params: ListParams, user, *, collect: bool | None = None,
        with_metadata: bool = True,
    ):
        """`collect` forces collecting (True) or walking (False) instead of choosing by cost;
        without metadata the rows leave it in the database (as `backend_resources_select`)."""
        self.session = session
        self.with_metadata = with_metadata
        self.collect = collect
        self.params = params
        # All the plan reads of the user is what `Viewer` holds, so its statements can be kept.
        self.user = Viewer.of(user)
        self.sqlite = session.get_bind().dialect.name == "sqlite"
        # The tallies count every report, dismissed or imported or not: the console's default view
        # (dismissed hidden) is that count less the dismissed reports that match, counted from
        # their index; `flag=-imported` less the imported ones, found from the resources.
        self.hidden = HiddenReports.of(params)
        self.every_report = self.hidden.every_report
        self.tally = counting_tally(self.every_report)
        self.tallied = self.tally is not None
        # `flag=imported`, `previously_imported` or `duplicate`: few reports, from an index.
        self.collected_flags = [flag for flag in params.flags if flag in COLLECTED_FLAGS]
        self.visible = None  # how many reports the user sees in all, when the tallies tell
        self.prepared = {PREPARED: True} if plan_stable(params) else {}

    def total(self, known: int | None = None) -> int:
        """Count the rows of the list: one statement (none when it would count the reports
        themselves), taking the count the caller already `known`s (the table's select counts)."""
        if self.tallied and known is not None:
            # The select counts already left out what the list hides (a recent report is one
            # range entry of 250,000 with `flag=stale` at a million): ask only how many reports
            # the user sees, for choosing how to page.
            self.visible = self.count_visible()
            self.remember(known)
            return known
        if self.tallied:
            statement = KEPT_STATEMENTS.get(self.kept_key("tallied"), self.tally_count)
            matching, self.visible = self.session.execute(
                statement, execution_options=self.prepared
            ).one()
            self.remember(matching)
            return matching
        if self.sqlite and self.only_search():
            hits = search_hits(self.params.q).subquery()
            matching = select(func.count()).select_from(hits).scalar_subquery()
            matching, self.visible = self.session.execute(
                select(self.less_hidden(matching), self.visible_count())
            ).one()
            return matching
        if known is not None:
            return known
        statement = select(func.count()).select_from(BackendResource)
        return self.session.scalar(statement.where(*self.clauses(hinted=True)))

    def tally_count(self):
        """Return a select() of (matching reports, reports the user sees) from the tallies."""
        return select(self.less_hidden(self.matching_count()), self.visible_count())

    def matching_count(self):
        """Return a scalar subquery: how many reports match, hidden ones too, from the tallies."""
        tally = self.tally
        return (
            select(func.coalesce(func.sum(tally.reports), 0))
            .where(offering_scope_clause(self.user, tally.offering_id),
                   *tally_clauses(tally, self.every_report))
            .scalar_subquery()
        )

    def remember(self, total: int) -> None:
        """Keep the counts just taken, to choose the way to the first page next time."""
        KEPT_COUNTS.put(self.session.get_bind(), self.kept_key("counts"),
                        SeenCounts(total=total, visible=self.visible))

    def seen_counts(self, known: int | None = None) -> SeenCounts | None:
        """The counts of this list's last request, when its first page is asked and the
        tallies count it: the page and its count can then be read in one statement. Not for a
        list counted empty (at its last request, or `known` so by the caller): counted first,
        an empty list reads no page at all, where walking the sort index to find nothing would
        read all of it."""
        if not (self.tallied and self.params.page == "1") or known == 0:
            return None
        seen = KEPT_COUNTS.get(self.session.get_bind(), self.kept_key("counts"))
        return seen if seen is not None and seen.total else None

    def first_page_counted(
        self, seen: SeenCounts, *, known: int | None = None, columns: tuple, owners: bool = True,
    ) -> tuple[list, int]:
        """Read the first page and count the list in one statement: (rows, total).

        The first page's place does not hang on the count (it starts at the first row, and a
        limit of a whole page reads the same rows as one of what is left); only the choice of
        way does, which takes the `seen` counts instead. The count comes from the tallies in the
        same statement, as `total` counts (`known`: the caller counted it, only the reports the
        user sees are counted, for next time); an empty first page is an empty list.
        """
        self.visible = seen.visible
        size, ordering = self.params.page_size, self.params.ordering
        expected = seen.total if known is None else known
        walk, sparse, fenced = self.way(ordering, size, expected)

        def build():
            counts = [self.visible_count().label("list_visible")]
            if known is None:
                counts.append(self.less_hidden(self.matching_count()).label("list_total"))
            return self.items_select(ordering, walk=walk, sparse=sparse, fenced=fenced,
                                     columns=columns, owners=owners).add_columns(*counts)

        way = (Same(columns), owners, ordering, walk, sparse, fenced, known is None)
        statement = KEPT_STATEMENTS.get(self.kept_key("counted first page", *way), build)
        place = {"page_limit": size, "page_offset": 0, "page_depth": size,
                 "fence_rows": self.fence_rows(ordering, size, expected)}
        rows = list(self.session.execute(statement, place, execution_options=self.prepared))
        if rows:
            self.visible = rows[0].list_visible
        if known is not None:
            total = known
        elif rows:
            total = rows[0].list_total
        else:
            # Nothing inside the fence, or nothing at all: only counting tells.
            total = self.total() if fenced else 0
        if fenced and len(rows) < min(size, total):
            # The first page lies past the fence: its matches are collected instead.
            rows = self.read_past_fence(place, ordering, columns=columns, owners=owners)
        self.remember(total)
        return rows, total

    def less_hidden(self, matching):
        """Return `matching` (a count of every report that matches, hidden or not) less the
        hidden ones (dismissed, imported with `-imported`, recent with `stale`), each set
        counted from its own index."""
        for part in self.hidden.parts(self.user, sqlite=self.sqlite):
            matching = matching - part.count()
        return matching

    def count_visible(self) -> int:
        """Count the reports the user sees, from the tallies: one statement, kept and prepared."""
        statement = KEPT_STATEMENTS.get(
            ("visible count", self.user), lambda: select(self.visible_count())
        )
        return self.session.scalar(statement, execution_options={PREPARED: True})

    def visible_count(self):
        """Return a scalar subquery: how many reports the user sees, from the tallies."""
        return (
            select(func.coalesce(func.sum(BackendResourceTally.reports), 0))
            .where(offering_scope_clause(self.user, BackendResourceTally.offering_id))
            .scalar_subquery()
        )

    def few_search_hits(self) -> bool:
        """Tell whether the trigram index (SQLite, `q` of three characters or more) finds
        `FEW_SEARCH_HITS` reports or fewer: the list is then counted and collected from its hits
        at once. It stops reading after one more."""
        q = self.params.q
        if not (self.sqlite and q and len(q) >= TRIGRAM):
            return False
        hits = search_hits(q).limit(FEW_SEARCH_HITS + 1).subquery()
        return self.session.scalar(select(func.count()).select_from(hits)) <= FEW_SEARCH_HITS

    def reaches_early(self, depth: int) -> bool:
        """Tell whether `depth` of the reports among the newest `NEWEST_SAMPLE` ids match (one
        row past a page: its rows and those before it): walking the sort key's index then finds
        the page after some thousands of rows at most, where a sparse match would have it read
        every report, row by row (a third as fast as counting them). It stops at that row."""
        if depth > NEWEST_SAMPLE:  # more than the sample holds (and no limit for a huge page)
            return False
        newest = BackendResource.id > (
            select(func.max(BackendResource.id)).scalar_subquery() - NEWEST_SAMPLE
        )
        found = (
            select(literal(1))
            .select_from(BackendResource)
            .where(newest, *self.clauses(hinted=False))
            .limit(depth)
            .subquery()
        )
        return self.session.scalar(select(func.count()).select_from(found)) >= depth

    def only_search(self) -> bool:
        """Tell whether the list is every report matching `q`, and `q` is long enough."""
        q = self.params.q
        return (
            q is not None
            and len(q) >= TRIGRAM
            and only_filters(self.every_report, {"q"})
            and sees_everything(self.user)
        )

    def clauses(self, *, hinted: bool) -> list:
        """Return the WHERE clauses of the list; `hinted` says where the matches can be found.

        "Name contains" becomes `bearing_a_name_containing`, `flag=-imported` "not one of the
        imported reports' ids". The trigram index's hits for `q` are added to the plain
        clause, which still decides: the answer is the same with or without hints.
        """
        params = self.params
        if not hinted:
            return [visible_backend_resources_clause(self.user), *filter_clauses(params)]
        # `-imported`, `-previously_imported`, `-duplicate`: "not one of the few flagged ids",
        # gathered once, instead of a lookup for each collected row.
        excluded = [flag for flag in params.flags if flag in EXCLUDED_BY_ID]
        kept = tuple(flag for flag in params.flags if flag not in excluded)
        clauses = [
            visible_backend_resources_clause(self.user),
            *filter_clauses(replace(params, name=None, flags=kept)),
            *(BackendResource.id.not_in(flagged_report_ids(flag.lstrip("-")))
              for flag in excluded),
        ]
        if params.name is not None:
            clauses.append(bearing_a_name_containing(params.name, sqlite=self.sqlite))
        clauses += search_hints(params.q, sqlite=self.sqlite)
        for flag in self.collected_flags:
            # Imported (found from the resources) and duplicate reports (from the pairs) are few.
            clauses.append(BackendResource.id.in_(flagged_report_ids(flag)))
        return clauses

    def items(
        self, number: int, total: int, *, columns: tuple | None = None, owners: bool = True,
    ) -> list:
        """Load page `number` (1-based) of `total` rows: one statement.

        With `columns`, plain rows of those columns (of the report and its joined project and
        offering, and with `owners` customer and provider): no objects to build, for callers
        that only read. Their statement is kept for the next request that takes the same way
        (see `console.services.kept`), the page's place in the list bound.
        """
        size = self.params.page_size
        offset = (number - 1) * size
        ordering = self.params.ordering
        limit = min(size, total - offset)
        after = total - offset - limit
        if after < offset:
            offset, ordering = after, reversed_ordering(ordering)
        depth = offset + limit
        walk, sparse, fenced = self.way(ordering, depth, total)
        place = {"page_limit": limit, "page_offset": offset, "page_depth": depth,
                 "fence_rows": self.fence_rows(ordering, depth, total)}
        rows = self.read(place, ordering, walk=walk, sparse=sparse, fenced=fenced,
                         columns=columns, owners=owners)
        if fenced and len(rows) < limit:
            # The page lies past the fence: its matches are collected instead.
            rows = self.read_past_fence(place, ordering, columns=columns, owners=owners)
        return rows

    def rows_uncounted(
        self, number: int, *, columns: tuple | None = None, owners: bool = True,
    ) -> tuple[list, bool]:
        """Read page `number` (1-based) without counting the list: (rows, whether more follow).

        The sort key's index is walked, each row checked, for one row more than the page: that
        reads a few hundred rows per page for a dense match, where counting it reads every
        match; a sparse one is left to the database's own choice (PostgreSQL collects it from
        the trigram or jsonb index when its statistics say so). Sorted by anything but the
        newest first (whose head `reaches_early` sampled), the walk stops at a fence
        UNCOUNTED_FENCE_ROWS rows in, and a page not found inside is collected instead (as
        `fenced` does).
        """
        size, ordering = self.params.page_size, self.params.ordering
        offset = (number - 1) * size
        walk = self.own_walk(ordering)
        fenced = (not walk and ordering[0] != "-created"
                  and self.fence_fits(ordering, UNCOUNTED_FENCED_FILTERS))
        place = {"page_limit": size + 1, "page_offset": offset, "page_depth": offset + size + 1,
                 "fence_rows": UNCOUNTED_FENCE_ROWS}
        rows = self.read(place, ordering, walk=walk, sparse=False, fenced=fenced,
                         columns=columns, owners=owners)
        if fenced and len(rows) <= size:
            # The page ends past the fence (or the list ends on it): collect its matches.
            rows = self.read_past_fence(place, ordering, columns=columns, owners=owners)
        return rows[:size], len(rows) > size

    def read(
        self, place: dict, ordering: tuple[str, ...], *, walk: str | None, sparse: bool,
        columns: tuple | None, owners: bool, fenced: bool = False, past_fence: bool = False,
    ) -> list:
        """Run the page's statement (`items_select`) at `place`: loaded reports, or rows of
        `columns`, whose statement is kept."""
        if columns is None:
            statement = self.items_select(ordering, walk=walk, sparse=sparse, fenced=fenced,
                                          past_fence=past_fence)
            return list(
                self.session.scalars(statement, place, execution_options=self.prepared).unique()
            )
        way = (Same(columns), owners, ordering, walk, sparse, fenced, past_fence)
        statement = KEPT_STATEMENTS.get(
            self.kept_key("items", *way),
            lambda: self.items_select(ordering, walk=walk, sparse=sparse, fenced=fenced,
                                      past_fence=past_fence, columns=columns, owners=owners),
        )
        return list(self.session.execute(statement, place, execution_options=self.prepared))

    def read_past_fence(
        self, place: dict, ordering: tuple[str, ...], *, columns: tuple | None, owners: bool,
    ) -> list:
        """Read the page at `place` that a fenced walk did not fill: its matches collected and
        sorted (`read`), with a sort no index serves on PostgreSQL too."""
        return self.read(place, ordering, walk=None, sparse=True, past_fence=True,
                         columns=columns, owners=owners)

    def walks_a_dimension(self, ordering: tuple[str, ...]) -> bool:
        """Tell whether the page is read project by project (or offering by offering) in name
        order (`dimension_walk`, PostgreSQL)."""
        return not self.sqlite and sorted_by_a_dimension(ordering)

    def walks_each_offering(self, ordering: tuple[str, ...]) -> bool:
        """Tell whether the page is merged from walks of each offering the user sees, in the
        sort key's order (`offering_walk`, PostgreSQL): for a user who sees some offerings
        only, where the sort key's own index would be walked among everybody's reports, and a
        site's names crowd at one end of it. Only for all the reports the user sees (the
        dismissed ones hidden or not): a filter's matches may crowd in one offering, and the
        walks of the others would read all their reports for none."""
        return (
            not self.sqlite
            and len(ordering) == 1
            and ordering[0].lstrip("-") in OFFERING_ORDERED_KEYS
            and not sees_everything(self.user)
            and only_filters(self.params, OFFERING_WALK_FILTERS)
            and self.params.dismissed != DISMISSED_ONLY
        )

    def walks_dimension_in_order(self, ordering: tuple[str, ...]) -> bool:
        """Tell whether SQLite is told to walk the projects (offerings) in name order, each
        one's reports from its (project, id) index (`InOrder`), for a list filtered by dates, a
        search, flags or the dismissed view alone (IN_ORDER_FILTERS), when it is walked at all.

        Without statistics, for a date filter (or `flag=stale`) it reads the date's matches
        from the date's index and sorts them all (`modified` the day after which a quarter
        were last updated, by project name: 0.33 s at a million; `flag=stale` 1.07 s), where
        the walk finds a page of a match that dense in a few hundred rows; the walk is what it
        takes unfiltered anyway. The user's offerings are checked row by row
        (`clauses_unindexed`): read from the offering index they would come first, in no name
        order (the demo agent's took 0.35 to 0.7 s). Not with a filter of an offering, project
        or customer, whose own index the walk would then read past. A match that crowds in the
        last projects would be walked to (a sparse one is collected instead: `way`).
        """
        return (
            self.sqlite
            and sorted_by_a_dimension(ordering)
            and only_filters(self.params, IN_ORDER_FILTERS)
        )

    def own_walk(self, ordering: tuple[str, ...]) -> str | None:
        """The walk a page in `ordering` takes instead of the sort key's own index, if any:
        BY_DIMENSION, BY_OFFERING or None."""
        if self.walks_a_dimension(ordering):
            return BY_DIMENSION
        if self.walks_each_offering(ordering):
            return BY_OFFERING
        return None

    def kept_key(self, *way) -> tuple | None:
        """The key a statement of this list is kept under, taking `way` there. The page's place
        in the list is bound, not kept, and so is the stale cutoff (`stale_cutoff_at_run`)."""
        params = replace(self.params, page="1", page_size=0)
        return ("list", self.sqlite, params, self.user, *way)

    def items_select(
        self, ordering: tuple[str, ...], *, walk: str | None, sparse: bool, fenced: bool = False,
        past_fence: bool = False, columns: tuple | None = None, owners: bool = True,
    ):
        """Build the page's statement: its limit, offset and depth (offset + limit) bound as
        page_limit, page_offset and page_depth, and a fenced walk's fence as fence_rows."""
        if walk == BY_DIMENSION:
            ids = self.dimension_walk(ordering[0], self.place("page_depth"))
        elif walk == BY_OFFERING:
            ids = self.offering_walk(ordering[0], self.place("page_depth"))
        else:
            ids = self.page_ids(ordering, sparse=sparse, past_fence=past_fence,
                                checked_row_by_row=fenced and self.scope_fenced(ordering))
        if fenced:
            ids = ids.where(self.fence(ordering[0]))
        ids = ids.limit(self.place("page_limit")).offset(self.place("page_offset"))
        if columns is not None:
            return (
                columns_select(columns, owners=owners)
                .where(BackendResource.id.in_(ids))
                .order_by(*ordering_clauses(self.params.ordering))
            )
        return (
            with_relations(select(BackendResource), self.params, with_metadata=self.with_metadata)
            .where(BackendResource.id.in_(ids))
            .order_by(*ordering_clauses(self.params.ordering))
        )

    def place(self, name: str):
        """A number of the page's place in the list, bound at each run. On PostgreSQL it is
        written into the statement's text: a prepared statement is then planned once for that
        place (the first page, asked most) instead of for every run, since a plan made for any
        limit and offset would be estimated, and chosen, as if it read a tenth of the rows."""
        return bindparam(name, type_=Integer, literal_execute=not self.sqlite)

    def page_ids(
        self, ordering: tuple[str, ...], *, sparse: bool, past_fence: bool = False,
        checked_row_by_row: bool = False,
    ):
        """Return a select() of the list's ids in `ordering` (to be cut to the page): walking
        the sort key's index (the user's offerings, and the offering or project filtered by,
        `checked_row_by_row`, `clauses_unindexed`), or the projects (offerings) in name order on
        SQLite (`walks_dimension_in_order`), or,
        `sparse`, collecting the matches and sorting them (on PostgreSQL too when a fenced walk
        found the page `past_fence`)."""
        statement = select(BackendResource.id)
        keys = {key.lstrip("-") for key in ordering}
        if not sparse and self.walks_dimension_in_order(ordering):
            dimension, foreign_key = DIMENSIONS[ordering[0].lstrip("-")]
            rows = InOrder(dimension, BackendResource, dimension.id == foreign_key)
            statement = statement.select_from(rows)
            keys.clear()
            checked_row_by_row = True
        if "project_name" in keys:
            statement = statement.join(BackendResource.project)
        if "offering_name" in keys:
            statement = statement.join(BackendResource.offering)
        if not sparse:
            # Walk the sort key's index, checking each row, until the page is filled.
            clauses = (self.clauses_unindexed() if checked_row_by_row
                       else self.clauses(hinted=False))
            return statement.where(*clauses).order_by(*ordering_clauses(ordering))
        # Few matches: collect them where the hints point and sort them. SQLite reads a unary
        # + as "do not walk an index for this sort key"; PostgreSQL is left to its statistics,
        # unless a walk already failed to find the page, or it would walk one offering's
        # reports for one project's.
        sort = ordering_clauses(ordering)
        if self.sqlite or past_fence or self.pair_unordered(ordering):
            sort = [unindexed(clause, sqlite=self.sqlite) for clause in sort]
        return statement.where(*self.clauses(hinted=True)).order_by(*sort)

    def dimension_walk(self, key: str, depth):
        """Return a select() of ids sorted by project or offering name, for PostgreSQL.

        Each project (offering) in name order gives at most `depth` of its reports, in id order
        from the (project, id) index, so the sort is of a few rows per project instead of a
        million. (SQLite's nested loop over the projects' name index already reads them so.)
        """
        if self.found_by_an_index():
            return self.searched_dimension_walk(key, depth)
        own_id = directed(BackendResource.id, descending=key.startswith("-"))
        return self.walk_each(
            key, [BackendResource.id], [own_id], depth,
            lambda dimension, reports: [dimension.name, dimension.id, reports.c.id],
        )

    def found_by_an_index(self) -> bool:
        """Tell whether an index finds the matches of one of the list's filters (PostgreSQL):
        a search (`name` or `q`) of three characters or more (the trigram indexes), or a
        metadata condition `key=value` (the GIN index of the metadata, `@>`)."""
        searched = any(term and len(term) >= TRIGRAM for term in (self.params.name, self.params.q))
        return searched or any(
            condition.operator == "=" for condition in self.params.metadata
        )

    def searched_dimension_walk(self, key: str, depth):
        """Return a select() of the ids of a list an index finds (`found_by_an_index`) sorted
        by project or offering name, for PostgreSQL: as `dimension_walk`, but each project
        (offering) gives its first `depth` matches by id from a walk of its first
        DIMENSION_FENCE_DEPTHS × `depth` reports, and only when the walk found fewer, from the
        index's matches past them.

        A search's matches crowd in a few offerings (the "gpu" partitions), and so do the
        metadata an agent sends: walked to the end, each offering holding none was read whole
        (the table's `q=gpu&o=offering_name` took 1.3 s at a million,
        `metadata=partition=gpu&o=offering_name` 2.8 s), where the index tells in some 20 ms
        that it holds none past the walk. The two parts are merged by id, so the page is the
        same whichever holds it.
        """
        descending = key.startswith("-")
        dimension, foreign_key = DIMENSIONS[key.lstrip("-")]
        fence = depth * DIMENSION_FENCE_DEPTHS

        def in_order(column):
            return directed(column, descending=descending)

        def head():
            """The ids of the dimension's first `fence` reports (index only)."""
            report = aliased(BackendResource)
            return (
                select(report.id)
                .where(getattr(report, foreign_key.key) == dimension.id)
                .order_by(in_order(report.id))
                .correlate(dimension)
            )

        def walked():
            """The matches among them, in id order."""
            ids = head().limit(fence).subquery()
            return (
                select(BackendResource.id)
                .select_from(ids)
                .join(BackendResource, BackendResource.id == ids.c.id)
                .where(*self.clauses(hinted=False))
                .order_by(in_order(ids.c.id))
                .limit(depth)
                .correlate(dimension)
            )

        found_walking = (
            select(func.count()).select_from(walked().subquery()).correlate(dimension)
            .scalar_subquery()
        )
        edge = head().offset(fence - 1).limit(1).scalar_subquery()
        past_edge = BackendResource.id < edge if descending else BackendResource.id > edge
        collected = (
            select(BackendResource.id)
            .where(foreign_key == dimension.id, past_edge, *self.clauses(hinted=False),
                   found_walking < depth)
            .order_by(unindexed(in_order(BackendResource.id), sqlite=False))
            .limit(depth)
            .correlate(dimension)
        )
        parts = union_all(
            select(walked().subquery().c.id).correlate(dimension),
            select(collected.subquery().c.id).correlate(dimension),
        ).subquery()
        reports = (
            select(parts.c.id).order_by(in_order(parts.c.id)).limit(depth)
            .correlate(dimension).lateral()
        )
        return self.merge_walks(key, reports, [dimension.name, dimension.id, reports.c.id])

    def offering_walk(self, key: str, depth):
        """Return a select() of ids in the order of `key` (a column of the reports), for
        PostgreSQL: each offering the user sees gives at most `depth` of its reports in that
        order, from its (offering, key) index, so the sort is of a few rows per offering, and
        no walk reads the reports of offerings the user does not see."""
        column = ORDERING_COLUMNS[key.lstrip("-")]
        return self.walk_each(
            ("-" if key.startswith("-") else "") + "offering_name",
            [BackendResource.id.label("id"), column.label("sort_key")],
            ordering_clauses((key,)), depth,
            lambda _dimension, reports: [reports.c.sort_key, reports.c.id],
        )

    def walk_each(self, dimension_key: str, columns: list, order: list, depth, sort):
        """Return a select() of ids merged from a walk of each project (offering, as
        `dimension_key` names it, "-" for descending) holding reports the user sees: a LATERAL
        select of `columns` of at most `depth` of its reports in `order`, the whole sorted by
        `sort(dimension, reports)` in the key's direction."""
        dimension, foreign_key = DIMENSIONS[dimension_key.lstrip("-")]
        reports = (
            select(*columns)
            .where(foreign_key == dimension.id, *self.clauses(hinted=False))
            .order_by(*order)
            .limit(depth)
            .lateral()
        )
        return self.merge_walks(dimension_key, reports, sort(dimension, reports))

    def merge_walks(self, dimension_key: str, reports, sort: list):
        """Return a select() of the ids of `reports` (a LATERAL select with an `id` column)
        for each project (offering, as `dimension_key` names it, "-" for descending) holding
        reports the user sees, sorted by the `sort` columns in the key's direction."""
        dimension, _foreign_key = DIMENSIONS[dimension_key.lstrip("-")]
        descending = dimension_key.startswith("-")
        return (
            select(reports.c.id)
            .select_from(dimension)
            .join(reports, true())
            .where(dimension.id.in_(self.dimension_ids(dimension_key.lstrip("-"))))
            .order_by(*(directed(column, descending=descending) for column in sort))
        )

    def dimension_ids(self, key: str):
        """Return a select() of the projects (offerings) holding reports the user sees in the
        list's offering, project and customer, from the pairs' tally: a dimension walked without
        any (one of the offerings of another provider) would read all its reports for none."""
        tally = BackendResourceTally
        foreign_key = tally.project_id if key == "project_name" else tally.offering_id
        return select(foreign_key).where(
            tally.reports > 0,
            offering_scope_clause(self.user, tally.offering_id),
            *catalogue_clauses(replace(self.params, name=None, name_exact=None), tally),
        )

    def way(
        self, ordering: tuple[str, ...], depth: int, total: int,
    ) -> tuple[str | None, bool, bool]:
        """Choose the way to a page `depth` rows into a list of `total`: (a walk other than the
        sort key's index: BY_DIMENSION, the projects or offerings in name order, or
        BY_OFFERING, each offering in the sort key's order; collect the matches; walk the sort
        key's index with a fence).

        On PostgreSQL a collected page is planned by the database, whose statistics assume the
        matches spread evenly over the sort key: for a key the hints' index does not give in
        order (anything but the name or the date reported), it may walk the sort key's index
        all the same, to a far end. There such a page is walked with a fence first, then
        collected with a sort no index serves.
        """
        sparse = (
            self.sparse(depth, total)
            or (ordering[0].lstrip("-") in DIMENSIONS and self.few_found(total))
            or (self.pair_unordered(ordering) and total <= PAIR_COLLECTED_UP_TO)
        )
        walk = None if sparse else self.own_walk(ordering)
        fenced = not walk and self.fenced(ordering, total)
        if sparse and (self.sqlite or ordering[0].lstrip("-") in PLANNED_COLLECT_KEYS):
            fenced = False  # collected as planned, no walk first
        return walk, sparse and not fenced, fenced

    def few_found(self, total: int) -> bool:
        """Tell whether the list is a search (`name` or `q`) matching fewer than
        DIMENSION_WALK_FROM reports: sorted by project or offering name, it is collected and
        sorted rather than walked project by project (offering by offering, on SQLite too), since
        a kind of name crowds in a few offerings and projects (the "gpu" partitions), and the
        walk would read every report of those holding few or none of the matches."""
        searched = self.params.name is not None or bool(self.params.q)
        return searched and total < DIMENSION_WALK_FROM

    def pair_unordered(self, ordering: tuple[str, ...]) -> bool:
        """Tell whether the list is one offering's reports in one project, sorted by a key no
        index gives in order within the pair: up to PAIR_COLLECTED_UP_TO of them are collected
        from the pair's index and sorted (on PostgreSQL too, whatever its statistics say).

        The walk would take the offering's index of the key and check each report's project,
        and a project's backend ids crowd together (a site names its accounts after the
        project): the busiest pair's page sorted by backend id read 210,000 of its offering's
        reports first (0.5 s on PostgreSQL, 0.2 s on SQLite), where its 21,244 are collected
        in about a tenth of that.
        """
        return (
            ordering[0].lstrip("-") in PAIR_UNORDERED_KEYS
            and self.params.offering_uuid is not None
            and self.params.project_uuid is not None
        )

    def fence_rows(self, ordering: tuple[str, ...], depth: int, total: int) -> int:
        """How many rows into the sort key's index a fenced walk to a page `depth` rows into
        a list of `total` stops: as many as the search matches (`fenced`), or a multiple of
        the depth for a user who sees some offerings only (`scope_fenced`)."""
        if self.scope_fenced(ordering):
            return SCOPE_FENCE_DEPTHS * depth
        return total

    def scope_fenced(self, ordering: tuple[str, ...]) -> bool:
        """Tell whether the walk of a user who sees some offerings only, by a date, is fenced
        (SQLite).

        Without statistics SQLite reads "offering one of the user's" from the offering index,
        then sorts all of them (0.4 s for the demo agent's 600,000 at a million, by date of
        update or with a name search), where walking the date's index and checking each row's
        offering finds a page of 50 in under 100 rows. The walk is told to
        (`clauses_unindexed`), and stops SCOPE_FENCE_DEPTHS times the page's depth into the
        index: a user who sees fewer than one report in that many has the page collected past
        the fence as before, after a walk of a few thousand index entries. Not by name or
        backend id (an index orders them within each offering, and SQLite reads each of the
        user's offerings there only as far as the page), nor with a filter of its own index
        (offering, project, dates), which the database takes instead, but for one offering's
        or project's reports by date of update (`holder_fenced`).
        """
        key = ordering[0].lstrip("-")
        scoped = (
            not sees_everything(self.user)
            and key in SCOPE_FENCED_KEYS
            and only_filters(self.params, SCOPE_FENCED_FILTERS)
        )
        return self.sqlite and self.params.dismissed != DISMISSED_ONLY and (
            scoped or self.holder_fenced(key)
        )

    def holder_fenced(self, key: str) -> bool:
        """Tell whether one offering's (one project's) reports by `key` are walked as those of
        a user who sees some offerings only (`scope_fenced`): SQLite read the busiest
        offering's 398,872 from its index and sorted them by date of update (0.19 s), where
        the date's index, each row's offering checked, has a page in about a hundred rows."""
        return (
            key in HOLDER_FENCED_KEYS
            and (self.params.offering_uuid is not None or self.params.project_uuid is not None)
            and only_filters(self.params, HOLDER_FENCED_FILTERS)
        )

    def fenced(self, ordering: tuple[str, ...], total: int) -> bool:
        """Tell whether the walk to the page stops at a fence, `total` rows into the sort key's
        index (`fence`), and gives way to collecting the matches if the page is not inside.

        A search's matches can crowd at the far end of a sort key (the names with "gpu" at the
        lowest backend ids), where the walk reads nearly every report before the page; walking
        no more rows than there are matches, then collecting them, costs at most about twice
        the better of the two. Only for a search among every report (a filter with an index of
        its own takes its walk there), with few enough matches for the fence to cost little.
        """
        if self.scope_fenced(ordering):
            return True
        return (
            self.visible is not None
            and 0 < total <= FENCED_UP_TO
            and total < self.visible
            and self.fence_fits(ordering, FENCED_FILTERS)
        )

    def fence_fits(self, ordering: tuple[str, ...], allowed) -> bool:
        """Tell whether a walk in `ordering` can be fenced: sorted by a column of the reports,
        filtered by the `allowed` filters alone, for a user who sees every report (another
        filter, or the user's offerings, would take the walk to an index of its own)."""
        return (
            ordering[0].lstrip("-") in FENCED_KEYS
            and self.params.dismissed != DISMISSED_ONLY
            and only_filters(self.params, allowed)
            and sees_everything(self.user)
        )

    def clauses_unindexed(self) -> list:
        """Return the list's clauses with the user's offerings, and the offering and project
        it names, as clauses no index serves (`scope_fenced`): the same rows, checked one by
        one on the sort key's walk."""
        unindexed_ids = replace(self.params, name=None, name_exact=None, customer_uuid=None)
        holders = catalogue_clauses(unindexed_ids, UnindexedHolders)
        return [
            offering_scope_clause(self.user, UnindexedHolders.offering_id),
            *holders,
            *filter_clauses(replace(self.params, offering_uuid=None, project_uuid=None)),
        ]

    def fence(self, key: str):
        """The fenced walk's bound: the sort key no further than its value `fence_rows` rows
        into its index (or than its last value, with fewer rows). Every row tied with the
        fence is inside, so the rows inside are the first of the list, in its order."""
        column = ORDERING_COLUMNS[key.lstrip("-")]
        descending = key.startswith("-")
        fence = (
            select(column)
            .order_by(*ordering_clauses((key,)))
            .limit(1)
            .offset(self.place("fence_rows"))
            .scalar_subquery()
        )
        end = select(func.min(column) if descending else func.max(column)).scalar_subquery()
        fence = func.coalesce(fence, end)
        return column >= fence if descending else column <= fence

    def crosses_dates(self) -> bool:
        """Tell whether the list is sorted by one date and filtered by the other.

        Its matches can then sit at the far end of the sort key's index however many there are
        (the reports last updated before October are among the oldest), where the walk reads
        nearly every entry before the page. Collecting them from the filter's index instead
        reads only theirs, and that index holds the sort key (as the sort key's holds the
        filter's date, so that a walk does not read the rows either).
        """
        key = self.params.ordering[0].lstrip("-")
        filters = CROSSED_DATES.get(key, ())
        if key == "modified" and any(flag.lstrip("-") == STALE for flag in self.params.flags):
            return True  # `stale` is a filter on the date reported
        return any(getattr(self.params, name) is not None for name in filters)

    def sparse(self, depth: int, total: int) -> bool:
        """Tell whether collecting the matches costs less than walking the sort index.

        Walking reads about depth × visible / matching rows; collecting reads every match, from
        an index (names: ten times cheaper per row than a row) or from the trigram hits.
        """
        if self.collect is not None:
            return self.collect
        if self.collected_flags:
            return True
        if self.crosses_dates() and total <= CROSSED_DATES_COLLECTED_UP_TO:
            return True
        if not total:
            return False
        if total <= depth:
            # The page holds every match: a walk would read on to the last of them, wherever
            # it lies (the agent's check of one backend id in its offering and project walked
            # the project's reports by date, 0.1 s at a million on SQLite).
            return True
        if self.visible is None:
            return False
        walked = depth * self.visible / total
        cheaper = COLLECT_FROM_INDEX if self.params.name is not None else 1
        return total < walked * cheaper


def unindexed(clause, *, sqlite: bool):
    """Return an ORDER BY clause that sorts as `clause` does but that no index serves: its
    column with a unary + (SQLite), or as coalesce(column, column) (PostgreSQL)."""
    column = clause.element
    if sqlite:
        expression = UnaryExpression(column, operator=operators.custom_op("+"))
    else:
        expression = func.coalesce(column, column)
    return UnaryExpression(expression, modifier=clause.modifier)
