"""The table of reported backend resources: filters, sorting and pages, all in the URL."""

import dataclasses
from dataclasses import dataclass, field

from flask import redirect, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager

from console.extensions import db
from console.identifiers import parse_uuid
from console.models import BackendResource, Customer, Offering, Project
from console.services import ValidationFailed
from console.services.queries import (
    InvalidPage,
    ListParams,
    Provider,
    filter_clauses,
    page_of_backend_resources,
    parse_list_params,
    scope_clauses,
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
METADATA_SUMMARY_ITEMS = 3


@dataclass
class FilterChoices:
    """The options of the customer, project and offering selects."""

    customers: list
    projects: list
    offerings: list
    counts: dict = field(default_factory=dict)  # select key -> {uuid hex: number of reports}


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
    context = {"state": state, "page": None, "errors": {}, "missing_page": None, "names": {}}
    try:
        params = parse_list_params(
            request.args,
            default_page_size=DEFAULT_PAGE_SIZE,
            max_page_size=MAX_PAGE_SIZE,
            console=True,
        )
    except ValidationFailed as error:
        context["choices"] = load_filter_choices(state, None)
        return _render(context, errors=error.errors, status=400)
    # Fragments carry the options too: their counts follow every filter.
    context["choices"] = load_filter_choices(state, params)
    context["names"] = load_filter_names(params)
    try:
        page = page_of_backend_resources(db.session, params, current_user)
    except InvalidPage as invalid:
        missing = MissingPage(requested=params.page, total=invalid.total, pages=invalid.pages)
        return _render(context, missing_page=missing, status=404)
    return _render(context, page=page)


def _render(context: dict, status: int = 200, **changes):
    """Render the list page or its table fragment."""
    return render_page_or_fragment(
        "backend_resources/list.html",
        "backend_resources/_table.html",
        status=status,
        form_url=url_for(ENDPOINT),
        field_labels=FIELD_LABELS,
        page_window=page_window,
        sort_words=sort_direction_words,
        page_sizes=PAGE_SIZES,
        default_page_size=DEFAULT_PAGE_SIZE,
        **(context | changes),
    )


def load_filter_choices(state: ListState, params: ListParams | None) -> FilterChoices:
    """Load the select options with their report counts in four statements, whatever the data.

    Each select counts the reports that the other filters leave (so choosing a customer narrows
    the projects to that customer's); an option with no reports is left out, except the one the
    URL chooses. One pass over the reports counts them per (project, offering) under the filters
    the selects share; each select's counts are then summed from those pairs. Bad filter values
    (no `params`) count every visible report.
    """
    params = params or ListParams()
    shared = dataclasses.replace(params, customer_uuid=None, project_uuid=None, offering_uuid=None)
    project_id, offering_id = BackendResource.project_id, BackendResource.offering_id
    if filter_clauses(shared) and db.engine.dialect.name == "sqlite":
        # With a filter on the rows SQLite still groups along the (project, offering) index and
        # looks every row up from it; "+ 0" makes it read the table once and sort the few
        # matches instead (6x faster at 50,000 reports). PostgreSQL plans this well itself.
        project_id, offering_id = project_id + 0, offering_id + 0
    pairs = db.session.execute(
        select(project_id, offering_id, func.count())
        .where(*scope_clauses(shared, current_user))
        .group_by(project_id, offering_id)
    ).all()
    chosen = {key: parse_uuid(state.get(key)) for key in NAMED_OBJECTS}

    def wanted(model, ids, key):
        """Rows of `model` with these ids, or the one the URL chooses."""
        clause = model.id.in_(ids)
        return or_(clause, model.uuid == chosen[key]) if chosen[key] else clause

    projects = db.session.scalars(
        select(Project)
        .join(Project.customer)
        .options(contains_eager(Project.customer))
        .where(wanted(Project, {project_id for project_id, _o, _n in pairs}, "project_uuid"))
        .order_by(Customer.name, Customer.id, Project.name, Project.id)
    ).all()
    offerings = db.session.scalars(
        select(Offering)
        .join(Offering.customer.of_type(Provider))
        .options(contains_eager(Offering.customer.of_type(Provider)))
        .where(wanted(Offering, {offering_id for _p, offering_id, _n in pairs}, "offering_uuid"))
        .order_by(Provider.name, Provider.id, Offering.name, Offering.id)
    ).all()
    customers = db.session.scalars(
        select(Customer)
        .where(wanted(Customer, {project.customer_id for project in projects}, "customer_uuid"))
        .order_by(Customer.name, Customer.id)
    ).all()

    project_by_id = {project.id: project for project in projects}
    offering_by_id = {offering.id: offering for offering in offerings}

    def kept(project, offering, *checked) -> bool:
        """Whether a (project, offering) pair passes the select filters named in `checked`."""
        values = {
            "customer_uuid": project.customer.uuid,
            "project_uuid": project.uuid,
            "offering_uuid": offering.uuid,
        }
        return all(getattr(params, key) in (None, values[key]) for key in checked)

    counts = {key: {} for key in NAMED_OBJECTS}
    for project_id, offering_id, number in pairs:
        project, offering = project_by_id[project_id], offering_by_id[offering_id]
        for key, option, others in (
            ("customer_uuid", project.customer, ("project_uuid", "offering_uuid")),
            ("project_uuid", project, ("customer_uuid", "offering_uuid")),
            ("offering_uuid", offering, ("customer_uuid", "project_uuid")),
        ):
            if kept(project, offering, *others):
                counts[key][option.uuid.hex] = counts[key].get(option.uuid.hex, 0) + number

    def shown(key, objects):
        """The options of one select: those with reports, and the chosen one (with 0)."""
        options = []
        for obj in objects:
            if obj.uuid == chosen[key]:
                counts[key].setdefault(obj.uuid.hex, 0)
                options.append(obj)
            elif counts[key].get(obj.uuid.hex):
                options.append(obj)
        return options

    return FilterChoices(
        customers=shown("customer_uuid", customers),
        projects=shown("project_uuid", projects),
        offerings=shown("offering_uuid", offerings),
        counts=counts,
    )


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


@bp.app_template_filter("metadata_summary")
def metadata_summary(metadata) -> str:
    """A short line about a report's metadata: its limits ("cpu 50,000 · gpu 800"), else the
    first plain values, else its keys."""
    if not isinstance(metadata, dict) or not metadata:
        return ""
    limits = metadata.get("limits")
    source = limits if isinstance(limits, dict) and limits else metadata
    # Keys in alphabetical order: PostgreSQL's JSONB does not keep the order they came in.
    items = sorted(source.items(), key=lambda item: str(item[0]))
    parts = [f"{key} {_plain(value)}" for key, value in items if _plain(value)]
    if not parts:
        parts = [str(key) for key, _value in items]
    shown = parts[:METADATA_SUMMARY_ITEMS]
    if len(parts) > len(shown):
        shown.append(f"+{len(parts) - len(shown)} more")
    return " · ".join(shown)


def _plain(value) -> str:
    """A scalar as short text ("50,000", "yes", "gpu"); "" for lists, objects and nulls."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:,}"
    if isinstance(value, str) and value:
        return value if len(value) <= 32 else value[:31] + "…"
    return ""
