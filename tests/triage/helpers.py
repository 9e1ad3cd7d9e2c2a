"""Helpers of the triage tests: many reports at once, marketplace resources, the staff client."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from console.extensions import db
from console.models import BackendResource, MarketplaceResource, new_uuid


def add_reports(offering, project, count: int, *, prefix="row", backend_id=None,
                metadata=None, created=None) -> None:
    """Insert many reports in one statement (the factory commits one by one)."""
    now = created or datetime.now(UTC)
    db.session.execute(insert(BackendResource), [
        {
            "uuid": new_uuid(), "name": f"{prefix}-{n:04d}",
            "backend_id": backend_id if backend_id is not None else f"{prefix}_{n:04d}",
            "backend_metadata": metadata if metadata is not None else {"limits": {"cpu": n}},
            "offering_id": offering.id, "project_id": project.id,
            "created": now - timedelta(seconds=n), "modified": now - timedelta(seconds=n),
        }
        for n in range(1, count + 1)
    ])
    db.session.commit()


def add_marketplace_resource(offering, project, backend_id: str, state="OK",
                             name="existing") -> MarketplaceResource:
    """A marketplace resource of the offering with this backend id and state."""
    resource = MarketplaceResource(
        name=name, backend_id=backend_id, state=state, offering=offering, project=project,
        limits={}, attributes={}, backend_metadata={},
    )
    db.session.add(resource)
    db.session.commit()
    return resource
