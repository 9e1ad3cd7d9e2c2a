"""The review loop: which report of a list comes after the one being reviewed."""

from dataclasses import dataclass

from sqlalchemy import and_, or_

from console.models import BackendResource
from console.services.queries import ORDERING_COLUMNS, ListParams, backend_resources_select


@dataclass(frozen=True)
class ListPosition:
    """Where a report stands in a sorted list: its value for each sort key, and its id."""

    values: dict
    row_id: int


def position_of(backend_resource: BackendResource) -> ListPosition:
    """Read a report's sort values while it is loaded (an import deletes it)."""
    values = {
        "created": backend_resource.created,
        "modified": backend_resource.modified,
        "name": backend_resource.name,
        "backend_id": backend_resource.backend_id,
        "project_name": backend_resource.project.name,
        "offering_name": backend_resource.offering.name,
    }
    return ListPosition(values=values, row_id=backend_resource.id)


def next_in_list(session, params: ListParams, user, position: ListPosition):
    """Return the report that follows `position` in the list `params` describe, or None.

    A keyset condition ("after this row in this order") in one statement, so it costs the same
    on page 1 and page 400, and it still works once the report itself is gone.
    """
    keys = [(ORDERING_COLUMNS[key.lstrip("-")], key.startswith("-"), key.lstrip("-"))
            for key in params.ordering]
    last_descending = params.ordering[-1].startswith("-") if params.ordering else True
    columns = [(column, descending, position.values[name]) for column, descending, name in keys]
    columns.append((BackendResource.id, last_descending, position.row_id))
    alternatives = []
    for index, (column, descending, value) in enumerate(columns):
        earlier_equal = [earlier == earlier_value for earlier, _d, earlier_value in columns[:index]]
        beyond = column < value if descending else column > value
        alternatives.append(and_(*earlier_equal, beyond))
    statement = backend_resources_select(params, user).where(or_(*alternatives)).limit(1)
    return session.scalars(statement).unique().one_or_none()
