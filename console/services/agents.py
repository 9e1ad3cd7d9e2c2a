"""Site agent identities, their services and processors, and their event queues.

Who may do what: an agent registers, updates and lists identities only for offerings it manages
(staff for any); staff and support read every identity. Registering a queue provisions the
agent's RabbitMQ user, vhost, rights and queue through `events`.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from console.identifiers import parse_uuid
from console.models import (
    OBJECT_TYPE_IMPORTABLE_RESOURCES,
    AgentIdentity,
    AgentProcessor,
    AgentService,
    Offering,
    User,
    utcnow,
)
from console.services import DomainError, NotFound, PermissionDenied, ValidationFailed
from console.services.access import can_manage_offering, offering_scope_clause
from console.services.events import BrokerSettings, BrokerUnavailable, provision_agent_queue
from console.services.parameters import NULL_CHARACTERS
from console.services.queries import parse_datetime
from console.services.reports import NOT_NULL, REQUIRED, expect_object, related_by_uuid

IDENTITY_NOT_FOUND = "No AgentIdentity matches the given query."
SERVICE_NOT_FOUND = "No AgentService matches the given query."
# The event types Waldur's agents may observe; an empty request list means all of them.
OBSERVABLE_OBJECT_TYPES = (
    "course_account", "importable_resources", "offering_resources_sync", "offering_user",
    "order", "resource", "resource_api_key_rotation", "resource_end_date_change_request",
    "resource_periodic_limits", "service_account", "user_lifecycle", "user_profile",
    "user_role", "user_ssh_key",
)
SERVICE_STATES = ("Active", "Error", "Idle")


def identities_select(user: User):
    """Return a select() of the identities the user may see, with services and processors."""
    return (
        select(AgentIdentity)
        .options(
            selectinload(AgentIdentity.offering),
            selectinload(AgentIdentity.created_by),
            selectinload(AgentIdentity.services).selectinload(AgentService.processors),
        )
        .where(offering_scope_clause(user, AgentIdentity.offering_id))
        .order_by(AgentIdentity.created.desc(), AgentIdentity.id.desc())
    )


def find_identity(session, uuid_value, user: User) -> AgentIdentity:
    """Return a visible identity by uuid, or raise NotFound."""
    parsed = parse_uuid(str(uuid_value))
    found = None
    if parsed is not None:
        found = session.scalar(identities_select(user).where(AgentIdentity.uuid == parsed))
    if found is None:
        raise NotFound(IDENTITY_NOT_FOUND)
    return found


def find_service(session, uuid_value, user: User) -> AgentService:
    """Return a service of a visible identity by uuid, or raise NotFound."""
    parsed = parse_uuid(str(uuid_value))
    found = None
    if parsed is not None:
        found = session.scalar(
            select(AgentService)
            .join(AgentService.identity)
            .options(selectinload(AgentService.processors))
            .where(
                AgentService.uuid == parsed,
                offering_scope_clause(user, AgentIdentity.offering_id),
            )
        )
    if found is None:
        raise NotFound(SERVICE_NOT_FOUND)
    return found


def find_processor(session, uuid_value, user: User) -> AgentProcessor:
    """Return a processor of a visible identity by uuid, or raise NotFound."""
    parsed = parse_uuid(str(uuid_value))
    found = None
    if parsed is not None:
        found = session.scalar(
            select(AgentProcessor)
            .join(AgentProcessor.service)
            .join(AgentService.identity)
            .where(
                AgentProcessor.uuid == parsed,
                offering_scope_clause(user, AgentIdentity.offering_id),
            )
        )
    if found is None:
        raise NotFound("No AgentProcessor matches the given query.")
    return found


def _text(data: dict, key: str, errors: dict, *, required: bool = False,
          max_length: int = 255) -> str | None:
    """Validate an optional (nullable) text field as DRF's CharField(allow_null=True) does."""
    if key not in data:
        if required:
            errors[key] = [REQUIRED]
        return None
    value = data[key]
    if value is None:
        if required:
            errors[key] = [NOT_NULL]
        return None
    if not isinstance(value, str):
        errors[key] = ["Not a valid string."]
        return None
    value = value.strip()
    if "\x00" in value:
        errors[key] = [NULL_CHARACTERS]
        return None
    if required and not value:
        errors[key] = ["This field may not be blank."]
        return None
    if max_length and len(value) > max_length:
        errors[key] = [f"Ensure this field has no more than {max_length} characters."]
        return None
    return value


def _datetime(data: dict, key: str, errors: dict) -> datetime | None:
    """Validate an optional ISO 8601 datetime field."""
    value = data.get(key)
    if value in (None, ""):
        return None
    try:
        return parse_datetime(str(value))
    except (ValueError, OverflowError):
        errors[key] = [
            "Datetime has wrong format. Use one of these formats instead: "
            "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
        ]
        return None


def _dependencies(data: dict, errors: dict) -> list:
    """Validate the list of {package, version} the agent runs with."""
    value = data.get("dependencies", [])
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(item, dict)
        and isinstance(item.get("package"), str)
        and isinstance(item.get("version"), str)
        for item in value
    ):
        errors["dependencies"] = ["Expected a list of {package, version} objects."]
        return []
    return [{"package": item["package"], "version": item["version"]} for item in value]


def validate_identity(session, data) -> dict:
    """Return the clean values of an identity body, or raise ValidationFailed."""
    data = expect_object(data)
    errors: dict = {}
    offering = related_by_uuid(session, Offering, data, "offering", errors)
    clean = {
        "offering": offering,
        "name": _text(data, "name", errors, required=True),
        "version": _text(data, "version", errors, max_length=100),
        "dependencies": _dependencies(data, errors),
        "config_file_path": _text(data, "config_file_path", errors, max_length=0),
        "config_file_content": _text(data, "config_file_content", errors, max_length=0),
        "last_restarted": _datetime(data, "last_restarted", errors),
    }
    if errors:
        raise ValidationFailed(errors)
    return clean


def create_identity(session, *, data, user: User) -> AgentIdentity:
    """Register a new identity for an offering the user manages."""
    clean = validate_identity(session, data)
    if not can_manage_offering(session, user, clean["offering"]):
        raise PermissionDenied()
    identity = AgentIdentity(created_by=user, last_seen=utcnow(), **clean)
    session.add(identity)
    session.commit()
    return identity


def update_identity(session, *, identity: AgentIdentity, data, user: User) -> AgentIdentity:
    """Replace an identity's fields (PUT); the user must manage both old and new offerings."""
    clean = validate_identity(session, data)
    if not (can_manage_offering(session, user, identity.offering)
            and can_manage_offering(session, user, clean["offering"])):
        raise PermissionDenied()
    for key, value in clean.items():
        setattr(identity, key, value)
    identity.last_seen = utcnow()
    session.commit()
    return identity


def _require_manager(session, identity: AgentIdentity, user: User) -> None:
    """Refuse a change to an identity whose offering the user does not manage."""
    if not can_manage_offering(session, user, identity.offering):
        raise PermissionDenied()


class EventDeliveryUnavailable(DomainError):
    """The broker cannot provision the agent's queue now (503: the agent retries later)."""

    status = 503

    def __init__(self, reason: str):
        super().__init__({"detail": reason}, reason)


@dataclass
class QueueRegistration:
    """What the agent needs to log in to the broker and subscribe."""

    queue_name: str
    rmq_username: str
    vhost: str
    observable_object_types: list[str]


def register_queue(session, *, identity: AgentIdentity, data, user: User, token_key: str,
                   broker: BrokerSettings) -> QueueRegistration:
    """Provision the identity's queue and broker login (password: the token presented)."""
    _require_manager(session, identity, user)
    data = expect_object(data)
    if "object_types" in data:
        requested = data["object_types"]
        if not isinstance(requested, list) or any(
            item not in OBSERVABLE_OBJECT_TYPES for item in requested
        ):
            bad = requested if not isinstance(requested, list) else next(
                item for item in requested if item not in OBSERVABLE_OBJECT_TYPES
            )
            raise ValidationFailed({"object_types": [f'"{bad}" is not a valid choice.']})
        object_types = list(dict.fromkeys(requested))
    else:
        object_types = identity.observable_object_types or []
    # The queue lives in the caller's vhost and the caller's broker login, whose password is
    # the token the caller presented: staff registering an agent's queue never reset the
    # agent's password.
    registration = QueueRegistration(
        queue_name=identity.queue_name,
        rmq_username=user.uuid.hex,
        vhost=user.uuid.hex,
        observable_object_types=object_types or list(OBSERVABLE_OBJECT_TYPES),
    )
    try:
        provision_agent_queue(
            broker,
            vhost=registration.vhost,
            username=registration.rmq_username,
            password=token_key,
            queue_name=registration.queue_name,
        )
    except BrokerUnavailable as error:
        session.rollback()
        raise EventDeliveryUnavailable(str(error)) from None
    identity.observable_object_types = object_types
    identity.queue_owner = user
    identity.rmq_username = registration.rmq_username
    identity.vhost = registration.vhost
    identity.queue_registered = identity.last_seen = utcnow()
    session.commit()
    return registration


def register_service(session, *, identity: AgentIdentity, data,
                     user: User) -> tuple[AgentService, bool]:
    """Return the identity's service of that name, creating it; True when it is new."""
    _require_manager(session, identity, user)
    data = expect_object(data)
    errors: dict = {}
    name = _text(data, "name", errors, required=True)
    mode = _text(data, "mode", errors, max_length=100)
    if errors:
        raise ValidationFailed(errors)
    now = utcnow()
    service = session.scalar(
        select(AgentService).where(AgentService.identity_id == identity.id,
                                   AgentService.name == name)
    )
    created = service is None
    if created:
        service = AgentService(identity=identity, name=name)
        session.add(service)
    service.mode = mode
    service.state = "Active"
    service.last_seen = identity.last_seen = now
    return _commit_or_reload(session, service, created, lambda: register_service(
        session, identity=identity, data=data, user=user))


def register_processor(session, *, service: AgentService, data,
                       user: User) -> tuple[AgentProcessor, bool]:
    """Return the service's processor of that name, creating it; True when it is new."""
    _require_manager(session, service.identity, user)
    data = expect_object(data)
    errors: dict = {}
    name = _text(data, "name", errors, required=True)
    backend_type = _text(data, "backend_type", errors, required=True)
    backend_version = _text(data, "backend_version", errors)
    if errors:
        raise ValidationFailed(errors)
    now = utcnow()
    processor = session.scalar(
        select(AgentProcessor).where(AgentProcessor.service_id == service.id,
                                     AgentProcessor.name == name)
    )
    created = processor is None
    if created:
        processor = AgentProcessor(service=service, name=name)
        session.add(processor)
    processor.backend_type = backend_type
    processor.backend_version = backend_version
    processor.last_run = service.last_seen = service.identity.last_seen = now
    return _commit_or_reload(session, processor, created, lambda: register_processor(
        session, service=service, data=data, user=user))


def _commit_or_reload(session, row, created: bool, again):
    """Commit; if a concurrent registration created the same name first, return that one."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        if not created:
            raise
        found, _ = again()
        return found, False
    return row, created


def subscribed_identities(session, offering_id: int) -> list[AgentIdentity]:
    """Identities of the offering whose queue receives importable-resources events.

    Only identities whose queue owner still manages the offering are notified.
    """
    candidates = session.scalars(
        select(AgentIdentity)
        .options(selectinload(AgentIdentity.queue_owner), selectinload(AgentIdentity.offering))
        .where(
            AgentIdentity.offering_id == offering_id,
            AgentIdentity.queue_registered.is_not(None),
        )
        .order_by(AgentIdentity.id)
    ).all()
    return [
        identity for identity in candidates
        if (not identity.observable_object_types
            or OBJECT_TYPE_IMPORTABLE_RESOURCES in identity.observable_object_types)
        and identity.queue_owner is not None
        and can_manage_offering(session, identity.queue_owner, identity.offering)
    ]
