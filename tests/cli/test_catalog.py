"""`flask catalog load`: creates and updates by uuid, and refuses a bad file as a whole."""

import copy
import uuid

import pytest
from sqlalchemy import select

from console.extensions import db
from console.models import Customer, Offering, Plan, Project
from tests.cli.conftest import count, succeed

PROVIDER = "11111111111111111111111111111111"
CONSUMER = "22222222-2222-2222-2222-222222222222"
HPC = "33333333333333333333333333333333"
CLOUD = "44444444444444444444444444444444"
STANDARD_PLAN = "55555555555555555555555555555555"
PROJECT = "66666666666666666666666666666666"
MISSING = "99999999999999999999999999999999"

CATALOG = {
    "customers": [
        {"uuid": PROVIDER, "name": "University HPC Centre", "slug": "uni-hpc"},
        {"uuid": CONSUMER, "name": "Climate Institute"},
    ],
    "projects": [
        {"uuid": PROJECT, "name": "Climate modelling", "slug": "climate-2024",
         "customer": CONSUMER},
        {"name": "Sea ice", "customer": CONSUMER},
    ],
    "offerings": [
        {
            "uuid": HPC, "name": "HPC", "slug": "hpc", "customer": PROVIDER,
            "type": "Marketplace.Slurm", "shared": True, "billable": True, "state": "Active",
            "plans": [
                {"uuid": STANDARD_PLAN, "name": "Standard", "unit": "month",
                 "description": "Core hours"},
                {"name": "Legacy", "unit": "quarter", "archived": True},
            ],
        },
        {"uuid": CLOUD, "name": "Private cloud", "customer": PROVIDER,
         "type": "OpenStack.Tenant", "shared": False, "billable": False, "state": "Paused"},
    ],
}

ALL_MODELS = (Customer, Project, Offering, Plan)


def counts() -> tuple:
    """Count customers, projects, offerings and plans."""
    return tuple(count(model) for model in ALL_MODELS)


def by_uuid(model, value):
    """Return a stored row by uuid, fresh from the database."""
    db.session.expire_all()
    return db.session.scalar(select(model).where(model.uuid == uuid.UUID(value)))


def test_creates_the_whole_catalogue(runner, ctx, write_json):
    result = runner.invoke(args=["catalog", "load", write_json(CATALOG)])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "2 customers, 2 projects, 2 offerings, 2 plans loaded "
        "(created 8, updated 0, unchanged 0)\n"
    )
    assert counts() == (2, 2, 2, 2)
    hpc = by_uuid(Offering, HPC)
    assert (hpc.name, hpc.type, hpc.shared, hpc.state, hpc.customer.name) == (
        "HPC", "Marketplace.Slurm", True, "Active", "University HPC Centre"
    )
    cloud = by_uuid(Offering, CLOUD)
    assert (cloud.shared, cloud.billable, cloud.state, cloud.slug) == (
        False, False, "Paused", "private-cloud"
    )
    assert [(p.name, p.unit, p.archived) for p in hpc.plans] == [
        ("Legacy", "quarter", True), ("Standard", "month", False)
    ]
    assert by_uuid(Plan, STANDARD_PLAN).description == "Core hours"
    assert by_uuid(Customer, CONSUMER).slug == "climate-institute"
    generated = db.session.scalar(select(Project).where(Project.name == "Sea ice"))
    assert generated.uuid is not None and generated.customer.uuid == uuid.UUID(CONSUMER)


def test_loading_twice_changes_nothing(runner, ctx, write_json):
    catalog = copy.deepcopy(CATALOG)
    catalog["projects"][1]["uuid"] = "77777777777777777777777777777777"
    catalog["offerings"][0]["plans"][1]["uuid"] = "88888888888888888888888888888888"
    path = write_json(catalog)
    succeed(runner, "catalog", "load", path)
    result = runner.invoke(args=["catalog", "load", path])
    assert result.exit_code == 0, result.output
    assert "(created 0, updated 0, unchanged 8)" in result.stdout
    assert counts() == (2, 2, 2, 2)


def test_updates_by_uuid_and_keeps_fields_left_out(runner, ctx, write_json):
    succeed(runner, "catalog", "load", write_json(CATALOG))
    update = {
        "offerings": [
            {"uuid": HPC, "name": "HPC cluster", "customer": PROVIDER, "state": "Paused",
             "plans": [{"uuid": STANDARD_PLAN, "name": "Standard", "archived": True}]},
        ],
    }
    result = runner.invoke(args=["catalog", "load", write_json(update, "update.json")])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "0 customers, 0 projects, 1 offerings, 1 plans loaded "
        "(created 0, updated 2, unchanged 0)\n"
    )
    hpc = by_uuid(Offering, HPC)
    assert (hpc.name, hpc.state, hpc.type, hpc.slug) == (
        "HPC cluster", "Paused", "Marketplace.Slurm", "hpc"
    )
    plan = by_uuid(Plan, STANDARD_PLAN)
    assert (plan.archived, plan.unit, plan.description) == (True, "month", "Core hours")
    assert counts() == (2, 2, 2, 2)


def test_customer_may_already_be_in_the_database(runner, factory, write_json):
    provider = factory.customer(name="Existing provider")
    catalog = {"offerings": [{"name": "Storage", "customer": str(provider.uuid)}]}
    result = runner.invoke(args=["catalog", "load", write_json(catalog)])
    assert result.exit_code == 0, result.output
    offering = db.session.scalar(select(Offering).where(Offering.name == "Storage"))
    assert offering.customer_id == provider.id
    assert (offering.state, offering.shared, offering.slug) == ("Active", True, "storage")


def broken(path_to_change, value):
    """Return the sample catalogue with one value replaced (or a key removed if value is ...)."""
    catalog = copy.deepcopy(CATALOG)
    *parents, last = path_to_change
    target = catalog
    for key in parents:
        target = target[key]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return catalog


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON: Expecting property name enclosed in double quotes"
                      " at line 1, column 2"),
        (b"\xff\xfe{}", "it is not UTF-8 text"),
        ([], "the file must hold a JSON object, not a list"),
        ({"customers": {}}, "customers must be a list, not an object"),
        ({"offering": []}, "unknown section 'offering'"),
        (broken(["customers", 1, "name"], ...), 'customers[1]: name is required'),
        (broken(["customers", 1, "name"], "  "), 'customers[1] "  ": name must not be empty'),
        (broken(["projects", 0, "name"], 42),
         'projects[0]: name must be a string, not a number'),
        (broken(["offerings", 1, "shared"], "no"),
         'offerings[1] "Private cloud": shared must be true or false, not a string'),
        (broken(["offerings", 1, "state"], "Closed"),
         "offerings[1] \"Private cloud\": state 'Closed' is not one of Draft, Active, Paused, "
         "Archived, Unavailable"),
        (broken(["offerings", 0, "customer"], MISSING),
         f'offerings[0] "HPC": customer {MISSING} does not exist'),
        (broken(["projects", 1, "customer"], ...), 'projects[1] "Sea ice": customer is required'),
        (broken(["customers", 0, "uuid"], "1234"),
         "customers[0] \"University HPC Centre\": uuid '1234' is not a valid uuid"),
        (broken(["offerings", 1, "uuid"], HPC),
         f'offerings[1] "Private cloud": uuid {HPC} appears more than once'),
        (broken(["offerings", 0, "plans", 1, "archived"], "yes"),
         'offerings[0] "HPC" plans[1] "Legacy": archived must be true or false'),
        (broken(["offerings", 0, "plans"], "Standard"),
         'offerings[0] "HPC": plans must be a list, not a string'),
        (broken(["offerings", 0, "shard"], True), "offerings[0] \"HPC\": unknown field 'shard'"),
        (broken(["projects", 0], "Climate"), "projects[0]: must be an object, not a string"),
    ],
    ids=lambda value: None if not isinstance(value, str) else value[:40],
)
def test_bad_file_is_refused_naming_the_entry_and_writes_nothing(
    runner, ctx, write_json, content, message
):
    result = runner.invoke(args=["catalog", "load", write_json(content)])
    assert result.exit_code == 1
    assert "was refused, nothing was loaded" in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert counts() == (0, 0, 0, 0)


def test_every_problem_is_listed(runner, ctx, write_json):
    catalog = broken(["offerings", 1, "state"], "Closed")
    catalog["projects"][0]["customer"] = MISSING
    catalog["customers"][0]["name"] = ""
    result = runner.invoke(args=["catalog", "load", write_json(catalog)])
    assert result.exit_code == 1
    assert "customers[0]: name must not be empty" in result.stderr
    assert "offerings[1] \"Private cloud\": state 'Closed'" in result.stderr
    assert f'projects[0] "Climate modelling": customer {MISSING} does not exist' in result.stderr
    assert counts() == (0, 0, 0, 0)


def test_unknown_customer_with_existing_data_leaves_database_untouched(
    runner, factory, write_json
):
    succeed(runner, "catalog", "load", write_json(CATALOG))
    catalog = broken(["offerings", 1, "customer"], MISSING)
    catalog["offerings"][0]["name"] = "Renamed HPC"
    catalog["customers"].append({"name": "New customer"})
    result = runner.invoke(args=["catalog", "load", write_json(catalog, "second.json")])
    assert result.exit_code == 1
    assert f'offerings[1] "Private cloud": customer {MISSING} does not exist' in result.stderr
    assert counts() == (2, 2, 2, 2)
    assert by_uuid(Offering, HPC).name == "HPC"


def test_plan_of_another_offering_is_refused(runner, ctx, write_json):
    succeed(runner, "catalog", "load", write_json(CATALOG))
    catalog = {"offerings": [{
        "uuid": CLOUD, "name": "Private cloud", "customer": PROVIDER,
        "plans": [{"uuid": STANDARD_PLAN, "name": "Stolen"}],
    }]}
    result = runner.invoke(args=["catalog", "load", write_json(catalog, "steal.json")])
    assert result.exit_code == 1
    assert f'plan {STANDARD_PLAN} belongs to another offering, "HPC"' in result.stderr
    assert by_uuid(Plan, STANDARD_PLAN).name == "Standard"


def test_missing_file_is_a_usage_error(runner, ctx, tmp_path):
    result = runner.invoke(args=["catalog", "load", str(tmp_path / "absent.json")])
    assert result.exit_code == 2
    assert "No such file" in result.stderr
