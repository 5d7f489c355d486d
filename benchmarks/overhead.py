#!/usr/bin/env python
"""How much does flowbook cost per task?

Builds and runs chains (each task takes the previous task's result) and wide
flows (n independent root tasks) of trivial tasks with flowbook's functional
API, and sets the times against baselines measured in the same run:

* a bare Python loop calling the same functions,
* ``dask.get`` (dask's synchronous scheduler) on the same graph as a task dict,
* Hamilton (``sf-hamilton``, optional): ``driver.execute`` on the same graph as a module of
  generated functions, in a subprocess (its execution recurses once per chain link),
* Prefect 1.4.1 (in its own virtual environment, 1,000 tasks only),

then prints every figure with its goal and PASS/MISS. flowbook, dask and Hamilton run in
rounds: each round runs each of them once on the graph, and each keeps its best round, so
that all three meet the same slow and fast moments of a shared machine (its speed drifts by
tens of percent from one second to the next). Nothing here asserts: this is a script that
prints figures.  See benchmarks/README.md.

    python benchmarks/overhead.py                      # the default run
    python benchmarks/overhead.py --sizes 1000,10000 --repeat 5 --json out.json
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import platform
import select
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PREFECT_ENV_MODULE = ROOT / "tests" / "reference" / "prefect_env.py"
DEFAULT_PREFECT_PYTHON = Path("/root/.cache/flowbook/prefect-1.4.1/bin/python")

SHAPES = ("chain", "wide")
DEFAULT_SIZES = (1_000, 10_000, 100_000)

# Goals ------------------------------------------------------------------------
GOAL_TOTAL_100K_S = 3.0  # build + run of a 100,000-task flow
GOAL_OVERHEAD_US = 10.0  # per-task overhead over a bare Python loop
GOAL_DASK_RATIO = 2.0  # dask.get time / flowbook run time
GOAL_HAMILTON_RATIO = 1.0  # flowbook run time / Hamilton's driver.execute time
GOAL_GROWTH_RUN = 1.3  # per-task run time at the largest size / at the smallest (1 = linear)
GOAL_GROWTH_BUILD = 1.5  # the same for the build
GOAL_MEMORY_B = 1024  # bytes per task, build + run (1 KB)

# Hamilton's execution recurses once per chain link (a depth-first walk from the requested
# node), so its child process raises the recursion limit and runs in a thread with this stack.
HAMILTON_STACK_BYTES = 512 * 1024 * 1024


# The trivial tasks ------------------------------------------------------------
def one():
    return 1


def inc(x):
    return x + 1


# Helpers ----------------------------------------------------------------------
def now() -> float:
    return time.perf_counter()


def fresh() -> None:
    """Collect garbage left by the previous measurement before timing the next."""
    gc.collect()
    gc.collect()


def import_engine():
    import flowbook

    return flowbook


def engine_version(engine) -> str:
    version = getattr(engine, "__version__", None)
    if version:
        return str(version)
    try:
        from importlib.metadata import version as dist_version

        return dist_version(engine.__name__)
    except Exception:
        return "?"


# flowbook ---------------------------------------------------------------------
def build_flow(engine, shape: str, n: int):
    """Build a fresh flow with the functional API; returns (flow, last task, build s)."""
    Flow, task = engine.Flow, engine.task
    t_one, t_inc = task(one), task(inc)
    fresh()
    start = now()
    with Flow(f"{shape}-{n}") as flow:
        if shape == "chain":
            r = t_one()
            for _ in range(n - 1):
                r = t_inc(r)
        else:
            for _ in range(n):
                r = t_one()
    elapsed = now() - start
    return flow, r, elapsed


def check_state(state, last, shape: str, n: int) -> str | None:
    """Return a problem description if the run did not do what it should, else None."""
    ok = getattr(state, "is_successful", None)
    if ok is not None and not ok():
        return f"flow state is {type(state).__name__}, not successful"
    try:
        results = state.result
        if len(results) != n:
            return f"state.result has {len(results)} task states, expected {n}"
        value = results[last].result
    except Exception as exc:  # pragma: no cover - depends on the engine's progress
        return f"could not read results: {exc!r}"
    expected = n if shape == "chain" else 1
    if value != expected:
        return f"last task returned {value!r}, expected {expected!r}"
    return None


def measure_flowbook(engine, shape: str, n: int, repeat: int) -> dict:
    builds, runs, totals = [], [], []
    problem = None
    for _ in range(repeat):
        flow, last, build_s = build_flow(engine, shape, n)
        fresh()
        start = now()
        state = flow.run()
        run_s = now() - start
        builds.append(build_s)
        runs.append(run_s)
        totals.append(build_s + run_s)
        problem = problem or check_state(state, last, shape, n)
        del flow, last, state
        fresh()
    return {
        "build_s": min(builds),
        "run_s": min(runs),
        "total_s": min(totals),
        "all_build_s": builds,
        "all_run_s": runs,
        "problem": problem,
    }


# bare Python loop ---------------------------------------------------------------
def bare_chain(n: int):
    x = one()
    for _ in range(n - 1):
        x = inc(x)
    return x


def bare_wide(n: int):
    return [one() for _ in range(n)]


def measure_bare(shape: str, n: int, repeat: int) -> float:
    fn = bare_chain if shape == "chain" else bare_wide
    best = float("inf")
    for _ in range(max(repeat, 5)):  # cheap: always take at least best of 5
        fresh()
        start = now()
        fn(n)
        best = min(best, now() - start)
    return best


# dask ---------------------------------------------------------------------------
def dask_graph(shape: str, n: int) -> dict:
    if shape == "chain":
        dsk = {"t0": (one,)}
        for i in range(1, n):
            dsk[f"t{i}"] = (inc, f"t{i - 1}")
    else:
        dsk = {f"t{i}": (one,) for i in range(n)}
    return dsk


def measure_dask(shape: str, n: int, repeat: int) -> dict:
    try:
        import dask
    except ImportError as exc:
        return {"error": f"dask is not installed ({exc}); pip install -e '.[bench]'"}
    get = getattr(dask, "get", None)
    if get is None:
        from dask.local import get_sync as get
    best = float("inf")
    for _ in range(repeat):
        dsk = dask_graph(shape, n)
        keys = list(dsk)  # every result, as flow.run() returns every task's state
        fresh()
        start = now()
        out = get(dsk, keys)
        best = min(best, now() - start)
        del dsk, keys, out
    return {"run_s": best, "version": dask.__version__}


# Hamilton (subprocess) ------------------------------------------------------------
HAMILTON_PROBE = (
    "import importlib.metadata as m\n"
    "from hamilton import driver\n"
    "print(m.version('sf-hamilton'))\n"
)


def hamilton_source(shape: str, n: int) -> list[str]:
    """The same graph as flowbook's, as Python source of one function per node."""
    if shape == "chain":
        return ["def t0() -> int:\n    return 1\n"] + [
            f"def t{i}(t{i - 1}: int) -> int:\n    return t{i - 1} + 1\n" for i in range(1, n)]
    return [f"def t{i}() -> int:\n    return 1\n" for i in range(n)]


def hamilton_child(shape: str, n: int) -> None:
    """Runs in a fresh interpreter: build Hamilton's driver and print its JSON line, then time
    one ``dr.execute`` for each ``run`` line read from stdin, printing a JSON line each."""

    def say(out: dict) -> None:
        print(json.dumps(out), flush=True)

    def work() -> None:
        try:
            import importlib.metadata
            import types

            from hamilton import driver

            out = {"shape": shape, "n": n, "version": importlib.metadata.version("sf-hamilton"),
                   "recursionlimit": sys.getrecursionlimit(), "stack_bytes": HAMILTON_STACK_BYTES}
            start = now()
            name = f"_flowbook_bench_hamilton_{shape}_{n}"
            module = types.ModuleType(name)
            functions = hamilton_source(shape, n)
            for i in range(0, n, 1000):  # compiling 100,000 functions at once takes twice as long
                exec(compile("\n".join(functions[i:i + 1000]), name, "exec"), module.__dict__)
            sys.modules[name] = module
            out["module_s"] = now() - start  # generating the functions: not Hamilton's cost
            fresh()
            start = now()
            dr = driver.Builder().with_modules(module).build()
            out["build_s"] = now() - start
        except BaseException as exc:  # report, never crash
            say({"error": f"Hamilton failed: {type(exc).__name__}: {str(exc)[:200]}"})
            return
        say(out)
        final_vars = [f"t{n - 1}"] if shape == "chain" else [f"t{i}" for i in range(n)]
        for line in sys.stdin:
            if line.strip() != "run":
                return
            try:
                fresh()
                start = now()
                result = dr.execute(final_vars)
                took = {"run_s": now() - start}
            except BaseException as exc:  # RecursionError, MemoryError, ...
                say({"error": f"Hamilton failed: {type(exc).__name__}: {str(exc)[:200]}"})
                return
            if shape == "chain":
                ok = result == {f"t{n - 1}": n}
            else:
                ok = len(result) == n and all(v == 1 for v in result.values())
            if not ok:
                took["problem"] = (f"unexpected result ({type(result).__name__}, "
                                   f"{len(result)} keys)")
            del result
            say(took)

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * n + 10_000))
    threading.stack_size(HAMILTON_STACK_BYTES)
    worker = threading.Thread(target=work, name="hamilton")
    worker.start()
    worker.join()


def hamilton_probe(timeout: float = 300) -> tuple[str | None, str]:
    """(sf-hamilton's version, "") if ``from hamilton import driver`` works, else (None, why)."""
    try:
        proc = subprocess.run([sys.executable, "-c", HAMILTON_PROBE], capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"importing hamilton took longer than {timeout:.0f} s"
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:]
        return None, ("not installed (pip install -e '.[bench]'): " + " | ".join(tail))
    return proc.stdout.strip().splitlines()[-1], ""


class HamiltonChild:
    """Hamilton's driver over one graph in a subprocess kept for the rounds of one size (see
    ``measure_rounds``): built once, then asked to time one ``dr.execute`` at a time. ``info``
    is its build's JSON (version, module_s, build_s), or {"error": why}."""

    def __init__(self, shape: str, n: int, timeout: float):
        self.timeout = timeout  # seconds to wait for any one answer
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--_hamilton-child", shape, str(n)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.info = self._answer()

    def run_once(self) -> dict:
        """One timed ``dr.execute``: {"run_s": seconds} (with "problem" if the result was
        wrong), or {"error": why}."""
        if "error" in self.info:
            return self.info
        try:
            self.proc.stdin.write("run\n")
            self.proc.stdin.flush()
        except OSError as exc:
            return {"error": f"Hamilton's subprocess is gone ({exc!r})"}
        return self._answer()

    def _answer(self) -> dict:
        ready, _, _ = select.select([self.proc.stdout], [], [], self.timeout)
        line = self.proc.stdout.readline() if ready else ""
        if line:
            try:
                return json.loads(line)
            except ValueError as exc:
                return {"error": f"could not parse Hamilton's output ({exc!r}): {line[-200:]!r}"}
        if not ready:
            self.close()
            return {"error": f"skipped: Hamilton's subprocess took longer than "
                             f"{self.timeout:.0f} s"}
        code = self.proc.wait(timeout=self.timeout)
        if code < 0:
            try:
                how = f"killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"killed by signal {-code}"
        else:
            how = f"exited {code}"
        tail = self.proc.stderr.read().strip().splitlines()[-2:]
        return {"error": f"skipped: Hamilton's subprocess {how}"
                         + (": " + " | ".join(tail) if tail else "")}

    def close(self) -> None:
        """End the subprocess (it stops at the end of its input), killed if it will not."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            stream.close()


def measure_rounds(engine, shape: str, n: int, repeat: int, hamilton: HamiltonChild | None
                   ) -> dict:
    """flowbook, dask.get and Hamilton on the same graph, one run of each per round, for
    ``repeat`` rounds: each takes its best, and all three had the same moments of the
    machine to choose from (a shared machine's speed drifts by tens of percent over
    seconds, so measuring one after the other skewed the ratios)."""
    rounds = [(measure_flowbook(engine, shape, n, 1), measure_dask(shape, n, 1),
               hamilton.run_once() if hamilton is not None else None)
              for _ in range(repeat)]
    flowbook = [fb for fb, _, _ in rounds]
    entry = {"all_build_s": [fb["build_s"] for fb in flowbook],
             "all_run_s": [fb["run_s"] for fb in flowbook],
             "problem": next((fb["problem"] for fb in flowbook if fb["problem"]), None)}
    entry.update(build_s=min(entry["all_build_s"]), run_s=min(entry["all_run_s"]),
                 total_s=min(fb["total_s"] for fb in flowbook))
    dask_runs = [d for _, d, _ in rounds]
    entry["dask"] = next((d for d in dask_runs if "error" in d), None) or {
        "run_s": min(d["run_s"] for d in dask_runs), "version": dask_runs[0]["version"]}
    if hamilton is not None:
        entry["hamilton"] = hamilton_rounds(hamilton.info, [h for _, _, h in rounds])
    return entry


def hamilton_rounds(info: dict, runs: list) -> dict:
    """Hamilton's entry from its build's ``info`` and its rounds' answers: the first error,
    else its best run, every run, and the first wrong result, if any."""
    failed = next((h for h in runs if "run_s" not in h), None)
    if failed is not None:
        return failed
    entry = {**info, "run_s": min(h["run_s"] for h in runs),
             "all_run_s": [h["run_s"] for h in runs]}
    problem = next((h["problem"] for h in runs if "problem" in h), None)
    if problem is not None:
        entry["problem"] = problem
    return entry


def hamilton_estimate(previous: dict | None, n: int, repeat: int, most: float) -> dict | None:
    """None when Hamilton is to be measured at ``n`` tasks, else {"error": why not}: its
    whole subprocess (functions, driver, runs) estimated from the ``previous`` size's would
    take more than ``most`` seconds."""
    if previous is None:
        return None
    estimate = (previous["module_s"] + previous["build_s"] + previous["run_s"] * repeat
                ) / previous["n"] * n
    if estimate <= most:
        return None
    return {"error": f"skipped: estimated {estimate:.0f} s from the {previous['n']:,}-task run "
                     f"> --max-seconds {most:.0f}"}


# Prefect 1.4.1 (separate virtual environment) ------------------------------------
PREFECT_SCRIPT = textwrap.dedent(
    """
    import gc, json, sys, time
    import prefect
    from prefect import Flow, task

    def one():
        return 1

    def inc(x):
        return x + 1

    n, repeat, shapes = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].split(",")
    t_one, t_inc = task(one), task(inc)
    out = {"version": prefect.__version__, "python": sys.version.split()[0]}
    for shape in shapes:
        runs, ok = [], True
        for _ in range(repeat):
            with Flow(shape + "-" + str(n)) as flow:
                if shape == "chain":
                    r = t_one()
                    for _ in range(n - 1):
                        r = t_inc(r)
                else:
                    for _ in range(n):
                        r = t_one()
            gc.collect()
            start = time.perf_counter()
            state = flow.run()
            runs.append(time.perf_counter() - start)
            ok = ok and state.is_successful() and len(state.result) == n
            del flow, state, r
            gc.collect()
        out[shape] = {"run_s": min(runs), "all_run_s": runs, "ok": ok}
    print(json.dumps(out))
    """
)


def find_prefect_python() -> tuple[Path | None, str]:
    """Locate the Prefect 1.4.1 interpreter: tests/reference/prefect_env.py, else the default
    path."""
    notes = []
    if PREFECT_ENV_MODULE.exists():
        try:
            spec = importlib.util.spec_from_file_location("_flowbook_prefect_env",
                                                          PREFECT_ENV_MODULE)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            python = Path(module.ensure_prefect_python())
            if python.exists():
                return python, f"from {PREFECT_ENV_MODULE.relative_to(ROOT)}"
            notes.append(f"ensure_prefect_python() returned {python}, which does not exist")
        except Exception as exc:
            notes.append(f"{PREFECT_ENV_MODULE.relative_to(ROOT)} failed: {exc!r}")
    else:
        notes.append(f"{PREFECT_ENV_MODULE.relative_to(ROOT)} not found")
    if DEFAULT_PREFECT_PYTHON.exists():
        return DEFAULT_PREFECT_PYTHON, "default path (" + "; ".join(notes) + ")"
    notes.append(f"{DEFAULT_PREFECT_PYTHON} does not exist")
    return None, "; ".join(notes)


def measure_prefect(n: int, repeat: int, shapes, timeout: float) -> dict:
    python, how = find_prefect_python()
    if python is None:
        return {"error": f"Prefect 1.4.1 environment unavailable: {how}"}
    env = dict(os.environ, PREFECT__LOGGING__LEVEL="ERROR")
    cmd = [str(python), "-c", PREFECT_SCRIPT, str(n), str(repeat), ",".join(shapes)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"Prefect run took longer than {timeout:.0f} s", "python": str(python)}
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"error": f"Prefect script exited {proc.returncode}: " + " | ".join(tail)}
    try:
        data = json.loads(proc.stdout.strip().splitlines()[-1])
    except Exception as exc:
        return {"error": f"could not parse Prefect output ({exc!r}): {proc.stdout[-200:]!r}"}
    data["python_path"] = str(python)
    data["found"] = how
    return data


# Memory (fresh subprocess) -----------------------------------------------------
def _proc_status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def memory_child(shape: str, n: int, method: str) -> None:
    """Runs in a fresh interpreter: build + run one flow, print memory figures as JSON."""
    engine = import_engine()
    t_one, t_inc = engine.task(one), engine.task(inc)  # noqa: F841 (warm the decorator)
    out = {"shape": shape, "n": n, "method": method}
    fresh()
    if method == "tracemalloc":
        import tracemalloc

        tracemalloc.start()
        flow, last, _ = build_flow(engine, shape, n)
        state = flow.run()
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out.update(peak_bytes=peak, retained_bytes=current)
    else:
        # Reset the peak-RSS mark (Linux >= 4.0), so VmHWM afterwards is this flow's peak.
        reset = False
        try:
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")
            reset = True
        except OSError:
            pass
        before = _proc_status_kib("VmRSS")
        if before is None or not reset:
            import resource

            before_kib = before
            flow, last, _ = build_flow(engine, shape, n)
            state = flow.run()
            peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            after = _proc_status_kib("VmRSS")
            out["note"] = "peak from ru_maxrss (peak RSS mark could not be reset)"
        else:
            before_kib = before
            flow, last, _ = build_flow(engine, shape, n)
            state = flow.run()
            peak_kib = _proc_status_kib("VmHWM")
            after = _proc_status_kib("VmRSS")
        known = before_kib is not None
        out.update(
            peak_bytes=(peak_kib - before_kib) * 1024 if known else None,
            retained_bytes=(after - before_kib) * 1024 if known and after is not None else None,
        )
    out["problem"] = check_state(state, last, shape, n)
    print(json.dumps(out))


def measure_memory(shape: str, n: int, method: str, timeout: float) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_memory-child", shape, str(n), method]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"memory run took longer than {timeout:.0f} s"}
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"error": f"memory subprocess exited {proc.returncode}: " + " | ".join(tail)}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# Reporting ----------------------------------------------------------------------
def fmt_s(x: float | None) -> str:
    if x is None:
        return "-"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 1:
        return f"{x:.3f}"
    if x >= 0.001:
        return f"{x:.4f}"
    return f"{x:.2e}"


def fmt_ratio(x: float | None) -> str:
    if x is None:
        return "-"
    if x >= 100:
        return f"{x:,.0f}x"
    if x >= 0.1:
        return f"{x:.2f}x"
    return f"{x:.2g}x"


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("PASS" if ok else "MISS")


def parse_sizes(text: str) -> list[int]:
    sizes = sorted({int(s.replace("_", "")) for s in text.replace(" ", "").split(",") if s})
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive integers, e.g. 1000,10000,100000")
    return sizes


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=lambda s: parse_sizes(s), default=list(DEFAULT_SIZES),
                        help="comma-separated task counts (default 1000,10000,100000)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="rounds (best of N) for every size "
                             "(default: 5 below 100,000 tasks, 2 from 100,000)")
    parser.add_argument("--shapes", default=",".join(SHAPES), help="chain,wide (default both)")
    parser.add_argument("--json", metavar="PATH", help="also write every number to this JSON file")
    parser.add_argument("--no-prefect", action="store_true",
                        help="skip the Prefect 1.4.1 comparison")
    parser.add_argument("--no-hamilton", action="store_true", help="skip the Hamilton comparison")
    parser.add_argument("--prefect-size", type=int, default=1000,
                        help="tasks for the Prefect comparison (default 1000)")
    parser.add_argument("--prefect-repeat", type=int, default=1,
                        help="best of N for Prefect "
                             "(default 1: it takes ~5-10 s per 1,000-task run)")
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the memory-per-task measurement")
    parser.add_argument("--memory-size", type=int, default=100_000,
                        help="tasks for the memory measurement")
    parser.add_argument("--memory-method", choices=("rss", "tracemalloc", "both"), default="rss",
                        help="rss: peak RSS delta in a fresh subprocess (default); "
                             "tracemalloc: traced peak")
    parser.add_argument("--max-seconds", type=float, default=120.0,
                        help="skip a size whose estimated time (from the smaller sizes) "
                             "exceeds this")
    parser.add_argument("--_memory-child", nargs=3, metavar=("SHAPE", "N", "METHOD"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--_hamilton-child", nargs=2, metavar=("SHAPE", "N"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args._memory_child:
        shape, n, method = args._memory_child
        memory_child(shape, int(n), method)
        return 0
    if args._hamilton_child:
        shape, n = args._hamilton_child
        hamilton_child(shape, int(n))
        return 0

    shapes = [s for s in args.shapes.split(",") if s]
    for s in shapes:
        if s not in SHAPES:
            parser.error(f"unknown shape {s!r}; choose from {SHAPES}")
    sizes = args.sizes

    def repeat_for(n: int) -> int:
        if args.repeat is not None:
            return max(1, args.repeat)
        return 5 if n < 100_000 else 2

    started = now()
    try:
        engine = import_engine()
    except Exception as exc:
        print(f"flowbook does not import: {exc!r}", file=sys.stderr)
        return 1

    try:
        import dask

        dask_version = dask.__version__
    except ImportError:
        dask_version = "not installed"

    if args.no_hamilton:
        hamilton_version, hamilton_skip = None, "skipped (--no-hamilton)"
    else:
        hamilton_version, hamilton_skip = hamilton_probe()
        hamilton_skip = hamilton_skip and "unavailable: " + hamilton_skip

    print("flowbook per-task overhead benchmark")
    print(f"  python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores; "
          f"flowbook {engine_version(engine)}; dask {dask_version}; "
          f"sf-hamilton {hamilton_version or 'not measured'}")
    print(f"  sizes {', '.join(f'{n:,}' for n in sizes)}; shapes {', '.join(shapes)}; "
          f"best of {'/'.join(str(repeat_for(n)) for n in sizes)} rounds, each running "
          "flowbook, dask and Hamilton once; time.perf_counter, gc.collect() between "
          "measurements")
    print("  chain: one() then n-1 x inc(prev); wide: n independent one()", flush=True)
    if hamilton_skip:
        print(f"  Hamilton comparison {hamilton_skip}", flush=True)

    results: dict = {
        "meta": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "flowbook": engine_version(engine),
            "dask": dask_version,
            "sf-hamilton": hamilton_version,
            "sizes": sizes,
            "shapes": shapes,
            "repeat": {str(n): repeat_for(n) for n in sizes},
        },
        "measurements": {},
        "figures": [],
    }
    meas = results["measurements"]

    # 1-4: flowbook, bare loop, dask and Hamilton at every size ------------------------
    print("\nmeasuring", end="", flush=True)
    for shape in shapes:  # untimed first runs: imports and first calls out of the figures
        measure_flowbook(engine, shape, 100, 1)
        measure_dask(shape, 100, 1)
    for shape in shapes:
        meas[shape] = {}
        prev = prev_hamilton = None
        for n in sizes:
            repeat = repeat_for(n)
            entry: dict = {"n": n, "repeat": repeat}
            meas[shape][str(n)] = entry
            print(f" {shape}-{n:,}", end="", flush=True)
            if prev is not None:
                estimate = prev["total_s"] / prev["n"] * n * repeat
                if estimate > args.max_seconds:
                    entry["skipped"] = (f"estimated {estimate:.0f} s from the "
                                        f"{prev['n']:,}-task run "
                                        f"> --max-seconds {args.max_seconds:.0f}")
                    continue
            entry["bare_s"] = measure_bare(shape, n, repeat)
            hamilton = None
            skipped = ({"error": hamilton_skip} if hamilton_skip else
                       hamilton_estimate(prev_hamilton, n, repeat, args.max_seconds))
            if skipped is not None:
                entry["hamilton"] = skipped
            else:
                hamilton = HamiltonChild(shape, n, timeout=max(900, 5 * args.max_seconds))
            try:
                entry.update(measure_rounds(engine, shape, n, repeat, hamilton))
            except Exception as exc:
                entry["error"] = f"flowbook failed: {exc!r}"
                continue
            finally:
                if hamilton is not None:
                    hamilton.close()
            prev = {"n": n, "total_s": entry["total_s"]}
            if "run_s" in entry.get("hamilton", {}):
                prev_hamilton = entry["hamilton"]
    print(flush=True)

    # 5: Prefect 1.4.1 ----------------------------------------------------------------
    prefect: dict = {}
    if args.no_prefect:
        prefect = {"error": "skipped (--no-prefect)"}
    else:
        print(f"measuring Prefect 1.4.1 at {args.prefect_size:,} tasks (subprocess)...", flush=True)
        prefect = measure_prefect(args.prefect_size, args.prefect_repeat, shapes, timeout=900)
        if "error" in prefect:
            print(f"  Prefect comparison unavailable: {prefect['error']}", flush=True)
    results["prefect"] = prefect
    prefect_fb: dict = {}
    if "error" not in prefect:
        for shape in shapes:
            entry = meas[shape].get(str(args.prefect_size))
            if entry is None or "run_s" not in entry:
                entry = measure_flowbook(engine, shape, args.prefect_size,
                                         repeat_for(args.prefect_size))
                entry["n"] = args.prefect_size
            prefect_fb[shape] = entry

    # 7: memory -----------------------------------------------------------------------
    memory: dict = {}
    methods = ["rss", "tracemalloc"] if args.memory_method == "both" else [args.memory_method]
    if not args.no_memory:
        for shape in shapes:
            big = meas[shape].get(str(args.memory_size))
            known = [e for e in meas[shape].values() if "total_s" in e]
            if known and not big:
                ref = max(known, key=lambda e: e["n"])
                estimate = ref["total_s"] / ref["n"] * args.memory_size  # one build + run
                if estimate > args.max_seconds:
                    memory[shape] = {"error": f"skipped: estimated {estimate:.0f} s "
                                              "> --max-seconds"}
                    continue
            if big and big.get("skipped"):
                memory[shape] = {"error": "skipped: " + big["skipped"]}
                continue
            for method in methods:
                print(f"measuring memory: {shape}-{args.memory_size:,} "
                      f"({method}, fresh subprocess)...", flush=True)
                memory.setdefault(shape, {})[method] = measure_memory(shape, args.memory_size,
                                                                      method, timeout=900)
    results["memory"] = memory

    # Times table ---------------------------------------------------------------------
    print("\nTimes in seconds (best of N); dask = dask.get on the same graph, all keys "
          "requested;\nHamilton = dr.execute (chain: the last node; wide: all), "
          "Ham.build = its driver build (info)")
    header = (f"{'shape':<6} {'tasks':>8} {'N':>2} {'build':>9} {'run':>9} {'build+run':>10} "
              f"{'bare loop':>10} {'dask.get':>9} {'Hamilton':>9} {'Ham.build':>9}")
    print(header)
    print("-" * len(header))
    for shape in shapes:
        for n in sizes:
            e = meas[shape][str(n)]
            if "run_s" not in e:
                print(f"{shape:<6} {n:>8,} {e['repeat']:>2}  {e.get('skipped') or e.get('error')}")
                continue
            d = e["dask"].get("run_s")
            h = e.get("hamilton", {})
            print(f"{shape:<6} {n:>8,} {e['repeat']:>2} {fmt_s(e['build_s']):>9} "
                  f"{fmt_s(e['run_s']):>9} {fmt_s(e['total_s']):>10} {fmt_s(e['bare_s']):>10} "
                  f"{fmt_s(d):>9} "
                  f"{fmt_s(h.get('run_s')):>9} {fmt_s(h.get('build_s')):>9}")
            if e.get("problem"):
                print(f"       WARNING: {e['problem']}")
            if h.get("problem"):
                print(f"       WARNING (Hamilton): {h['problem']}")
            if "error" in h and not hamilton_skip:
                print(f"       Hamilton: {h['error']}")

    # Figures table -------------------------------------------------------------------
    figures = results["figures"]

    notes: list[str] = []

    def fig(name: str, value, shown: str, goal: str, ok: bool | None, **extra):
        if len(shown) > 48:  # a reason, not a number: print it under the table
            notes.append(f"{name}: {shown}")
            shown = f"n/a (note {len(notes)})"
        figures.append({"figure": name, "value": value, "shown": shown, "goal": goal,
                        "result": verdict(ok), **extra})

    for shape in shapes:
        done = [meas[shape][str(n)] for n in sizes if "run_s" in meas[shape][str(n)]]
        for e in done:
            n = e["n"]
            if n == 100_000:
                fig(f"{shape} {n:,}: build+run", e["total_s"], f"{e['total_s']:.3f} s",
                    f"< {GOAL_TOTAL_100K_S:g} s", e["total_s"] < GOAL_TOTAL_100K_S)
        for e in done:
            n = e["n"]
            over = (e["run_s"] - e["bare_s"]) / n * 1e6
            e["overhead_us"] = over
            fig(f"{shape} {n:,}: per-task overhead", over, f"{over:.2f} us",
                f"<= {GOAL_OVERHEAD_US:g} us", over <= GOAL_OVERHEAD_US)
        for e in done:
            n = e["n"]
            ratio = e["run_s"] / e["bare_s"] if e["bare_s"] > 0 else None
            fig(f"{shape} {n:,}: run / bare loop", ratio, fmt_ratio(ratio), "(info)", None)
        for e in done:
            n = e["n"]
            d = e["dask"].get("run_s")
            if d is None:
                fig(f"{shape} {n:,}: dask.get / flowbook run", None, e["dask"].get("error", "-"),
                    f">= {GOAL_DASK_RATIO:g}x", None)
                continue
            ratio = d / e["run_s"]
            fig(f"{shape} {n:,}: dask.get / flowbook run", ratio, fmt_ratio(ratio),
                f">= {GOAL_DASK_RATIO:g}x", ratio >= GOAL_DASK_RATIO)
        if hamilton_skip:
            fig(f"{shape}: flowbook run / Hamilton run", None, hamilton_skip,
                f"<= {GOAL_HAMILTON_RATIO:.1f}", None)
        else:
            for e in done:
                n, h = e["n"], e.get("hamilton", {})
                name = f"{shape} {n:,}: flowbook run / Hamilton run"
                if "run_s" not in h:
                    fig(name, None, h.get("error", "-"), f"<= {GOAL_HAMILTON_RATIO:.1f}", None)
                    continue
                ratio = e["run_s"] / h["run_s"]
                shown = (f"{ratio:.2f}x ({e['run_s'] / n * 1e6:.1f} vs "
                         f"{h['run_s'] / n * 1e6:.1f} us/task)")
                fig(name, ratio, shown, f"<= {GOAL_HAMILTON_RATIO:.1f}",
                    ratio <= GOAL_HAMILTON_RATIO, flowbook_run_s=e["run_s"],
                    hamilton_run_s=h["run_s"], hamilton_build_s=h.get("build_s"))
        if "error" in prefect:
            fig(f"{shape} {args.prefect_size:,}: Prefect 1.4.1 / flowbook run", None,
                "skipped" if args.no_prefect else "unavailable: " + prefect["error"],
                "(info)", None)
        elif shape in prefect and shape in prefect_fb:
            p = prefect[shape]["run_s"]
            ratio = p / prefect_fb[shape]["run_s"]
            fig(f"{shape} {args.prefect_size:,}: Prefect 1.4.1 / flowbook run", ratio,
                f"{fmt_ratio(ratio)} ({p:.2f} s vs {prefect_fb[shape]['run_s']:.4f} s)",
                "(info)", None,
                prefect_run_s=p, flowbook_run_s=prefect_fb[shape]["run_s"])
        if len(done) >= 2:
            lo, hi = done[0], done[-1]
            for what, goal in (("run", GOAL_GROWTH_RUN), ("build", GOAL_GROWTH_BUILD)):
                g = (hi[f"{what}_s"] / hi["n"]) / (lo[f"{what}_s"] / lo["n"])
                fig(f"{shape}: per-task {what} {hi['n']:,} / {lo['n']:,}", g, f"{g:.2f}",
                    f"~1 (<= {goal:g})", g <= goal)
        if shape in memory:
            m = memory[shape]
            if "error" in m:
                fig(f"{shape} {args.memory_size:,}: memory per task", None, m["error"],
                    f"< {GOAL_MEMORY_B // 1024} KB", None)
            else:
                for method, r in m.items():
                    label = "peak RSS delta" if method == "rss" else "tracemalloc peak"
                    if "error" in r or r.get("peak_bytes") is None:
                        fig(f"{shape} {args.memory_size:,}: memory per task ({label})", None,
                            r.get("error", "not measurable"), f"< {GOAL_MEMORY_B // 1024} KB", None)
                        continue
                    per = r["peak_bytes"] / args.memory_size
                    kept = r.get("retained_bytes")
                    kept = kept / args.memory_size if kept is not None else None
                    shown = f"{per:,.0f} B"
                    if kept is not None:
                        shown += f" (retained {kept:,.0f} B)"
                    fig(f"{shape} {args.memory_size:,}: memory per task ({label})", per, shown,
                        f"< {GOAL_MEMORY_B // 1024} KB", per < GOAL_MEMORY_B, method=method,
                        retained_per_task=kept)
                    if r.get("problem"):
                        print(f"WARNING memory run {shape}: {r['problem']}")

    width = max(len(f["figure"]) for f in figures) if figures else 20
    vwidth = max(len(f["shown"]) for f in figures) if figures else 10
    print("\nFigures (per-task overhead = (flowbook run - bare loop) / n; "
          "ratios use flow.run() time)")
    header = f"{'figure':<{width}}  {'value':>{vwidth}}  {'goal':<12} result"
    print(header)
    print("-" * len(header))
    for f in figures:
        print(f"{f['figure']:<{width}}  {f['shown']:>{vwidth}}  {f['goal']:<12} {f['result']}")
    for i, note in enumerate(notes, 1):
        print(f"note {i}: {note}")
    if "error" not in prefect:
        per_shape = ", ".join(
            f"{s} {prefect[s]['run_s']:.2f} s = "
            f"{prefect[s]['run_s'] / args.prefect_size * 1e3:.2f} ms/task"
            for s in shapes if s in prefect)
        print(f"\nPrefect {prefect.get('version')} (python {prefect.get('python')}, "
              f"{prefect.get('found')}): {per_shape}")
    if memory:
        print("memory: bytes per task over the whole build + flow.run() of one flow in a fresh "
              "subprocess (rss: peak VmHWM - VmRSS before; tracemalloc: traced peak); "
              "'retained' = still held after the run")
    passes = sum(f["result"] == "PASS" for f in figures)
    misses = sum(f["result"] == "MISS" for f in figures)
    elapsed = now() - started
    results["summary"] = {"pass": passes, "miss": misses, "elapsed_s": elapsed}
    print(f"\n{passes} PASS, {misses} MISS; benchmark took {elapsed:.0f} s")

    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=2, default=str) + "\n")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
