"""Memory of building a big flow (issue 16): what flowbook.core keeps per task, measured with
tracemalloc after building 50,000 tasks in a fresh process (never time).

Before issue 16 a chain's tasks took about 960 bytes each here (a copy's 24 attributes and
its dict, three lists and three dicts per task, a slug string and two entries for it); the
bounds leave a quarter or more above what they take now (about 390 and 230).
"""

import json
import subprocess
import sys

import pytest

from builders import TRIVIAL_TASKS_SOURCE

TASKS = 50_000

BUILD = """
import gc, json, tracemalloc
""" + TRIVIAL_TASKS_SOURCE + """
gc.collect()
tracemalloc.start()
with Flow("big") as flow:
    if {shape!r} == "chain":
        last = one()
        for _ in range({n} - 1):
            last = inc(last)
    else:
        for _ in range({n}):
            last = one()
gc.collect()
print(json.dumps({{"bytes": tracemalloc.get_traced_memory()[0], "tasks": len(flow.tasks),
                  "edges": len(flow.edges)}}))
"""


@pytest.mark.parametrize("shape, most", [("chain", 512), ("wide", 320)])
def test_building_a_big_flow_keeps_few_bytes_per_task(shape, most):
    out = subprocess.run([sys.executable, "-c", BUILD.format(shape=shape, n=TASKS)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["tasks"] == TASKS and seen["edges"] == (TASKS - 1 if shape == "chain" else 0)
    per_task = seen["bytes"] / TASKS
    assert per_task < most, f"{per_task:.0f} bytes per task"
