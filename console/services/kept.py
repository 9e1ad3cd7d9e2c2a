"""Statements built once and kept for the next request: building a statement (and the cache key
SQLAlchemy computes for it on its first run) can take longer than running it."""

from collections import OrderedDict
from threading import Lock

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
