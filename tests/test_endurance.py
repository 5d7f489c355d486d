"""Endurance: memory stays flat over many runs and many widgets, and a 100,000-task flow runs
within a margin of the engine's memory goal (under 1 KB per task, benchmarks/overhead.py).

Memory is measured, never time: tracemalloc's traced bytes between an early and a late
point of the same loop (after a full collection), with a tolerance far below what one
object kept per run or per widget would add; the big flow's peak RSS in a fresh process.
"""

import gc
import json
import subprocess
import sys
import tracemalloc
import weakref

import pytest

from builders import TRIVIAL_TASKS_SOURCE
import flowbook
from flowbook import Flow, task, triggers

RUNS = 10_000
WIDGETS = 300
TASKS = 100_000
BYTES_PER_TASK = 1200  # the goal, 1 KB, and a margin for allocators (about 910 here)


def small_flow():
    """Three tasks that succeed, one that fails (its exception's traceback holds the engine's
    frames, and with them whatever those frames hold) and a clean-up that runs anyway."""
    @task
    def extract():
        return [1, 2, 3]

    @task
    def double(rows):
        return [2 * r for r in rows]

    @task
    def total(rows):
        return sum(rows)

    @task
    def load(rows):
        raise ConnectionError("database is down")

    @task(trigger=triggers.always_run)
    def clean_up(x):
        return "cleaned"

    with Flow("small") as flow:
        rows = double(extract())
        total(rows)
        clean_up(load(rows))
    return flow


def traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


@pytest.fixture
def tracing():
    tracemalloc.start()
    try:
        yield
    finally:
        tracemalloc.stop()


def test_ten_thousand_runs_with_a_widget_attached_then_closed_keep_memory_flat(tracing):
    flow = small_flow()
    widget = flowbook.show(flow)  # follows every new run; redraws now and then on a timer
    early = late = 0
    old_runs = []
    for i in range(1, RUNS + 1):
        assert flow.run().is_successful()  # the reference tasks: total and clean_up
        if i % 1000 == 0:
            old_runs.append(weakref.ref(flow.last_run))
        if i == 2000:  # ipywidgets' and traitlets' own caches have filled up by now
            early = traced()
    late = traced()
    widget.refresh()
    assert {name: n for name, n, _ in widget.status["counts"]} == {"Success": 4, "Failed": 1}
    assert widget._snapshot.run is flow.last_run
    # one small object kept per run would be 8,000 x 48 bytes or more; a run is 10s of KB
    assert late - early < 256_000, f"grew {late - early} bytes over {RUNS - 2000} runs"
    # only the latest: the flow keeps its latest ten runs, 1,000 apart from each other here
    assert [ref() is not None for ref in old_runs] == [False] * 9 + [True]
    widget.close()
    assert not flow.events  # no subscriber left
    gone = weakref.ref(widget)
    del widget
    gc.collect()
    assert gone() is None


def test_hundreds_of_widgets_created_and_closed_are_all_released(tracing):
    from ipywidgets.widgets.widget import _instances

    flow = small_flow()
    flow.run()
    registered = len(_instances)
    early, refs = 0, []
    for i in range(1, WIDGETS + 1):
        widget = flowbook.show(flow)
        flow.run()
        widget.refresh()
        refs.append(weakref.ref(widget))
        widget.close()
        del widget
        if i == 100:
            early = traced()
    late = traced()
    # a closed widget kept alive is tens of KB (its traits, layout, SVG): 200 would be MBs
    assert late - early < 200_000, f"grew {late - early} bytes over {WIDGETS - 100} widgets"
    assert not any(ref() for ref in refs) and not flow.events
    assert len(_instances) == registered


BIG_FLOW = """
import json, resource
""" + TRIVIAL_TASKS_SOURCE + """
def status(field):
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(field + ":"))

try:  # reset the peak-RSS mark (Linux >= 4.0), so VmHWM is this flow's peak
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    peak = lambda: status("VmHWM")
except OSError:
    peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
before = status("VmRSS")
with Flow("big") as flow:
    last = one()
    for _ in range({n} - 1):
        last = inc(last)
state = flow.run()
print(json.dumps({{"state": type(state).__name__, "result": state.result[last].result,
                  "peak_kib": peak() - before}}))
"""


def test_a_100000_task_flow_runs_in_about_1_kb_per_task():
    out = subprocess.run([sys.executable, "-c", BIG_FLOW.format(n=TASKS)], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["state"] == "Success" and seen["result"] == TASKS - 1
    per_task = seen["peak_kib"] * 1024 / TASKS
    assert per_task < BYTES_PER_TASK, f"{per_task:.0f} bytes per task"
