"""The table of reported backend resources: filters, sorting and pages, all in the URL."""

from dataclasses import dataclass

from flask import current_app, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from console.extensions import db
from console.identifiers import parse_uuid
from console.models import Customer, Offering, Project
from console.services import ValidationFailed
from console.services.filter_options import FilterChoices, count_filter_options
from console.services.flags import FLAG_LABELS
from console.services.queries import InvalidPage, ListParams, Page, parse_list_params
from console.services.table_rows import (
    counts_come_later,
    page_number_asked,
    table_page,
    table_rows_uncounted,
)
from console.web import bp
from console.web.guards import console_access_required
from console.web.htmx import render_page_or_fragment, wants_fragment
from console.web.list_state import (
    DEFAULT_PAGE_SIZE,
    ENDPOINT,
    FILTERS,
    PAGE_SIZES,
    STATE_KEYS,
    ListState,
    page_window,
    sort_direction_words,
)

MAX_PAGE_SIZE = max(PAGE_SIZES)
# Parameters that hold the uuid of a catalogue object, and the model each one names.
NAMED_OBJECTS = {"customer_uuid": Customer, "project_uuid": Project, "offering_uuid": Offering}
FIELD_LABELS = {spec.key: spec.label for spec in FILTERS} | {"o": "Sort order"}


@dataclass
class MissingPage:
    """A page number past the end (or not a number), with what the list does hold."""

    requested: str
    total: int
    pages: int


@bp.get("/")
def index():
    """Send visitors to the backend resource table."""
    return redirect(url_for("web.backend_resource_list"))


@bp.get("/backend-resources/")
@console_access_required
def backend_resource_list():
    """Show reported backend resources, filtered, sorted and paged; just the table for htmx."""
    state = ListState.from_args(request.args)
    if not wants_fragment() and any(
        value == "" for key in STATE_KEYS for value in request.args.getlist(key)
    ):
        # The plain GET form sends every field; say only what is set, as htmx's URLs do.
        return redirect(state.url(page=state.get("page")), 303)
    context = {"state": state, "page": None, "errors": {}, "missing_page": None, "names": {},
               "counts_later": False}
    try:
        params = table_params()
    except ValidationFailed as error:
        context["choices"] = load_filter_choices(state, None)
        return _render(context, errors=error.errors, status=400)
    if wants_fragment() and counts_come_later(
        db.session, params, current_user,
        from_reports=current_app.config["CONSOLE_COUNT_LATER_FROM"],
    ):
        # A search or metadata filter the tallies cannot count, among many reports: the page
        # now, the total and the select counts by the request it makes (`counts` below).
        page = table_rows_uncounted(db.session, params, current_user)
        if page is not None:
            context["names"] = load_filter_names(params)
            return _render(context, page=page, counts_later=True)
    # Fragments carry the options too: their counts follow every filter. Their pairs add up
    # to the list's own count, which the page then need not count again.
    context["choices"] = load_filter_choices(state, params)
    context["names"] = load_filter_names(params)
    try:
        page = table_page(db.session, params, current_user,
                          known_total=context["choices"].total)
    except InvalidPage as invalid:
        missing = MissingPage(requested=params.page, total=invalid.total, pages=invalid.pages)
        return _render(context, missing_page=missing, status=404)
    return _render(context, page=page)


@bp.get("/backend-resources/counts")
@console_access_required
def backend_resource_counts():
    """Count a table fragment shown before counting (htmx): its total and select counts, out of
    band. A plain visit goes to the table itself."""
    state = ListState.from_args(request.args)
    if not wants_fragment():
        return redirect(state.url(page=state.get("page")), 303)
    try:
        params = table_params()
    except ValidationFailed:
        return "The filters could not be applied.", 400  # the table says which and why
    choices = load_filter_choices(state, params)
    # The page it counts for, and how many of its rows the table shows.
    number = page_number_asked(params) or 1
    before = (number - 1) * params.page_size
    shown = range(max(0, min(params.page_size, choices.total - before)))
    page = Page(items=shown, total=choices.total, number=number, size=params.page_size)
    return render_template(
        "backend_resources/_counts.html", **_template_context(),
        state=state, page=page, choices=choices, names=load_filter_names(params), errors={},
        missing_page=None,
    )


def table_params() -> ListParams:
    """Read the table's filters, sort and page from the URL; ValidationFailed if one is bad."""
    return parse_list_params(
        request.args,
        default_page_size=DEFAULT_PAGE_SIZE,
        max_page_size=MAX_PAGE_SIZE,
        max_sort_keys=current_app.config["CONSOLE_MAX_SORT_KEYS"],
        console=True,
        stale_days=current_app.config["CONSOLE_STALE_DAYS"],
    )


def _render(context: dict, status: int = 200, **changes):
    """Render the list page or its table fragment."""
    return render_page_or_fragment(
        "backend_resources/list.html",
        "backend_resources/_table.html",
        status=status,
        **_template_context(),
        **(context | changes),
    )


def _template_context() -> dict:
    """What the table's templates read besides the list itself."""
    return {
        "form_url": url_for(ENDPOINT),
        "field_labels": FIELD_LABELS,
        "page_window": page_window,
        "sort_words": sort_direction_words,
        "page_sizes": PAGE_SIZES,
        "default_page_size": DEFAULT_PAGE_SIZE,
        "stale_days": current_app.config["CONSOLE_STALE_DAYS"],
        "flag_choices": FLAG_LABELS,
    }


def load_filter_choices(state: ListState, params: ListParams | None) -> FilterChoices:
    """The customer, project and offering options with their report counts (bad filter values,
    no `params`: counted over every visible report); the chosen ones stay even without reports."""
    chosen = {key: parse_uuid(state.get(key)) for key in NAMED_OBJECTS}
    return count_filter_options(db.session, params or ListParams(), current_user, chosen)


def load_filter_names(params) -> dict:
    """Look up the names of the customer, project and offering that filters name: one statement."""
    wanted = {key: getattr(params, key) for key in NAMED_OBJECTS if getattr(params, key)}
    if not wanted:
        return {}
    columns = [
        select(NAMED_OBJECTS[key].name)
        .where(NAMED_OBJECTS[key].uuid == value)
        .scalar_subquery()
        .label(key)
        for key, value in wanted.items()
    ]
    row = db.session.execute(select(*columns)).one()
    return {key: name for key, name in row._mapping.items() if name is not None}
