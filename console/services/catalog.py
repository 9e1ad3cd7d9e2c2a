"""Loading a catalogue file: customers, projects, offerings and their plans, upserted by uuid.

The whole file is validated before anything is written, and written in one transaction, so a
refused file leaves the database as it was. Fields an entry leaves out keep their stored value
on update and take the model's default on creation.
"""

import json
import re
import uuid as uuid_module
from dataclasses import dataclass, field

from sqlalchemy import select

from console.identifiers import parse_uuid
from console.models import (
    OFFERING_STATES,
    ROLE_CUSTOMER_OWNER,
    ROLE_OFFERING_MANAGER,
    Customer,
    Offering,
    Plan,
    Project,
    RoleGrant,
    User,
)
from console.services import ValidationFailed

SECTIONS = ("customers", "projects", "offerings")


class CatalogInvalid(ValidationFailed):
    """The catalogue was refused; `problems` holds one message per faulty entry or field."""

    def __init__(self, problems: list[str]):
        super().__init__(problems, problems[0] if problems else "Invalid catalogue.")
        self.problems = problems


@dataclass
class Entry:
    """One validated entry of the file: its uuid, the fields it sets and where it stands."""

    label: str
    uuid: uuid_module.UUID
    values: dict
    customer_uuid: uuid_module.UUID | None = None
    plans: list["Entry"] = field(default_factory=list)


@dataclass
class Catalog:
    """The validated content of a catalogue file."""

    customers: list[Entry]
    projects: list[Entry]
    offerings: list[Entry]
    problems: list[str] = field(default_factory=list)


@dataclass
class LoadSummary:
    """What a load did, per kind and in total."""

    counts: dict = field(default_factory=lambda: dict.fromkeys(
        ("customers", "projects", "offerings", "plans"), 0
    ))
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        """Return the one-line summary the CLI prints."""
        kinds = ", ".join(f"{number} {kind}" for kind, number in self.counts.items())
        return (
            f"{kinds} loaded "
            f"(created {self.created}, updated {self.updated}, unchanged {self.unchanged})"
        )


def slugify(name: str) -> str:
    """Return a lowercase, hyphenated slug of a name."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:150]


class _EntryReader:
    """Reads the fields of one raw entry, collecting a problem for each bad one."""

    def __init__(self, label: str, raw: dict, allowed: set[str], problems: list[str]):
        self.label = label
        self.raw = raw
        self.problems = problems
        self.values: dict = {}
        for key in sorted(set(raw) - allowed):
            self.fail(f"unknown field {key!r} (allowed: {', '.join(sorted(allowed))})")

    def fail(self, message: str) -> None:
        """Record a problem of this entry."""
        self.problems.append(f"{self.label}: {message}")

    def text(self, key: str, *, max_length: int, required: bool = False) -> None:
        """Read a string field."""
        if key not in self.raw:
            if required:
                self.fail(f"{key} is required")
            return
        value = self.raw[key]
        if not isinstance(value, str):
            self.fail(f"{key} must be a string, not {_json_type(value)}")
        elif required and not value.strip():
            self.fail(f"{key} must not be empty")
        elif len(value) > max_length:
            self.fail(f"{key} is longer than {max_length} characters")
        else:
            self.values[key] = value.strip() if required else value

    def flag(self, key: str) -> None:
        """Read a boolean field."""
        if key not in self.raw:
            return
        value = self.raw[key]
        if isinstance(value, bool):
            self.values[key] = value
        else:
            self.fail(f"{key} must be true or false, not {_json_type(value)}")

    def choice(self, key: str, choices: tuple[str, ...]) -> None:
        """Read a string field that must be one of a few values."""
        if key not in self.raw:
            return
        value = self.raw[key]
        if value in choices:
            self.values[key] = value
        else:
            self.fail(f"{key} {value!r} is not one of {', '.join(choices)}")

    def identifier(self, key: str, *, required: bool) -> uuid_module.UUID | None:
        """Read a uuid field, hex or hyphenated."""
        if key not in self.raw or self.raw[key] is None:
            if required:
                self.fail(f"{key} is required")
            return None
        parsed = parse_uuid(self.raw[key])
        if parsed is None:
            self.fail(f"{key} {self.raw[key]!r} is not a valid uuid")
        return parsed


def _json_type(value) -> str:
    """Name a JSON value's type the way the file's author would."""
    if value is None:
        return "null"
    return {
        bool: "a boolean", int: "a number", float: "a number", str: "a string",
        list: "a list", dict: "an object",
    }.get(type(value), type(value).__name__)


def _label(section: str, index: int, raw) -> str:
    """Name an entry in messages: its position, and its name when it has one."""
    name = raw.get("name") if isinstance(raw, dict) else None
    position = f"{section}[{index}]"
    return f'{position} "{name}"' if isinstance(name, str) and name else position


def _entries(container: dict, key: str, where: str, problems: list[str]) -> list:
    """Return the list under `key`, or an empty list after recording why it is not one."""
    value = container.get(key, [])
    if isinstance(value, list):
        return value
    problems.append(f"{where}{key} must be a list, not {_json_type(value)}")
    return []


def _read_entry(section, index, raw, allowed, problems, prefix="") -> _EntryReader | None:
    """Start reading an entry; record a problem and return None when it is not an object."""
    label = prefix + _label(section, index, raw)
    if not isinstance(raw, dict):
        problems.append(f"{label}: must be an object, not {_json_type(raw)}")
        return None
    return _EntryReader(label, raw, allowed, problems)


def _finish(reader: _EntryReader, seen: set, **extra) -> Entry:
    """Turn a reader into an Entry, generating a uuid and refusing one seen before."""
    entry_uuid = reader.identifier("uuid", required=False)
    if entry_uuid is not None and entry_uuid in seen:
        reader.fail(f"uuid {entry_uuid.hex} appears more than once")
    entry_uuid = entry_uuid or uuid_module.uuid4()
    seen.add(entry_uuid)
    return Entry(label=reader.label, uuid=entry_uuid, values=reader.values, **extra)


def parse_catalog(data) -> Catalog:
    """Validate the structure and field types of a decoded catalogue.

    Raises CatalogInvalid only when the file is not an object; the other problems travel in
    `Catalog.problems`, so that the database checks can add theirs and all are reported at once.
    """
    problems: list[str] = []
    if not isinstance(data, dict):
        raise CatalogInvalid([f"the file must hold a JSON object, not {_json_type(data)}"])
    for key in sorted(set(data) - set(SECTIONS)):
        problems.append(f"unknown section {key!r} (allowed: {', '.join(SECTIONS)})")

    customers, seen_customers = [], set()
    for index, raw in enumerate(_entries(data, "customers", "", problems)):
        reader = _read_entry("customers", index, raw, {"uuid", "name", "slug"}, problems)
        if reader:
            reader.text("name", max_length=150, required=True)
            reader.text("slug", max_length=150)
            customers.append(_finish(reader, seen_customers))

    projects, seen_projects = [], set()
    project_fields = {"uuid", "name", "slug", "description", "customer"}
    for index, raw in enumerate(_entries(data, "projects", "", problems)):
        reader = _read_entry("projects", index, raw, project_fields, problems)
        if reader:
            reader.text("name", max_length=500, required=True)
            reader.text("slug", max_length=150)
            reader.text("description", max_length=100_000)
            customer_uuid = reader.identifier("customer", required=True)
            projects.append(_finish(reader, seen_projects, customer_uuid=customer_uuid))

    offerings, seen_offerings, seen_plans = [], set(), set()
    offering_fields = {
        "uuid", "name", "slug", "description", "customer", "type", "shared", "billable",
        "state", "plans",
    }
    for index, raw in enumerate(_entries(data, "offerings", "", problems)):
        reader = _read_entry("offerings", index, raw, offering_fields, problems)
        if not reader:
            continue
        reader.text("name", max_length=150, required=True)
        reader.text("slug", max_length=150)
        reader.text("description", max_length=100_000)
        reader.text("type", max_length=100)
        reader.flag("shared")
        reader.flag("billable")
        reader.choice("state", OFFERING_STATES)
        customer_uuid = reader.identifier("customer", required=True)
        plans = _parse_plans(reader, seen_plans, problems)
        offerings.append(
            _finish(reader, seen_offerings, customer_uuid=customer_uuid, plans=plans)
        )

    return Catalog(
        customers=customers, projects=projects, offerings=offerings, problems=problems
    )


def _parse_plans(offering: _EntryReader, seen: set, problems: list[str]) -> list[Entry]:
    """Validate the plans nested in an offering entry."""
    plans = []
    plan_fields = {"uuid", "name", "unit", "description", "archived"}
    raw_plans = _entries(offering.raw, "plans", f"{offering.label}: ", problems)
    for index, raw in enumerate(raw_plans):
        reader = _read_entry("plans", index, raw, plan_fields, problems, f"{offering.label} ")
        if reader:
            reader.text("name", max_length=150, required=True)
            reader.text("unit", max_length=30)
            reader.text("description", max_length=100_000)
            reader.flag("archived")
            plans.append(_finish(reader, seen))
    return plans


def decode_catalog(text: str):
    """Decode the JSON text of a catalogue file; raise CatalogInvalid on a syntax error."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CatalogInvalid(
            [f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"]
        ) from None


def _existing(session, model, uuids) -> dict:
    """Return the rows of a model with the given uuids, keyed by uuid."""
    if not uuids:
        return {}
    rows = session.scalars(select(model).where(model.uuid.in_(list(uuids))))
    return {row.uuid: row for row in rows}


def load_catalog(session, data) -> LoadSummary:
    """Validate a decoded catalogue against the database, then create or update its entries.

    Commits once on success; on any problem rolls back and raises CatalogInvalid listing all
    the problems found.
    """
    catalog = parse_catalog(data)
    try:
        summary = upsert_catalog(session, catalog)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return summary


def upsert_catalog(session, catalog: Catalog) -> LoadSummary:
    """Check a parsed catalogue against the database, then write it (no commit).

    Raises CatalogInvalid with the parsing problems and the database ones together.
    """
    file_customers = {entry.uuid for entry in catalog.customers}
    referenced = {
        entry.customer_uuid for entry in catalog.projects + catalog.offerings
    } - file_customers - {None}
    customers = _existing(session, Customer, file_customers | referenced)
    projects = _existing(session, Project, {entry.uuid for entry in catalog.projects})
    offerings = _existing(session, Offering, {entry.uuid for entry in catalog.offerings})
    all_plans = [plan for offering in catalog.offerings for plan in offering.plans]
    plans = _existing(session, Plan, {plan.uuid for plan in all_plans})

    problems = list(catalog.problems)
    for entry in catalog.projects + catalog.offerings:
        if entry.customer_uuid is None:
            continue  # already reported as missing or malformed
        if entry.customer_uuid not in file_customers and entry.customer_uuid not in customers:
            problems.append(f"{entry.label}: customer {entry.customer_uuid.hex} does not exist")
    for offering in catalog.offerings:
        for plan_entry in offering.plans:
            plan = plans.get(plan_entry.uuid)
            if plan is not None and plan.offering.uuid != offering.uuid:
                problems.append(
                    f"{plan_entry.label}: plan {plan_entry.uuid.hex} belongs to another "
                    f'offering, "{plan.offering.name}"'
                )
    if problems:
        raise CatalogInvalid(problems)

    summary = LoadSummary()
    for entry in catalog.customers:
        customers[entry.uuid] = _save(session, summary, Customer, customers, entry, {})
    for entry in catalog.projects:
        parents = {"customer": customers[entry.customer_uuid]}
        _save(session, summary, Project, projects, entry, parents)
    for entry in catalog.offerings:
        parents = {"customer": customers[entry.customer_uuid]}
        offering = _save(session, summary, Offering, offerings, entry, parents)
        for plan_entry in entry.plans:
            _save(session, summary, Plan, plans, plan_entry, {"offering": offering})
    summary.counts = {
        "customers": len(catalog.customers),
        "projects": len(catalog.projects),
        "offerings": len(catalog.offerings),
        "plans": len(all_plans),
    }
    session.flush()
    return summary


def _save(session, summary: LoadSummary, model, existing: dict, entry: Entry, parents: dict):
    """Create the entry's row or update the stored one, counting which it was."""
    values = {**entry.values, **parents}
    row = existing.get(entry.uuid)
    if row is None:
        if "slug" in _columns(model) and "slug" not in values:
            values["slug"] = slugify(values["name"])
        row = model(uuid=entry.uuid, **values)
        session.add(row)
        summary.created += 1
        return row
    changed = [key for key, value in values.items() if getattr(row, key) != value]
    for key in changed:
        setattr(row, key, values[key])
    if changed:
        summary.updated += 1
    else:
        summary.unchanged += 1
    return row


def _columns(model) -> set[str]:
    """Return the column names of a model."""
    return set(model.__table__.columns.keys())


class RoleTargetMissing(ValidationFailed):
    """The user, offering or customer named in a role grant does not exist."""


@dataclass
class GrantOutcome:
    """A role grant and whether it was created, re-activated or already active."""

    grant: RoleGrant
    outcome: str  # "granted", "reactivated" or "unchanged"


def grant_role(
    session, *, username: str, offering_uuid: str | None = None, customer_uuid: str | None = None
) -> GrantOutcome:
    """Give a user OFFERING.MANAGER on an offering or CUSTOMER.OWNER on a customer; commit.

    Idempotent: an existing grant is kept (and re-activated if it was inactive).
    """
    if (offering_uuid is None) == (customer_uuid is None):
        raise ValidationFailed(["Name exactly one of an offering or a customer."])
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise RoleTargetMissing([f"User {username!r} does not exist."])
    if offering_uuid is not None:
        values = {"offering": _find_by_uuid(session, Offering, offering_uuid, "Offering")}
    else:
        values = {"customer": _find_by_uuid(session, Customer, customer_uuid, "Customer")}
    try:
        outcome = ensure_role_grant(session, user, **values)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return outcome


def ensure_role_grant(session, user: User, *, offering=None, customer=None) -> GrantOutcome:
    """Add or re-activate the grant of a user's role on an offering or a customer (no commit)."""
    if offering is not None:
        role, target_filter = ROLE_OFFERING_MANAGER, RoleGrant.offering_id == offering.id
    else:
        role, target_filter = ROLE_CUSTOMER_OWNER, RoleGrant.customer_id == customer.id
    grant = session.scalar(
        select(RoleGrant)
        .where(RoleGrant.user_id == user.id, RoleGrant.role == role, target_filter)
        .order_by(RoleGrant.id)
    )
    if grant is None:
        grant = RoleGrant(
            user=user, role=role, offering=offering, customer=customer, is_active=True
        )
        session.add(grant)
        return GrantOutcome(grant, "granted")
    if grant.is_active:
        return GrantOutcome(grant, "unchanged")
    grant.is_active = True
    return GrantOutcome(grant, "reactivated")


def _find_by_uuid(session, model, value: str, kind: str):
    """Return the row with a uuid given as text; raise RoleTargetMissing if there is none."""
    parsed = parse_uuid(value)
    if parsed is None:
        raise RoleTargetMissing([f"{value!r} is not a valid uuid."])
    row = session.scalar(select(model).where(model.uuid == parsed))
    if row is None:
        raise RoleTargetMissing([f"{kind} {parsed.hex} does not exist."])
    return row
