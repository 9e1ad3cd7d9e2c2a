"""What the database keeps beside the reports so that their lists stay fast on a million rows.

Triggers keep three tallies exact inside every transaction that writes `backend_resources`
(reports per offering and project, per name, and per character their name or backend id
holds), the (offering, backend id) pairs that more than one report names, and on SQLite a
trigram full-text index of the lowered name and backend id. `create_all` builds them through
the metadata events below; the 0007, 0008 and 0009 migrations build the same for a migrated
database.
"""

import os
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import DDL, event, text

from console.extensions import db

SEARCH_TABLE = "backend_resource_search"
DUPLICATES_TABLE = "duplicate_backend_ids"
# Name endings of the indexes built on PostgreSQL only (trigram search, jsonb containment).
POSTGRESQL_ONLY_INDEXES = ("_trgm", "_jsonb")
BULK_CACHE_KIB = 100_000
BULK_MAINTENANCE_MEMORY = "256MB"

# A report counted in (new.*) or out of (old.*) both tallies and the search index.
_SQLITE_COUNT_NEW = f"""
        INSERT INTO backend_resource_tallies (offering_id, project_id, reports)
            VALUES (new.offering_id, new.project_id, 1)
            ON CONFLICT (offering_id, project_id) DO UPDATE SET reports = reports + 1;
        INSERT INTO backend_resource_name_tallies (offering_id, project_id, name, reports)
            VALUES (new.offering_id, new.project_id, new.name, 1)
            ON CONFLICT (offering_id, project_id, name) DO UPDATE SET reports = reports + 1;
        INSERT INTO {SEARCH_TABLE} (rowid, name, backend_id)
            VALUES (new.id, lower(new.name), lower(new.backend_id));"""
_SQLITE_UNCOUNT_OLD = f"""
        UPDATE backend_resource_tallies SET reports = reports - 1
            WHERE offering_id = old.offering_id AND project_id = old.project_id;
        DELETE FROM backend_resource_tallies
            WHERE offering_id = old.offering_id AND project_id = old.project_id AND reports = 0;
        UPDATE backend_resource_name_tallies SET reports = reports - 1
            WHERE offering_id = old.offering_id AND project_id = old.project_id
            AND name = old.name;
        DELETE FROM backend_resource_name_tallies
            WHERE offering_id = old.offering_id AND project_id = old.project_id
            AND name = old.name AND reports = 0;
        INSERT INTO {SEARCH_TABLE} ({SEARCH_TABLE}, rowid, name, backend_id)
            VALUES ('delete', old.id, lower(old.name), lower(old.backend_id));"""

SQLITE_STATEMENTS = (
    # Contentless: only the trigrams are stored. Lowered with SQLite's own lower() (ASCII only,
    # the letters the plain search's LIKE folds), so that a phrase match is that exact substring.
    f"""CREATE VIRTUAL TABLE {SEARCH_TABLE} USING fts5(
        name, backend_id, content='', tokenize='trigram case_sensitive 1')""",
    "CREATE TRIGGER backend_resources_counted_insert AFTER INSERT ON backend_resources BEGIN"
    f"{_SQLITE_COUNT_NEW}\n    END",
    "CREATE TRIGGER backend_resources_counted_delete AFTER DELETE ON backend_resources BEGIN"
    f"{_SQLITE_UNCOUNT_OLD}\n    END",
    """CREATE TRIGGER backend_resources_counted_update
        AFTER UPDATE OF name, backend_id, offering_id, project_id ON backend_resources BEGIN"""
    f"{_SQLITE_UNCOUNT_OLD}{_SQLITE_COUNT_NEW}\n    END",
)
SQLITE_DROP_STATEMENTS = (
    "DROP TRIGGER IF EXISTS backend_resources_counted_update",
    "DROP TRIGGER IF EXISTS backend_resources_counted_delete",
    "DROP TRIGGER IF EXISTS backend_resources_counted_insert",
    f"DROP TABLE IF EXISTS {SEARCH_TABLE}",
)

def _statement_triggers(upkeep: str, function: str) -> tuple[str, ...]:
    """PostgreSQL: the insert, delete and update triggers `backend_resources_<upkeep>_*` that
    run `function` once per statement, with the statement's rows as transition tables."""
    transitions = {
        "insert": "NEW TABLE AS new_rows",
        "delete": "OLD TABLE AS old_rows",
        "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    }
    return tuple(
        f"CREATE TRIGGER backend_resources_{upkeep}_{operation} "
        f"""AFTER {operation.upper()} ON backend_resources
        REFERENCING {tables}
        FOR EACH STATEMENT EXECUTE FUNCTION {function}()"""
        for operation, tables in transitions.items()
    )


# PostgreSQL counts once per statement from the transition tables: a bulk insert of a million
# rows updates each tally row once, not a million times. Searches there use the trigram indexes.
POSTGRESQL_STATEMENTS = (
    """CREATE OR REPLACE FUNCTION backend_resources_count() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            UPDATE backend_resource_tallies AS tally SET reports = tally.reports - gone.reports
                FROM (SELECT offering_id, project_id, count(*) AS reports FROM old_rows
                      GROUP BY offering_id, project_id) AS gone
                WHERE tally.offering_id = gone.offering_id
                AND tally.project_id = gone.project_id;
            DELETE FROM backend_resource_tallies AS tally
                USING (SELECT DISTINCT offering_id, project_id FROM old_rows) AS gone
                WHERE tally.offering_id = gone.offering_id
                AND tally.project_id = gone.project_id AND tally.reports = 0;
            UPDATE backend_resource_name_tallies AS tally
                SET reports = tally.reports - gone.reports
                FROM (SELECT offering_id, project_id, name, count(*) AS reports FROM old_rows
                      GROUP BY offering_id, project_id, name) AS gone
                WHERE tally.offering_id = gone.offering_id
                AND tally.project_id = gone.project_id AND tally.name = gone.name;
            DELETE FROM backend_resource_name_tallies AS tally
                USING (SELECT DISTINCT offering_id, project_id, name FROM old_rows) AS gone
                WHERE tally.offering_id = gone.offering_id
                AND tally.project_id = gone.project_id AND tally.name = gone.name
                AND tally.reports = 0;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO backend_resource_tallies AS tally (offering_id, project_id, reports)
                SELECT offering_id, project_id, count(*) FROM new_rows
                GROUP BY offering_id, project_id ORDER BY offering_id, project_id
                ON CONFLICT (offering_id, project_id)
                DO UPDATE SET reports = tally.reports + excluded.reports;
            INSERT INTO backend_resource_name_tallies AS tally
                (offering_id, project_id, name, reports)
                SELECT offering_id, project_id, name, count(*) FROM new_rows
                GROUP BY offering_id, project_id, name ORDER BY offering_id, project_id, name
                ON CONFLICT (offering_id, project_id, name)
                DO UPDATE SET reports = tally.reports + excluded.reports;
        END IF;
        RETURN NULL;
    END $$""",
    *_statement_triggers("counted", "backend_resources_count"),
)
POSTGRESQL_DROP_STATEMENTS = ("DROP FUNCTION IF EXISTS backend_resources_count() CASCADE",)


def _named_twice(offering_id: str, backend_id: str) -> str:
    """SQL: whether two reports or more name the pair (reads at most two index entries)."""
    return f"""(SELECT count(*) FROM (SELECT 1 FROM backend_resources
                WHERE offering_id = {offering_id} AND backend_id = {backend_id}
                LIMIT 2) AS two) = 2"""


# The pair a report names, written (new.*) or gone (old.*): in the table while two reports or
# more name it. Reports without a backend id are never duplicates.
_SQLITE_FIND_DUPLICATE_NEW = f"""
        INSERT INTO {DUPLICATES_TABLE} (offering_id, backend_id)
            SELECT new.offering_id, new.backend_id
            WHERE new.backend_id != '' AND {_named_twice("new.offering_id", "new.backend_id")}
            ON CONFLICT DO NOTHING;"""
_SQLITE_FORGET_DUPLICATE_OLD = f"""
        DELETE FROM {DUPLICATES_TABLE}
            WHERE offering_id = old.offering_id AND backend_id = old.backend_id
            AND NOT ({_named_twice("old.offering_id", "old.backend_id")});"""

DUPLICATE_SQLITE_STATEMENTS = (
    "CREATE TRIGGER backend_resources_duplicates_insert AFTER INSERT ON backend_resources BEGIN"
    f"{_SQLITE_FIND_DUPLICATE_NEW}\n    END",
    "CREATE TRIGGER backend_resources_duplicates_delete AFTER DELETE ON backend_resources BEGIN"
    f"{_SQLITE_FORGET_DUPLICATE_OLD}\n    END",
    """CREATE TRIGGER backend_resources_duplicates_update
        AFTER UPDATE OF offering_id, backend_id ON backend_resources BEGIN"""
    f"{_SQLITE_FORGET_DUPLICATE_OLD}{_SQLITE_FIND_DUPLICATE_NEW}\n    END",
)
DUPLICATE_SQLITE_DROP_STATEMENTS = tuple(
    f"DROP TRIGGER IF EXISTS backend_resources_duplicates_{operation}"
    for operation in ("update", "delete", "insert")
)

# PostgreSQL rechecks each pair a statement touched, under a lock on the pair held to the end of
# the transaction: a concurrent writer of the same pair waits, then rechecks with this one's
# rows committed (each statement of the function sees what is committed when it starts), so
# two reports of one pair written at once are still found twice. Pairs lock in order.
DUPLICATE_POSTGRESQL_STATEMENTS = (
    f"""CREATE OR REPLACE FUNCTION backend_resources_recheck_duplicate(
        pair_offering_id integer, pair_backend_id varchar) RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock(pair_offering_id, hashtext(pair_backend_id));
        IF {_named_twice("pair_offering_id", "pair_backend_id")} THEN
            INSERT INTO {DUPLICATES_TABLE} (offering_id, backend_id)
                VALUES (pair_offering_id, pair_backend_id) ON CONFLICT DO NOTHING;
        ELSE
            DELETE FROM {DUPLICATES_TABLE}
                WHERE offering_id = pair_offering_id AND backend_id = pair_backend_id;
        END IF;
    END $$""",
    """CREATE OR REPLACE FUNCTION backend_resources_find_duplicates() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        pair record;
    BEGIN
        IF TG_OP = 'INSERT' THEN
            FOR pair IN SELECT DISTINCT offering_id, backend_id FROM new_rows
                    WHERE backend_id <> '' ORDER BY offering_id, backend_id LOOP
                PERFORM backend_resources_recheck_duplicate(pair.offering_id, pair.backend_id);
            END LOOP;
        ELSIF TG_OP = 'DELETE' THEN
            FOR pair IN SELECT DISTINCT offering_id, backend_id FROM old_rows
                    WHERE backend_id <> '' ORDER BY offering_id, backend_id LOOP
                PERFORM backend_resources_recheck_duplicate(pair.offering_id, pair.backend_id);
            END LOOP;
        ELSE
            -- Only the rows whose pair changed (a dismissal or a rename changes none).
            FOR pair IN
                WITH moved AS (
                    SELECT old_rows.offering_id AS old_offering_id,
                           old_rows.backend_id AS old_backend_id,
                           new_rows.offering_id AS new_offering_id,
                           new_rows.backend_id AS new_backend_id
                    FROM old_rows JOIN new_rows USING (id)
                    WHERE (old_rows.offering_id, old_rows.backend_id)
                        IS DISTINCT FROM (new_rows.offering_id, new_rows.backend_id))
                SELECT old_offering_id AS offering_id, old_backend_id AS backend_id FROM moved
                UNION
                SELECT new_offering_id, new_backend_id FROM moved
                ORDER BY offering_id, backend_id
            LOOP
                IF pair.backend_id <> '' THEN
                    PERFORM backend_resources_recheck_duplicate(
                        pair.offering_id, pair.backend_id);
                END IF;
            END LOOP;
        END IF;
        RETURN NULL;
    END $$""",
    *_statement_triggers("duplicates", "backend_resources_find_duplicates"),
)
DUPLICATE_POSTGRESQL_DROP_STATEMENTS = (
    "DROP FUNCTION IF EXISTS backend_resources_find_duplicates() CASCADE",
    "DROP FUNCTION IF EXISTS backend_resources_recheck_duplicate(integer, varchar)",
)
FIND_DUPLICATES = (
    f"INSERT INTO {DUPLICATES_TABLE} (offering_id, backend_id) "
    "SELECT offering_id, backend_id FROM backend_resources WHERE backend_id != '' "
    "GROUP BY offering_id, backend_id HAVING count(*) > 1"
)


# The one-character searches the character tally answers: printable ASCII, lowered (SQLite's
# lower() changes ASCII letters only, and PostgreSQL's agrees with it there), without the space.
TALLIED_CHARACTERS = frozenset(
    chr(code) for code in range(33, 127) if not "A" <= chr(code) <= "Z"
)
CHARACTER_TALLIES = "backend_resource_character_tallies"
# Each tallied character as a row, written with char() so that no quote or percent sign needs
# escaping in the trigger's text.
_SQLITE_CHARACTERS = "(SELECT column1 AS symbol FROM (VALUES {}))".format(
    ", ".join(f"(char({ord(symbol)}))" for symbol in sorted(TALLIED_CHARACTERS))
)
_POSTGRESQL_CHARACTERS = (
    "(SELECT chr(code) AS symbol FROM generate_series(33, 126) AS code"
    " WHERE code NOT BETWEEN 65 AND 90)"
)


def _held_by(report: str, *, sqlite: bool) -> str:
    """SQL: whether the `report` row's lowered name or backend id holds the row's `symbol`,
    as the plain "contains" search compares them."""
    find = "instr" if sqlite else "strpos"
    return (f"({find}(lower({report}.name), symbol) > 0"
            f" OR {find}(lower({report}.backend_id), symbol) > 0)")


def _sqlite_characters_of(report: str) -> str:
    """SQL (a SQLite trigger): the tallied characters the `report` row (new, old) holds. Its
    texts are lowered once: with LIMIT, SQLite keeps the subquery's row instead of lowering
    them again for each character (38 against 100 µs a report)."""
    return f"""SELECT symbol FROM {_SQLITE_CHARACTERS} AS tallied,
                (SELECT lower({report}.name) AS name, lower({report}.backend_id) AS backend_id
                 LIMIT 1) AS lowered
                WHERE instr(lowered.name, symbol) > 0 OR instr(lowered.backend_id, symbol) > 0"""


# A report counted in (new.*) or out of (old.*) the character tally, one row per character.
_SQLITE_CHARACTERS_NEW = f"""
        INSERT INTO {CHARACTER_TALLIES} (symbol, offering_id, project_id, reports)
            SELECT symbol, new.offering_id, new.project_id, 1
            FROM ({_sqlite_characters_of("new")}) WHERE true
            ON CONFLICT (symbol, offering_id, project_id) DO UPDATE SET reports = reports + 1;"""
_SQLITE_CHARACTERS_OLD = f"""
        UPDATE {CHARACTER_TALLIES} SET reports = reports - 1
            WHERE offering_id = old.offering_id AND project_id = old.project_id
            AND symbol IN ({_sqlite_characters_of("old")});
        DELETE FROM {CHARACTER_TALLIES}
            WHERE offering_id = old.offering_id AND project_id = old.project_id
            AND reports = 0;"""
CHARACTER_SQLITE_STATEMENTS = (
    "CREATE TRIGGER backend_resources_characters_insert AFTER INSERT ON backend_resources"
    f" BEGIN{_SQLITE_CHARACTERS_NEW}\n    END",
    "CREATE TRIGGER backend_resources_characters_delete AFTER DELETE ON backend_resources"
    f" BEGIN{_SQLITE_CHARACTERS_OLD}\n    END",
    """CREATE TRIGGER backend_resources_characters_update
        AFTER UPDATE OF name, backend_id, offering_id, project_id ON backend_resources BEGIN"""
    f"{_SQLITE_CHARACTERS_OLD}{_SQLITE_CHARACTERS_NEW}\n    END",
)
CHARACTER_SQLITE_DROP_STATEMENTS = tuple(
    f"DROP TRIGGER IF EXISTS backend_resources_characters_{operation}"
    for operation in ("update", "delete", "insert")
)


def _characters_per_pair(rows: str, *, sqlite: bool = False) -> str:
    """SQL: (symbol, offering id, project id, reports) of the `rows` (a table) per character."""
    characters = _SQLITE_CHARACTERS if sqlite else _POSTGRESQL_CHARACTERS
    return f"""SELECT symbol, report.offering_id, report.project_id, count(*) AS reports
                FROM {rows} AS report CROSS JOIN {characters} AS tallied
                WHERE {_held_by("report", sqlite=sqlite)}
                GROUP BY symbol, report.offering_id, report.project_id"""


def _postgresql_uncount_characters(rows: str) -> str:
    """PL/pgSQL: take the `rows` (a table) out of the character tally."""
    return f"""
            UPDATE {CHARACTER_TALLIES} AS tally SET reports = tally.reports - gone.reports
                FROM ({_characters_per_pair(rows)}) AS gone
                WHERE tally.symbol = gone.symbol AND tally.offering_id = gone.offering_id
                AND tally.project_id = gone.project_id;
            DELETE FROM {CHARACTER_TALLIES} AS tally
                USING (SELECT DISTINCT offering_id, project_id FROM {rows} AS gone) AS gone
                WHERE tally.offering_id = gone.offering_id
                AND tally.project_id = gone.project_id AND tally.reports = 0;"""


def _postgresql_count_characters(rows: str) -> str:
    """PL/pgSQL: add the `rows` (a table) to the character tally."""
    return f"""
            INSERT INTO {CHARACTER_TALLIES} AS tally (symbol, offering_id, project_id, reports)
                SELECT * FROM ({_characters_per_pair(rows)}) AS counted
                ORDER BY symbol, offering_id, project_id
                ON CONFLICT (symbol, offering_id, project_id)
                DO UPDATE SET reports = tally.reports + excluded.reports;"""


def _changed_rows(side: str) -> str:
    """SQL: the `side` (old_rows, new_rows) of the updated rows whose name, backend id,
    offering or project changed: a dismissal changes none, and costs the tally nothing."""
    return f"""(SELECT {side}.* FROM old_rows JOIN new_rows USING (id)
                WHERE (old_rows.name, old_rows.backend_id, old_rows.offering_id,
                       old_rows.project_id)
                IS DISTINCT FROM (new_rows.name, new_rows.backend_id, new_rows.offering_id,
                                  new_rows.project_id))"""


# PostgreSQL counts a statement's rows at once, as it does the other tallies.
CHARACTER_POSTGRESQL_STATEMENTS = (
    f"""CREATE OR REPLACE FUNCTION backend_resources_count_characters() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN{_postgresql_count_characters("new_rows")}
        ELSIF TG_OP = 'DELETE' THEN{_postgresql_uncount_characters("old_rows")}
        ELSE{_postgresql_uncount_characters(_changed_rows("old_rows"))}{
            _postgresql_count_characters(_changed_rows("new_rows"))}
        END IF;
        RETURN NULL;
    END $$""",
    *_statement_triggers("characters", "backend_resources_count_characters"),
)
CHARACTER_POSTGRESQL_DROP_STATEMENTS = (
    "DROP FUNCTION IF EXISTS backend_resources_count_characters() CASCADE",
)


def count_characters_statement(dialect: str) -> str:
    """SQL: fill the empty character tally from every report (slow: every report is read once
    for each tallied character; a bulk load counts its new rows as it makes them instead)."""
    counted = _characters_per_pair("backend_resources", sqlite=dialect == "sqlite")
    return (f"INSERT INTO {CHARACTER_TALLIES} (symbol, offering_id, project_id, reports) "
            f"{counted}")


# Each tallied character as one bit of an int: the characters a text holds are the sum of theirs.
CHARACTER_BITS = {symbol: 1 << n for n, symbol in enumerate(sorted(TALLIED_CHARACTERS))}
# The characters of each value of each byte of such a sum: [place][value] -> characters.
_CHARACTERS_OF_BYTE = [
    [[symbol for symbol, bit in CHARACTER_BITS.items() if (bit >> 8 * place) & value]
     for value in range(256)]
    for place in range(-(-len(CHARACTER_BITS) // 8))
]


def characters_of(text: str) -> int:
    """The tallied characters an ASCII text holds once lowered, as the triggers find them: the
    sum of their CHARACTER_BITS."""
    if not text.isascii():
        # Python lowers some non-ASCII letters into ASCII ones (the Kelvin sign into "k");
        # SQLite does not.
        raise ValueError(f"not ASCII: {text!r}")
    return sum(map(CHARACTER_BITS.__getitem__, TALLIED_CHARACTERS.intersection(text.lower())))


def add_character_counts(session, counts: dict) -> None:
    """Add reports to the character tally: `counts` maps (offering id, project id, some
    characters: a sum of CHARACTER_BITS) to a number of reports that hold them, each character
    a report holds counted under one key (a report's characters may be split over several)."""
    # Summed a byte of the characters at a time, then a character at a time.
    per_byte: dict = {}  # (offering id, project id, byte's place, its value) -> reports
    for (offering_id, project_id, characters), reports in counts.items():
        place = 0
        while characters:
            if value := characters & 255:
                key = (offering_id, project_id, place, value)
                per_byte[key] = per_byte.get(key, 0) + reports
            characters >>= 8
            place += 1
    per_character: dict = {}
    for (offering_id, project_id, place, value), reports in per_byte.items():
        for symbol in _CHARACTERS_OF_BYTE[place][value]:
            key = (symbol, offering_id, project_id)
            per_character[key] = per_character.get(key, 0) + reports
    add_to_tally(session, CHARACTER_TALLIES, ("symbol", "offering_id", "project_id"),
                 per_character)


def add_to_tally(session, table: str, key: tuple[str, ...], counts: dict) -> None:
    """Add `counts` (a tuple of the `key` columns' values -> reports) to a tally's rows."""
    if not counts:
        return
    columns = ", ".join(key)
    marks = ", ".join(f":{column}" for column in key)
    session.execute(
        text(f"INSERT INTO {table} AS tally ({columns}, reports) VALUES ({marks}, :reports) "
             f"ON CONFLICT ({columns}) DO UPDATE SET reports = tally.reports + excluded.reports"),
        [dict(zip(key, row, strict=True), reports=reports)
         for row, reports in sorted(counts.items())],
    )


def is_search_table(name: str | None) -> bool:
    """Tell whether a table is the SQLite search index or one of its shadow tables."""
    return bool(name) and (name == SEARCH_TABLE or name.startswith(f"{SEARCH_TABLE}_"))


def compared_with_models(dialect_name: str):
    """Return Alembic's include_object for `dialect_name`: what autogenerate may compare.

    The SQLite search index is a virtual table with shadow tables, and the trigram and jsonb
    indexes exist on PostgreSQL only: none of them is in the models for every database.
    """

    def include(obj, name, type_, reflected, compare_to) -> bool:
        if type_ == "table" and is_search_table(name):
            return False
        if type_ == "index" and name and name.endswith(POSTGRESQL_ONLY_INDEXES):
            return dialect_name == "postgresql"
        return True

    return include


SQLITE_UPKEEP = SQLITE_STATEMENTS + DUPLICATE_SQLITE_STATEMENTS + CHARACTER_SQLITE_STATEMENTS
POSTGRESQL_UPKEEP = (
    POSTGRESQL_STATEMENTS + DUPLICATE_POSTGRESQL_STATEMENTS + CHARACTER_POSTGRESQL_STATEMENTS
)
for _statement in SQLITE_UPKEEP:
    event.listen(db.metadata, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in (
    CHARACTER_SQLITE_DROP_STATEMENTS + DUPLICATE_SQLITE_DROP_STATEMENTS + SQLITE_DROP_STATEMENTS
):
    event.listen(db.metadata, "before_drop", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_UPKEEP:
    event.listen(db.metadata, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
for _statement in (
    CHARACTER_POSTGRESQL_DROP_STATEMENTS + DUPLICATE_POSTGRESQL_DROP_STATEMENTS
    + POSTGRESQL_DROP_STATEMENTS
):
    event.listen(db.metadata, "before_drop", DDL(_statement).execute_if(dialect="postgresql"))


@dataclass
class LoadedReports:
    """What the caller of `bulk_loading` counts of the rows it writes, for the tallies that
    would cost a pass over every report to count again (a sort of a million names on SQLite,
    3.6 s; one pass per tallied character)."""

    names: dict = field(default_factory=dict)  # (offering id, project id, name) -> reports
    characters: dict = field(default_factory=dict)  # see add_character_counts


@contextmanager
def bulk_loading(session):
    """Within the caller's transaction, set aside the per-row upkeep of `backend_resources`
    (triggers, secondary indexes, search index rows) and rebuild it all in one pass at the end.

    Building an index by sorting a million rows costs a fraction of inserting them one at a
    time into thirteen B-trees, and a tally from one GROUP BY a fraction of a million upserts.
    The rebuilt tallies and search index are the same the triggers would have kept. It yields
    a `LoadedReports` for the caller to count the names and characters of the rows it writes
    into; the name and character tallies keep counting the reports that were there.
    """
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "sqlite":
        # Rebuilding reads the whole file: mapped, every page would count as this process's
        # memory (a gigabyte for a million reports); read through the page cache instead.
        session.execute(text("PRAGMA mmap_size = 0"))
        # A cache that holds the uuid index (kept row by row) and the search index's merges:
        # a third less time for a million reports, for at most BULK_CACHE_KIB of memory.
        cache_size = session.scalar(text("PRAGMA cache_size"))
        session.execute(text(f"PRAGMA cache_size = -{BULK_CACHE_KIB}"))
        # Index builds sort with helper threads, one per CPU (the load itself is done by then).
        threads = session.scalar(text("PRAGMA threads"))
        session.execute(text(f"PRAGMA threads = {os.cpu_count() or 1}"))
    else:
        # Index builds (three of them GIN) sort in memory instead of in temporary files.
        session.execute(text(f"SET LOCAL maintenance_work_mem = '{BULK_MAINTENANCE_MEMORY}'"))
    table = db.metadata.tables["backend_resources"]
    indexes = sorted(
        (index for index in table.indexes if _built_on(index, dialect)),
        key=_creation_order(session, dialect),
    )
    drops = SQLITE_TRIGGER_DROPS if dialect == "sqlite" else POSTGRESQL_TRIGGER_DROPS
    for statement in drops:
        session.execute(text(statement))
    for index in indexes:
        index.drop(connection)
    # PostgreSQL: the uuid's unique index and the foreign keys too (checked row by row, they
    # cost more than one sort and one join each afterwards), re-added as they were.
    constraints = _set_aside_constraints(session) if dialect == "postgresql" else []
    loaded = LoadedReports()
    try:
        yield loaded
        _rebuild(session, connection, dialect, indexes, loaded)
        for name, definition in constraints:
            session.execute(text(f'ALTER TABLE backend_resources ADD CONSTRAINT "{name}" '
                                 f"{definition}"))
    finally:
        if dialect == "sqlite":
            # Straight through the driver: this runs after a failed load too.
            driver = connection.connection.driver_connection
            driver.execute(f"PRAGMA cache_size = {cache_size}")
            driver.execute(f"PRAGMA threads = {threads}")


def _creation_order(session, dialect: str):
    """Return a sort key putting indexes in the order the database created them (the
    migrations' order), names it lacks last: rebuilt in that order, a loaded database plans as
    a migrated one does. (SQLite takes the index created last of two it costs alike: the
    (offering, created) one instead of (offering, id), whose rows lie in id order, made an
    offering's reports by date of update 0.2 s slower at a million.)"""
    if dialect == "sqlite":
        statement = ("SELECT name FROM sqlite_master WHERE type = 'index' "
                     "AND tbl_name = 'backend_resources' ORDER BY rowid")
    else:
        statement = ("SELECT indexrelid::regclass::text FROM pg_index "
                     "WHERE indrelid = 'backend_resources'::regclass ORDER BY pg_index.indexrelid")
    order = {name: place for place, name in enumerate(session.scalars(text(statement)))}
    return lambda index: (order.get(index.name, len(order)), index.name)


def _set_aside_constraints(session) -> list[tuple[str, str]]:
    """Drop the unique and foreign key constraints of `backend_resources` on PostgreSQL and
    return their names and definitions."""
    constraints = session.execute(text(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'backend_resources'::regclass AND contype IN ('u', 'f') "
        "ORDER BY conname"
    )).all()
    for name, _definition in constraints:
        session.execute(text(f'ALTER TABLE backend_resources DROP CONSTRAINT "{name}"'))
    return [tuple(row) for row in constraints]


def _rebuild(session, connection, dialect: str, indexes: list, loaded: LoadedReports) -> None:
    """Build the indexes, tallies, search index and triggers that bulk_loading set aside."""
    for index in indexes:
        index.create(connection)
    if dialect == "postgresql":
        # Statistics first: without them the planner guessed its way through the duplicate
        # pairs' GROUP BY (3.8 s at a million reports; about 1 s with them).
        session.execute(text("ANALYZE backend_resources"))
    count_loaded_reports(session, loaded)
    if dialect == "sqlite":
        session.execute(text(f"INSERT INTO {SEARCH_TABLE} ({SEARCH_TABLE}) VALUES ('delete-all')"))
        session.execute(text(
            f"INSERT INTO {SEARCH_TABLE} (rowid, name, backend_id) "
            "SELECT id, lower(name), lower(backend_id) FROM backend_resources"
        ))
        statements = SQLITE_UPKEEP
    else:
        statements = POSTGRESQL_UPKEEP
    statements = [s for s in statements if s.lstrip().startswith("CREATE TRIGGER")]
    for statement in statements:
        session.execute(text(statement))
    if dialect == "postgresql":
        # Fresh statistics for the planner (ANALYZE, unlike VACUUM, runs in a transaction).
        session.execute(text("ANALYZE backend_resource_tallies"))
        session.execute(text("ANALYZE backend_resource_name_tallies"))
        session.execute(text(f"ANALYZE {DUPLICATES_TABLE}"))
        session.execute(text(f"ANALYZE {CHARACTER_TALLIES}"))


def count_loaded_reports(session, loaded: LoadedReports) -> None:
    """Add the loaded reports to the name and character tallies (which still count the reports
    that were there), count the pairs again from the names, and find the duplicate pairs again."""
    add_to_tally(session, "backend_resource_name_tallies",
                 ("offering_id", "project_id", "name"), loaded.names)
    add_character_counts(session, loaded.characters)
    session.execute(text("DELETE FROM backend_resource_tallies"))
    session.execute(text(
        "INSERT INTO backend_resource_tallies (offering_id, project_id, reports) "
        "SELECT offering_id, project_id, sum(reports) FROM backend_resource_name_tallies "
        "GROUP BY offering_id, project_id"
    ))
    session.execute(text(f"DELETE FROM {DUPLICATES_TABLE}"))
    session.execute(text(FIND_DUPLICATES))


def _built_on(index, dialect: str) -> bool:
    """Tell whether an index exists on this database (trigram and jsonb: PostgreSQL only)."""
    return not index.name.endswith(POSTGRESQL_ONLY_INDEXES) or dialect == "postgresql"


SQLITE_TRIGGER_DROPS = (
    SQLITE_DROP_STATEMENTS[:3] + DUPLICATE_SQLITE_DROP_STATEMENTS
    + CHARACTER_SQLITE_DROP_STATEMENTS
)
POSTGRESQL_TRIGGER_DROPS = tuple(
    f"DROP TRIGGER backend_resources_{upkeep}_{operation} ON backend_resources"
    for upkeep in ("counted", "duplicates", "characters")
    for operation in ("insert", "delete", "update")
)
