#!/usr/bin/env python
"""What does re-running only what changed save on a 1,000-task flow?

Builds flows of ``%%task`` cells (``notebook.authoring.define_task`` on a flow and a
namespace, which is what a ``%%task`` cell does), then, the four runs alternating so all see
the same machine, best of ``--repeat``:

* **full**: ``flow.run()`` (``%flow run --all``): every task runs;
* **edited**: one task near the middle redefined with other code (its cell edited and run
  again), then ``flow.run(reuse=True)`` (``%flow run``): only it and what is below it run;
* **unchanged**: ``flow.run(reuse=True)`` with nothing edited: every task is reused;
* **first**: ``flow.run(reuse=True)`` with nothing kept yet: every task runs and is kept.

Each time is set against the full run's; the tasks that ran (a Running state in their
history) and were reused (Cached, "Reused: ...") are counted and checked against the edited
task's downstream, and the edited run's results against a full run's. Then the same through
the magics in an IPython shell without a kernel (``%flow run`` against ``%flow run --all``;
its text table, not the widget). Nothing here asserts: it prints figures. See
benchmarks/README.md.

    python benchmarks/reuse.py                     # chain, branches, busy; 1,000 tasks
    python benchmarks/reuse.py --tasks 2000 --repeat 7 --shapes chain
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import os
import sys
import time

SHAPES = ("chain", "branches", "busy")
BRANCHES = 10  # parallel chains in the "branches" shape


def work(x):
    """About 0.5 ms of work (the "busy" shape's tasks call it from the notebook)."""
    end = time.perf_counter() + 0.0005
    while time.perf_counter() < end:
        pass
    return x + 1


def cells(shape: str, n: int) -> tuple:
    """The shape's cells as (name, source) in order, and the name of the one to edit.

    chain: t0 = 0, then t{i} = t{i-1} + 1; branches: ten such chains side by side;
    busy: a chain whose tasks call the notebook's ``work`` (0.5 ms each)."""
    if shape == "branches":
        size = n // BRANCHES
        found = [(f"b{j}_{i}", f"b{j}_{i - 1} + 1" if i else "0")
                 for j in range(BRANCHES) for i in range(size)]
        return found, f"b{BRANCHES // 2}_{size // 2}"
    step = "work(t{})" if shape == "busy" else "t{} + 1"
    found = [(f"t{i}", step.format(i - 1) if i else "0") for i in range(n)]
    return found, f"t{n // 2}"


def build(shape: str, n: int, flow=None, namespace=None):
    """A flow of the shape's cells (``flow`` given: add to it, as the notebook's flows)."""
    from flowbook import Flow
    from flowbook.notebook.authoring import define_task

    flow = flow if flow is not None else Flow(f"reuse-{shape}-{n}")
    namespace = namespace if namespace is not None else {}
    namespace["work"] = work
    found, edited = cells(shape, n)
    for name, source in found:
        define_task(flow, name, source, namespace)
    return flow, namespace, dict(found), edited


def below(flow, task) -> set:
    """``task`` and every task downstream of it."""
    found, todo = {task}, [task]
    while todo:
        for edge in flow.edges_from(todo.pop()):
            if edge.downstream_task not in found:
                found.add(edge.downstream_task)
                todo.append(edge.downstream_task)
    return found


def tally(flow) -> tuple:
    """(tasks that ran, tasks reused) in the flow's latest run."""
    run = flow.last_run
    ran = reused = 0
    for task in run.states:
        history = run.task_history(task)
        ran += any(st.is_running() for st in history)
        last = history[-1]
        reused += last.is_cached() and str(last.message or "").startswith("Reused: ")
    return ran, reused


def timed(action) -> float:
    gc.collect()
    start = time.perf_counter()
    state = action()
    elapsed = time.perf_counter() - start
    if state is not None and not state.is_successful():
        raise SystemExit(f"the benchmark flow did not succeed: {state!r}")
    return elapsed


class Editor:
    """Edits one cell, alternating between two versions of its code, each unlike the
    version its kept result came from (so the cell and its downstream run again)."""

    def __init__(self, source: str):
        self.versions, self.count = (f"{source} + 1", source), 0

    def next(self) -> str:
        self.count += 1
        return self.versions[self.count % 2 == 0]


def measure(shape: str, n: int, repeat: int) -> dict:
    from flowbook.engine import reuse
    from flowbook.notebook.authoring import define_task

    flow, namespace, sources, edited = build(shape, n)
    editor, times = Editor(sources[edited]), {k: [] for k in ("full", "edited", "unchanged",
                                                              "first")}
    counts: dict = {}
    for _ in range(repeat):
        reuse.forget(flow.name)
        times["first"].append(timed(lambda: flow.run(reuse=True)))
        counts["first"] = tally(flow)
        times["full"].append(timed(flow.run))
        define_task(flow, edited, editor.next(), namespace)
        times["edited"].append(timed(lambda: flow.run(reuse=True)))
        counts["edited"], edited_results = tally(flow), _results(flow)
        times["unchanged"].append(timed(lambda: flow.run(reuse=True)))
        counts["unchanged"] = tally(flow)
    flow.run()
    return {"times": times, "counts": counts, "tasks": len(flow.tasks),
            "expected": len(below(flow, namespace[edited])), "edited": edited,
            "agrees": _results(flow) == edited_results}


def _results(flow) -> dict:
    return {task.name: st.result for task, st in flow.last_run.states.items()}


def report(shape: str, m: dict) -> None:
    best = {k: min(v) for k, v in m["times"].items()}
    (ran, reused), expected = m["counts"]["edited"], m["expected"]
    print(f"\n{shape}, {m['tasks']:,} tasks, {m['edited']} edited (best of "
          f"{len(m['times']['full'])}):")
    print(f"  full run (%flow run --all)     {best['full'] * 1e3:8.1f} ms   1.00x   "
          f"ran {m['tasks']:,}")
    for key, words in (("edited", "edited, reusing (%flow run)"),
                       ("unchanged", "nothing edited, reusing"),
                       ("first", "first reusing run (keeps all)")):
        r, u = m["counts"][key]
        print(f"  {words:<30} {best[key] * 1e3:8.1f} ms  {best[key] / best['full']:5.2f}x   "
              f"ran {r:,}, reused {u:,}")
    ok = ran == expected and reused == m["tasks"] - expected and m["agrees"]
    print(f"  the edited run ran {ran:,} tasks, the edited one and its downstream: "
          f"{expected:,}; its results "
          f"{'equal' if m['agrees'] else 'DIFFER FROM'} a full run's  {'OK' if ok else 'WRONG'}")


def measure_magic(n: int, repeat: int) -> dict:
    """``%flow run`` after an edited ``%%task`` cell against ``%flow run --all``, in an
    IPython shell (no kernel: the magic prints its text table, captured here)."""
    from IPython.core.interactiveshell import InteractiveShell

    from flowbook.notebook import registry

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "flowbook")
    name = f"reuse-magic-{n}"
    flow, _, sources, edited = build("chain", n, registry.notebook_flow(name), shell.user_ns)
    editor, full, edited_runs = Editor(sources[edited]), [], []
    with contextlib.redirect_stdout(io.StringIO()):
        shell.run_line_magic("flow", f"run {name}")  # the first run keeps every result
        for _ in range(repeat):
            full.append(timed(lambda: shell.run_line_magic("flow", f"run {name} --all")))
            shell.run_cell(f"%%task {edited} --flow {name}\n{editor.next()}")
            edited_runs.append(timed(lambda: shell.run_line_magic("flow", f"run {name}")))
    return {"full": min(full), "edited": min(edited_runs), "counts": tally(flow),
            "expected": len(below(flow, shell.user_ns[edited])), "tasks": len(flow.tasks)}


def report_magic(m: dict) -> None:
    ran, reused = m["counts"]
    print(f"\nmagics, chain of {m['tasks']:,} %%task cells, the middle one edited:")
    print(f"  %flow run --all                {m['full'] * 1e3:8.1f} ms   1.00x")
    print(f"  %flow run                      {m['edited'] * 1e3:8.1f} ms  "
          f"{m['edited'] / m['full']:5.2f}x   ran {ran:,} (expected {m['expected']:,}), "
          f"reused {reused:,}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=1_000, help="tasks per flow (1,000)")
    parser.add_argument("--repeat", type=int, default=5, help="best of N (default 5)")
    parser.add_argument("--shapes", default=",".join(SHAPES),
                        help=f"comma-separated, of {', '.join(SHAPES)}")
    parser.add_argument("--no-magic", action="store_true", help="skip the magics' figures")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"flowbook reuse benchmark: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"load average {load}", flush=True)
    for shape in args.shapes.split(","):
        report(shape, measure(shape, args.tasks, args.repeat))
    if not args.no_magic:
        report_magic(measure_magic(args.tasks, args.repeat))
    print(f"\n({time.perf_counter() - started:.0f} s, building the flows included: a "
          f"%%task cell costs more as its flow grows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
