"""The backend resource table's state as it lives in the URL: links that change one argument,
the registry of filters with their English phrases, sort directions and the pager's window."""

from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlencode

from flask import url_for
from markupsafe import Markup

from console.services.flags import FLAG_LABELS
from console.services.metadata_filters import parse_metadata_filter
from console.services.queries import DEFAULT_ORDERING, ORDERING_CHOICES

ENDPOINT = "web.backend_resource_list"
COUNTS_ENDPOINT = "web.backend_resource_counts"
DEFAULT_PAGE_SIZE = 25
PAGE_SIZES = (10, 25, 50, 100)
# The characters Werkzeug's url_for leaves as they are in a query string: links built from the
# base URL read exactly as url_for would write them.
QUERY_SAFE = "!$'()*,/:;?@"


@dataclass(frozen=True)
class ListFilter:
    """One filter of the table: its query parameter, its label, and how to say it in English.

    `where` filters are conditions read after "where" ("name contains gpu"); the others stand
    on their own ("in offering HPC SLURM").
    """

    key: str
    label: str
    phrase: str
    where: bool = False
    names_object: bool = False


FILTERS = (
    ListFilter("q", "Search", "name or backend ID contains", where=True),
    ListFilter("name", "Name contains", "name contains", where=True),
    ListFilter("name_exact", "Name is", "name is", where=True),
    ListFilter("backend_id", "Backend ID", "backend ID is", where=True),
    ListFilter("customer_uuid", "Customer", "of customer", names_object=True),
    ListFilter("project_uuid", "Project", "in project", names_object=True),
    ListFilter("offering_uuid", "Offering", "in offering", names_object=True),
    ListFilter("created", "Reported from", "reported on or after"),
    ListFilter("created_before", "Reported until", "reported on or before"),
    ListFilter("modified", "Updated from", "last updated on or after"),
    ListFilter("modified_before", "Updated until", "last updated on or before"),
    # Triage: what the agent sent, the flags, and the Dismissed view.
    ListFilter("metadata", "Metadata", "metadata", where=True),
    ListFilter("flag", "Flags", "flagged"),
    ListFilter("dismissed", "Dismissed", "dismissed"),
)
FILTER_KEYS = tuple(spec.key for spec in FILTERS)
# Parameters that may be given more than once; the URL keeps them comma-separated.
MULTI_VALUE_KEYS = {"flag"}
# Every parameter the table keeps in its URL, in the order links spell them.
STATE_KEYS = FILTER_KEYS + ("o", "page_size", "page")

# How each sort key reads in English, ascending then descending.
SORT_WORDS = {
    "name": ("name", "A to Z", "Z to A"),
    "backend_id": ("backend ID", "A to Z", "Z to A"),
    "project_name": ("project", "A to Z", "Z to A"),
    "offering_name": ("offering", "A to Z", "Z to A"),
    "created": ("reported", "oldest first", "newest first"),
    "modified": ("last updated", "least recently updated first", "most recently updated first"),
}
# Times sort newest first on the first click; names A to Z.
DESCENDING_FIRST = {"created", "modified"}


def ordering_phrase(key: str) -> str:
    """Say one sort key in English: "newest first", "by name, A to Z"."""
    field, ascending, descending = SORT_WORDS[key.lstrip("-")]
    direction = descending if key.startswith("-") else ascending
    if field in ("reported", "last updated"):
        return direction
    return f"by {field}, {direction}"


def sort_direction_words(key: str, descending: bool) -> str:
    """The words for sorting a column one way: "A to Z", "newest first"."""
    _field, ascending_words, descending_words = SORT_WORDS[key]
    return descending_words if descending else ascending_words


@dataclass(frozen=True)
class ActiveFilter:
    """A filter that is set: its label, its English phrase and the link that clears it."""

    key: str
    label: str
    text: Markup
    clear_url: str


@dataclass(frozen=True)
class ListState:
    """The last non-empty value of each known query parameter, as the URL gave it."""

    values: dict

    @classmethod
    def from_args(cls, args) -> "ListState":
        """Read the table's state from request arguments, ignoring unknown ones."""
        values = {}
        for key in STATE_KEYS:
            given = args.getlist(key)
            if key in MULTI_VALUE_KEYS:
                joined = ",".join(part for value in given for part in value.split(",") if part)
                if joined:
                    values[key] = joined
            elif given and given[-1] != "":
                values[key] = given[-1]
        return cls(values)

    def has_flag(self, flag: str) -> bool:
        """Whether the `flag` filter names this flag (or its negation, "-stale")."""
        return flag in self.get("flag").split(",")

    @property
    def query_string(self) -> str:
        """The filters and order as a query string, without the page: what a bulk action or an
        export applies to."""
        values = {key: self.values[key] for key in STATE_KEYS if key in self.values}
        values.pop("page", None)
        values.pop("page_size", None)
        return urlencode(values)

    def get(self, key: str) -> str:
        """The value of a parameter, or "" when it is not set."""
        return self.values.get(key, "")

    def url(self, **changes) -> str:
        """This table's URL with some arguments changed; None removes one.

        Any change sends the reader back to page 1 unless it names the page itself.
        """
        return self.url_of(self.base_url, **changes)

    def url_of(self, base_url: str, **changes) -> str:
        """`base_url` with this table's arguments, some changed (see `url`)."""
        values = dict(self.values)
        if "page" not in changes:
            values.pop("page", None)
        for key, value in changes.items():
            if value is None or value == "":
                values.pop(key, None)
            else:
                values[key] = str(value)
        ordered = {key: values[key] for key in STATE_KEYS if key in values}
        query = urlencode(ordered, safe=QUERY_SAFE)
        return f"{base_url}?{query}" if query else base_url

    def counts_url(self) -> str:
        """The URL that counts this page of the table when it was shown before counting."""
        return self.url_of(url_for(COUNTS_ENDPOINT), page=self.get("page"))

    @cached_property
    def base_url(self) -> str:
        """The table's URL without arguments, built once per request (a page has dozens of
        links: sort headers, pager, filter chips)."""
        return url_for(ENDPOINT)

    def without(self, *keys: str) -> str:
        """This URL without some arguments (and back on page 1)."""
        return self.url(**dict.fromkeys(keys))

    def page_url(self, number: int) -> str:
        """The URL of another page of the same list; page 1 has no `page` argument."""
        return self.url(page=None if number == 1 else number)

    @property
    def has_filters(self) -> bool:
        return any(key in self.values for key in FILTER_KEYS)

    def clear_filters_url(self) -> str:
        """This URL without any filter; the sort order and page size stay."""
        return self.without(*FILTER_KEYS)

    @property
    def ordering(self) -> tuple[str, ...]:
        """The valid sort keys of `o`, or the default ordering."""
        keys = tuple(part.strip() for part in self.get("o").split(",") if part.strip())
        if keys and all(key in ORDERING_CHOICES for key in keys):
            return keys
        return (DEFAULT_ORDERING,)

    def sort_state(self, key: str) -> str | None:
        """ "ascending" or "descending" when the table is sorted by this key first, else None."""
        first = self.ordering[0]
        if first == key:
            return "ascending"
        if first == f"-{key}":
            return "descending"
        return None

    def next_sort_descending(self, key: str) -> bool:
        """Which way a click on this column's header sorts: the reverse of the current way."""
        state = self.sort_state(key)
        if state is None:
            return key in DESCENDING_FIRST
        return state == "ascending"

    def sort_url(self, key: str) -> str:
        """The URL sorting by this column, reversed when it already sorts by it."""
        value = f"-{key}" if self.next_sort_descending(key) else key
        return self.url(o=None if value == DEFAULT_ORDERING else value)

    def active_filters(self, names: dict) -> list[ActiveFilter]:
        """The filters that are set, in registry order, each with its English phrase."""
        active = []
        for spec in FILTERS:
            value = self.get(spec.key)
            if spec.key == "q":
                value = value.strip()  # the search ignores surrounding spaces
            if not value:
                continue
            if spec.names_object:
                value = names.get(spec.key) or value
            if spec.key == "flag":
                value = " and ".join(flag_words(part) for part in value.split(",") if part)
            if spec.key == "dismissed":
                value = {"only": "only", "any": "or not"}.get(value, value)
            if spec.key == "metadata":
                value = metadata_words(value)
            text = Markup("{} <strong>{}</strong>").format(spec.phrase, value)
            active.append(ActiveFilter(spec.key, spec.label, text, self.without(spec.key)))
        return active

    def summary(self, total: int | None, names: dict) -> Markup:
        """The list in one English sentence.

        "42 backend resources where name contains gpu, in offering HPC SLURM, newest first";
        not counted yet (None): "Backend resources where …, newest first (counting…)".
        """
        if total is None:
            sentence = Markup("Backend resources")
        else:
            noun = "backend resource" if total == 1 else "backend resources"
            sentence = Markup("{} {}").format(f"{total:,}", noun)
        active = {item.key: item.text for item in self.active_filters(names)}
        where = [active[spec.key] for spec in FILTERS if spec.key in active and spec.where]
        others = [active[spec.key] for spec in FILTERS if spec.key in active and not spec.where]
        if where:
            sentence += Markup(" where ") + Markup(" and ").join(where)
        if others:
            sentence += Markup(", " if where else " ") + Markup(", ").join(others)
        sentence += ", " + ", then ".join(ordering_phrase(key) for key in self.ordering)
        return sentence + " (counting…)" if total is None else sentence


def metadata_words(value: str) -> str:
    """The metadata filter in plain words: "partition = gpu and limits.cpu > 1000"."""
    try:
        conditions = parse_metadata_filter(value)
    except ValueError:
        return value
    return " and ".join(condition.text for condition in conditions)


def flag_words(flag: str) -> str:
    """A flag of the URL in English: "duplicate", "not stale"."""
    label = FLAG_LABELS.get(flag.lstrip("-"), flag.lstrip("-"))
    return f"not {label}" if flag.startswith("-") else label


def page_window(number: int, pages: int, around: int = 2) -> list[int | None]:
    """The page numbers a pager shows: the first, the last and a few around the current one.

    None stands for an ellipsis; a gap of a single page shows that page instead.
    """
    shown = {1, pages} | {n for n in range(number - around, number + around + 1) if 1 <= n <= pages}
    window: list[int | None] = []
    previous = 0
    for current in sorted(shown):
        if current - previous == 2:
            window.append(previous + 1)
        elif current - previous > 2:
            window.append(None)
        window.append(current)
        previous = current
    return window
