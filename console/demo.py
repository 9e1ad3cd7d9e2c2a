"""Demo data: a realistic catalogue, demo users with tokens, and many reported backend resources.

The catalogue has fixed uuids and is upserted through the catalogue loader, so running the demo
again reuses it. Backend resources come from a random generator seeded with the seed and the
number of backend resources already stored: on an empty database a seed always gives the same
resources (names, backend ids, metadata, uuids, times relative to today); a second run adds new
ones whose backend ids do not clash with those already reported or imported.
"""

import json
import multiprocessing
import random
import uuid as uuid_module
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from itertools import accumulate, islice

from sqlalchemy import func, select

from console.list_indexes import CHARACTER_BITS, LoadedReports, bulk_loading, characters_of
from console.metadata_summary import summarize_metadata
from console.models import (
    ApiToken,
    BackendResource,
    Customer,
    MarketplaceResource,
    Offering,
    Project,
    User,
)
from console.services.catalog import ensure_role_grant, parse_catalog, upsert_catalog

DEMO_PASSWORD = "demo"
DEMO_NAMESPACE = uuid_module.UUID("6f1c9a52-3d4e-4b8a-9c1e-5a7d2b0e8f31")
HELPER_BATCH_SIZE = 5000
BULK_LOAD_MINIMUM = 20_000
HISTORY_SECONDS = timedelta(weeks=8).total_seconds()
MODIFIED_WITHIN = 10 * 86400  # a report was last modified within ten days of its creation

HPC_PROVIDER = "northbridge-hpc"

# Consumer customers: slug -> (name, [(project slug, project name, short code)]).
CONSUMERS = {
    "climate-institute": ("Institute of Climate Science", [
        ("climate-ensemble-modelling", "Climate ensemble modelling", "climate"),
        ("sea-ice-reanalysis", "Sea ice reanalysis", "seaice"),
        ("regional-downscaling", "Regional downscaling", "downscale"),
        ("carbon-cycle-emulators", "Carbon cycle emulators", "carbon"),
    ]),
    "faculty-of-medicine": ("Faculty of Medicine", [
        ("cancer-genomics-pipeline", "Cancer genomics pipeline", "cancergen"),
        ("population-health-records", "Population health records", "pophealth"),
        ("neuroimaging-cohort", "Neuroimaging cohort study", "neuroimg"),
    ]),
    "department-of-physics": ("Department of Physics", [
        ("lattice-qcd", "Lattice QCD", "lqcd"),
        ("gravitational-wave-search", "Gravitational wave search", "gwsearch"),
        ("materials-simulation", "Materials simulation", "matsim"),
        ("plasma-turbulence", "Plasma turbulence", "plasma"),
    ]),
    "school-of-engineering": ("School of Engineering", [
        ("wind-turbine-cfd", "Wind turbine CFD", "windcfd"),
        ("battery-chemistry-ml", "Battery chemistry ML", "battery"),
        ("bridge-structural-health", "Bridge structural health monitoring", "bridges"),
    ]),
    "digital-humanities": ("Centre for Digital Humanities", [
        ("historic-newspapers-ocr", "Historic newspapers OCR", "newsocr"),
        ("spoken-dialects-corpus", "Spoken dialects corpus", "dialects"),
    ]),
    "marine-biology-lab": ("Marine Biology Lab", [
        ("coral-reef-imaging", "Coral reef imaging", "coral"),
        ("plankton-genomics", "Plankton genomics", "plankton"),
        ("ocean-acoustics", "Ocean acoustics", "acoustics"),
    ]),
}

# Offerings of the providers: slug -> definition. `kind` picks the resource generator and
# `weight` how often resources land there; `projects_of` limits a private offering's projects.
PROVIDERS = {
    HPC_PROVIDER: ("Northbridge University HPC Centre", {
        "taurus-hpc": dict(
            name="Taurus HPC cluster", type="Marketplace.Slurm", kind="slurm", weight=40,
            prefix="hpc", partition="standard",
            description="General-purpose SLURM cluster: 640 nodes, 2x64-core AMD EPYC.",
            plans=[
                ("cpu-allocation", "CPU allocation", "month",
                 "Core-hours on the standard partition, billed monthly."),
                ("gpu-allocation", "GPU allocation", "month",
                 "A100 GPU-hours on the gpu partition, billed monthly."),
                ("legacy-2022", "Legacy 2022 allocation", "quarter",
                 "Allocations granted under the 2022 call.", True),
            ],
        ),
        "taurus-gpu": dict(
            name="Taurus GPU partition", type="Marketplace.Slurm", kind="slurm", weight=15,
            prefix="gpu", partition="gpu",
            description="NVIDIA A100 and H100 nodes for machine learning workloads.",
            plans=[("gpu-hours", "GPU hours", "hour", "Pay per GPU-hour used.")],
        ),
        "physics-private-cluster": dict(
            name="Physics private cluster", type="Marketplace.Slurm", kind="slurm", weight=5,
            prefix="phys", partition="physics", shared=False, billable=False,
            projects_of="department-of-physics",
            description="Cluster bought by the Department of Physics, run by the centre.",
            plans=[("departmental", "Departmental", "quarter", "Fixed departmental share.")],
        ),
    }),
    "nimbus-cloud": ("Nimbus Cloud", {
        "nimbus-tenants": dict(
            name="Nimbus OpenStack tenants", type="OpenStack.Tenant", kind="tenant", weight=10,
            description="Self-service OpenStack projects in region north-1.",
            plans=[
                ("small-tenant", "Small tenant", "month", "Up to 16 cores, 64 GB RAM, 1 TB."),
                ("large-tenant", "Large tenant", "month", "Up to 256 cores, 1 TB RAM, 20 TB."),
            ],
        ),
        "nimbus-vms": dict(
            name="Nimbus virtual machines", type="OpenStack.Instance", kind="vm", weight=15,
            description="Virtual machines in the shared research tenant.",
            plans=[("pay-as-you-go", "Pay as you go", "hour", "Billed per running hour.")],
        ),
    }),
    "datavault": ("DataVault Storage", {
        "research-object-storage": dict(
            name="Research object storage (Ceph)", type="Marketplace.Basic", kind="storage",
            weight=10, description="CephFS and S3 buckets, replicated across two sites.",
            plans=[("per-tb", "Per TB", "month", "Billed per provisioned terabyte.")],
        ),
        "archive-tape": dict(
            name="Archive tape storage", type="Marketplace.Basic", kind="tape", weight=5,
            state="Paused", description="Long-term archive on an IBM TS4500 tape library.",
            plans=[("per-tb-year", "Per TB per year", "year", "Two copies, ten years.")],
        ),
        "scratch-pilot": dict(
            name="Scratch filesystem pilot", type="Marketplace.Basic", kind="storage",
            weight=0, state="Draft", shared=False,
            description="Lustre scratch pilot, not yet open.",
            plans=[("pilot", "Pilot", "month", "Free during the pilot.")],
        ),
    }),
}

FIRST_NAMES = (
    "anna", "ben", "chen", "dara", "elif", "femi", "greta", "hugo", "ines", "jonas", "kofi",
    "lena", "mateo", "nora", "oskar", "priya", "quinn", "rosa", "sami", "tariq", "uma",
    "viktor", "wen", "yusuf", "zoe",
)
LAST_INITIALS = "abcdefghijklmnoprstuvwz"
PURPOSES = (
    "production runs", "test allocation", "training", "pilot", "ensemble runs",
    "post-processing", "code development", "benchmarking",
)
VM_ROLES = ("web", "db", "worker", "jupyter", "gitlab-runner", "proxy", "gpu-node", "airflow")
FLAVORS = {
    "m1.small": (1, 2048), "m1.medium": (2, 4096), "m1.large": (4, 8192),
    "m1.xlarge": (8, 16384), "g1.a100": (16, 131072),
}
IMAGES = ("Ubuntu 22.04", "Ubuntu 24.04", "Rocky Linux 9", "Debian 12")
VM_FLAVORS = tuple(FLAVORS)[:4]
VM_DISKS = (20, 40, 100, 250)
ZONES = ("nova", "az-1", "az-2")
RUNTIME_STATES = ("ACTIVE", "ACTIVE", "ACTIVE", "SHUTOFF")
YEARS = (2023, 2024, 2025)
CPU_LIMITS = (10_000, 25_000, 50_000, 100_000, 250_000)
MEMORY_LIMITS = (51_200, 102_400, 204_800, 409_600)
GPU_LIMITS = (100, 200, 400, 800, 2_000)
QOS = ("normal", "normal", "high", "long", "debug")
ENVIRONMENTS = ("prod", "dev", "staging", "test")
TENANT_CORES = (16, 32, 64, 128, 256)
STORAGE_TERABYTES = (1, 5, 10, 20, 50, 100)
STORAGE_USES = ("data", "archive", "shared", "raw", "results")
FILESYSTEMS = ("cephfs", "s3")
TAPE_TERABYTES = (10, 50, 100, 500)
# uuid.UUID(int=n, version=4) without the object: clear the variant and version bits, set them.
UUID4_MASK = ~((0xC000 << 48) | (0xF000 << 64))
UUID4_BITS = (0x8000 << 48) | (4 << 76)


def demo_uuid(kind: str, slug: str) -> uuid_module.UUID:
    """Return the fixed uuid of a demo catalogue entry."""
    return uuid_module.uuid5(DEMO_NAMESPACE, f"{kind}:{slug}")


def demo_catalog() -> dict:
    """Return the demo catalogue in the catalogue file format."""
    customers, projects, offerings = [], [], []
    for slug, (name, offering_definitions) in PROVIDERS.items():
        customers.append({"uuid": demo_uuid("customer", slug).hex, "name": name, "slug": slug})
        for offering_slug, definition in offering_definitions.items():
            plans = [
                {
                    "uuid": demo_uuid("plan", f"{offering_slug}/{plan[0]}").hex,
                    "name": plan[1], "unit": plan[2], "description": plan[3],
                    "archived": len(plan) > 4 and plan[4],
                }
                for plan in definition["plans"]
            ]
            offerings.append({
                "uuid": demo_uuid("offering", offering_slug).hex,
                "name": definition["name"], "slug": offering_slug,
                "customer": demo_uuid("customer", slug).hex,
                "description": definition["description"], "type": definition["type"],
                "shared": definition.get("shared", True),
                "billable": definition.get("billable", True),
                "state": definition.get("state", "Active"), "plans": plans,
            })
    for slug, (name, consumer_projects) in CONSUMERS.items():
        customers.append({"uuid": demo_uuid("customer", slug).hex, "name": name, "slug": slug})
        for project_slug, project_name, _code in consumer_projects:
            projects.append({
                "uuid": demo_uuid("project", project_slug).hex, "name": project_name,
                "slug": project_slug, "customer": demo_uuid("customer", slug).hex,
            })
    return {"customers": customers, "projects": projects, "offerings": offerings}


@dataclass
class DemoResult:
    """What a demo run did: whether it loaded anything, counts, and the tokens it issued."""

    loaded: bool
    existing_customers: int = 0
    catalog_summary: str = ""
    backend_resources_added: int = 0
    tokens: dict = field(default_factory=dict)
    users_created: list = field(default_factory=list)


def load_demo_data(
    session, *, backend_resources: int = 200, seed: int = 42, if_empty: bool = False,
    now: datetime | None = None, bulk_minimum: int = BULK_LOAD_MINIMUM,
) -> DemoResult:
    """Create the demo catalogue, users, tokens and backend resources in one transaction.

    Rows are made and inserted in batches. From `bulk_minimum` new rows (and at least as many
    as the table holds), indexes, tallies and the search index are rebuilt once at the end
    instead of being kept row by row.
    """
    existing_customers = session.scalar(select(func.count(Customer.id)))
    if if_empty and existing_customers:
        return DemoResult(loaded=False, existing_customers=existing_customers)
    try:
        result = _load(
            session, backend_resources, seed, now or datetime.now(UTC), bulk_minimum
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


def _load(session, count: int, seed: int, now: datetime, bulk_minimum: int) -> DemoResult:
    """Do the work of load_demo_data without committing."""
    summary = upsert_catalog(session, parse_catalog(demo_catalog()))
    result = DemoResult(loaded=True, catalog_summary=str(summary))
    users = _ensure_users(session, result)
    session.flush()
    _grant_agent_roles(session, users["agent"])
    for username, user in users.items():
        token, key = ApiToken.issue(user)
        session.add(token)
        result.tokens[username] = key
    existing_resources = session.scalar(select(func.count(BackendResource.id)))
    rng = random.Random(f"demo:{seed}:{existing_resources}")
    anchor = datetime.combine(now.astimezone(UTC).date(), time.min, tzinfo=UTC)
    writer = RowWriter(session)
    generator = ResourceGenerator(session, rng, anchor, writer.time_suffix)
    bulk = count >= bulk_minimum and count >= existing_resources
    if bulk:
        with bulk_loading(session) as loaded:
            writer.write(rows_made_by_a_helper(generator, count, loaded))
    else:
        writer.write(generator.rows(count))
    result.backend_resources_added = count
    return result


def rows_made_by_a_helper(generator, count: int, loaded: LoadedReports):
    """Yield `count` stored-form rows that a forked helper process makes meanwhile, and count
    their names and characters into `loaded` (see `list_indexes.bulk_loading`).

    Making rows is Python work for one CPU; writing them is the database's (and the other
    CPU's): side by side, a million reports take the longer of the two, not their sum. The
    helper holds the generator as it was at the fork, so a seed still gives the same rows, and
    sends them in batches, so that memory stays flat; the counts come last.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def make() -> None:
        rows = generator.rows(count)
        counted = ReportCounter()
        while batch := list(islice(rows, HELPER_BATCH_SIZE)):
            counted.add(batch)
            sender.send(batch)
        sender.send(counted.loaded)
        sender.send(None)

    helper = context.Process(target=make, daemon=True)
    helper.start()
    sender.close()
    try:
        while True:
            try:
                batch = receiver.recv()
            except EOFError:
                raise RuntimeError("the demo data helper process stopped early") from None
            if batch is None:
                return
            if isinstance(batch, LoadedReports):
                loaded.names.update(batch.names)
                loaded.characters.update(batch.characters)
                continue
            yield from batch
    finally:
        receiver.close()
        helper.join(timeout=10)
        if helper.is_alive():
            helper.terminate()


class ReportCounter:
    """Counts stored-form rows into a `LoadedReports`: by (offering id, project id, name), and
    by (offering id, project id, the tallied characters they hold), the digits a row holds
    apart from its other characters, since its numbered backend id makes its digits nearly
    unique (five times fewer keys to keep)."""

    def __init__(self):
        self.loaded = LoadedReports()
        self.of_name: dict = {}  # names repeat: their characters are found once

    def add(self, rows) -> None:
        """Count these rows."""
        names, characters, of_name = self.loaded.names, self.loaded.characters, self.of_name
        for row in rows:
            name, backend_id = row[NAME], row[BACKEND_ID]
            offering_id, project_id = row[OFFERING_ID], row[PROJECT_ID]
            key = (offering_id, project_id, name)
            names[key] = names.get(key, 0) + 1
            named = of_name.get(name)
            if named is None:
                named = of_name[name] = characters_of(name)
            held = named | characters_of(backend_id)
            digits = held & DIGIT_BITS
            for some in (held ^ digits, digits):
                key = (offering_id, project_id, some)
                characters[key] = characters.get(key, 0) + 1


class RowWriter:
    """Writes backend resource rows, already in their stored form, straight through the driver.

    One statement takes every row from an iterator: `executemany` on SQLite, `COPY` on
    PostgreSQL; neither holds more than a buffer of rows at a time.
    """

    COLUMNS = (
        "uuid", "name", "backend_id", "backend_metadata", "metadata_summary", "offering_id",
        "project_id", "created", "modified",
    )

    def __init__(self, session):
        self.connection = session.connection()
        self.postgresql = self.connection.dialect.name == "postgresql"
        # SQLite keeps naive UTC text (see UTCDateTime); PostgreSQL is told the zone.
        self.time_suffix = "+00:00" if self.postgresql else ""
        names = ", ".join(self.COLUMNS)
        if self.postgresql:
            self.sql = f"COPY backend_resources ({names}) FROM STDIN"
        else:
            marks = ", ".join("?" for _ in self.COLUMNS)
            self.sql = f"INSERT INTO backend_resources ({names}) VALUES ({marks})"

    def write(self, rows) -> None:
        """Insert the rows, tuples in COLUMNS order, from any iterable."""
        cursor = self.connection.connection.driver_connection.cursor()
        try:
            if self.postgresql:
                with cursor.copy(self.sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(self.sql, rows)
        finally:
            cursor.close()


DIGIT_BITS = sum(CHARACTER_BITS[digit] for digit in "0123456789")
# Where ReportCounter finds what it reads in a stored-form row.
NAME, BACKEND_ID, OFFERING_ID, PROJECT_ID = (
    RowWriter.COLUMNS.index(column)
    for column in ("name", "backend_id", "offering_id", "project_id")
)


def _ensure_users(session, result: DemoResult) -> dict:
    """Return the staff, support and agent users, creating the missing ones."""
    flags = {
        "staff": {"is_staff": True}, "support": {"is_support": True}, "agent": {},
    }
    existing = {
        user.username: user
        for user in session.scalars(select(User).where(User.username.in_(list(flags))))
    }
    users = {}
    for username, user_flags in flags.items():
        user = existing.get(username)
        if user is None:
            user = User(username=username, **user_flags)
            user.set_password(DEMO_PASSWORD)
            session.add(user)
            result.users_created.append(username)
        users[username] = user
    return users


def _grant_agent_roles(session, agent: User) -> None:
    """Make the agent manage every offering of the HPC centre and own the centre."""
    provider = session.scalar(
        select(Customer).where(Customer.uuid == demo_uuid("customer", HPC_PROVIDER))
    )
    ensure_role_grant(session, agent, customer=provider)
    for offering_slug in PROVIDERS[HPC_PROVIDER][1]:
        offering = session.scalar(
            select(Offering).where(Offering.uuid == demo_uuid("offering", offering_slug))
        )
        ensure_role_grant(session, agent, offering=offering)


class ResourceGenerator:
    """Makes backend resources the way site agents report them, as rows in their stored form.

    The random draws are those of the first version of this generator, in the same order, so a
    seed keeps giving the same reports (a test pins them). The rows come out as the database
    stores them: uuids as hex, metadata as the JSON text `json.dumps` writes (written here
    directly, at a fraction of its cost), times as UTC text; see RowWriter.
    """

    def __init__(self, session, rng: random.Random, anchor: datetime, time_suffix: str = ""):
        self.rng = rng
        self.random = rng.random
        self.below = rng._randbelow  # what rng.choice and rng.randint draw with
        self.bits = rng.getrandbits
        self.anchor = anchor.astimezone(UTC).replace(tzinfo=None)
        self.time_suffix = time_suffix
        self.offerings = []  # (offering id, [project rows], row maker, its definition)
        project_ids = dict(session.execute(
            select(Project.uuid, Project.id).where(Project.uuid.in_([
                demo_uuid("project", project[0])
                for _name, projects in CONSUMERS.values() for project in projects
            ]))
        ).all())
        all_projects = [
            (project_ids[demo_uuid("project", project_slug)], name, code, customer_slug)
            for customer_slug, (_name, projects) in CONSUMERS.items()
            for project_slug, name, code in projects
        ]
        offering_ids = dict(session.execute(
            select(Offering.uuid, Offering.id).where(Offering.uuid.in_([
                demo_uuid("offering", slug)
                for _name, definitions in PROVIDERS.values() for slug in definitions
            ]))
        ).all())
        weights = []
        for _name, definitions in PROVIDERS.values():
            for slug, definition in definitions.items():
                if not definition["weight"]:
                    continue
                allowed = definition.get("projects_of")
                projects = [p for p in all_projects if allowed in (None, p[3])]
                make = getattr(self, f"_{definition['kind']}")
                self.offerings.append(
                    (offering_ids[demo_uuid("offering", slug)], projects, make, definition)
                )
                weights.append(definition["weight"])
        # Cumulative weights: the draw of rng.choices(cum_weights=...), without its checks.
        self.weights = list(accumulate(weights))
        self.total_weight = self.weights[-1] + 0.0
        self.used_backend_ids = self._used_backend_ids(session, list(offering_ids.values()))
        self.last_suffix: dict = {}
        self.limits: dict = {}  # limits -> (their JSON, the metadata summary they give)

    @staticmethod
    def _used_backend_ids(session, offering_ids: list[int]) -> set:
        """Return the (offering id, backend id) pairs already reported or imported."""
        used = set()
        for model in (BackendResource, MarketplaceResource):
            used.update(session.execute(
                select(model.offering_id, model.backend_id)
                .where(model.offering_id.in_(offering_ids))
            ).all())
        return used

    def rows(self, count: int):
        """Yield `count` rows, one at a time (memory stays flat)."""
        for _ in range(count):
            yield self.row()

    def row(self) -> tuple:
        """Return one backend resource as a tuple in RowWriter.COLUMNS order."""
        offering_id, projects, make, definition = self.offerings[
            bisect_right(self.weights, self.random() * self.total_weight, 0, len(self.weights) - 1)
        ]
        project_id, project_name, code, _customer = projects[self.below(len(projects))]
        name, backend_id, metadata, summary = make(definition, project_name, code, offering_id)
        created = self.anchor - timedelta(seconds=HISTORY_SECONDS * self.random())
        age = (self.anchor - created).total_seconds()
        modified = created + timedelta(seconds=min(age, MODIFIED_WITHIN) * self.random())
        return (
            f"{self.bits(128) & UUID4_MASK | UUID4_BITS:032x}",
            name[:150],
            backend_id,
            metadata,
            summary,
            offering_id,
            project_id,
            created.isoformat(" ", "microseconds") + self.time_suffix,
            modified.isoformat(" ", "microseconds") + self.time_suffix,
        )

    def _unique(self, offering_id: int, backend_id: str) -> str:
        """Return the backend id, suffixed if the offering already has it.

        Each generated id gets the next suffix of its stem, so only the ids stored before this
        run need remembering: a set of a million generated ids would cost ~150 MB.
        """
        key = (offering_id, backend_id)
        number = self.last_suffix.get(key, 0) + 1
        candidate = backend_id if number == 1 else f"{backend_id}_{number}"
        while (offering_id, candidate) in self.used_backend_ids:
            number += 1
            candidate = f"{backend_id}_{number}"
        self.last_suffix[key] = number
        return candidate

    def _limits(self, limits: tuple) -> tuple[str, str]:
        """Return the JSON of limits given as (key, value) pairs, and the summary they give."""
        known = self.limits.get(limits)
        if known is None:
            as_dict = dict(limits)
            known = self.limits[limits] = (
                json.dumps(as_dict), summarize_metadata({"limits": as_dict})
            )
        return known

    def _pick(self, options: tuple):
        """rng.choice(options), drawn the same way."""
        return options[self.below(len(options))]

    def _users(self) -> str:
        """Return a few cluster usernames, as a JSON list."""
        pick = self._pick
        users = sorted({
            f"{pick(FIRST_NAMES)}{pick(LAST_INITIALS)}" for _ in range(1 + self.below(6))
        })
        return '["' + '", "'.join(users) + '"]'

    def _slurm(self, definition: dict, project_name: str, code: str, offering_id: int):
        """A SLURM account with its limits, partition, QoS and users."""
        pick = self._pick
        year = pick(YEARS)
        purpose = pick(PURPOSES)
        gpu = definition["partition"] == "gpu" or self.random() < 0.3
        cpu = pick(CPU_LIMITS)
        mem = pick(MEMORY_LIMITS)
        limits = (("cpu", cpu), ("mem", mem))
        if gpu:
            limits += (("gpu", pick(GPU_LIMITS)),)
        limits_json, summary = self._limits(limits)
        qos = pick(QOS)
        users = self._users()
        usage = round(cpu * (0.9 * self.random()))
        prefix = definition["prefix"]
        account = self._unique(offering_id, f"{prefix}_{code}_{year}")
        metadata = (
            f'{{"limits": {limits_json}, "partition": "{definition["partition"]}", '
            f'"qos": "{qos}", "cluster": "taurus", "parent_account": "{prefix}_root", '
            f'"users": {users}, "usage": {{"cpu": {usage}}}, "account": "{account}"}}'
        )
        return f"{project_name} {year} - {purpose}", account, metadata, summary

    def _tenant(self, definition: dict, project_name: str, code: str, offering_id: int):
        """An OpenStack project with its quotas."""
        environment = self._pick(ENVIRONMENTS)
        cores = self._pick(TENANT_CORES)
        limits_json, summary = self._limits(
            (("cores", cores), ("ram", cores * 4096), ("storage", cores * 64 * 1024))
        )
        backend_id = self._unique(offering_id, f"{self.bits(128):032x}")
        metadata = (
            f'{{"limits": {limits_json}, "region": "north-1", '
            f'"external_network": "public-net", "domain": "research"}}'
        )
        return f"{code}-{environment}", backend_id, metadata, summary

    def _vm(self, definition: dict, project_name: str, code: str, offering_id: int):
        """A virtual machine with its flavor, image and addresses."""
        pick, below = self._pick, self.below
        role = pick(VM_ROLES)
        flavor = "g1.a100" if role == "gpu-node" else pick(VM_FLAVORS)
        cores, ram = FLAVORS[flavor]
        limits_json, summary = self._limits(
            (("cores", cores), ("ram", ram), ("disk", pick(VM_DISKS)))
        )
        image = pick(IMAGES)
        zone = pick(ZONES)
        address = f"10.{below(256)}.{below(256)}.{2 + below(253)}"
        state = pick(RUNTIME_STATES)
        name = f"{code}-{role}-{1 + below(12):02d}"
        number = f"{self.bits(128) & UUID4_MASK | UUID4_BITS:032x}"
        backend_id = self._unique(offering_id, "-".join((
            number[:8], number[8:12], number[12:16], number[16:20], number[20:]
        )))
        metadata = (
            f'{{"limits": {limits_json}, "flavor": "{flavor}", "image": "{image}", '
            f'"availability_zone": "{zone}", "internal_ips": ["{address}"], '
            f'"runtime_state": "{state}"}}'
        )
        return name, backend_id, metadata, summary

    def _storage(self, definition: dict, project_name: str, code: str, offering_id: int):
        """A CephFS volume or S3 bucket with its quota."""
        terabytes = self._pick(STORAGE_TERABYTES)
        use = self._pick(STORAGE_USES)
        limits_json, summary = self._limits((("storage", terabytes * 1024),))
        used = round(terabytes * self.random(), 2)
        filesystem = self._pick(FILESYSTEMS)
        backend_id = self._unique(offering_id, f"vol-{code}-{use}")
        metadata = (
            f'{{"limits": {limits_json}, "quota": {{"storage_tb": {terabytes}, '
            f'"inodes": {terabytes * 1_000_000}}}, "usage_tb": {used!r}, '
            f'"filesystem": "{filesystem}", "path": "/ceph/projects/{backend_id}"}}'
        )
        return f"{project_name} {use}", backend_id, metadata, summary

    def _tape(self, definition: dict, project_name: str, code: str, offering_id: int):
        """A tape archive allocation."""
        terabytes = self._pick(TAPE_TERABYTES)
        year = self._pick(YEARS)
        limits_json, summary = self._limits((("storage", terabytes * 1024),))
        backend_id = self._unique(offering_id, f"tape-{code}-{year}")
        metadata = (
            f'{{"limits": {limits_json}, "copies": 2, "retention_years": 10, '
            f'"library": "IBM TS4500"}}'
        )
        return f"{project_name} archive {year}", backend_id, metadata, summary
