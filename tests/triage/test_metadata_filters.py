"""Filters on what the agent sent: the same answers on SQLite (JSON1) and PostgreSQL (jsonb)."""

import re

import pytest

from console.services.metadata_filters import parse_metadata_filter
from tests.web.listing_helpers import LIST_URL, row_names
from tests.web.session_helpers import log_in

REPORTS = {
    "gpu-big": {"partition": "gpu", "limits": {"cpu": 20000, "gpu": 8}},
    "gpu-small": {"partition": "gpu", "limits": {"cpu": 500}},
    "cpu-big": {"partition": "cpu", "limits": {"cpu": 10001.5}},
    "cpu-edge": {"partition": "cpu", "limits": {"cpu": 10000}},
    "text-cpu": {"partition": "cpu", "limits": {"cpu": "99999"}},  # a string, not a number
    "number-partition": {"partition": 5, "limits": {}},
    "string-five": {"partition": "5"},
    "flagged": {"exclusive": True, "qos": "high-priority", "limits": {"mem-gb": 64}},
    "nested": {"limits": {"cpu": {"max": 50000}}},
    "empty": {},
}
CASES = [
    ("partition=gpu", {"gpu-big", "gpu-small"}),
    ("partition = cpu", {"cpu-big", "cpu-edge", "text-cpu"}),
    ("partition=5", {"number-partition", "string-five"}),
    ("partition!=gpu", set(REPORTS) - {"gpu-big", "gpu-small"}),
    ("limits.cpu>10000", {"gpu-big", "cpu-big"}),
    ("limits.cpu>=10000", {"gpu-big", "cpu-big", "cpu-edge"}),
    ("limits.cpu<10000", {"gpu-small"}),
    ("limits.cpu<=1e4", {"gpu-small", "cpu-edge"}),
    ("limits.cpu=10000", {"cpu-edge"}),
    ("limits.cpu.max>1000", {"nested"}),
    ("limits.mem-gb>=64", {"flagged"}),
    ("exclusive=true", {"flagged"}),
    ("qos=high-priority", {"flagged"}),
    ("partition=gpu; limits.cpu>1000", {"gpu-big"}),
    ("limits.gpu>0", {"gpu-big"}),
    ("missing=anything", set()),
    # Numbers at the edges: past 64 bits they compare as floats; past floats they are text.
    ("limits.cpu<1e99", {"gpu-big", "gpu-small", "cpu-big", "cpu-edge"}),
    ("limits.cpu<" + "9" * 18, {"gpu-big", "gpu-small", "cpu-big", "cpu-edge"}),
    ("partition=1e400", set()),
    ("partition!=NaN", set(REPORTS)),
]


@pytest.fixture
def reports(factory, actors):
    for name, metadata in REPORTS.items():
        factory.backend_resource(actors.offering, actors.project, name=name,
                                 backend_metadata=metadata)
    return actors


@pytest.mark.parametrize(("condition", "expected"), CASES)
def test_table_and_api_agree_with_the_expected_rows(client, reports, condition, expected):
    api = client.get("/api/backend-resources/", query_string={
        "metadata": condition, "page_size": 100,
    }, headers=reports.headers("staff"))
    assert api.status_code == 200
    assert {row["name"] for row in api.get_json()} == expected
    log_in(client, "staff")
    page = client.get(LIST_URL, query_string={"metadata": condition, "page_size": 100})
    assert page.status_code == 200
    assert set(row_names(page.text)) == expected


@pytest.mark.parametrize(("condition", "message"), [
    ("limits.cpu>lots", "needs a number"),
    ("partition", "Cannot read"),
    ("a.b.c.d=1", "Cannot read"),
    ("partition=", "needs a value"),
    ("k=1;" * 11, "At most 10 conditions"),
    ("limits.cpu>1e400", "needs a number"),
    ("limits.cpu<-Infinity", "needs a number"),
    ("limits.cpu>=NaN", "needs a number"),
    ("limits.cpu<" + "9" * 400, "needs a number"),
    ("partition=gpu\x00", "Null characters are not allowed."),
    ("limits.cpu>1e300", "a two-digit exponent"),
    ("partition=gpu\x01", "no control characters"),
])
def test_bad_conditions_are_a_400_naming_the_problem(client, reports, condition, message):
    api = client.get("/api/backend-resources/", query_string={"metadata": condition},
                     headers=reports.headers("staff"))
    assert api.status_code == 400
    assert message in api.get_json()["metadata"][0]
    log_in(client, "staff")
    page = client.get(LIST_URL, query_string={"metadata": condition})
    assert page.status_code == 400
    assert message in page.text


def test_the_filter_reads_in_the_summary_and_clears_alone(client, reports):
    log_in(client, "staff")
    page = client.get(LIST_URL, query_string={"metadata": "partition=gpu;limits.cpu>1000"}).text
    assert "where metadata <strong>partition = gpu and limits.cpu &gt; 1000</strong>" in page
    assert 'aria-label="Remove filter: metadata partition = gpu and limits.cpu &gt; 1000"' in page


SAMPLES = [
    "", " ; ", "partition=gpu", "partition = cpu ;", "a.b.c>-1.5e-10", "a<=0", "a==x", "a=>5",
    "a=x\n", "a=\xa0x\xa0", "k=1;" * 10, "k=1;" * 11, "a>1e99", "a>1e300", "a<" + "9" * 18,
    "a<" + "9" * 19, "a=\xa0", "a=", "a=x\ny", "a=\tx", "a>5x", "a<>5", "a.b.c.d=1", "\xa0a=1",
    "a=1e400", "a>01", "a=x;;b!=y",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_the_schema_pattern_accepts_exactly_what_the_filter_reads(client, text):
    """schemathesis (and any client) reads the pattern; the parser must agree with it."""
    schema = client.get("/api/schema/").get_json()
    listing = schema["paths"]["/api/backend-resources/"]["get"]["parameters"]
    pattern = next(p["schema"]["pattern"] for p in listing if p["name"] == "metadata")
    try:
        parse_metadata_filter(text)
        accepted = True
    except ValueError:
        accepted = False
    assert accepted == (re.search(pattern, text) is not None)
