"""Scan requests, agent identities and reports made straight in the database for page tests."""

from datetime import UTC, datetime, timedelta

from console.extensions import db
from console.models import AgentIdentity, AgentProcessor, AgentService, BackendResourceRequest

NOW = datetime.now(UTC)


def add_scan(offering, user, **values) -> BackendResourceRequest:
    """A scan request of the offering asked by the user; Sent a minute ago unless told."""
    values.setdefault("created", datetime.now(UTC) - timedelta(minutes=1))
    values.setdefault("delivery", "not_configured")
    scan = BackendResourceRequest(offering=offering, created_by=user, **values)
    db.session.add(scan)
    db.session.commit()
    return scan


def add_identity(offering, user, *, queue: bool = False, **values) -> AgentIdentity:
    """An agent identity of the offering registered by the user, with its queue if asked."""
    values.setdefault("name", "slurm-agent-hpc")
    if queue:
        values.update(queue_registered=datetime.now(UTC), vhost=user.uuid.hex,
                      rmq_username=user.uuid.hex, observable_object_types=[], queue_owner=user)
    identity = AgentIdentity(offering=offering, created_by=user, **values)
    db.session.add(identity)
    db.session.commit()
    return identity


def add_service(identity, name: str, processors=(), **values) -> AgentService:
    """A service of an identity with processors given as (name, backend type, version)."""
    service = AgentService(identity=identity, name=name, **values)
    for processor_name, backend_type, version in processors:
        service.processors.append(AgentProcessor(
            name=processor_name, backend_type=backend_type, backend_version=version,
            last_run=datetime.now(UTC) - timedelta(minutes=3),
        ))
    db.session.add(service)
    db.session.commit()
    return service
