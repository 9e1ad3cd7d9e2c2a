"""`bench/far_ends.py`, the sweep of filters and sort keys for slow lists, still runs and prints
every request it sweeps, with the counts the list gives."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_it_sweeps_every_filter_and_sort_key_for_staff_and_the_agent():
    output = subprocess.run(
        [sys.executable, "bench/far_ends.py", "--size", "300", "--runs", "1", "--over", "60000"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=True,
    ).stdout
    rows = re.findall(r"^(staff|agent) +(\S.*?) +([\d,]+) +\d+\.\d +\d+\.\d *$", output, re.M)
    # 12 filters (the first none), each in the default order and 12 others, for two users.
    assert len(rows) == 2 * 12 * 13
    counts = {(user, request): int(count.replace(",", "")) for user, request, count in rows}
    everything = counts[("staff", "o=-created")]
    assert everything == 300
    assert 0 < counts[("agent", "o=-created")] < everything
    assert counts[("staff", "name=zzqqxx&o=name")] == 0
    assert re.search(r"^0 requests over 60000 ms$", output, re.M)
