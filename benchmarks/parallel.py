#!/usr/bin/env python
"""How well do flowbook's concurrent executors run tasks in parallel?

Three measurements, each against a baseline taken in the same run (A and B alternate, best
of ``--repeat``):

* **sleep**: 200 tasks that each sleep 50 ms, ``LocalDaskExecutor(num_workers=16)``; wall
  time over the ideal ``ceil(200 / 16) * 50 ms`` (goal <= 1.2x);
* **threads**: per-task overhead of ``LocalDaskExecutor`` over a bare Python loop calling the
  same functions, next to that of ``dask.threaded.get`` on the same 10,000-task graph (a
  chain and a wide one), same number of threads (goal: flowbook's is smaller);
* **cluster**: 1,000 independent trivial tasks with ``DaskExecutor`` on a 2-worker
  ``LocalCluster`` over the same functions submitted straight to a ``distributed.Client``
  and gathered (goal <= 1.1x); the same for a 1,000-task chain, where the Client baseline
  passes each link's future (not its gathered value) to the next ``submit`` (goal <= 1.2x).

Nothing here asserts: it prints figures with PASS/MISS. See benchmarks/README.md.

    python benchmarks/parallel.py                   # the default run (1-2 minutes)
    python benchmarks/parallel.py --repeat 5 --json benchmarks/out/parallel.json
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import sys
import time

GOAL_SLEEP_RATIO = 1.2  # wall time / ideal, 200 x 50 ms tasks on 16 threads
# DaskExecutor run / the same calls through a Client, per shape
GOAL_CLUSTER_RATIO = {"wide": 1.1, "chain": 1.2}


def one():
    return 1


def inc(x):
    return x + 1


def nap(seconds):
    time.sleep(seconds)
    return seconds


def best(measure, repeat: int) -> float:
    """The least of ``repeat`` timings of ``measure()`` (which returns seconds)."""
    times = []
    for _ in range(repeat):
        gc.collect()
        times.append(measure())
    return min(times)


def timed(fn, *args, **kwargs) -> float:
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


def run_flow(flow, executor, expect_tasks: int) -> None:
    state = flow.run(executor=executor)
    done = sum(1 for s in state.result.values() if s.is_successful())
    if not state.is_successful() or done != expect_tasks:
        raise RuntimeError(f"the benchmark flow ended {state!r} with {done} of "
                           f"{expect_tasks} tasks successful")


def build(shape: str, n: int, body=None, arg=None):
    from flowbook import Flow, task

    with Flow(shape) as flow:
        if shape == "chain":
            x = task(one)()
            for _ in range(n - 1):
                x = task(inc)(x)
        else:
            for _ in range(n):
                task(body or one)(*(() if arg is None else (arg,)))
    return flow


# -- sleep --------------------------------------------------------------------------------

def measure_sleep(tasks: int, seconds: float, threads: int, repeat: int) -> dict:
    from flowbook.executors import LocalDaskExecutor

    def once() -> float:
        flow = build("wide", tasks, nap, seconds)
        return timed(run_flow, flow, LocalDaskExecutor(num_workers=threads), tasks)

    wall = best(once, repeat)
    ideal = math.ceil(tasks / threads) * seconds
    return {"wall_s": wall, "ideal_s": ideal, "ratio": wall / ideal}


# -- threads vs dask.threaded.get ---------------------------------------------------------

def dask_graph(shape: str, n: int) -> dict:
    if shape == "chain":
        graph = {"t0": (one,)}
        graph.update({f"t{i}": (inc, f"t{i - 1}") for i in range(1, n)})
        return graph
    return {f"t{i}": (one,) for i in range(n)}


def bare(shape: str, n: int) -> None:
    if shape == "chain":
        x = one()
        for _ in range(n - 1):
            x = inc(x)
    else:
        for _ in range(n):
            one()


def measure_threads(shape: str, n: int, threads: int, repeat: int) -> dict:
    import dask.threaded

    from flowbook.executors import LocalDaskExecutor

    flowbook_s, dask_s = [], []
    for _ in range(repeat):  # alternate the two so both see the same machine
        flow, graph = build(shape, n), dask_graph(shape, n)
        gc.collect()
        flowbook_s.append(timed(run_flow, flow, LocalDaskExecutor(num_workers=threads), n))
        gc.collect()
        dask_s.append(timed(dask.threaded.get, graph, list(graph), num_workers=threads))
    loop_s = best(lambda: timed(bare, shape, n), repeat)
    f, d = min(flowbook_s), min(dask_s)
    return {"flowbook_s": f, "dask_s": d, "bare_s": loop_s,
            "flowbook_us": (f - loop_s) / n * 1e6, "dask_us": (d - loop_s) / n * 1e6}


# -- a LocalCluster -----------------------------------------------------------------------

def straight_to_client(address: str, shape: str, n: int) -> None:
    from distributed import Client

    with Client(address, set_as_default=False) as client:
        if shape == "chain":  # each link gets the previous link's Future: dask resolves it
            futures = [client.submit(one, pure=False)]
            for _ in range(n - 1):
                futures.append(client.submit(inc, futures[-1], pure=False))
        else:
            futures = [client.submit(one, pure=False) for _ in range(n)]
        client.gather(futures)


def measure_cluster(address: str, shape: str, n: int, repeat: int) -> dict:
    from flowbook.executors import DaskExecutor

    flowbook_s, client_s = [], []
    for _ in range(repeat):
        flow = build(shape, n)
        gc.collect()
        flowbook_s.append(timed(run_flow, flow, DaskExecutor(address=address), n))
        gc.collect()
        client_s.append(timed(straight_to_client, address, shape, n))
    f, c = min(flowbook_s), min(client_s)
    return {"flowbook_s": f, "client_s": c, "ratio": f / c}


# -- report -------------------------------------------------------------------------------

def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("PASS" if ok else "MISS")


def row(figures: list, name: str, value: str, goal: str, ok: bool | None, data: dict) -> None:
    figures.append({"figure": name, "value": value, "goal": goal, "result": verdict(ok),
                    **data})
    print(f"{name:<52} {value:>28}  {goal:<12} {verdict(ok)}", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="best of N (default 3)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="threads for flowbook and dask.threaded.get (default: CPUs)")
    parser.add_argument("--tasks", type=int, default=10_000,
                        help="tasks in the thread-overhead graphs (default 10,000)")
    parser.add_argument("--cluster-tasks", type=int, default=1_000,
                        help="tasks on the LocalCluster (default 1,000)")
    parser.add_argument("--json", metavar="PATH", help="also write every figure here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print(f"flowbook parallel benchmark: Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, best of {args.repeat}\n", flush=True)
    figures: list = []

    sleep = measure_sleep(200, 0.05, 16, args.repeat)
    row(figures, "sleep: 200 x 50 ms tasks, 16 threads, wall / ideal",
        f"{sleep['ratio']:.2f}x ({sleep['wall_s']:.3f} s)", f"<= {GOAL_SLEEP_RATIO}x",
        sleep["ratio"] <= GOAL_SLEEP_RATIO, sleep)

    for shape in ("chain", "wide"):
        t = measure_threads(shape, args.tasks, args.threads, args.repeat)
        row(figures, f"threads: {shape} {args.tasks:,}, per-task overhead, {args.threads} threads",
            f"{t['flowbook_us']:.1f} vs {t['dask_us']:.1f} us", "< dask's",
            t["flowbook_us"] < t["dask_us"], {"shape": shape, **t})

    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as cluster:
        for shape in ("wide", "chain"):
            goal = GOAL_CLUSTER_RATIO[shape]
            c = measure_cluster(cluster.scheduler_address, shape, args.cluster_tasks,
                                args.repeat)
            row(figures, f"cluster: {shape} {args.cluster_tasks:,}, 2 workers, "
                         "DaskExecutor / Client",
                f"{c['ratio']:.2f}x ({c['flowbook_s']:.2f} vs {c['client_s']:.2f} s)",
                f"<= {goal}x", c["ratio"] <= goal, {"shape": shape, **c})

    passes = sum(f["result"] == "PASS" for f in figures)
    misses = sum(f["result"] == "MISS" for f in figures)
    print(f"\n{passes} PASS, {misses} MISS; benchmark took "
          f"{time.perf_counter() - started:.0f} s")
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as out:
            json.dump(figures, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
