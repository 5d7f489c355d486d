"""Where a trivial task's run time goes: ``flow.run()`` of a chain and of a wide flow under
cProfile, the time of each step of the engine as a share of the run.

    .venv/bin/python benchmarks/profile_run.py [--tasks 10000] [--shapes chain,wide]

The profiler slows every Python call down by about the same amount, so the shares are what
to read; the µs per task beside them are the profiled run's, a few times the real ones.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats

def build(shape: str, n: int):
    from flowbook import Flow, task

    one, inc = task(lambda: 1, name="one"), task(lambda x: x + 1, name="inc")
    with Flow(shape) as flow:
        r = one()
        for _ in range(n - 1):
            r = inc(r) if shape == "chain" else one()
    return flow


def inclusive(stats: pstats.Stats, filename: str, name: str) -> float:
    return sum(v[3] for (f, _, fn), v in stats.stats.items()
               if f.endswith(filename) and fn == name)


def profile(shape: str, n: int) -> None:
    build(shape, 100).run()  # imports and first-run costs out of the way
    flow = build(shape, n)
    gc.collect()
    prof = cProfile.Profile()
    prof.enable()
    flow.run()
    prof.disable()
    stats = pstats.Stats(prof)
    total = inclusive(stats, "flow.py", "run")
    body = inclusive(stats, "task_run.py", "_call")
    states = inclusive(stats, "state.py", "by_engine")
    print(f"\n{shape}, {n:,} tasks: profiled flow.run() {total:.3f} s "
          f"({total / n * 1e6:.1f} us per task under the profiler)")
    print(f"  {'step':52} {'share':>6}")
    rows = [
        ("make the task run (upstream states, the TaskRun)",
         inclusive(stats, "upstream.py", "upstream_states")
         + inclusive(stats, "task_run.py", "__init__")
         + inclusive(stats, "flow_run.py", "task_run")),
        ("is it plain (task_run.is_plain)", inclusive(stats, "task_run.py", "is_plain")),
        ("may it start, the trigger (not plain tasks)",
         inclusive(stats, "upstream.py", "may_start")
         + inclusive(stats, "task_run.py", "_trigger")),
        ("make the states (Running, Success)", states),
        ("apply each state (history, handlers, event)",
         inclusive(stats, "flow_run.py", "apply")),
        ("call the body (context, capture; its Success made)", body),
        ("the function itself", inclusive(stats, "profile_run.py", "<lambda>")),
    ]
    for step, seconds in rows:
        print(f"  {step:52} {seconds / total:6.1%}")
    own = {name: sum(v[2] for (f, _, fn), v in stats.stats.items()
                     if f.endswith(filename) and (fn in fns or not fns))
           for name, filename, fns in [
               ("the task run's own steps (execute; run_task)", "task_run.py",
                ("run_task", "execute")),
               ("the loop's own lines (launch, run_plain, through)", "loop.py", ())]}
    for step, seconds in own.items():
        print(f"  {step:52} {seconds / total:6.1%}")
    once = sum(inclusive(stats, f, fn) for f, fn in [
        ("checks.py", "validate"), ("flow_state.py", "final_state"), ("context.py", "run_values"),
        ("flow.py", "parameters"), ("flow_run.py", "__init__")])
    print(f"  {'once per run (validate, plan, context, final state)':52} {once / total:6.1%}")
    print("  (steps overlap where one calls another: Success is made within the body's call)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--shapes", default="chain,wide")
    args = parser.parse_args()
    for shape in args.shapes.split(","):
        profile(shape, args.tasks)


if __name__ == "__main__":
    main()
