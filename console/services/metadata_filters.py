"""Filters on what the agent sent: `backend_metadata` values by path, on SQLite and PostgreSQL.

The `metadata` parameter holds conditions separated by `;`, each `path op value`:

- `partition=gpu` — the value at the path is the string "gpu" (or, for `=5`, the number 5;
  for `=true`, the boolean); `!=` is its negation (a report without the key matches it);
- `limits.cpu>10000` — `>`, `>=`, `<`, `<=` compare numbers; values that are not JSON numbers
  never match.

A path is one to three keys of letters, digits, `_` or `-`, separated by dots. Both databases
give the same answers: PostgreSQL through jsonb (`@>`, served by a GIN index, and a typed
numeric comparison), SQLite through JSON1 (`json_type` and `json_extract`).
"""

import json
import math
import re
from dataclasses import dataclass

from sqlalchemy import and_, case, cast, false, func, not_, or_, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import Boolean, Numeric

from console.models import BackendResource
from console.services.parameters import NULL_CHARACTERS

KEY = r"[A-Za-z0-9_\-]+"
CONDITION = re.compile(rf"^\s*({KEY}(?:\.{KEY}){{0,2}})\s*(>=|<=|!=|=|>|<)\s*(.*?)\s*$")
COMPARISONS = (">", ">=", "<", "<=")
MAX_CONDITIONS = 10
# SQLite binds integers as 64-bit; larger ones are compared as floats.
LARGEST_INTEGER = 2**63
SYNTAX_HELP = "Write conditions as key=value or limits.cpu>10000, separated by ;."
PLAIN_HELP = ("A number has at most 18 digits before the point, 17 after it and a two-digit "
              "exponent; a value has no control characters.")

# The whole `metadata` value as one regular expression, in the common ground of Python's and
# ECMAScript's syntax: the OpenAPI schema publishes it, and the parser refuses whatever it does
# not match, so that a client (or schemathesis) knows exactly which values are accepted. Only
# spaces and tabs separate; numbers are finite for both databases.
_SPACE = r"[ \t]*"
_PATH = r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+){0,2}"
_NUMBER = r"-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,17})?([eE][-+]?[0-9]{1,2})?"
_CONTROL = r"\x00-\x1f\x7f-\x9f"
# Python's str.strip() and \s also remove these; a value needs one character that is not one.
_UNICODE_SPACE = r"\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_VALUE = f"[^;{_CONTROL}]*[^;{_CONTROL} {_UNICODE_SPACE}][^;{_CONTROL}]*"
_CONDITION = f"{_PATH}{_SPACE}((>=|<=|>|<){_SPACE}{_NUMBER}{_SPACE}|(!=|=){_SPACE}{_VALUE})"
METADATA_PATTERN = (
    rf"^[ \t;]*({_CONDITION}({_SPACE};[ \t;]*{_CONDITION}){{0,{MAX_CONDITIONS - 1}}})?[ \t;]*$"
)


@dataclass(frozen=True)
class MetadataCondition:
    """One condition on the report's metadata."""

    path: tuple[str, ...]
    operator: str
    value: str
    number: int | float | None

    @property
    def text(self) -> str:
        """The condition as it reads in the URL and in the table's summary."""
        return f"{'.'.join(self.path)} {self.operator} {self.value}"

    @property
    def key(self) -> str:
        """The path as written: `limits.cpu`."""
        return ".".join(self.path)


def parse_number(text: str) -> int | float | None:
    """A finite JSON number that both databases can bind: 10000, -2, 1.5, 1e6; else None.

    Integers past SQLite's 64-bit range become floats, and what no float holds (`1e400`,
    `Infinity`, `NaN`) is no number at all: either would be a 500 from the database.
    """
    try:
        number = json.loads(text)
    except ValueError:
        return None
    if isinstance(number, bool) or not isinstance(number, int | float):
        return None
    if isinstance(number, int) and abs(number) >= LARGEST_INTEGER:
        try:
            number = float(number)
        except OverflowError:
            return None
    if not math.isfinite(number):
        return None
    if isinstance(number, float) and number.is_integer() and abs(number) < LARGEST_INTEGER:
        return int(number)
    return number


def parse_metadata_filter(text: str) -> tuple[MetadataCondition, ...]:
    """Parse the `metadata` parameter; raise ValueError with a message for the user."""
    if "\x00" in text:  # PostgreSQL cannot compare text with NUL in it
        raise ValueError(NULL_CHARACTERS)
    conditions = []
    parts = [part for part in text.split(";") if part.strip()]
    if len(parts) > MAX_CONDITIONS:
        raise ValueError(f"At most {MAX_CONDITIONS} conditions.")
    for part in parts:
        match = CONDITION.match(part)
        if not match:
            raise ValueError(f"Cannot read “{part.strip()}”. {SYNTAX_HELP}")
        path, operator, value = match.groups()
        number = parse_number(value)
        if operator in COMPARISONS and number is None:
            raise ValueError(f"“{path} {operator}” needs a number, not “{value}”.")
        if not value and operator in ("=", "!="):
            raise ValueError(f"“{path}{operator}” needs a value.")
        conditions.append(MetadataCondition(tuple(path.split(".")), operator, value, number))
    # re.search, as JSON Schema validators in Python read a pattern (`$` allows a final "\n").
    if not re.search(METADATA_PATTERN, text):
        raise ValueError(f"Cannot read “{text.strip()}”. {SYNTAX_HELP} {PLAIN_HELP}")
    return tuple(conditions)


def metadata_clauses(conditions) -> list:
    """WHERE clauses for the conditions."""
    return [MetadataMatch(condition) for condition in conditions]


# --- One condition in each database's JSON dialect --------------------------------------------


def _nested(path: tuple[str, ...], value) -> dict:
    """{"limits": {"cpu": value}} for the path ("limits", "cpu")."""
    for key in reversed(path):
        value = {key: value}
    return value


def _equal_values(condition: MetadataCondition) -> list:
    """The JSON values `key=value` matches: the text, and the number or boolean it spells."""
    values = [condition.value]
    if condition.number is not None:
        values.append(condition.number)
    if condition.value in ("true", "false"):
        values.append(condition.value == "true")
    return values


def postgresql_clause(condition: MetadataCondition):
    """The condition on jsonb: containment for equality, a typed cast for comparisons."""
    column = type_coerce(BackendResource.backend_metadata, JSONB)
    if condition.operator in ("=", "!="):
        matches = or_(
            *(column.contains(_nested(condition.path, value)) for value in _equal_values(condition))
        )
        return not_(matches) if condition.operator == "!=" else matches
    found = func.jsonb_extract_path(column, *condition.path)
    number = case(
        (
            func.jsonb_typeof(found) == "number",
            cast(func.jsonb_extract_path_text(column, *condition.path), Numeric),
        ),
        else_=None,
    )
    return _compare(number, condition.operator, condition.number)


def sqlite_clause(condition: MetadataCondition):
    """The condition with SQLite's JSON1: the JSON type first, then the value."""
    column = BackendResource.backend_metadata
    path = "$" + "".join(f'."{key}"' for key in condition.path)
    kind = func.json_type(column, path)
    value = func.json_extract(column, path)
    if condition.operator in ("=", "!="):
        # The value first: most rows differ there, and each JSON1 call parses the document again
        # (a third faster at a million reports); the type then tells "5" from 5.
        options = [and_(value == condition.value, kind == "text")]
        if condition.number is not None:
            options.append(and_(value == condition.number, kind.in_(("integer", "real"))))
        if condition.value in ("true", "false"):
            options.append(kind == condition.value)
        matches = or_(*options)
        # A missing key gives NULL: `!=` must still match it, as on PostgreSQL.
        return not_(func.coalesce(matches, false())) if condition.operator == "!=" else matches
    numeric = kind.in_(("integer", "real"))
    return and_(numeric, _compare(value, condition.operator, condition.number))


def _compare(left, operator: str, number):
    """left > number, and so on."""
    return {
        ">": left > number,
        ">=": left >= number,
        "<": left < number,
        "<=": left <= number,
    }[operator]


class MetadataMatch(ColumnElement):
    """A metadata condition that compiles to jsonb on PostgreSQL and JSON1 elsewhere."""

    type = Boolean()
    inherit_cache = True
    _traverse_internals = [
        ("postgresql", InternalTraversal.dp_clauseelement),
        ("sqlite", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, condition: MetadataCondition):
        self.condition = condition
        self.postgresql = postgresql_clause(condition).self_group()
        self.sqlite = sqlite_clause(condition).self_group()


@compiles(MetadataMatch)
def _compile_generic(element, compiler, **kw):
    return compiler.process(element.sqlite, **kw)


@compiles(MetadataMatch, "postgresql")
def _compile_postgresql(element, compiler, **kw):
    return compiler.process(element.postgresql, **kw)
