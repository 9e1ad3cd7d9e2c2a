"""`bench/list_page.py`, the in-process measure of the console's table, still runs: it broke once
unnoticed when the helper it imported from `bench/run.py` was renamed."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_it_times_the_table_beside_the_api_on_a_fresh_demo_database():
    output = subprocess.run(
        [sys.executable, "bench/list_page.py", "--sizes", "150", "--runs", "2"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=True,
    ).stdout
    for label in ("API newest 50", "table page newest 50", "table fragment newest 50",
                  "table fragment name=gpu", "table page flag=-imported"):
        assert re.search(rf"^{re.escape(label)} +150 +\d+\.\d\d +\d+\.\d\d$", output, re.M), label
    assert len(re.findall(r"^ +\d+\.\dx the API$", output, re.M)) == 8
