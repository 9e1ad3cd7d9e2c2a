"""Statements built once and kept for the next request: building a statement (and the cache key
SQLAlchemy computes for it on its first run) can take longer than running it. And each list's
last counts, which choose the way to its first page before the page counts it again."""

from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock
from weakref import WeakKeyDictionary


class Same:
    """An object as part of a cache key, by identity: columns would compare as SQL."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __eq__(self, other) -> bool:
        return isinstance(other, Same) and other.value is self.value

    def __hash__(self) -> int:
        return id(self.value)


class RecentlyUsed:
    """A mapping that keeps the `size` most recently used of its entries (shared by threads)."""

    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict = OrderedDict()
        self.lock = Lock()

    def get(self, key):
        """The value kept under `key` (None if none), now the most recently used."""
        with self.lock:
            value = self.entries.get(key)
            if value is not None:
                self.entries.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        """Keep `value` under `key`, forgetting the least recently used beyond `size`."""
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


class KeptStatements:
    """Statements by key, the `size` most recently used kept; a key of None is never kept.

    A key must name everything the statement is built from but the values bound at run time:
    the list's filters, the viewer (`access.Viewer`), the way the plan takes.
    """

    def __init__(self, size: int):
        self.statements = RecentlyUsed(size)

    def get(self, key, build):
        """The statement kept under `key`, or `build()` (kept from now on)."""
        if key is None:
            return build()
        statement = self.statements.get(key)
        if statement is None:
            statement = build()
            self.statements.put(key, statement)
        return statement


KEPT_STATEMENTS = KeptStatements(size=512)


@dataclass(frozen=True)
class SeenCounts:
    """A list's counts as its last request found them: how many reports it holds (`total`) and
    how many the user sees in all (`visible`, None when not counted)."""

    total: int
    visible: int | None


class KeptCounts:
    """The counts each list had at its last request, per database (engine), the `size` most
    recently used lists of each; a key of None is never kept.

    They only choose the way to a list's first page before it is counted again (in the same
    statement as the page): an answer never comes from them.
    """

    def __init__(self, size: int):
        self.size = size
        self.by_engine: WeakKeyDictionary = WeakKeyDictionary()
        self.lock = Lock()

    def of(self, engine) -> RecentlyUsed:
        """The counts kept for the lists of `engine`."""
        with self.lock:
            kept = self.by_engine.get(engine)
            if kept is None:
                kept = self.by_engine[engine] = RecentlyUsed(self.size)
            return kept

    def get(self, engine, key) -> SeenCounts | None:
        """The counts kept for `key` on `engine`, if any."""
        return None if key is None else self.of(engine).get(key)

    def put(self, engine, key, counts: SeenCounts) -> None:
        """Keep `counts` for `key` on `engine`."""
        if key is not None:
            self.of(engine).put(key, counts)


KEPT_COUNTS = KeptCounts(size=512)
