"""How a backend resource list is counted and paged fast, without changing its answer.

The answer is fixed by `queries.backend_resources_select`: its rows, in its order, and their
exact count. A plan only picks the way there:

- count: from the tallies the database keeps (reports per offering and project, and per name)
  when every filter set is one they can answer; else by counting the matching reports;
- page: the ids of the page first (an index walk, no joins unless the sort key needs them),
  then only those rows with their project, offering and owners; a page past the middle is read
  from the other end, so the last page costs what the first does;
- search: on SQLite a "contains" search of three characters or more reads the trigram index
  (exact: it indexes the same lowered text the plain search compares); a sparse match is
  collected from it and sorted instead of walking the sort index until the page is found.
"""

from dataclasses import fields

from sqlalchemy import column, func, literal, literal_column, select, table
from sqlalchemy.sql import operators
from sqlalchemy.sql.expression import UnaryExpression

from console.list_indexes import SEARCH_TABLE
from console.models import BackendResource, BackendResourceNameTally, BackendResourceTally
from console.services.access import (
    offering_scope_clause,
    sees_everything,
    visible_backend_resources_clause,
)
from console.services.queries import (
    ListParams,
    _with_relations,
    catalogue_clauses,
    filter_clauses,
    ordering_clauses,
)

# Filters the tallies answer; any other filter (now or added later) means counting reports.
TALLIED_FILTERS = frozenset(
    {"name", "name_exact", "offering_uuid", "project_uuid", "customer_uuid"}
)
NOT_FILTERS = frozenset({"ordering", "page", "page_size"})
# The trigram index knows strings of three characters or more.
TRIGRAM = 3
# Walking the sort index further than this many rows to fill a page: collect the matches instead.
WALK_LIMIT = 20_000

search_index = table(SEARCH_TABLE, column("rowid"))


def only_filters(params: ListParams, allowed) -> bool:
    """Tell whether no filter is set besides the `allowed` ones."""
    defaults = ListParams()
    return all(
        getattr(params, field.name) == getattr(defaults, field.name)
        for field in fields(ListParams)
        if field.name not in NOT_FILTERS and field.name not in allowed
    )


def reversed_ordering(ordering: tuple[str, ...]) -> tuple[str, ...]:
    """Return the sort keys the other way round (ties by id reverse with them)."""
    return tuple(key[1:] if key.startswith("-") else f"-{key}" for key in ordering)


def search_hits(term: str, column: str | None):
    """Return a select() of the ids whose lowered `column` (or name or backend id) holds `term`.

    The phrase is lowered by SQLite's own lower(), as the indexed text and the plain search are.
    """
    phrase = func.replace(func.lower(literal(term)), '"', '""')
    query = literal('"').concat(phrase).concat('"')
    if column is not None:
        query = literal(f"{column} : ").concat(query)
    return select(search_index.c.rowid).where(literal_column(SEARCH_TABLE).op("MATCH")(query))


class ListPlan:
    """Counts and pages one list request; see the module docstring for the ways it takes."""

    def __init__(self, session, params: ListParams, user):
        self.session = session
        self.params = params
        self.user = user
        self.sqlite = session.get_bind().dialect.name == "sqlite"
        self.tallied = only_filters(params, TALLIED_FILTERS)
        self.visible = None  # how many reports the user sees in all, when the tallies tell

    def total(self) -> int:
        """Count the rows of the list: one statement."""
        if self.tallied:
            matching, visible = self.session.execute(self.tally_count()).one()
            self.visible = visible
            return matching
        if self.sqlite and self.only_search():
            hits = search_hits(self.params.q, None).subquery()
            return self.session.scalar(select(func.count()).select_from(hits))
        statement = select(func.count()).select_from(BackendResource).where(*self.clauses())
        return self.session.scalar(statement)

    def tally_count(self):
        """Return a select() of (matching reports, reports the user sees) from the tallies."""
        params = self.params
        by_name = params.name is not None or params.name_exact is not None
        tally = BackendResourceNameTally if by_name else BackendResourceTally
        matching = (
            select(func.coalesce(func.sum(tally.reports), 0))
            .where(offering_scope_clause(self.user, tally.offering_id))
            .where(*catalogue_clauses(params, tally))
            .scalar_subquery()
        )
        visible = (
            select(func.coalesce(func.sum(BackendResourceTally.reports), 0))
            .where(offering_scope_clause(self.user, BackendResourceTally.offering_id))
            .scalar_subquery()
        )
        return select(matching, visible)

    def only_search(self) -> bool:
        """Tell whether the list is every report matching `q`, and `q` is long enough."""
        q = self.params.q
        return (
            q is not None
            and len(q) >= TRIGRAM
            and only_filters(self.params, {"q"})
            and sees_everything(self.user)
        )

    def clauses(self) -> list:
        """Return the WHERE clauses of the list, with the search read from the trigram index."""
        clauses = [visible_backend_resources_clause(self.user), *filter_clauses(self.params)]
        if self.sqlite:
            for column, term in (("name", self.params.name), (None, self.params.q)):
                if term is not None and len(term) >= TRIGRAM:
                    clauses.append(BackendResource.id.in_(search_hits(term, column)))
        return clauses

    def items(self, number: int, total: int) -> list:
        """Load page `number` (1-based) of `total` rows: one statement."""
        size = self.params.page_size
        offset = (number - 1) * size
        ordering = self.params.ordering
        limit = min(size, total - offset)
        after = total - offset - limit
        if after < offset:
            offset, ordering = after, reversed_ordering(ordering)
        ids = self.page_ids(ordering, offset + limit, total).limit(limit).offset(offset)
        statement = (
            _with_relations(select(BackendResource))
            .where(BackendResource.id.in_(ids))
            .order_by(*ordering_clauses(self.params.ordering))
        )
        return list(self.session.scalars(statement).unique())

    def page_ids(self, ordering: tuple[str, ...], depth: int, total: int):
        """Return a select() of the list's ids in `ordering` (to be cut to the page)."""
        statement = select(BackendResource.id)
        keys = {key.lstrip("-") for key in ordering}
        if "project_name" in keys:
            statement = statement.join(BackendResource.project)
        if "offering_name" in keys:
            statement = statement.join(BackendResource.offering)
        clauses = self.clauses()
        if self.sqlite and self.sparse(depth, total):
            # Collect the matches and sort them: SQLite reads a unary + as "do not walk an
            # index for this sort key".
            return statement.where(*clauses).order_by(
                *(unindexed(clause) for clause in ordering_clauses(ordering))
            )
        return statement.where(*clauses).order_by(*ordering_clauses(ordering))

    def sparse(self, depth: int, total: int) -> bool:
        """Tell whether walking the sort index to `depth` matches would read too many rows."""
        if self.visible is None or not total:
            return False
        return depth * self.visible / total > WALK_LIMIT


def unindexed(clause):
    """Return an ORDER BY clause with a unary + on its column, which no SQLite index serves."""
    plus = UnaryExpression(clause.element, operator=operators.custom_op("+"))
    return UnaryExpression(plus, modifier=clause.modifier)
