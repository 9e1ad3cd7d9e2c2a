"""Statements built once and kept for the next request: building a statement (and the cache key
SQLAlchemy computes for it on its first run) can take longer than running it. And each list's
last counts, which choose the way to its first page before the page counts it again."""

from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock
from weakref import WeakKeyDictionary

from console.services.flags import STALE


class Same:
    """An object as part of a cache key, by identity: columns would compare as SQL."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __eq__(self, other) -> bool:
        return isinstance(other, Same) and other.value is self.value

    def __hash__(self) -> int:
        return id(self.value)


def moves_with_the_clock(flags: tuple[str, ...]) -> bool:
    """Tell whether a list's statements hold the stale cutoff, a moment computed from now, and
    so cannot be kept."""
    return any(flag.lstrip("-") == STALE for flag in flags)


class KeptStatements:
    """Statements by key, the `size` most recently used kept; a key of None is never kept.

    A key must name everything the statement is built from but the values bound at run time:
    the list's filters, the viewer (`access.Viewer`), the way the plan takes.
    """

    def __init__(self, size: int):
        self.size = size
        self.statements: OrderedDict = OrderedDict()
        self.lock = Lock()

    def get(self, key, build):
        """The statement kept under `key`, or `build()` (kept from now on)."""
        if key is None:
            return build()
        with self.lock:
            statement = self.statements.get(key)
            if statement is not None:
                self.statements.move_to_end(key)
                return statement
        statement = build()
        with self.lock:
            self.statements[key] = statement
            while len(self.statements) > self.size:
                self.statements.popitem(last=False)
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

    def get(self, engine, key) -> SeenCounts | None:
        """The counts kept for `key` on `engine`, if any."""
        if key is None:
            return None
        with self.lock:
            counts = self.by_engine.get(engine, {}).get(key)
            if counts is not None:
                self.by_engine[engine].move_to_end(key)
            return counts

    def put(self, engine, key, counts: SeenCounts) -> None:
        """Keep `counts` for `key` on `engine`."""
        if key is None:
            return
        with self.lock:
            kept = self.by_engine.setdefault(engine, OrderedDict())
            kept[key] = counts
            kept.move_to_end(key)
            while len(kept) > self.size:
                kept.popitem(last=False)


KEPT_COUNTS = KeptCounts(size=512)
