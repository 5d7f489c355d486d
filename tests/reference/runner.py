"""Run one differential case under an engine and summarise its outcome as JSON-able data.

A *case* is Python source written against the Prefect 1 API. It may use only the names
that `bind_names` provides (``task, Task, Flow, Parameter, case, merge, unmapped, flatten,
context, triggers, signals, state, timedelta``), must define ``flow``, and may define
``PARAMS = {...}`` (passed to ``flow.run(parameters=...)``) and ``RUNS = n`` (run the flow
n times in one process; the last run is summarised).

The same module serves three roles, so it imports neither prefect nor flowbook at the top:

* ``summarise(engine_name, source)`` runs a case in this process;
* ``python runner.py`` is a JSON-lines server that the Prefect 1.4.1 virtual environment
  runs: one request ``{"id": ..., "source": ...}`` per line in, one
  ``{"id": ..., "summary": ...}`` per line out;
* ``ReferenceServer`` is the client the test session uses to talk to that server.

A summary is ``{"flow": <flow state class>, "tasks": sorted [[name, state class, result]]}``
with one extra row ``name[i]`` per mapped child, or ``{"error": <built-in exception class>}``
when the case raised while building or running its flow (the nearest built-in class, so an
engine's own ``ValueError`` subclass still counts as a ``ValueError``).
"""
from __future__ import annotations

import builtins
import contextlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import traceback
from datetime import timedelta
from unittest import mock

__all__ = ["ENGINES", "summarise", "ReferenceServer", "ReferenceServerError", "serve"]

ENGINES = ("prefect", "flowbook")
MAX_RESUMES = 10  # flowbook side: how many times to approve paused tasks before giving up
REQUEST_TIMEOUT = 60.0  # seconds one case may take in the reference server


# --- binding the engine's names ---------------------------------------------------------


def bind_names(engine_name: str) -> dict:
    """The names a case may use, taken from the named engine."""
    if engine_name == "prefect":
        return _prefect_names()
    if engine_name == "flowbook":
        return _flowbook_names()
    raise ValueError(f"unknown engine {engine_name!r}; expected one of {ENGINES}")


def _prefect_names() -> dict:
    import prefect
    import prefect.engine.signals
    import prefect.engine.state
    import prefect.triggers
    from prefect.tasks.control_flow import case, merge

    return dict(
        task=prefect.task, Task=prefect.Task, Flow=prefect.Flow,
        Parameter=prefect.Parameter, case=case, merge=merge,
        unmapped=prefect.unmapped, flatten=prefect.flatten, context=prefect.context,
        triggers=prefect.triggers, signals=prefect.engine.signals,
        state=prefect.engine.state, timedelta=timedelta,
    )


def _flowbook_names() -> dict:
    import flowbook
    import flowbook.engine.signals
    import flowbook.engine.state
    import flowbook.triggers

    return dict(
        task=flowbook.task, Task=flowbook.Task, Flow=flowbook.Flow,
        Parameter=flowbook.Parameter, case=flowbook.case, merge=flowbook.merge,
        unmapped=flowbook.unmapped, flatten=flowbook.flatten, context=flowbook.context,
        triggers=flowbook.triggers, signals=flowbook.engine.signals,
        state=flowbook.engine.state, timedelta=timedelta,
    )


# --- running a case -----------------------------------------------------------------------


class CaseError(Exception):
    """The case itself raised while building or running its flow (an expected outcome)."""

    def __init__(self, original: BaseException):
        super().__init__(f"{type(original).__name__}: {original}")
        self.original = original


def summarise(engine_name: str, source: str, executor=None) -> dict:
    """Run the case `source` under `engine_name` and summarise the last flow run.

    flowbook only: `executor` (a flowbook executor) runs the flow instead of the default."""
    names = bind_names(engine_name)
    try:
        with _isolated(engine_name):
            flow, flow_state = _run_case(engine_name, names, source, executor)
    except CaseError as exc:
        return {"error": error_kind(exc.original)}
    return summarise_flow_state(flow, flow_state)


@contextlib.contextmanager
def _isolated(engine_name: str):
    """An empty process-wide result cache for each case; Prefect side: "y" to the
    `input()` prompt with which `flow.run()` asks whether to resume each Paused task."""
    if engine_name != "prefect":
        from flowbook.engine import cache

        cache.clear()
        yield
        return
    import prefect

    with prefect.context(caches={}), mock.patch.object(builtins, "input", lambda *a: "y"):
        yield


def _run_case(engine_name: str, names: dict, source: str, executor=None):
    """Exec the case and run its flow RUNS times; return (flow, last flow state)."""
    namespace = dict(names, __name__="flowbook_case")
    options = {} if executor is None else {"executor": executor}
    try:
        exec(compile(source, "<case>", "exec"), namespace)
        flow = namespace["flow"]
        params = namespace.get("PARAMS")
        flow_state = None
        for _ in range(namespace.get("RUNS", 1)):
            flow_state = flow.run(parameters=params, **options)
            if engine_name == "flowbook":
                flow_state = _approve_paused(flow, flow_state, names["state"])
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # signals derive from BaseException
        raise CaseError(exc) from exc
    return flow, flow_state


def _approve_paused(flow, flow_state, state_module):
    """flowbook never blocks on a pause: approve every paused task, as Prefect's "y" does."""
    for _ in range(MAX_RESUMES):
        if not any(isinstance(s, state_module.Paused) for s in _all_states(flow_state)):
            break
        flow_state = flow.resume()
    return flow_state


def _all_states(flow_state) -> list:
    states = []
    if not isinstance(flow_state.result, dict):
        return states
    for s in flow_state.result.values():
        states.append(s)
        states.extend(getattr(s, "map_states", None) or [])
    return states


def error_kind(exc: BaseException) -> str:
    """The nearest built-in class of an error: engines may subclass, say, ValueError."""
    for cls in type(exc).__mro__:
        if cls.__module__ == "builtins":
            return cls.__name__
    return type(exc).__name__


# --- summarising --------------------------------------------------------------------------


def summarise_flow_state(flow, flow_state) -> dict:
    """The JSON-able summary of one flow run: flow state class and one row per task.

    A flow run that failed before running its tasks (a cycle) has an exception, not a
    dict of task states, as its result: the summary then holds that result instead.
    """
    task_states = flow_state.result
    if not isinstance(task_states, dict):
        return {"flow": type(flow_state).__name__, "result": plain(task_states), "tasks": []}
    rows = []
    for t in flow.tasks:
        rows.extend(_task_rows(t.name, task_states.get(t)))
    rows.sort(key=lambda row: json.dumps(row, sort_keys=True))
    return {"flow": type(flow_state).__name__, "tasks": rows}


def _task_rows(name: str, task_state) -> list:
    if task_state is None:
        return [[name, None, None]]
    rows = [[name, type(task_state).__name__, plain(task_state.result)]]
    if task_state.is_mapped():
        for i, child in enumerate(task_state.map_states):
            rows.append([f"{name}[{i}]", type(child).__name__, plain(child.result)])
    return rows


def plain(value):
    """A result as comparable JSON data: plain values as themselves, else a type tag."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k if isinstance(k, str) else repr(k): plain(v) for k, v in value.items()}
    if isinstance(value, BaseException):
        return "exc:" + type(value).__name__
    return "obj:" + type(value).__name__


# --- the server (runs inside the Prefect virtual environment) -----------------------------


def serve(engine_name: str = "prefect") -> None:
    """Answer JSON-line requests on stdin until it closes.

    The protocol owns the real stdout; everything else a case or the engine prints
    (Prefect logs to sys.stdout) goes to stderr.
    """
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    bind_names(engine_name)  # import the engine once, before the first request
    print(json.dumps({"ready": True}), file=out, flush=True)
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(_answer(engine_name, line)), file=out, flush=True)


def _answer(engine_name: str, line: str) -> dict:
    request = json.loads(line)
    try:
        summary = summarise(engine_name, request["source"])
        return {"id": request["id"], "summary": summary}
    except BaseException:  # noqa: B036 - the server must outlive any case
        return {"id": request["id"], "internal_error": traceback.format_exc()}


# --- the client (runs in the test session) ------------------------------------------------


class ReferenceServerError(RuntimeError):
    """The reference server failed, hung or answered nonsense (not a case outcome)."""


class ReferenceServer:
    """A long-lived `python runner.py` process in another environment, one request at a time.

    A request that takes longer than `timeout` seconds kills the server; the next
    request starts a fresh one.
    """

    def __init__(self, python, engine_name: str = "prefect", timeout: float = REQUEST_TIMEOUT):
        self.python = str(python)
        self.engine_name = engine_name
        self.timeout = timeout
        self._proc = None
        self._lines = None
        self._log = None
        self._next_id = 0

    def __call__(self, source: str) -> dict:
        return self.summarise(source)

    def summarise(self, source: str) -> dict:
        """The reference engine's summary of `source`."""
        self._ensure_started()
        self._next_id += 1
        request = {"id": self._next_id, "source": source}
        try:
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()
        except OSError as exc:
            raise self._failure(f"could not send the case ({exc})") from exc
        reply = self._read_reply(f"the case did not finish within {self.timeout:g} s")
        if reply.get("id") != request["id"]:
            raise self._failure(f"answer for another request: {reply!r}")
        if "internal_error" in reply:
            raise ReferenceServerError(f"the runner crashed on this case:\n{reply['internal_error']}")
        return reply["summary"]

    def close(self) -> None:
        """Stop the server process (its stdin closes, then it is killed if it lingers)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        self._log.close()

    def _ensure_started(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        self.close()
        self._log = tempfile.TemporaryFile(mode="w+", prefix="flowbook-reference-")
        env = dict(os.environ, PREFECT__LOGGING__LEVEL="ERROR", PYTHONUNBUFFERED="1")
        self._proc = subprocess.Popen(
            [self.python, os.path.abspath(__file__), "--engine", self.engine_name],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log,
            text=True, encoding="utf-8", env=env,
        )
        self._lines = queue.Queue()
        threading.Thread(target=_pump, args=(self._proc.stdout, self._lines), daemon=True).start()
        self._read_reply("the server did not start within the time limit", timeout=120)

    def _read_reply(self, timeout_message: str, timeout: float | None = None) -> dict:
        try:
            line = self._lines.get(timeout=timeout or self.timeout)
        except queue.Empty:
            raise self._failure(timeout_message) from None
        if line is None:
            raise self._failure("the server exited")
        return json.loads(line)

    def _failure(self, what: str) -> ReferenceServerError:
        """Kill the server (a fresh one serves the next case) and describe what happened."""
        log = ""
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._log.seek(0)
            log = self._log.read()[-3000:]
            self.close()
        return ReferenceServerError(f"{self.engine_name} reference server: {what}\n{log}")


def _pump(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def main(argv: list[str]) -> None:
    engine_name = argv[argv.index("--engine") + 1] if "--engine" in argv else "prefect"
    serve(engine_name)


if __name__ == "__main__":
    main(sys.argv[1:])
