#!/usr/bin/env python
"""How much does the live widget slow a run down?

Runs the same 1,000-task flow with and without a FlowWidget attached, alternating the two so
both see the same machine, and prints the ratio of their best times (goal: at most 1.10x).
Then the time from ``%flow run`` to the first drawing (the widget made and laid out by dot,
its first state ready to send), for 100 and 1,000 tasks, with dot's layout cache cold.
The widget is made before the timed run (its one dot layout is reported on its own line);
its redraws happen on a timer thread, throttled, and the time until the widget shows the end
of the run is reported too. Nothing here asserts: it prints figures. See benchmarks/README.md.

    python benchmarks/widget.py                    # chain, wide and busy flows, 1,000 tasks
    python benchmarks/widget.py --kernel           # the same inside an ipykernel
    python benchmarks/widget.py --tasks 2000 --repeat 9 --shapes chain
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time

GOAL = 1.10  # run time with the widget / without
FIRST_DRAWING_SIZES = (100, 1000)  # tasks


def one():
    return 1


def inc(x):
    return x + 1


def busy(x):
    """About 0.5 ms of work, so a run lasts long enough for redraws to happen during it."""
    end = time.perf_counter() + 0.0005
    while time.perf_counter() < end:
        pass
    return x + 1


def build(shape: str, n: int):
    """A fresh flow: chain (one() then inc(previous)), wide (n x one()), busy (a chain of
    busy tasks)."""
    from flowbook import Flow, task

    first, step = task(one), task(busy if shape == "busy" else inc)
    with Flow(f"{shape}-{n}") as flow:
        last = first()
        for _ in range(n - 1):
            last = first() if shape == "wide" else step(last)
    return flow


def timed_run(flow) -> float:
    gc.collect()
    start = time.perf_counter()
    state = flow.run()
    elapsed = time.perf_counter() - start
    if not state.is_successful():
        raise SystemExit(f"the benchmark flow did not succeed: {state!r}")
    return elapsed


def until_drawn(widget, n: int, timeout: float = 30.0) -> float:
    """Seconds until the widget's throttled redraws show every task successful."""
    start = time.perf_counter()
    while dict((name, count) for name, count, _ in widget.status["counts"]).get("Success") != n:
        if time.perf_counter() - start > timeout:
            return float("nan")
        time.sleep(0.002)
    return time.perf_counter() - start


def measure(shape: str, n: int, repeat: int) -> dict:
    from flowbook.widget.flow_widget import FlowWidget

    without, with_widget, made, drawn, redraw = [], [], [], [], []
    for _ in range(repeat):
        without.append(timed_run(build(shape, n)))
        flow = build(shape, n)
        start = time.perf_counter()
        widget = FlowWidget(flow)
        made.append(time.perf_counter() - start)
        with_widget.append(timed_run(flow))
        drawn.append(until_drawn(widget, n))
        start = time.perf_counter()
        widget.refresh()
        redraw.append(time.perf_counter() - start)
        widget.close()
    return {"without": without, "with": with_widget, "made": made, "drawn": drawn,
            "redraw": redraw}


def report(shape: str, n: int, m: dict) -> bool:
    best_without, best_with = min(m["without"]), min(m["with"])
    ratio = best_with / best_without
    median_ratio = statistics.median(m["with"]) / statistics.median(m["without"])
    ok = ratio <= GOAL
    print(f"\n{shape}, {n:,} tasks (best of {len(m['without'])}):")
    print(f"  flow.run() without widget  {best_without * 1e3:8.1f} ms")
    print(f"  flow.run() with widget     {best_with * 1e3:8.1f} ms")
    print(f"  ratio with / without       {ratio:8.2f}x   (median {median_ratio:.2f}x; "
          f"goal <= {GOAL:.2f}x) {'PASS' if ok else 'MISS'}")
    print(f"  (making the widget, laid out once by dot: {min(m['made']) * 1e3:.0f} ms; "
          f"one redraw: {min(m['redraw']) * 1e3:.1f} ms; the widget showed the end "
          f"{statistics.median(m['drawn']) * 1e3:.0f} ms after run() returned)")
    return ok


def first_drawing(n: int, repeat: int) -> list:
    """Seconds from ``%flow run`` to the first drawing: what the magic does before the run
    starts (a FlowWidget of the next run, laid out by dot, and its display bundle)."""
    from flowbook.widget import drawing
    from flowbook.widget.flow_widget import NEXT, FlowWidget

    times = []
    for _ in range(repeat):
        flow = build("chain", n)
        drawing._laid_out.cache_clear()  # a flow drawn for the first time
        gc.collect()
        start = time.perf_counter()
        widget = FlowWidget(flow, run=NEXT)
        widget._repr_mimebundle_()
        times.append(time.perf_counter() - start)
        widget.close()
    return times


def in_kernel(argv: list) -> int:
    """Run this script inside a fresh ipykernel, so that every redraw is also serialized and
    sent on the kernel's iopub channel (to this process, which reads it), as in a notebook."""
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3")
    try:
        code = f"%run {__file__!r} " + " ".join(repr(a) for a in argv)
        msg_id = client.execute(code)
        status = 0
        while True:
            msg = client.get_iopub_msg(timeout=600)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                print(content["text"], end="", flush=True)
            elif kind == "error":
                print("\n".join(content["traceback"]), file=sys.stderr)
                status = 1
            elif kind == "status" and content["execution_state"] == "idle":
                return status
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--kernel" in argv:
        return in_kernel([a for a in argv if a != "--kernel"])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=1000, help="tasks per flow (default 1000)")
    parser.add_argument("--repeat", type=int, default=7, help="runs of each kind (default 7)")
    parser.add_argument("--shapes", default="chain,wide,busy",
                        help="chain, wide and/or busy (default all three)")
    parser.add_argument("--kernel", action="store_true",
                        help="measure inside an ipykernel (widget updates really sent)")
    args = parser.parse_args(argv)
    shapes = [s for s in args.shapes.split(",") if s]
    for shape in shapes:
        if shape not in ("chain", "wide", "busy"):
            parser.error(f"unknown shape {shape!r}: choose chain, wide or busy")
    where = "inside an ipykernel" if "ipykernel" in sys.modules else "outside a kernel"
    print("flowbook live widget overhead: the same flow run with and without a FlowWidget")
    print(f"  python {sys.version.split()[0]}, {where}; runs alternate; time.perf_counter, "
          "gc.collect() before each run")
    results = [report(shape, args.tasks, measure(shape, args.tasks, args.repeat))
               for shape in shapes]
    print("\nfrom %flow run to the first drawing (dot's layout not cached; median, best):")
    for n in FIRST_DRAWING_SIZES:
        times = first_drawing(n, max(3, args.repeat // 2))
        print(f"  {n:>6,} tasks  {statistics.median(times) * 1e3:8.0f} ms  "
              f"{min(times) * 1e3:8.0f} ms")
    print(f"\n{sum(results)} PASS, {len(results) - sum(results)} MISS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
