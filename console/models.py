"""Database models: users and tokens, the catalogue, backend resources and what imports create."""

import hashlib
import secrets
import uuid as uuid_module
from datetime import UTC, datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    DDL,
    JSON,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship, validates
from sqlalchemy.types import DateTime, TypeDecorator, Uuid
from werkzeug.security import check_password_hash, generate_password_hash

from console.extensions import db
from console.metadata_summary import summarize_metadata

JSONType = JSON().with_variant(JSONB(), "postgresql")

ROLE_OFFERING_MANAGER = "OFFERING.MANAGER"
ROLE_CUSTOMER_OWNER = "CUSTOMER.OWNER"
ROLES = (ROLE_OFFERING_MANAGER, ROLE_CUSTOMER_OWNER)

RESOURCE_STATE_OK = "OK"
ORDER_TYPE_CREATE = "Create"
ORDER_STATE_DONE = "done"
OFFERING_STATES = ("Draft", "Active", "Paused", "Archived", "Unavailable")

SCAN_SENT = "Sent"
SCAN_PROCESSING = "Processing"
SCAN_DONE = "Done"
SCAN_ERRED = "Erred"
SCAN_STATES = (SCAN_SENT, SCAN_PROCESSING, SCAN_DONE, SCAN_ERRED)

# Whether the agents were told about a scan request (console-only; not on the wire).
DELIVERY_PENDING = "pending"
DELIVERY_DELIVERED = "delivered"
DELIVERY_NO_AGENT = "no_agent"
DELIVERY_NOT_CONFIGURED = "not_configured"
DELIVERY_FAILED = "failed"
DELIVERY_STATES = (
    DELIVERY_PENDING, DELIVERY_DELIVERED, DELIVERY_NO_AGENT, DELIVERY_NOT_CONFIGURED,
    DELIVERY_FAILED,
)
OBJECT_TYPE_IMPORTABLE_RESOURCES = "importable_resources"

LIST_DENSITY_COMFORTABLE = "comfortable"
LIST_DENSITY_COMPACT = "compact"
LIST_DENSITIES = (LIST_DENSITY_COMFORTABLE, LIST_DENSITY_COMPACT)


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back as an aware UTC datetime."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        # SQLite keeps text: store naive UTC so that string comparison orders correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def new_uuid() -> uuid_module.UUID:
    """Return a random UUID for a new row."""
    return uuid_module.uuid4()


# The trigram indexes below need pg_trgm (shipped with postgresql-contrib).
event.listen(
    db.metadata,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
)


class User(UserMixin, db.Model):
    """A person or agent account: staff, support, or a plain user holding offering roles."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[uuid_module.UUID] = mapped_column(Uuid, unique=True, default=new_uuid)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    is_staff: Mapped[bool] = mapped_column(default=False)
    is_support: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    # Console sessions carry the generation they started in; raising it ends them all.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # How the backend resource table is drawn for this user: "comfortable" or "compact".
    list_density: Mapped[str] = mapped_column(
        String(20), default=LIST_DENSITY_COMFORTABLE, server_default=LIST_DENSITY_COMFORTABLE
    )

    role_grants: Mapped[list["RoleGrant"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def end_sessions(self) -> None:
        """Make every console session of this user invalid from its next request on."""
        self.session_generation = (self.session_generation or 0) + 1

    def set_password(self, password: str) -> None:
        """Store a salted hash of the password."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Tell whether the password matches the stored hash."""
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def can_use_console(self) -> bool:
        """Staff and support may use the web console."""
        return self.is_active and (self.is_staff or self.is_support)


KEY_PREFIX_LENGTH = 8


def hash_token_key(key: str) -> str:
    """Return the SHA-256 hex digest under which a token key is stored."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(db.Model):
    """An API token; only the hash of its key is kept."""

    __tablename__ = "api_tokens"
    # Revoked tokens free their ids: SQLite must not hand them to new tokens.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the key, to tell tokens apart when listing and revoking them
    # ("" for tokens issued before prefixes were kept).
    key_prefix: Mapped[str] = mapped_column(
        String(KEY_PREFIX_LENGTH), default="", server_default="", index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None: the token never expires (CONSOLE_TOKEN_LIFETIME_DAYS unset when it was issued).
    expires: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @classmethod
    def issue(cls, user: User, expires: datetime | None = None) -> tuple["ApiToken", str]:
        """Create a token for the user and return it with its clear key (shown once)."""
        key = secrets.token_hex(20)
        token = cls(
            user=user, key_hash=hash_token_key(key), key_prefix=key[:KEY_PREFIX_LENGTH],
            expires=expires,
        )
        return token, key


class Customer(db.Model):
    """An organisation: consumer of projects, or provider of offerings."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[uuid_module.UUID] = mapped_column(Uuid, unique=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(150), index=True)
    slug: Mapped[str] = mapped_column(String(150), default="", index=True)

    projects: Mapped[list["Project"]] = relationship(back_populates="customer")
    offerings: Mapped[list["Offering"]] = relationship(back_populates="customer")


class Project(db.Model):
    """A consumer project that resources belong to."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[uuid_module.UUID] = mapped_column(Uuid, unique=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(500), index=True)
    slug: Mapped[str] = mapped_column(String(150), default="", index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="projects")


class Offering(db.Model):
    """A marketplace offering of a provider (the provider is its customer)."""

    __tablename__ = "offerings"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[uuid_module.UUID] = mapped_column(Uuid, unique=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(150), index=True)
    slug: Mapped[str] = mapped_column(String(150), default="", index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    type: Mapped[str] = mapped_column(String(100), default="Marketplace.Basic")
    shared: Mapped[bool] = mapped_column(default=True)
    billable: Mapped[bool] = mapped_column(default=True)
    state: Mapped[str] = mapped_column(String(20), default="Active")
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="offerings")
    plans: Mapped[list["Plan"]] = relationship(
        back_populates="offering", order_by="Plan.name, Plan.id"
    )


class Plan(db.Model):
    """A price plan of an offering."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[uuid_module.UUID] = mapped_column(Uuid, unique=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(150))
    unit: Mapped[str] = mapped_column(String(30), default="month")
    description: Mapped[str] = mapped_column(Text, default="")
    archived: Mapped[bool] = mapped_column(default=False)
    offering_id: Mapped[int] = mapped_column(ForeignKey("offerings.id"), index=True)

    offering: Mapped[Offering] = relationship(back_populates="plans")


class RoleGrant(db.Model):
    """A role of a user on an offering (OFFERING.MANAGER) or a customer (CUSTOMER.OWNER)."""

    __tablename__ = "role_grants"
    __table_args__ = (
        UniqueConstraint("user_id", "role", "offering_id", "customer_id", name="uq_role_grant"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(50))
    offering_id: Mapped[int | None] = mapped_column(
        ForeignKey("offerings.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="role_grants")
    offering: Mapped[Offering | None] = relationship()
    customer: Mapped[Customer | None] = relationship()


class BackendResource(db.Model):
    """A resource an agent found on its backend and reported for import."""

    __tablename__ = "backend_resources"
    __table_args__ = (
        Index("ix_backend_resources_offering_created", "offering_id", "created"),
        Index("ix_backend_resources_project_created", "project_id", "created"),
        Index("ix_backend_resources_offering_backend_id", "offering_id", "backend_id"),
        # The console's filter selects count reports per (project, offering) in one pass.
        Index("ix_backend_resources_project_offering", "project_id", "offering_id"),
        Index(
            "ix_backend_resources_offering_project_created",
            "offering_id", "project_id", "created", "id",
        ),
        # A date filter alone (either date) is counted per pair in its range of one of these
        # (`filter_options.counted_in_pair_ranges`), not looked up match by match.
        Index(
            "ix_backend_resources_offering_project_modified",
            "offering_id", "project_id", "modified", "id",
        ),
        # Each sort key with the id that breaks its ties, so that any page is an index walk.
        Index("ix_backend_resources_name", "name", "id"),
        # Reports bearing any of a few names, newest first, without reading the rows.
        Index("ix_backend_resources_name_created", "name", "created", "id"),
        Index("ix_backend_resources_backend_id", "backend_id", "id"),
        # Names are not spread evenly over the offerings and projects (each site names its own
        # kind of resource): one offering's or project's reports by name walk their own index,
        # and PostgreSQL merges a few offerings' walks (`ListPlan.offering_walk`).
        Index("ix_backend_resources_offering_name", "offering_id", "name", "id"),
        Index("ix_backend_resources_project_name", "project_id", "name", "id"),
        # Each date's index holds the other date too: a list sorted by one and filtered by the
        # other reads index entries only, walking or collecting (`ListPlan.crosses_dates`).
        Index("ix_backend_resources_created", "created", "id", "modified"),
        Index("ix_backend_resources_modified", "modified", "id", "created"),
        Index("ix_backend_resources_project_id", "project_id", "id"),
        Index("ix_backend_resources_offering_id", "offering_id", "id"),
        # Trigram indexes serve the case-insensitive "contains" searches on PostgreSQL.
        Index(
            "ix_backend_resources_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_backend_resources_backend_id_trgm",
            "backend_id",
            postgresql_using="gin",
            postgresql_ops={"backend_id": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        # Serves the metadata filters' exact matches (`partition=gpu`) through jsonb `@>`.
        Index(
            "ix_backend_resources_metadata_jsonb",
            "backend_metadata",
            postgresql_using="gin",
            postgresql_ops={"backend_metadata": "jsonb_path_ops"},
        ).ddl_if(dialect="postgresql"),
        # Imports and deletes free ids; SQLite must never give a freed id to a new report.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[uuid_module.UUID] = mapped_column(Uuid, unique=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(150))
    backend_id: Mapped[str] = mapped_column(String(255), default="")
    backend_metadata: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # What the console table shows of the metadata, so that it never loads the whole blob.
    metadata_summary: Mapped[str] = mapped_column(String(255), default="", server_default="")
    offering_id: Mapped[int] = mapped_column(ForeignKey("offerings.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Set while the report's (offering, backend id) is on the offering's ignore list.
    dismissal_id: Mapped[int | None] = mapped_column(
        ForeignKey("dismissals.id", ondelete="SET NULL"), index=True
    )

    offering: Mapped[Offering] = relationship()
    project: Mapped[Project] = relationship()
    dismissal: Mapped["Dismissal | None"] = relationship()

    # Flags, filled in by the list query (console/services/flags.py) when it asks for them.
    imported_resource_uuid: Mapped[uuid_module.UUID | None] = query_expression()
    previously_imported_state: Mapped[str | None] = query_expression()
    duplicate_count: Mapped[int | None] = query_expression()

    @validates("backend_metadata")
    def _summarize(self, _key, metadata):
        """Keep the table's summary in step with the metadata."""
        self.metadata_summary = summarize_metadata(metadata)
        return metadata


class BackendResourceTally(db.Model):
    """How many reports an (offering, project) pair holds; database triggers keep it exact."""

    __tablename__ = "backend_resource_tallies"

    offering_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    project_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    reports: Mapped[int] = mapped_column(default=0)


class BackendResourceNameTally(db.Model):
    """How many reports of an (offering, project) pair bear one name; kept by triggers.

    Names repeat (one account per project and year), so "name contains" counts read these few
    rows instead of every report.
    """

    __tablename__ = "backend_resource_name_tallies"

    offering_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    project_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(150), primary_key=True)
    reports: Mapped[int] = mapped_column(default=0)


class BackendResourceCharacterTally(db.Model):
    """How many reports of an (offering, project) pair hold one character in their lowered name
    or backend id; kept by triggers, for the printable ASCII characters (`TALLIED_CHARACTERS`).

    A one-character search matches most reports ("e": 95% of a million), too many to count one
    by one and too short for the trigram indexes; its count reads these few rows instead.
    """

    __tablename__ = "backend_resource_character_tallies"

    symbol: Mapped[str] = mapped_column(String(1), primary_key=True)
    offering_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    project_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    reports: Mapped[int] = mapped_column(default=0)


class DuplicateBackendId(db.Model):
    """An (offering, backend id) that more than one report names; kept by triggers, so that
    the `duplicate` flag's few reports are found without comparing every report with the rest.
    """

    __tablename__ = "duplicate_backend_ids"

    offering_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    backend_id: Mapped[str] = mapped_column(String(255), primary_key=True)


class MarketplaceResource(db.Model):
    """A marketplace resource; imports create them in state OK."""

    __tablename__ = "marketplace_resources"
    __table_args__ = (
        Index("ix_marketplace_resources_offering_backend_id", "offering_id", "backend_id"),
        # At most one OK resource per backend id in an offering: the database itself refuses
        # a second import even if two requests race past the service's check.
        Index(
            "uq_marketplace_resources_offering_backend_id_ok",
            "offering_id",
            "backend_id",
            unique=True,
            sqlite_where=text("state = 'OK'"),
            postgresql_where=text("state = 'OK'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[uuid_module.UUID] = mapped_column(Uuid, unique=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(150), index=True)
    slug: Mapped[str] = mapped_column(String(150), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20), default=RESOURCE_STATE_OK)
    backend_id: Mapped[str] = mapped_column(String(255), default="", index=True)
    limits: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    backend_metadata: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    offering_id: Mapped[int] = mapped_column(ForeignKey("offerings.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"), index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    last_sync: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    offering: Mapped[Offering] = relationship()
    project: Mapped[Project] = relationship()
    plan: Mapped[Plan | None] = relationship()
    orders: Mapped[list["Order"]] = relationship(back_populates="resource", order_by="Order.id")


class Order(db.Model):
    """A marketplace order; an import records a CREATE order already in state done."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[uuid_module.UUID] = mapped_column(Uuid, unique=True, default=new_uuid)
    type: Mapped[str] = mapped_column(String(20), default=ORDER_TYPE_CREATE)
    state: Mapped[str] = mapped_column(String(20), default=ORDER_STATE_DONE)
    limits: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    resource_id: Mapped[int] = mapped_column(ForeignKey("marketplace_resources.id"), index=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("offerings.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    consumer_reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    provider_reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    consumer_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    resource: Mapped[MarketplaceResource] = relationship(back_populates="orders")
    offering: Mapped[Offering] = relationship()
    project: Mapped[Project] = relationship()
    plan: Mapped[Plan | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    consumer_reviewed_by: Mapped[User | None] = relationship(foreign_keys=[consumer_reviewed_by_id])
    provider_reviewed_by: Mapped[User | None] = relationship(foreign_keys=[provider_reviewed_by_id])


class BackendResourceRequest(db.Model):
    """A scan request: staff ask an offering's agent to report what its backend holds."""

    __tablename__ = "backend_resource_requests"
    __table_args__ = (
        Index("ix_backend_resource_requests_offering_created", "offering_id", "created"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[uuid_module.UUID] = mapped_column(Uuid, unique=True, default=new_uuid)
    offering_id: Mapped[int] = mapped_column(ForeignKey("offerings.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(20), default=SCAN_SENT, index=True)
    started: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error_message: Mapped[str] = mapped_column(Text, default="")
    error_traceback: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    delivery: Mapped[str] = mapped_column(String(20), default=DELIVERY_PENDING)
    delivery_error: Mapped[str] = mapped_column(Text, default="")
    delivered_queues: Mapped[int] = mapped_column(default=0)
    delivery_attempted: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    offering: Mapped[Offering] = relationship()
    created_by: Mapped[User | None] = relationship()


class AgentIdentity(db.Model):
    """A site agent instance registered for an offering, with its event queue once registered."""

    __tablename__ = "agent_identities"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[uuid_module.UUID] = mapped_column(Uuid, unique=True, default=new_uuid)
    offering_id: Mapped[int] = mapped_column(
        ForeignKey("offerings.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    version: Mapped[str | None] = mapped_column(String(100))
    dependencies: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    config_file_path: Mapped[str | None] = mapped_column(Text)
    config_file_content: Mapped[str | None] = mapped_column(Text)
    last_restarted: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The unified event queue: None until register_queue/ is called.
    observable_object_types: Mapped[list[Any] | None] = mapped_column(JSONType)
    # Whose broker login and vhost the queue lives in: the user who registered the queue.
    queue_owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    rmq_username: Mapped[str] = mapped_column(String(100), default="")
    vhost: Mapped[str] = mapped_column(String(100), default="")
    queue_registered: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    offering: Mapped[Offering] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    queue_owner: Mapped[User | None] = relationship(foreign_keys=[queue_owner_id])
    services: Mapped[list["AgentService"]] = relationship(
        back_populates="identity", order_by="AgentService.name, AgentService.id",
        cascade="all, delete-orphan",
    )

    @property
    def queue_name(self) -> str:
        """The RabbitMQ queue the agent consumes: `consumer_<identity uuid hex>`."""
        return f"consumer_{self.uuid.hex}"


class AgentService(db.Model):
    """A service (mode of work) an agent identity runs, such as event processing."""

    __tablename__ = "agent_services"
    __table_args__ = (UniqueConstraint("identity_id", "name", name="uq_agent_service_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[uuid_module.UUID] = mapped_column(Uuid, unique=True, default=new_uuid)
    identity_id: Mapped[int] = mapped_column(
        ForeignKey("agent_identities.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    mode: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20), default="Active")
    statistics: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    identity: Mapped[AgentIdentity] = relationship(back_populates="services")
    processors: Mapped[list["AgentProcessor"]] = relationship(
        back_populates="service", order_by="AgentProcessor.name, AgentProcessor.id",
        cascade="all, delete-orphan",
    )


class AgentProcessor(db.Model):
    """A processor inside an agent service, with the backend it drives."""

    __tablename__ = "agent_processors"
    __table_args__ = (UniqueConstraint("service_id", "name", name="uq_agent_processor_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[uuid_module.UUID] = mapped_column(Uuid, unique=True, default=new_uuid)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("agent_services.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    backend_type: Mapped[str] = mapped_column(String(255), default="")
    backend_version: Mapped[str | None] = mapped_column(String(255))
    last_run: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    service: Mapped[AgentService] = relationship(back_populates="processors")


class Dismissal(db.Model):
    """An entry of an offering's ignore list: reports of this backend id are born dismissed."""

    __tablename__ = "dismissals"
    __table_args__ = (
        # One entry per (offering, backend id); reports without a backend id are dismissed
        # one by one, since a new report cannot be matched to them.
        Index(
            "uq_dismissals_offering_backend_id",
            "offering_id",
            "backend_id",
            unique=True,
            sqlite_where=text("backend_id != ''"),
            postgresql_where=text("backend_id != ''"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[uuid_module.UUID] = mapped_column(Uuid, unique=True, default=new_uuid)
    offering_id: Mapped[int] = mapped_column(ForeignKey("offerings.id", ondelete="CASCADE"))
    backend_id: Mapped[str] = mapped_column(String(255), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    offering: Mapped[Offering] = relationship()
    created_by: Mapped[User | None] = relationship()


HISTORY_IMPORT = "import"
HISTORY_IMPORT_REFUSED = "import_refused"
HISTORY_DELETE = "delete"
HISTORY_DISMISS = "dismiss"
HISTORY_RESTORE = "restore"
HISTORY_SCAN_REQUEST = "scan_request"
HISTORY_ACTIONS = (
    HISTORY_IMPORT, HISTORY_IMPORT_REFUSED, HISTORY_DELETE, HISTORY_DISMISS, HISTORY_RESTORE,
    HISTORY_SCAN_REQUEST,
)


class HistoryEntry(db.Model):
    """One decision about reports (import, delete, dismiss, restore) or a scan request.

    It keeps a snapshot of the report as it was, and names rather than only keys, so that it
    outlives the report, the user and the resource it mentions.
    """

    __tablename__ = "history_entries"
    __table_args__ = (
        Index("ix_history_entries_action_created", "action", "created"),
        Index("ix_history_entries_offering_created", "offering_id", "created"),
        Index("ix_history_entries_user_created", "user_id", "created"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[uuid_module.UUID] = mapped_column(Uuid, unique=True, default=new_uuid)
    action: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(String(150), default="")
    offering_id: Mapped[int | None] = mapped_column(
        ForeignKey("offerings.id", ondelete="SET NULL")
    )
    offering_name: Mapped[str] = mapped_column(String(150), default="")
    backend_resource_uuid: Mapped[uuid_module.UUID | None] = mapped_column(Uuid, index=True)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    marketplace_resource_id: Mapped[int | None] = mapped_column(
        ForeignKey("marketplace_resources.id", ondelete="SET NULL"), index=True
    )
    scan_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("backend_resource_requests.id", ondelete="SET NULL"), index=True
    )
    bulk_job_id: Mapped[int | None] = mapped_column(
        ForeignKey("bulk_jobs.id", ondelete="SET NULL"), index=True
    )
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    user: Mapped[User | None] = relationship()
    marketplace_resource: Mapped[MarketplaceResource | None] = relationship()
    scan_request: Mapped[BackendResourceRequest | None] = relationship()


BULK_IMPORT = "import"
BULK_DELETE = "delete"
BULK_DISMISS = "dismiss"
BULK_ACTIONS = (BULK_IMPORT, BULK_DELETE, BULK_DISMISS)
BULK_DRAFT = "draft"
BULK_RUNNING = "running"
BULK_DONE = "done"
ITEM_PENDING = "pending"


class BulkJob(db.Model):
    """A bulk action on selected reports; its rows are processed in chunks, each row alone.

    Progress lives here and in its items, so any app server can carry on where another stopped.
    """

    __tablename__ = "bulk_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[uuid_module.UUID] = mapped_column(Uuid, unique=True, default=new_uuid)
    action: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default=BULK_DRAFT)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    # Offering id (as text) -> chosen plan uuid hex, or "" for no plan.
    plans: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    selection: Mapped[str] = mapped_column(Text, default="")
    total: Mapped[int] = mapped_column(default=0)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    started: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()


class BulkItem(db.Model):
    """One selected report of a bulk job, with what happened to it."""

    __tablename__ = "bulk_items"
    __table_args__ = (
        UniqueConstraint("job_id", "position", name="uq_bulk_item_position"),
        Index("ix_bulk_items_job_outcome", "job_id", "outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("bulk_jobs.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    backend_resource_uuid: Mapped[uuid_module.UUID] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(String(150), default="")
    backend_id: Mapped[str] = mapped_column(String(255), default="")
    offering_id: Mapped[int | None] = mapped_column(
        ForeignKey("offerings.id", ondelete="SET NULL")
    )
    project_name: Mapped[str] = mapped_column(String(500), default="")
    outcome: Mapped[str] = mapped_column(String(20), default=ITEM_PENDING)
    message: Mapped[str] = mapped_column(Text, default="")
    marketplace_resource_uuid: Mapped[uuid_module.UUID | None] = mapped_column(Uuid)
    # A worker claims a few rows at a time; a claim that outlives its lease is taken over.
    lease_token: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished: Mapped[datetime | None] = mapped_column(UTCDateTime)

    job: Mapped[BulkJob] = relationship()
    offering: Mapped[Offering | None] = relationship()


class ThrottleCounter(db.Model):
    """A fixed-window counter of failed logins or refused tokens (see console/throttling.py)."""

    __tablename__ = "throttle_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    # Seconds since the epoch at which the window ends, as Flask-Limiter's storages keep it.
    expires_at: Mapped[float] = mapped_column(Float, index=True)
