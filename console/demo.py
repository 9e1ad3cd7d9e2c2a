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
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from itertools import accumulate

from sqlalchemy import func, select

from console.list_indexes import bulk_loading
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
INSERT_BATCH_SIZE = 5000
BULK_LOAD_MINIMUM = 20_000
HISTORY = timedelta(weeks=8)

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
    generator = ResourceGenerator(session, rng, anchor)
    bulk = count >= bulk_minimum and count >= existing_resources
    writer = RowWriter(session)
    if bulk:
        with bulk_loading(session):
            for values in values_made_by_a_helper(generator, writer, count):
                writer.write_values(values)
                result.backend_resources_added += len(values)
    else:
        for batch in generator.batches(count, INSERT_BATCH_SIZE):
            writer.write_values([writer.values(row) for row in batch])
            result.backend_resources_added += len(batch)
    return result


def values_made_by_a_helper(generator, writer, count: int):
    """Yield batches of driver-ready rows that a forked helper process makes meanwhile.

    Making rows is Python work for one CPU; writing them is the database's (and the other
    CPU's): side by side, a million reports take the longer of the two, not their sum. The
    helper holds the generator as it was at the fork, so a seed still gives the same rows.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def make() -> None:
        for batch in generator.batches(count, INSERT_BATCH_SIZE):
            sender.send([writer.values(row) for row in batch])
        sender.send(None)

    helper = context.Process(target=make, daemon=True)
    helper.start()
    sender.close()
    try:
        while True:
            try:
                values = receiver.recv()
            except EOFError:
                raise RuntimeError("the demo data helper process stopped early") from None
            if values is None:
                return
            yield values
    finally:
        receiver.close()
        helper.join(timeout=10)
        if helper.is_alive():
            helper.terminate()


def _sqlite_time(moment: datetime) -> str:
    """A timestamp as UTCDateTime stores it in SQLite: naive UTC text with microseconds."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


class RowWriter:
    """Writes batches of backend resource rows straight through the database driver.

    Values take the form the columns' SQLAlchemy types would give them (a test holds the two
    equal), converted here directly because the types' own converters cost as much as making
    the rows; PostgreSQL receives them through COPY.
    """

    COLUMNS = (
        "uuid", "name", "backend_id", "backend_metadata", "metadata_summary", "offering_id",
        "project_id", "created", "modified",
    )
    CONVERTERS = {
        "sqlite": {
            "uuid": lambda value: value.hex, "backend_metadata": json.dumps,
            "created": _sqlite_time, "modified": _sqlite_time,
        },
        "postgresql": {"backend_metadata": json.dumps},
    }

    def __init__(self, session):
        self.connection = session.connection()
        dialect = self.connection.dialect.name
        converters = self.CONVERTERS[dialect]
        self.converters = [(name, converters.get(name)) for name in self.COLUMNS]
        self.postgresql = dialect == "postgresql"
        names = ", ".join(self.COLUMNS)
        if self.postgresql:
            self.sql = f"COPY backend_resources ({names}) FROM STDIN"
        else:
            marks = ", ".join("?" for _ in self.COLUMNS)
            self.sql = f"INSERT INTO backend_resources ({names}) VALUES ({marks})"

    def values(self, row: dict) -> tuple:
        """Return the row's values as the driver takes them."""
        return tuple(
            convert(row[name]) if convert else row[name] for name, convert in self.converters
        )

    def write(self, rows: list[dict]) -> None:
        """Insert the rows."""
        self.write_values([self.values(row) for row in rows])

    def write_values(self, values: list[tuple]) -> None:
        """Insert rows already converted by `values`."""
        cursor = self.connection.connection.driver_connection.cursor()
        try:
            if self.postgresql:
                with cursor.copy(self.sql) as copy:
                    for value in values:
                        copy.write_row(value)
            else:
                cursor.executemany(self.sql, values)
        finally:
            cursor.close()


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
    """Makes rows of backend resources the way site agents report them."""

    def __init__(self, session, rng: random.Random, anchor: datetime):
        self.rng = rng
        self.anchor = anchor
        self.offerings = []  # (definition, offering id, [project rows])
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
        for _name, definitions in PROVIDERS.values():
            for slug, definition in definitions.items():
                if not definition["weight"]:
                    continue
                allowed = definition.get("projects_of")
                projects = [p for p in all_projects if allowed in (None, p[3])]
                self.offerings.append(
                    (definition, offering_ids[demo_uuid("offering", slug)], projects)
                )
        # Cumulative weights: the same draws as `weights`, without summing them on every row.
        self.weights = list(
            accumulate(definition["weight"] for definition, _id, _p in self.offerings)
        )
        self.used_backend_ids = self._used_backend_ids(session, list(offering_ids.values()))
        self.last_suffix: dict = {}

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

    def batches(self, count: int, size: int):
        """Yield `count` rows ready for a bulk insert, `size` at a time (memory stays flat)."""
        for start in range(0, count, size):
            yield [self.row() for _ in range(min(size, count - start))]

    def row(self) -> dict:
        """Return one backend resource as a dict of column values."""
        rng = self.rng
        definition, offering_id, projects = rng.choices(self.offerings, cum_weights=self.weights)[0]
        project_id, project_name, code, _customer = rng.choice(projects)
        make = getattr(self, f"_{definition['kind']}")
        name, backend_id, metadata = make(definition, project_name, code)
        backend_id = self._unique(offering_id, backend_id)
        if definition["kind"] == "slurm":
            metadata["account"] = backend_id
        elif "path" in metadata:
            metadata["path"] = f"/ceph/projects/{backend_id}"
        created = self.anchor - timedelta(seconds=rng.uniform(0, HISTORY.total_seconds()))
        age = (self.anchor - created).total_seconds()
        modified = created + timedelta(seconds=rng.uniform(0, min(age, 10 * 86400)))
        return {
            "uuid": uuid_module.UUID(int=rng.getrandbits(128), version=4),
            "name": name[:150],
            "backend_id": backend_id,
            "backend_metadata": metadata,
            "metadata_summary": summarize_metadata(metadata),
            "offering_id": offering_id,
            "project_id": project_id,
            "created": created,
            "modified": modified,
        }

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

    def _users(self) -> list[str]:
        """Return a few cluster usernames."""
        return sorted({
            f"{self.rng.choice(FIRST_NAMES)}{self.rng.choice(LAST_INITIALS)}"
            for _ in range(self.rng.randint(1, 6))
        })

    def _slurm(self, definition: dict, project_name: str, code: str):
        """A SLURM account with its limits, partition, QoS and users."""
        rng = self.rng
        year = rng.choice((2023, 2024, 2025))
        purpose = rng.choice(PURPOSES)
        gpu = definition["partition"] == "gpu" or rng.random() < 0.3
        limits = {
            "cpu": rng.choice((10_000, 25_000, 50_000, 100_000, 250_000)),
            "mem": rng.choice((51_200, 102_400, 204_800, 409_600)),
        }
        if gpu:
            limits["gpu"] = rng.choice((100, 200, 400, 800, 2_000))
        metadata = {
            "limits": limits,
            "partition": definition["partition"],
            "qos": rng.choice(("normal", "normal", "high", "long", "debug")),
            "cluster": "taurus",
            "parent_account": f"{definition['prefix']}_root",
            "users": self._users(),
            "usage": {"cpu": round(limits["cpu"] * rng.uniform(0, 0.9))},
        }
        name = f"{project_name} {year} - {purpose}"
        return name, f"{definition['prefix']}_{code}_{year}", metadata

    def _tenant(self, definition: dict, project_name: str, code: str):
        """An OpenStack project with its quotas."""
        rng = self.rng
        environment = rng.choice(("prod", "dev", "staging", "test"))
        cores = rng.choice((16, 32, 64, 128, 256))
        metadata = {
            "limits": {"cores": cores, "ram": cores * 4096, "storage": cores * 64 * 1024},
            "region": "north-1",
            "external_network": "public-net",
            "domain": "research",
        }
        backend_id = f"{rng.getrandbits(128):032x}"
        return f"{code}-{environment}", backend_id, metadata

    def _vm(self, definition: dict, project_name: str, code: str):
        """A virtual machine with its flavor, image and addresses."""
        rng = self.rng
        role = rng.choice(VM_ROLES)
        flavor = "g1.a100" if role == "gpu-node" else rng.choice(list(FLAVORS)[:4])
        cores, ram = FLAVORS[flavor]
        metadata = {
            "limits": {"cores": cores, "ram": ram, "disk": rng.choice((20, 40, 100, 250))},
            "flavor": flavor,
            "image": rng.choice(IMAGES),
            "availability_zone": rng.choice(("nova", "az-1", "az-2")),
            "internal_ips": [f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}."
                             f"{rng.randint(2, 254)}"],
            "runtime_state": rng.choice(("ACTIVE", "ACTIVE", "ACTIVE", "SHUTOFF")),
        }
        name = f"{code}-{role}-{rng.randint(1, 12):02d}"
        backend_id = str(uuid_module.UUID(int=rng.getrandbits(128), version=4))
        return name, backend_id, metadata

    def _storage(self, definition: dict, project_name: str, code: str):
        """A CephFS volume or S3 bucket with its quota."""
        rng = self.rng
        terabytes = rng.choice((1, 5, 10, 20, 50, 100))
        use = rng.choice(("data", "archive", "shared", "raw", "results"))
        metadata = {
            "limits": {"storage": terabytes * 1024},
            "quota": {"storage_tb": terabytes, "inodes": terabytes * 1_000_000},
            "usage_tb": round(terabytes * rng.uniform(0, 1), 2),
            "filesystem": rng.choice(("cephfs", "s3")),
            "path": "",
        }
        return f"{project_name} {use}", f"vol-{code}-{use}", metadata

    def _tape(self, definition: dict, project_name: str, code: str):
        """A tape archive allocation."""
        rng = self.rng
        terabytes = rng.choice((10, 50, 100, 500))
        year = rng.choice((2023, 2024, 2025))
        metadata = {
            "limits": {"storage": terabytes * 1024},
            "copies": 2,
            "retention_years": 10,
            "library": "IBM TS4500",
        }
        return f"{project_name} archive {year}", f"tape-{code}-{year}", metadata
