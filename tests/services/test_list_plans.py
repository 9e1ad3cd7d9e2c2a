"""Speed never changes an answer: every way a list is counted and paged gives the plain query's
rows, in its order, with its count, on SQLite and PostgreSQL."""

import threading
import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import product

import pytest
from sqlalchemy import event, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from console.demo import load_demo_data
from console.extensions import db
from console.list_indexes import TALLIED_CHARACTERS
from console.models import (
    BULK_DELETE,
    BULK_DISMISS,
    BULK_DONE,
    BULK_IMPORT,
    BackendResource,
    BackendResourceCharacterTally,
    BackendResourceNameTally,
    BackendResourceTally,
    DuplicateBackendId,
    User,
)
from console.services import list_plans
from console.services.bulk import create_bulk_job, process_chunk, start_bulk_job
from console.services.dismissals import dismiss_backend_resource, restore_backend_resource
from console.services.filter_options import (
    SELECT_KEYS,
    count_filter_options,
    dated_only,
    pair_counts_select,
)
from console.services.flags import DISMISSED_ANY, DISMISSED_HIDDEN, DISMISSED_ONLY
from console.services.imports import import_backend_resource
from console.services.kept import SeenCounts
from console.services.list_plans import ListPlan
from console.services.metadata_filters import parse_metadata_filter
from console.services.queries import (
    ORDERING_CHOICES,
    InvalidPage,
    ListParams,
    backend_resources_count_select,
    backend_resources_select,
    page_of_backend_resources,
)
from console.services.text_match import ContainsIgnoringCase
from tests.triage.helpers import add_marketplace_resource

# Names that trip up LIKE patterns, quoting, case folding and the trigram index.
NAMES = [
    "GPU node 01", "gpu-node-02", "gPu big", "cpu only", "50% off", "100%", "a_b", "aXb", "a%b",
    'say "hi"', "it's", "O'Brien", "École d'été", "école", "ÉCOLE", "Straße", "STRASSE",
    "naïve", "日本語テスト", "x", "xy", "back\\slash", "pipe|bar", "dash-dash", "UPPER", "upper",
    "mixed Case GPU",
]
SEARCHES = [
    "gpu", "GPU", "Gpu", "g", "gp", "%", "_", "a_b", "a%b", "50%", "'", '"', "it's", 'say "hi"',
    "é", "É", "école", "ÉCOLE", "ß", "STRASSE", "日本", "\\", "|", "-", "x", "zz", "nothing here",
    " ", "node 0",
]


@pytest.fixture
def world(factory, actors):
    """Reports over three offerings and four projects (two of them named alike), each name
    several times with different backend ids and times."""
    second = factory.offering(name="Alpha cloud")
    third = factory.offering(name="HPC SLURM")  # the same name as actors.offering
    twin = factory.project(name="Climate modelling")  # the same name as actors.project
    other = factory.project(name="Zoology")
    fourth = factory.project(name="astro", customer=other.customer)
    offerings = [actors.offering, second, third]
    projects = [actors.project, twin, other, fourth]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for n, (name, copy) in enumerate(product(NAMES, range(3))):
        rows.append(BackendResource(
            name=name,
            backend_id=[f"acct-{n:03d}", f"{name.upper()}-{n % 5}", f"{name}-{n % 5}_2"][copy],
            offering=offerings[n % 3],
            project=projects[(n // 3 + copy) % 4],
            # Some rows share a creation time, so that ties are broken by id.
            created=start + timedelta(hours=n // 4),
            modified=start + timedelta(hours=(n * 7) % 50),
            backend_metadata={},
        ))
    db.session.add_all(rows)
    db.session.commit()
    return {"offerings": offerings, "projects": projects, "customer": other.customer}


def plain(params: ListParams, user) -> list:
    """The list as the plain query gives it: every row, in order."""
    return [row.id for row in db.session.scalars(backend_resources_select(params, user)).unique()]


def assert_same_as_plain(params: ListParams, user, label: str) -> None:
    """Check the count and every page, in each way the plan can take, against the plain query."""
    expected = plain(params, user)
    for collect in (None, True, False):
        plan = ListPlan(db.session, params, user, collect=collect)
        total = plan.total()
        assert total == len(expected), f"count of {label} (collect={collect})"
        size = params.page_size
        for number in range(1, max(1, -(-total // size)) + 1):
            items = plan.items(number, total) if total else []
            got = [row.id for row in items]
            assert got == expected[(number - 1) * size:number * size], (
                f"page {number} of {label} (collect={collect})"
            )
        if plan.tallied and params.page == "1":
            assert_first_page_counted_as_plain(plan, expected, f"{label} (collect={collect})")


def at_each_depth(monkeypatch, constant: str, orderings, variants, actors):
    """Yield (depths, ordering, variant, user) for staff and the agent, with the plans'
    `constant` (a number of page depths a walk reads) as it is, then 1: pages inside the walk
    and past it."""
    for depths, ordering, variant, user in product(
        (getattr(list_plans, constant), 1), orderings, variants, (actors.staff, actors.agent)
    ):
        monkeypatch.setattr(list_plans, constant, depths)
        yield depths, ordering, variant, user


def assert_first_page_counted_as_plain(plan: ListPlan, expected: list, label: str) -> None:
    """Check the first page read with its count in one statement, whichever way the last
    counts seen choose (walking, collecting) and whether the caller knows the count."""
    size = plan.params.page_size
    for seen, known in product(
        (SeenCounts(total=1, visible=10**9), SeenCounts(total=10**9, visible=1),
         SeenCounts(total=len(expected), visible=None)),
        (None, len(expected)),
    ):
        rows, total = plan.first_page_counted(seen, known=known, columns=(BackendResource.id,))
        assert total == len(expected), f"count of the first page of {label} seen {seen}"
        assert [row.id for row in rows] == expected[:size], f"first page of {label} seen {seen}"


def sqlite_query_plan(statement, values: dict | None = None) -> str:
    """Run `statement` and return SQLite's EXPLAIN QUERY PLAN of it, as it ran (its details)."""
    ran = []

    def remember(_connection, _cursor, sql, parameters, _context, _executemany):
        ran.append((sql, parameters))

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        db.session.execute(statement, values or {}).all()
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    sql, parameters = ran[-1]
    plan = db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters)
    return "\n".join(row[-1] for row in plan)


def test_searches_give_the_plain_answer(world, actors):
    for term, field, user in product(SEARCHES, ("name", "q"), (actors.staff, actors.agent)):
        params = ListParams(**{field: term}, ordering=("-created",), page_size=7)
        assert_same_as_plain(params, user, f"{field}={term!r} for {user.username}")


def ascii_lower(text: str) -> str:
    """Lower ASCII letters only, as SQLite's lower() and its LIKE's case folding do."""
    return text.translate({code: code + 32 for code in range(ord("A"), ord("Z") + 1)})


def test_the_plain_search_ignores_case_as_lowering_both_sides_did(world):
    """The text test of `q` and `name` (ContainsIgnoringCase: LIKE on SQLite, ILIKE on
    PostgreSQL) finds what `lower(text) LIKE lower(term)` found, and on SQLite exactly what
    folding ASCII letters finds (`%`, `_` and `/` taken as themselves); each term its own
    answer from one statement kept compiled (its term bound anew each time)."""
    reports = db.session.execute(
        select(BackendResource.id, BackendResource.name, BackendResource.backend_id)
    ).all()
    sqlite = db.engine.dialect.name == "sqlite"
    found_any = set()
    for term, column in product([*SEARCHES, "/", "a/b", "GpU NoDe"], ("name", "backend_id")):
        text_column = getattr(BackendResource, column)
        ids = set(db.session.scalars(
            select(BackendResource.id).where(ContainsIgnoringCase(text_column, term))
        ))
        lowered = set(db.session.scalars(
            select(BackendResource.id).where(text_column.icontains(term, autoescape=True))
        ))
        assert ids == lowered, f"{column} holding {term!r}"
        if sqlite:
            assert ids == {
                report.id for report in reports
                if ascii_lower(term) in ascii_lower(getattr(report, column))
            }, f"{column} holding {term!r}"
        if ids and len(ids) < len(reports):
            found_any.add(term)
    assert {"gpu", "GPU", "%", "_", "É"} <= found_any  # the terms tell rows apart
    if sqlite:  # ASCII letters only: "É" finds "ÉCOLE" and "École d'été", not "école"
        assert "école" not in {
            name for (name,) in db.session.execute(
                select(BackendResource.name)
                .where(ContainsIgnoringCase(BackendResource.name, "É"))
            )
        }


def test_every_sort_key_gives_the_plain_answer(world, actors):
    for ordering, size in product(ORDERING_CHOICES, (4, 25)):
        for extra in ({}, {"name": "gpu"}, {"name": "e"}, {"q": "node"}):
            params = ListParams(ordering=(ordering,), page_size=size, **extra)
            assert_same_as_plain(params, actors.staff, f"o={ordering} {extra} size {size}")
    for ordering in (("project_name", "-created"), ("-offering_name", "name")):
        params = ListParams(ordering=ordering, page_size=9)
        assert_same_as_plain(params, actors.agent, f"o={','.join(ordering)}")


def test_a_user_of_some_offerings_gets_the_plain_answer_in_every_order(
    world, actors, factory, monkeypatch
):
    """Merged from each offering's walk (PostgreSQL) or not, the agent of two of the three
    offerings gets the plain list, dismissed reports hidden or not, deep pages too."""
    factory.grant(actors.agent, offering=world["offerings"][1])
    first = db.session.scalars(select(BackendResource).order_by(BackendResource.name)).first()
    dismiss_backend_resource(db.session, report_uuid=first.uuid, user=actors.staff)
    for ordering, dismissed in product(ORDERING_CHOICES, (DISMISSED_ANY, DISMISSED_HIDDEN)):
        params = ListParams(ordering=(ordering,), page_size=4, dismissed=dismissed)
        assert_same_as_plain(params, actors.agent, f"o={ordering} {dismissed} for the agent")
    # SQLite walks a date's index with a fence, checking each row's offering: pages inside
    # the fence and past it (one page's depth in, where the third offering's rows stop it).
    sqlite = db.engine.dialect.name == "sqlite"
    for depths, ordering, extra in product(
        (list_plans.SCOPE_FENCE_DEPTHS, 1), ("created", "-modified"), ({}, {"name": "e"}),
    ):
        monkeypatch.setattr(list_plans, "SCOPE_FENCE_DEPTHS", depths)
        params = ListParams(ordering=(ordering,), page_size=4, **extra)
        assert ListPlan(db.session, params, actors.agent).fenced((ordering,), 1) == sqlite
        assert_same_as_plain(params, actors.agent, f"o={ordering} {extra} fenced at {depths}")
    plan = ListPlan(db.session, ListParams(ordering=("-name",)), actors.agent)
    merged = plan.way(("-name",), 4, plan.total())[0] == list_plans.BY_OFFERING
    assert merged == (db.engine.dialect.name == "postgresql")
    # A search's matches may crowd in one offering: walked by the sort key's index instead.
    plan = ListPlan(db.session, ListParams(ordering=("-name",), name="gpu"), actors.agent)
    assert plan.way(("-name",), 4, plan.total())[0] is None


def test_one_offering_or_project_by_date_of_update_gives_the_plain_answer(
    world, actors, monkeypatch
):
    """SQLite walks the date's index with a fence, checking each row's offering and project
    (no index serves them there): pages inside the fence and past it, for staff and for a
    user who sees some offerings only."""
    offering = world["offerings"][0]
    project = world["projects"][1]
    sqlite = db.engine.dialect.name == "sqlite"
    holders = ({"offering_uuid": offering.uuid}, {"project_uuid": project.uuid},
               {"offering_uuid": offering.uuid, "name": "e"})
    for depths, ordering, holder, user in at_each_depth(
        monkeypatch, "SCOPE_FENCE_DEPTHS", ("modified", "-modified"), holders, actors
    ):
        params = ListParams(ordering=(ordering,), page_size=4, **holder)
        label = f"o={ordering} {holder} fenced at {depths} for {user.username}"
        plan = ListPlan(db.session, params, user, collect=False)
        assert plan.fenced((ordering,), 1) == sqlite, label
        if sqlite:
            statement = str(plan.page_ids((ordering,), sparse=False, checked_row_by_row=True))
            column = "offering_id" if "offering_uuid" in holder else "project_id"
            assert f"backend_resources.{column} + " in statement, label
        assert_same_as_plain(params, user, label)
    customer = {"customer_uuid": world["customer"].uuid}
    reported = {"offering_uuid": offering.uuid, "created": datetime(2026, 1, 2, tzinfo=UTC)}
    for ordering, holder in (("-created", holders[0]), ("modified", customer),
                             ("modified", reported)):
        plan = ListPlan(db.session, ListParams(ordering=(ordering,), **holder), actors.staff)
        assert not plan.fenced((ordering,), 1), f"o={ordering} {holder}: an index of its own"


def test_a_search_with_few_matches_sorted_by_offering_or_project_is_collected(world, actors):
    """Walked project by project, the projects holding few matches would be read whole (even
    where the counts say walking costs less than collecting: `collect=False`)."""
    for ordering in ("offering_name", "-project_name"):
        params = ListParams(ordering=(ordering,), name="gpu")
        plan = ListPlan(db.session, params, actors.staff, collect=False)
        total = plan.total()
        assert plan.way((ordering,), 4, total)[:2] == (None, True)
        many = plan.way((ordering,), 4, list_plans.DIMENSION_WALK_FROM)
        plain_list = ListPlan(db.session, ListParams(ordering=(ordering,)), actors.staff)
        unfiltered = plain_list.way((ordering,), 4, plain_list.total())
        walk = list_plans.BY_DIMENSION if db.engine.dialect.name == "postgresql" else None
        assert many[:2] == unfiltered[:2] == (walk, False)
        assert_same_as_plain(replace(params, page_size=4), actors.staff, f"gpu o={ordering}")


def test_a_list_sorted_by_project_or_offering_name_walks_them_in_order(world, actors):
    """SQLite walks the projects (offerings) in name order (`CROSS JOIN`), each one's reports
    checked for the dates, the search, the flags and the user's offerings; walked or
    collected, the same pages."""
    early = datetime(2026, 1, 1, 20, tzinfo=UTC)
    sqlite = db.engine.dialect.name == "sqlite"
    for ordering, filters, user in product(
        ("project_name", "-offering_name"),
        ({}, {"modified": early}, {"modified_before": early}, {"created_before": early},
         {"name": "e"}, {"q": "gpu", "created_before": early}, {"flags": ("-imported",)},
         {"flags": ("stale",), "stale_days": (datetime.now(UTC) - early).days + 1}),
        (actors.staff, actors.agent),
    ):
        params = ListParams(ordering=(ordering,), page_size=4, **filters)
        label = f"o={ordering} {filters} for {user.username}"
        plan = ListPlan(db.session, params, user)
        assert plan.walks_dimension_in_order((ordering,)) == sqlite, label
        statement = str(plan.page_ids((ordering,), sparse=False).compile(db.engine))
        assert ("CROSS JOIN backend_resources" in statement) == sqlite, label
        if sqlite and user is actors.agent:
            assert "backend_resources.offering_id + " in statement, label
        assert_same_as_plain(params, user, label)
    for other in ({"offering_uuid": world["offerings"][0].uuid},
                  {"project_uuid": world["projects"][0].uuid},
                  {"metadata": parse_metadata_filter("partition=gpu")}):
        params = ListParams(ordering=("project_name",), modified=early, **other)
        plan = ListPlan(db.session, params, actors.staff)
        assert not plan.walks_dimension_in_order(("project_name",)), other
    params = ListParams(ordering=("project_name", "-created"))
    assert not ListPlan(db.session, params, actors.staff).walks_dimension_in_order(
        ("project_name", "-created")
    )


def test_a_search_walked_project_by_project_takes_the_rest_from_the_index(
    triaged, actors, monkeypatch
):
    """PostgreSQL walks a few of each project's (offering's) reports, then takes the rest of its
    matches from the trigram index (or the metadata's): the same pages whichever part holds
    them, and however few the walk reads (one page's depth: the index holds nearly every
    match)."""
    postgresql = db.engine.dialect.name == "postgresql"
    searches = ({"q": "gpu"}, {"name": "node"}, {"q": "école"}, {"name": "a%b"},
                {"metadata": parse_metadata_filter("partition=gpu")},
                {"metadata": parse_metadata_filter("partition=cpu"), "q": "c"})
    for depths, ordering, search, user in at_each_depth(
        monkeypatch, "DIMENSION_FENCE_DEPTHS", ("offering_name", "-project_name"), searches, actors
    ):
        params = ListParams(ordering=(ordering,), page_size=3, **search)
        label = f"o={ordering} {search} walking {depths} depths for {user.username}"
        plan = ListPlan(db.session, params, user, collect=False)
        statement = str(plan.items_select((ordering,), walk=plan.own_walk((ordering,)),
                                          sparse=False))
        assert ("UNION ALL" in statement) == postgresql, label
        assert_same_as_plain(params, user, label)
        if postgresql and depths == 1:
            # Each depth's walk, its edge in every place: the ids in the plain order, once each.
            expected = plain(params, user)
            for depth in range(1, 17):
                walk = plan.searched_dimension_walk(ordering, depth).limit(depth)
                assert list(db.session.scalars(walk)) == expected[:depth], f"{label} to {depth}"
    for short in ({"q": "gp"}, {"name": "no"}, {"q": "gp", "name": "x"},
                  {"metadata": parse_metadata_filter("limits.cpu>300;partition!=gpu")}):
        plan = ListPlan(db.session, ListParams(ordering=("offering_name",), **short), actors.staff)
        assert not plan.found_by_an_index(), short


def test_one_offering_in_one_project_sorted_by_backend_id_is_collected(
    world, actors, monkeypatch
):
    """Walked through the offering's backend id index, a project's reports could sit at its far
    end: up to PAIR_COLLECTED_UP_TO of them are collected from the pair and sorted, with a sort
    no index serves (even where the counts say walking costs less: `collect=False`)."""
    offering, second, _third = world["offerings"]
    project, _twin, _other, fourth = world["projects"]
    unindexed_sort = {
        "sqlite": "ORDER BY (+ backend_resources.backend_id)",
        "postgresql": (
            "ORDER BY coalesce(backend_resources.backend_id, backend_resources.backend_id)"
        ),
    }[db.engine.dialect.name]
    for pair, ordering, user in (
        ((offering, project), "backend_id", actors.staff),
        ((offering, project), "-backend_id", actors.agent),  # a user who sees some offerings
        ((second, fourth), "-backend_id", actors.staff),
    ):
        params = ListParams(offering_uuid=pair[0].uuid, project_uuid=pair[1].uuid,
                            ordering=(ordering,), page_size=3)
        label = f"{pair[0].name} in {pair[1].name} o={ordering} for {user.username}"
        plan = ListPlan(db.session, params, user, collect=False)
        total = plan.total()
        assert total > 0, label
        assert plan.way((ordering,), 3, total)[1:] == (True, False), label
        statement = plan.page_ids((ordering,), sparse=True)
        assert unindexed_sort in str(statement.compile(db.engine)), label
        assert_same_as_plain(params, user, label)
        monkeypatch.setattr(list_plans, "PAIR_COLLECTED_UP_TO", total)
        assert plan.way((ordering,), 3, total)[1] is True, f"{label}, at the bound"
        monkeypatch.setattr(list_plans, "PAIR_COLLECTED_UP_TO", total - 1)
        assert plan.way((ordering,), 3, total)[1] is False, f"{label}, over the bound"
        monkeypatch.undo()
    for other in ({"offering_uuid": offering.uuid}, {"project_uuid": project.uuid}):
        params = ListParams(**other, ordering=("backend_id",))
        assert not ListPlan(db.session, params, actors.staff).pair_unordered(("backend_id",))
    params = ListParams(offering_uuid=offering.uuid, project_uuid=project.uuid,
                        ordering=("created",))
    assert not ListPlan(db.session, params, actors.staff).pair_unordered(("created",))


def test_a_list_sorted_by_one_date_and_filtered_by_the_other_gives_the_plain_answer(
    world, actors, monkeypatch
):
    """Collected from the filter's index (few matches) or walked (many), either direction."""
    early, late = datetime(2026, 1, 1, 20, tzinfo=UTC), datetime(2026, 1, 2, 9, tzinfo=UTC)
    cases = [
        ("-created", {"modified_before": early}),
        ("created", {"modified": late}),
        ("-modified", {"created_before": early - timedelta(hours=12)}),
        ("modified", {"created": early - timedelta(hours=8), "created_before": early}),
        # Reported more than this many days ago: about half of them (whatever today is).
        ("-modified", {"flags": ("stale",), "stale_days": (datetime.now(UTC) - early).days + 1}),
        ("-created", {"modified": early, "name": "gpu"}),
    ]
    for collected_up_to in (10**6, 0):
        monkeypatch.setattr(list_plans, "CROSSED_DATES_COLLECTED_UP_TO", collected_up_to)
        for (ordering, case), user in product(cases, (actors.staff, actors.agent)):
            params = ListParams(**case, ordering=(ordering,), page_size=5)
            plan = ListPlan(db.session, params, user)
            assert plan.crosses_dates(), f"{case} o={ordering}"
            total = plan.total()
            assert 0 < total < len(plain(ListParams(), user)), f"{case} o={ordering}"
            if collected_up_to:
                assert plan.sparse(5, total), f"{case} o={ordering} is collected"
            assert_same_as_plain(params, user, f"{case} o={ordering} for {user.username}")
    assert not ListPlan(db.session, ListParams(ordering=("-created",), created=early),
                        actors.staff).crosses_dates()


def test_catalogue_filters_and_their_mixes_give_the_plain_answer(world, actors):
    offering, second, _third = world["offerings"]
    project, twin, _other, fourth = world["projects"]
    cases = [
        {"offering_uuid": offering.uuid},
        {"project_uuid": twin.uuid},
        {"offering_uuid": second.uuid, "project_uuid": fourth.uuid},
        {"customer_uuid": world["customer"].uuid},
        {"customer_uuid": world["customer"].uuid, "name": "node"},
        {"offering_uuid": offering.uuid, "name_exact": "École d'été"},
        {"name_exact": "école"},
        {"project_uuid": project.uuid, "created": datetime(2026, 1, 2, tzinfo=UTC)},
        {"name": "gpu", "modified_before": datetime(2026, 1, 2, tzinfo=UTC)},
        {"backend_id": "GPU NODE 01-0"},
        # The site agent's check of one account: its backend id, offering and project.
        {"backend_id": "acct-003", "offering_uuid": offering.uuid, "project_uuid": twin.uuid},
        {"backend_id": "acct-003", "offering_uuid": offering.uuid, "project_uuid": project.uuid},
        {"backend_id": "GPU NODE 01-0", "project_uuid": twin.uuid},
        {"backend_id": "gpu node 01-1_2", "customer_uuid": world["customer"].uuid},
        {"q": "node", "offering_uuid": offering.uuid},
        {"offering_uuid": uuid.uuid4()},
        {"project_uuid": uuid.uuid4(), "name": "gpu"},
    ]
    for case, user, ordering in product(cases, (actors.staff, actors.agent),
                                        ("-created", "project_name", "-offering_name")):
        params = ListParams(**case, ordering=(ordering,), page_size=6)
        assert_same_as_plain(params, user, f"{case} o={ordering} for {user.username}")


def test_the_agents_check_of_one_backend_id_reads_that_backend_ids_index(world, actors):
    """The site agent asks for one backend id in its offering and project: counted and read from
    the (offering, backend id) index, the project checked on the one or two reports found, and
    collected (the page holds every match), not walked along the project's or offering's
    reports by date, whatever the plan knows of the user's reports (SQLite tells the index)."""
    offering, twin = world["offerings"][0], world["projects"][1]
    for backend_id, user in product(("acct-003", "nothing here"), (actors.staff, actors.agent)):
        params = ListParams(backend_id=backend_id, offering_uuid=offering.uuid,
                            project_uuid=twin.uuid, page_size=100)
        label = f"{backend_id} for {user.username}"
        plan = ListPlan(db.session, params, user)
        total = plan.total()
        assert total == len(plain(params, user)) == (backend_id == "acct-003"), label
        assert plan.way(params.ordering, 1, 1)[:2] == (None, True), label
        if db.engine.dialect.name != "sqlite":
            continue
        count = backend_resources_count_select(params, user)
        page = plan.items_select(params.ordering, walk=None, sparse=True,
                                 columns=(BackendResource.id,))
        place = {"page_limit": 1, "page_offset": 0, "page_depth": 1, "fence_rows": 1}
        for statement, values in ((count, None), (page, place)):
            found = sqlite_query_plan(statement, values)
            assert "INDEX ix_backend_resources_offering_backend_id" in found, (label, found)


def test_a_list_seen_empty_reads_no_page(world, actors, factory, count_statements):
    """A list counted empty reads no page, whoever counts it (the list itself, or the table's
    select counts as `known_total`): walking the sort index to find nothing reads all of it."""
    columns = (BackendResource.id,)

    def emptied(name: str) -> ListParams:
        """A list of two reports, counted, then emptied."""
        gone = [factory.backend_resource(actors.offering, actors.project, name=f"{name} {n}")
                for n in range(2)]
        params = ListParams(name=name, page_size=5)
        page = page_of_backend_resources(db.session, params, actors.staff, columns=columns)
        assert page.total == 2
        for report in gone:
            db.session.delete(report)
        db.session.commit()
        return params

    def reads_a_page(params: ListParams, known: int | None) -> bool:
        with count_statements() as statements:
            page = page_of_backend_resources(db.session, params, actors.staff, columns=columns,
                                             known_total=known)
        assert (page.total, page.items) == (0, [])
        return any("LIMIT" in statement for statement in statements)

    # The table's select counts say 0: no page, though the list was seen with two reports.
    assert not reads_a_page(emptied("soon gone"), 0)
    # Counting itself, the list seen with two reports reads its first page with its count;
    # seen empty then, it is counted first and reads no page.
    params = emptied("also gone")
    assert [reads_a_page(params, None) for _ in range(3)] == [True, False, False]


def test_a_page_past_the_end_is_refused_with_the_exact_size(world, actors):
    params = ListParams(name="gpu", page="99", page_size=5)
    with pytest.raises(InvalidPage) as refused:
        page_of_backend_resources(db.session, params, actors.staff)
    assert refused.value.total == len(plain(params, actors.staff)) > 0


def duplicate_pairs_match_the_reports() -> set:
    """Check the duplicate pairs the triggers keep against the reports; return them."""
    named_twice = set(db.session.execute(
        select(BackendResource.offering_id, BackendResource.backend_id)
        .where(BackendResource.backend_id != "")
        .group_by(BackendResource.offering_id, BackendResource.backend_id)
        .having(func.count() > 1)
    ).all())
    kept = set(db.session.execute(
        select(DuplicateBackendId.offering_id, DuplicateBackendId.backend_id)).all())
    assert kept == named_twice
    return kept


def tallies_match_the_reports() -> None:
    """Check both tallies, the duplicate pairs and the search index against the reports."""
    duplicate_pairs_match_the_reports()
    pairs = dict(db.session.execute(
        select(
            BackendResource.offering_id.concat(":").concat(BackendResource.project_id),
            func.count(),
        ).group_by(BackendResource.offering_id, BackendResource.project_id)
    ).all())
    tallied = dict(db.session.execute(
        select(
            BackendResourceTally.offering_id.concat(":").concat(BackendResourceTally.project_id),
            BackendResourceTally.reports,
        )
    ).all())
    assert tallied == pairs
    names = set(db.session.execute(
        select(BackendResource.offering_id, BackendResource.project_id, BackendResource.name,
               func.count())
        .group_by(BackendResource.offering_id, BackendResource.project_id, BackendResource.name)
    ).all())
    assert set(db.session.execute(select(
        BackendResourceNameTally.offering_id, BackendResourceNameTally.project_id,
        BackendResourceNameTally.name, BackendResourceNameTally.reports,
    )).all()) == names
    characters_match_the_plain_search()


def characters_match_the_plain_search() -> None:
    """Check the character tally against the plain search for each character it tallies."""
    expected = set()
    for symbol in TALLIED_CHARACTERS:
        holding = or_(BackendResource.name.icontains(symbol, autoescape=True),
                      BackendResource.backend_id.icontains(symbol, autoescape=True))
        expected |= {(symbol, *row) for row in db.session.execute(
            select(BackendResource.offering_id, BackendResource.project_id, func.count())
            .where(holding)
            .group_by(BackendResource.offering_id, BackendResource.project_id)
        )}
    tally = BackendResourceCharacterTally
    assert set(db.session.execute(
        select(tally.symbol, tally.offering_id, tally.project_id, tally.reports)
    ).all()) == expected


def test_tallies_follow_inserts_updates_and_deletes(world, actors, factory):
    tallies_match_the_reports()
    rows = db.session.scalars(select(BackendResource).order_by(BackendResource.id)).all()
    rows[0].name = "renamed"
    rows[1].project = world["projects"][3]
    rows[2].offering = world["offerings"][1]
    rows[3].backend_id = "changed"
    db.session.delete(rows[4])
    db.session.commit()
    tallies_match_the_reports()
    # Pairs become duplicates and stop being ones by updates, inserts and deletes.
    offering_id = rows[5].offering_id
    db.session.execute(
        BackendResource.__table__.update()
        .where(BackendResource.id.in_([rows[5].id, rows[8].id, rows[11].id]))
        .values(backend_id="made-twin", offering_id=offering_id)
    )
    db.session.commit()
    assert (offering_id, "made-twin") in duplicate_pairs_match_the_reports()
    db.session.execute(BackendResource.__table__.delete().where(
        BackendResource.id.in_([rows[5].id, rows[8].id])))
    db.session.commit()
    assert (offering_id, "made-twin") not in duplicate_pairs_match_the_reports()
    factory.backend_resource(rows[11].offering, rows[11].project, backend_id="made-twin")
    assert (offering_id, "made-twin") in duplicate_pairs_match_the_reports()
    rows[11].backend_id = ""
    db.session.commit()
    assert (offering_id, "made-twin") not in duplicate_pairs_match_the_reports()
    tallies_match_the_reports()
    db.session.execute(BackendResource.__table__.delete().where(BackendResource.name == "x"))
    db.session.execute(
        BackendResource.__table__.update().where(BackendResource.name == "xy").values(name="yx")
    )
    db.session.commit()
    tallies_match_the_reports()
    # Deleting an offering deletes its reports (ON DELETE CASCADE), and counts follow.
    db.session.execute(text("DELETE FROM offerings WHERE id = :id"),
                       {"id": world["offerings"][2].id})
    db.session.commit()
    tallies_match_the_reports()
    for term in ("renamed", "changed", "x", "yx"):
        assert_same_as_plain(ListParams(q=term, page_size=50), actors.staff, f"q={term}")
        assert_same_as_plain(ListParams(name=term, page_size=50), actors.staff, f"name={term}")


def test_a_rolled_back_insert_leaves_the_tallies_as_they_were(world, actors, factory):
    before = db.session.scalar(select(func.sum(BackendResourceTally.reports)))
    db.session.add(BackendResource(
        name="ghost", backend_id="ghost", offering=actors.offering, project=actors.project
    ))
    db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(func.sum(BackendResourceTally.reports))) == before
    assert ListPlan(db.session, ListParams(q="ghost"), actors.staff).total() == 0
    tallies_match_the_reports()


def test_bulk_loading_builds_what_the_row_by_row_upkeep_keeps(app):
    with app.app_context():
        load_demo_data(db.session, backend_resources=2000, seed=5, bulk_minimum=0)
        load_demo_data(db.session, backend_resources=40, seed=5)
        assert db.session.scalar(select(func.count(BackendResource.id))) == 2040
        staff = db.session.scalar(select(User).where(User.username == "staff"))
        tallies_match_the_reports()
        # A second bulk load adds its reports to the tallies' counts of those already there.
        load_demo_data(db.session, backend_resources=2100, seed=6, bulk_minimum=0)
        assert db.session.scalar(select(func.count(BackendResource.id))) == 4140
        tallies_match_the_reports()
        for term in ("gpu", "Climate", "hpc_", "-prod", "e", "zzqq", "ARCHIVE", "_2", "G", "_",
                     "2", "~"):
            for field in ("name", "q"):
                params = ListParams(**{field: term}, page_size=250)
                assert_same_as_plain(params, staff, f"{field}={term}")
        for ordering in ("-created", "name", "-backend_id"):
            params = ListParams(ordering=(ordering,), page_size=500)
            assert_same_as_plain(params, staff, f"o={ordering}")
        default_view = ListParams(dismissed=DISMISSED_HIDDEN, with_flags=True, page_size=500)
        assert_same_as_plain(default_view, staff, "the default table view")
        # The constraints the load set aside are back: a second report with a uuid already
        # taken, or of an offering that does not exist, is refused by the database itself.
        taken = db.session.scalar(select(BackendResource).limit(1))
        for changes in ({"uuid": taken.uuid}, {"offering_id": 10**9}, {"project_id": 10**9}):
            values = {"uuid": uuid.uuid4(), "name": "intruder", "backend_id": "intruder",
                      "offering_id": taken.offering_id, "project_id": taken.project_id,
                      "backend_metadata": {}} | changes
            with pytest.raises(IntegrityError), db.session.begin_nested():
                db.session.add(BackendResource(**values))
                db.session.flush()


def report_indexes_in_creation_order() -> list[str]:
    """The secondary indexes of the reports, in the order the database created them."""
    if db.engine.dialect.name == "sqlite":
        statement = ("SELECT name FROM sqlite_master WHERE type = 'index' "
                     "AND tbl_name = 'backend_resources' ORDER BY rowid")
    else:
        statement = ("SELECT indexrelid::regclass::text FROM pg_index "
                     "WHERE indrelid = 'backend_resources'::regclass ORDER BY pg_index.indexrelid")
    return [name for name in db.session.scalars(text(statement)) if name.startswith("ix_")]


def test_bulk_loading_rebuilds_the_indexes_in_the_order_the_database_had_them(app):
    """SQLite takes the index created last of two it costs alike, so a loaded database plans
    as the migrated one only with its indexes in the same order."""
    with app.app_context():
        table = db.metadata.tables["backend_resources"]
        indexes = {index.name: index for index in table.indexes}
        connection = db.session.connection()
        for name in sorted(report_indexes_in_creation_order(), reverse=True):
            indexes[name].drop(connection)
            indexes[name].create(connection)
        db.session.commit()
        before = report_indexes_in_creation_order()
        assert before == sorted(before, reverse=True), before
        load_demo_data(db.session, backend_resources=300, seed=5, bulk_minimum=0)
        assert report_indexes_in_creation_order() == before


# --- Triage: flags, the dismissed views and metadata filters go through the plans too ---------


@pytest.fixture
def triaged(world, actors, factory):
    """The world with metadata, twins (duplicates), imported and previously imported backend
    ids, recent and stale reports, and dismissed reports (hidden from the default view)."""
    offering = world["offerings"][0]
    rows = db.session.scalars(
        select(BackendResource).where(BackendResource.offering_id == offering.id)
        .order_by(BackendResource.id)
    ).all()
    now = datetime.now(UTC)
    for n, row in enumerate(rows):
        row.backend_metadata = {"partition": "gpu" if n % 2 else "cpu",
                                "limits": {"cpu": n * 100}}
        if n % 3 == 0:
            row.created = now - timedelta(days=1, minutes=n)
    for row in rows[:3]:
        row.backend_id = "twin-acct"
    for row in rows[5:7]:
        row.backend_id = "twin-other"
    db.session.commit()
    add_marketplace_resource(offering, actors.project, rows[8].backend_id, name="mr-ok")
    add_marketplace_resource(offering, actors.project, rows[9].backend_id, state="Erred",
                             name="mr-erred")
    add_marketplace_resource(offering, actors.project, "twin-other", name="mr-twin")
    # One backend id terminated twice and erred once: its report is counted once, not thrice.
    for state in ("Terminated", "Terminated", "Erred"):
        add_marketplace_resource(offering, actors.project, rows[11].backend_id, state=state,
                                 name=f"mr-{state}")
    # Imported and terminated ids of the dismissed report 10, and a resource of another
    # offering with report 12's backend id (which flags nothing).
    add_marketplace_resource(offering, actors.project, rows[10].backend_id, name="mr-dismissed")
    add_marketplace_resource(offering, actors.project, rows[10].backend_id, state="Terminated",
                             name="mr-dismissed-before")
    add_marketplace_resource(world["offerings"][1], actors.project, rows[12].backend_id,
                             name="mr-elsewhere")
    dismiss_backend_resource(db.session, report_uuid=rows[0].uuid, user=actors.staff)
    dismiss_backend_resource(db.session, report_uuid=rows[10].uuid, user=actors.staff)
    db.session.expire_all()
    return world | {"rows": rows}


def flags_of(params: ListParams, user, items) -> list:
    """Each row's flag columns, as the table shows them."""
    return [
        (row.id, row.imported_resource_uuid, row.previously_imported_state,
         row.duplicate_count, row.dismissal_id)
        for row in items
    ]


def test_flag_dismissed_and_metadata_filters_give_the_plain_answer(triaged, actors):
    offering, second, _third = triaged["offerings"]
    project = triaged["projects"][0]
    gpu = parse_metadata_filter("partition=gpu")
    cases = [
        {}, {"name": "gpu"}, {"q": "acct"}, {"q": "twin"}, {"offering_uuid": offering.uuid},
        {"offering_uuid": offering.uuid, "project_uuid": project.uuid},
        {"name_exact": "x"}, {"customer_uuid": triaged["customer"].uuid},
        {"flags": ("duplicate",)}, {"flags": ("-imported",)}, {"flags": ("imported",)},
        {"flags": ("previously_imported",)}, {"flags": ("stale", "-duplicate")},
        {"flags": ("-previously_imported",)}, {"flags": ("-imported", "-previously_imported")},
        {"flags": ("-imported",), "name": "gpu"}, {"flags": ("-imported",), "q": "acct"},
        {"flags": ("-duplicate",)}, {"flags": ("-duplicate",), "name": "gpu"},
        {"flags": ("duplicate",), "q": "twin"}, {"flags": ("duplicate", "-stale")},
        {"flags": ("-duplicate", "stale", "-imported"), "offering_uuid": offering.uuid},
        {"flags": ("-imported", "duplicate")}, {"flags": ("-imported",), "name_exact": "x"},
        {"flags": ("-previously_imported",), "offering_uuid": offering.uuid},
        {"flags": ("stale",)}, {"flags": ("stale", "-imported"), "name": "gpu"},
        {"flags": ("stale",), "q": "acct"}, {"flags": ("stale", "imported")},
        {"flags": ("stale",), "offering_uuid": offering.uuid, "project_uuid": project.uuid},
        {"flags": ("-stale",), "name": "gpu"}, {"metadata": gpu},
        {"metadata": parse_metadata_filter("limits.cpu>300"), "flags": ("-stale",)},
        {"metadata": gpu, "offering_uuid": second.uuid},
        {"q": "t"}, {"q": "T", "flags": ("stale", "-imported")},
        {"q": "-", "flags": ("-duplicate",)},
        {"q": "w", "offering_uuid": offering.uuid, "project_uuid": project.uuid},
    ]
    views = (DISMISSED_HIDDEN, DISMISSED_ONLY, DISMISSED_ANY)
    for case, dismissed, user in product(cases, views, (actors.staff, actors.agent)):
        params = ListParams(**case, dismissed=dismissed, with_flags=True, ordering=("-created",),
                            page_size=8)
        label = f"{case} dismissed={dismissed} for {user.username}"
        assert_same_as_plain(params, user, label)
    for ordering in ("name", "-project_name", "offering_name", "-modified", "backend_id"):
        params = ListParams(dismissed=DISMISSED_HIDDEN, with_flags=True, ordering=(ordering,),
                            page_size=10)
        assert_same_as_plain(params, actors.staff, f"default view o={ordering}")


def test_the_default_view_counts_from_the_tallies_less_the_dismissed(triaged, actors):
    offering = triaged["offerings"][0]
    for case in ({}, {"offering_uuid": offering.uuid}, {"name": "gpu"}, {"name_exact": "it's"},
                 {"q": "o"}, {"q": "O", "offering_uuid": offering.uuid}, {"q": "-"}):
        params = ListParams(**case, dismissed=DISMISSED_HIDDEN, with_flags=True, stale_days=3)
        plan = ListPlan(db.session, params, actors.staff)
        assert plan.tallied, case
        expected = len(plain(params, actors.staff))
        shown = len(plain(replace(params, dismissed=DISMISSED_ANY), actors.staff))
        # Dismissed reports match these filters, yet the default view does not count them.
        assert plan.total() == expected < shown, case
        page = page_of_backend_resources(db.session, params, actors.staff)
        assert flags_of(params, actors.staff, page.items) == flags_of(
            params, actors.staff,
            db.session.scalars(backend_resources_select(params, actors.staff).limit(10)).unique(),
        )
    # Hiding the imported or previously imported reports subtracts them from the tallies too.
    for flags in (("-imported",), ("-previously_imported", "-imported"), ("stale",),
                  ("stale", "-imported"), ("-duplicate",), ("-duplicate", "-imported")):
        for dismissed in (DISMISSED_HIDDEN, DISMISSED_ANY):
            params = ListParams(flags=flags, dismissed=dismissed, offering_uuid=offering.uuid)
            plan = ListPlan(db.session, params, actors.staff)
            assert plan.tallied, flags
            expected = len(plain(params, actors.staff))
            assert plan.total() == expected < len(
                plain(replace(params, flags=()), actors.staff)), (flags, dismissed)
    # A filter the tallies cannot answer counts the reports: among them a search of more than
    # one character, of one the character tally leaves out, or of one with a name filter.
    for case in ({"flags": ("-stale",)}, {"metadata": parse_metadata_filter("partition=gpu")},
                 {"dismissed": DISMISSED_ONLY}, {"flags": ("imported",)},
                 {"flags": ("-imported", "duplicate")}, {"q": "gp"}, {"q": "é"}, {"q": " "},
                 {"q": "\u212a"}, {"q": "g", "name": "gpu"}, {"q": "g", "backend_id": "x"}):
        assert not ListPlan(db.session, ListParams(**case), actors.staff).tallied, case


def default_view_matches_the_plain_count(user) -> None:
    """The default view's total (and a filtered one's) is the plain query's, tallies exact."""
    tallies_match_the_reports()
    for case in ({}, {"name": "gpu"}, {"q": "acct"}):
        for dismissed in (DISMISSED_HIDDEN, DISMISSED_ONLY, DISMISSED_ANY):
            params = ListParams(**case, dismissed=dismissed, with_flags=True)
            total = page_of_backend_resources(db.session, params, user, with_items=False).total
            assert total == len(plain(params, user)), f"{case} dismissed={dismissed}"


def run_bulk(staff, action: str, query: dict, plans: dict | None = None) -> None:
    """Create, start and run a bulk job over every report matching `query`."""
    job = create_bulk_job(db.session, action=action, user=staff, selected=[],
                          all_matching=True, query_args=MultiDict(query), stale_days=14,
                          max_rows=1000)
    job = start_bulk_job(db.session, job, user=staff, plan_values=plans or {})
    for _ in range(50):
        process_chunk(db.session, job.uuid, seconds=60)
        db.session.refresh(job)
        if job.state == BULK_DONE:
            return
    raise AssertionError("the bulk job did not finish")


def test_counts_stay_exact_through_dismiss_restore_import_and_bulk_actions(triaged, actors):
    staff, rows = actors.staff, triaged["rows"]
    default_view_matches_the_plain_count(staff)
    dismiss_backend_resource(db.session, report_uuid=rows[5].uuid, user=staff)
    default_view_matches_the_plain_count(staff)
    restore_backend_resource(db.session, report_uuid=rows[0].uuid, user=staff)
    default_view_matches_the_plain_count(staff)
    import_backend_resource(db.session, backend_resource_uuid=rows[12].uuid,
                            plan_value=actors.plan.uuid.hex, user=staff)
    default_view_matches_the_plain_count(staff)
    run_bulk(staff, BULK_DISMISS, {"name": "node"})
    default_view_matches_the_plain_count(staff)
    run_bulk(staff, BULK_DELETE, {"name": "gpu", "dismissed": "any"})
    default_view_matches_the_plain_count(staff)
    plans = {actors.offering.uuid.hex: actors.plan.uuid.hex}
    run_bulk(staff, BULK_IMPORT, {"offering_uuid": actors.offering.uuid.hex, "q": "acct"}, plans)
    default_view_matches_the_plain_count(staff)
    assert db.session.scalar(select(func.count()).select_from(BackendResource)) > 0


def test_filter_option_counts_from_the_tallies_give_the_plain_answer(triaged, actors):
    offering = triaged["offerings"][0]
    cases = [
        {}, {"name": "gpu"}, {"name": "%"}, {"name": "a_b"}, {"name": "É"}, {"name_exact": "it's"},
        {"name": "nothing here"}, {"offering_uuid": offering.uuid},
        {"flags": ("-imported",)}, {"q": "acct"}, {"flags": ("-previously_imported",)},
        {"q": "ACCT"}, {"q": "ÉCOLE"}, {"q": "50%"}, {"q": "a_b"}, {"q": "nothing here"},
        {"q": "gp"}, {"q": "node", "name": "gpu"}, {"q": "g"}, {"q": "E"}, {"q": "_"},
        {"q": "'"}, {"q": "%", "flags": ("-imported",)}, {"q": "o", "flags": ("stale",)},
        {"q": "a", "customer_uuid": triaged["customer"].uuid}, {"q": "é"},
        {"flags": ("-imported", "-previously_imported"), "name": "gpu"},
        {"flags": ("-imported", "stale")}, {"flags": ("stale",), "name": "gpu"},
        {"flags": ("duplicate",)}, {"flags": ("-duplicate",)}, {"flags": ("imported",)},
        {"flags": ("-duplicate", "-imported"), "name": "node"},
        {"flags": ("duplicate", "stale")}, {"flags": ("previously_imported",), "q": "acct"},
        {"flags": ("stale", "-duplicate", "-imported")}, {"flags": ("stale",), "name": "node"},
        {"flags": ("stale", "-previously_imported"), "name_exact": "x"},
        {"metadata": parse_metadata_filter("partition=gpu"), "offering_uuid": offering.uuid},
        {"project_uuid": triaged["projects"][1].uuid, "flags": ("duplicate",)},
        {"customer_uuid": triaged["customer"].uuid, "offering_uuid": offering.uuid},
        {"customer_uuid": triaged["customer"].uuid,
         "metadata": parse_metadata_filter("limits.cpu>300")},
        {"offering_uuid": uuid.uuid4()},
        # Date filters: each pair counted in its range of the (offering, project, created) index.
        {"created": datetime(2026, 1, 1, 5, tzinfo=UTC)},
        {"created_before": datetime(2026, 1, 1, 12, tzinfo=UTC)},
        {"created": datetime(2026, 1, 1, 5, tzinfo=UTC),
         "created_before": datetime(2026, 1, 1, 12, 30, tzinfo=UTC)},
        {"created": datetime.now(UTC) - timedelta(days=2), "offering_uuid": offering.uuid},
        {"created_before": datetime(2026, 1, 1, 9, tzinfo=UTC),
         "customer_uuid": triaged["customer"].uuid},
        {"created": datetime(2026, 1, 1, 5, tzinfo=UTC), "name": "gpu"},
        {"created": datetime(2026, 1, 1, 5, tzinfo=UTC), "flags": ("-imported",)},
        {"flags": ("-stale",)}, {"flags": ("-stale",), "customer_uuid": triaged["customer"].uuid},
        {"flags": ("-stale",), "created_before": datetime.now(UTC) - timedelta(hours=12)},
        {"flags": ("-stale", "-imported")},
        # ... and of the (offering, project, modified) index (the triage above updated the
        # first offering's reports: they were last updated now, the others on 1-3 January).
        {"modified": datetime(2026, 1, 2, tzinfo=UTC)},
        {"modified_before": datetime(2026, 1, 1, 20, tzinfo=UTC)},
        {"modified": datetime(2026, 1, 1, 10, tzinfo=UTC),
         "modified_before": datetime(2026, 1, 2, 6, tzinfo=UTC)},
        {"modified_before": datetime.now(UTC) - timedelta(minutes=1),
         "offering_uuid": offering.uuid},
        {"modified": datetime.now(UTC) - timedelta(days=1),
         "customer_uuid": triaged["customer"].uuid},
        # Both dates, or one with another filter: the matches are grouped instead.
        {"created_before": datetime(2026, 1, 1, 12, tzinfo=UTC),
         "modified": datetime(2026, 1, 1, 20, tzinfo=UTC)},
        {"flags": ("-stale",), "modified_before": datetime(2026, 1, 2, tzinfo=UTC)},
        {"modified": datetime(2026, 1, 1, 20, tzinfo=UTC), "name": "gpu"},
        {"modified_before": datetime(2026, 1, 2, tzinfo=UTC), "flags": ("-imported",)},
    ]
    views = (DISMISSED_HIDDEN, DISMISSED_ONLY, DISMISSED_ANY)
    for case, dismissed, user in product(cases, views, (actors.staff, actors.agent)):
        params = ListParams(**case, dismissed=dismissed)
        shared = replace(params, offering_uuid=None)
        reports = db.session.scalars(backend_resources_select(shared, user)).unique()
        expected = Counter((row.project_id, row.offering_id) for row in reports)
        label = f"{case} dismissed={dismissed} for {user.username}"
        # The pairs that pass the selects too add up to the list's own count (the table's).
        chosen = {key: getattr(params, key) for key in SELECT_KEYS}
        choices = count_filter_options(db.session, params, user, chosen)
        assert choices.total == len(plain(params, user)), label
        counted = db.session.execute(pair_counts_select(db.session, shared, user)).all()
        # A pair may be left with none (the tally less its hidden reports), never fewer.
        assert all(left >= 0 for _project, _offering, left in counted), label
        got = [pair for pair in counted if pair[2] > 0]
        assert sorted(got) == sorted((*pair, n) for pair, n in expected.items()), label
        # The default view subtracts dismissed reports that exist among these pairs.
        if case == {} and dismissed == DISMISSED_HIDDEN and user is actors.staff:
            assert sum(expected.values()) < db.session.scalar(
                select(func.sum(BackendResourceTally.reports))
            )


def test_filters_of_one_date_are_counted_in_each_pairs_range_of_its_index(triaged, actors):
    """The select counts of one date's filters alone (with the dismissed view) count each pair's
    matches in its range of the (offering, project, date) index, which holds every column they
    read, instead of looking every match up (SQLite tells the index it searches). Both dates,
    or a date and another filter, are grouped as any other filter is."""
    moment = datetime(2026, 1, 2, tzinfo=UTC)
    for case, index in (
        ({"created_before": moment}, "created"),
        ({"created": moment, "dismissed": DISMISSED_ANY}, "created"),
        ({"flags": ("-stale",)}, "created"),
        ({"modified_before": moment}, "modified"),
        ({"modified": moment, "modified_before": moment + timedelta(days=1)}, "modified"),
        ({"modified_before": moment, "dismissed": DISMISSED_ANY}, "modified"),
        ({"created": moment, "modified": moment}, None),
        ({"flags": ("-stale",), "modified": moment}, None),
        ({"modified": moment, "q": "gpu"}, None),
        ({"modified": moment, "flags": ("-imported",)}, None),
    ):
        params = ListParams(**case)
        assert dated_only(params) == (index is not None), case
        if index and db.engine.dialect.name == "sqlite":
            plan = sqlite_query_plan(pair_counts_select(db.session, params, actors.staff))
            assert f"COVERING INDEX ix_backend_resources_offering_project_{index}" in plan, case


def test_two_reports_of_one_pair_written_at_once_are_both_duplicates(app, actors, factory):
    """Two transactions each add a report of the same new (offering, backend id), in two
    projects (so no tally row orders them); neither sees the other's before it commits, yet the
    pair ends up a duplicate."""
    engine = db.engine
    insert = BackendResource.__table__.insert()
    projects = iter((actors.project.id, factory.project(name="Elsewhere").id))

    def report() -> dict:
        return {"uuid": uuid.uuid4(), "name": "racer", "backend_id": "racing",
                "offering_id": actors.offering.id, "project_id": next(projects),
                "backend_metadata": {}}

    written = threading.Event()

    def second_writer() -> None:
        with engine.begin() as connection:
            connection.execute(insert, report())
        written.set()

    with engine.connect() as first:
        first.execute(insert, report())
        thread = threading.Thread(target=second_writer)
        thread.start()
        # The second writer waits for the first to commit (PostgreSQL: the pair's lock; SQLite:
        # the database's write lock) and then finds the first's report.
        assert not written.wait(1.0)
        first.commit()
    thread.join(timeout=30)
    assert written.is_set()
    db.session.expire_all()
    pair = (actors.offering.id, "racing")
    assert pair in duplicate_pairs_match_the_reports()
    params = ListParams(flags=("duplicate",), with_flags=True)
    assert ListPlan(db.session, params, actors.staff).total() == 2
