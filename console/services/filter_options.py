"""The options of the backend resource table's customer, project and offering selects, each with
the number of reports it has under the other filters."""

import dataclasses
import uuid
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager

from console.models import BackendResource, Customer, Offering, Project
from console.services.queries import ListParams, Provider, filter_clauses, scope_clauses

SELECT_KEYS = ("customer_uuid", "project_uuid", "offering_uuid")


@dataclass
class FilterChoices:
    """The options of the customer, project and offering selects."""

    customers: list
    projects: list
    offerings: list
    counts: dict = field(default_factory=dict)  # select key -> {uuid hex: number of reports}


def count_filter_options(
    session, params: ListParams, user, chosen: dict[str, uuid.UUID | None]
) -> FilterChoices:
    """Load the select options with their report counts in four statements, whatever the data.

    Each select counts the reports that the other filters leave (so choosing a customer narrows
    the projects to that customer's); an option with no reports is left out, except the one
    `chosen` names. One pass over the reports counts them per (project, offering) under the
    filters the selects share; each select's counts are then summed from those pairs.
    """
    shared = dataclasses.replace(params, **dict.fromkeys(SELECT_KEYS))
    project_id, offering_id = BackendResource.project_id, BackendResource.offering_id
    if filter_clauses(shared) and session.get_bind().dialect.name == "sqlite":
        # With a filter on the rows SQLite still groups along the (project, offering) index and
        # looks every row up from it; "+ 0" makes it read the table once and sort the few
        # matches instead (about 2-6x faster at 50,000 reports). PostgreSQL plans this itself.
        project_id, offering_id = project_id + 0, offering_id + 0
    pairs = session.execute(
        select(project_id, offering_id, func.count())
        .where(*scope_clauses(shared, user))
        .group_by(project_id, offering_id)
    ).all()

    def wanted(model, ids, key):
        """Rows of `model` with these ids, or the one the URL chooses."""
        clause = model.id.in_(ids)
        return or_(clause, model.uuid == chosen[key]) if chosen.get(key) else clause

    projects = session.scalars(
        select(Project)
        .join(Project.customer)
        .options(contains_eager(Project.customer))
        .where(wanted(Project, {project for project, _o, _n in pairs}, "project_uuid"))
        .order_by(Customer.name, Customer.id, Project.name, Project.id)
    ).all()
    offerings = session.scalars(
        select(Offering)
        .join(Offering.customer.of_type(Provider))
        .options(contains_eager(Offering.customer.of_type(Provider)))
        .where(wanted(Offering, {offering for _p, offering, _n in pairs}, "offering_uuid"))
        .order_by(Provider.name, Provider.id, Offering.name, Offering.id)
    ).all()
    customers = session.scalars(
        select(Customer)
        .where(wanted(Customer, {project.customer_id for project in projects}, "customer_uuid"))
        .order_by(Customer.name, Customer.id)
    ).all()
    counts = sum_pairs(pairs, params, projects, offerings)

    def shown(key, objects):
        return with_reports_or_chosen(objects, counts[key], chosen.get(key))

    return FilterChoices(
        customers=shown("customer_uuid", customers),
        projects=shown("project_uuid", projects),
        offerings=shown("offering_uuid", offerings),
        counts=counts,
    )


def sum_pairs(pairs, params: ListParams, projects, offerings) -> dict[str, dict[str, int]]:
    """Each select's counts by option uuid hex: the pairs that pass the other two selects."""
    project_by_id = {project.id: project for project in projects}
    offering_by_id = {offering.id: offering for offering in offerings}
    counts: dict[str, dict[str, int]] = {key: {} for key in SELECT_KEYS}
    for project_id, offering_id, number in pairs:
        project, offering = project_by_id[project_id], offering_by_id[offering_id]
        options = {"customer_uuid": project.customer, "project_uuid": project,
                   "offering_uuid": offering}
        passes = {key: getattr(params, key) in (None, option.uuid)
                  for key, option in options.items()}
        for key, option in options.items():
            if all(passed for other, passed in passes.items() if other != key):
                hex_id = option.uuid.hex
                counts[key][hex_id] = counts[key].get(hex_id, 0) + number
    return counts


def with_reports_or_chosen(objects, counts: dict[str, int], chosen) -> list:
    """The options a select shows: those with reports, and the chosen one (counted 0 if none)."""
    shown = []
    for obj in objects:
        if obj.uuid == chosen:
            counts.setdefault(obj.uuid.hex, 0)
            shown.append(obj)
        elif counts.get(obj.uuid.hex):
            shown.append(obj)
    return shown
