"""Re-run only what changed: a run that reuses the results of tasks left as they were.

``flow.run(reuse=True)`` (what ``%flow run`` does in a notebook) keeps, for each task that
succeeds, the digest of its code and of each of its inputs, with its result, in memory for
as long as the kernel lives (one entry per task of a flow: the latest). A later reusing run
of a flow of the same name gives a task whose code and inputs digest the same its earlier
result: the task ends ``Cached`` ("Reused: ..."), a success as it was. Every other task runs
and its Running state says why: "no earlier result", "code changed", "input changed: raw",
"upstream re-ran: b" (a task above along a state-only edge, an order rather than data,
ran again), "not cacheable (its inputs cannot be hashed)" or "(its result cannot be
pickled)". A reused result is a copy of the kept one (kept pickled).

The decision is the engine's own, made when the task may start, after its trigger has let
it run (``task_run.run_task``): triggers, signals, retries and reference tasks behave as in a
full run. Never reused: parameters and the tasks flowbook makes itself (constants,
collections; cheap to run), tasks with ``cache_for`` (their own rule) and tasks with
``checkpoint=False`` (their results are not to be kept). A mapped task is judged child by
child: a child whose element and code are unchanged is reused. With a flow
``result_dir``, checkpoints keep results across a kernel restart, under the same key.

>>> from flowbook import Flow, task
>>> calls = []
>>> @task
... def load():
...     calls.append("load")
...     return [1, 2, 3]
>>> @task
... def total(rows):
...     calls.append("total")
...     return sum(rows)
>>> with Flow("reuse-demo") as flow:
...     t = total(load())
>>> _ = flow.run(reuse=True)
>>> state = flow.run(reuse=True)
>>> state.result[t], calls
(<Cached: "Reused: code and inputs unchanged since run 1.">, ['load', 'total'])
>>> forget("reuse-demo")
"""

from __future__ import annotations

import builtins
import hashlib
import pickle
import threading
import types
from dataclasses import dataclass
from typing import Any

from flowbook.engine.state import Cached, State

__all__ = ["Entry", "Verdict", "judge", "record", "forget", "reusable"]

_lock = threading.Lock()  # guards _STORE
_STORE: dict = {}  # (flow name, task's unique name, child index) -> Entry of its latest success


@dataclass(frozen=True, slots=True)
class Entry:
    """A task's latest success in a reusing run."""

    code: dict  # digest of its code (""), of the notebook functions and values it reads
    inputs: dict  # input name -> digest of the value
    result: bytes | None  # what it returned, pickled; None when it cannot be pickled
    run: int  # the number of the run it succeeded in

    def value(self) -> Any:
        """A fresh copy of the result (a task below that changes its input changes only its
        copy, as in a full run)."""
        return pickle.loads(self.result)


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a task may end with its earlier result, and why (not)."""

    state: State | None  # the Cached state to end in; None: it runs
    reason: str  # why it runs again, or that it is reused
    key: tuple  # (flow name, unique name, child index or None)
    code: dict | None  # its code_key now
    inputs: dict | None  # input name -> digest now; None: they cannot be hashed

    def __reduce__(self) -> Any:  # travels to a Dask worker without the digests
        return (Verdict, (self.state, self.reason, self.key, None, None))


def reusable(task: Any) -> bool:
    """Whether a reusing run may ever reuse ``task``'s result (a mapped task's: child by
    child)."""
    from flowbook.core.parameter import Parameter

    return not (task.auto_generated or isinstance(task, Parameter)
                or task.cache_for is not None or task.checkpoint is False)


def judge(run: Any, task: Any, upstream: dict, index: int | None = None) -> Verdict | None:
    """The verdict for ``task`` (its child ``index`` when mapped) about to start in ``run``
    with ``upstream`` (``{Edge: State}``); None for a task never reused (and for the parent
    of a mapped task: its children are judged one by one)."""
    from flowbook.engine.task_run import inputs_of

    if not reusable(task) or index is None and task in run.plan.mapped:
        return None
    key = (run.flow.name, run.plan.names[task], index)
    code = code_key(task)
    inputs = _digests(inputs_of(upstream))
    with _lock:
        entry = _STORE.get(key)
    reason = _why_again(entry, code, inputs) or _ran_above(run, task, upstream)
    if reason is not None:
        return Verdict(None, reason, key, code, inputs)
    reused = Cached(f"Reused: code and inputs unchanged since run {entry.run}.",
                    result=entry.value())
    return Verdict(reused, "reused", key, code, inputs)


def record(verdict: Verdict, state: State, run_number: int) -> None:
    """Keep a success of a task that ran (a reused one keeps its first entry)."""
    if verdict.state is not None or verdict.inputs is None or verdict.code is None:
        return
    try:
        kept = pickle.dumps(state.result, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # it runs again next time, and says why
        kept = None
    entry = Entry(verdict.code, verdict.inputs, kept, run_number)
    with _lock:
        _STORE[verdict.key] = entry


def forget(flow_name: str | None = None) -> None:
    """Drop what reusing runs kept (of one flow, or of all)."""
    with _lock:
        for key in [k for k in _STORE if flow_name is None or k[0] == flow_name]:
            del _STORE[key]


def _why_again(entry: Entry | None, code: dict, inputs: dict | None) -> str | None:
    """Why the task runs again; None when its earlier result can be reused."""
    if inputs is None:
        return "not cacheable (its inputs cannot be hashed)"
    if entry is None:
        return "no earlier result"
    if entry.result is None:
        return "not cacheable (its result cannot be pickled)"
    if entry.code != code:
        return _what_changed(entry.code, code)
    changed = sorted(n for n in inputs.keys() | entry.inputs.keys()
                     if inputs.get(n) != entry.inputs.get(n))
    if changed:
        return f"input changed: {', '.join(changed)}"
    return None


# -- what "the task's code" is -----------------------------------------------------------

_OWN = ""  # the code_key entry of the task's own code
_DEPTH = 3  # how deep functions calling functions are followed


def code_key(task: Any) -> dict:
    """Digests of what a task's result depends on besides its inputs: its own code (key
    ""), and by name the notebook's functions it calls (their code, followed a few calls
    deep) and the notebook's immutable plain values it reads (a setting such as
    ``decimals = 2``; lists and dicts are left out, a task may change them)."""
    from flowbook.engine.checkpoint import code_digest

    key = {_OWN: hashlib.sha256(code_digest(task)).digest()[:16]}
    fn, names = _reads(task)
    if fn is not None:
        seen: set = set()
        _follow(_closure(fn), set(fn.__code__.co_freevars), key, seen, _DEPTH)
        _follow(fn.__globals__, names, key, seen, _DEPTH)
    return key


def _closure(fn: types.FunctionType) -> dict:
    """The values of a function's free variables (a function made in another's body)."""
    found = {}
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
        try:
            found[name] = cell.cell_contents
        except ValueError:  # a cell not filled yet
            continue
    return found


def _reads(task: Any) -> tuple:
    """(a function whose globals are the task's, the global names its code reads)."""
    body = getattr(task, "_fn", None)  # a %%task cell's compiled body (notebook.cell_task)
    if isinstance(body, types.FunctionType):
        own = set(getattr(task, "inputs", ())) | set(getattr(task, "assigned", ()))
        return body, set(getattr(task, "reads", ())) - own
    fn = getattr(task, "run", None)
    if isinstance(fn, types.FunctionType):
        return fn, _names(fn.__code__)
    return None, set()


def _names(code: types.CodeType) -> set:
    found = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found |= _names(const)
    return found


def _follow(scope: dict, names: set, key: dict, seen: set, depth: int) -> None:
    for name in sorted(names):
        if name in seen or name not in scope or hasattr(builtins, name):
            continue
        seen.add(name)
        value = scope[name]
        if isinstance(value, types.FunctionType):
            key[f"code:{name}"] = hashlib.sha256(_code_bytes(value.__code__)).digest()[:16]
            if depth > 1:
                _follow(_closure(value), set(value.__code__.co_freevars), key, seen, depth - 1)
                _follow(value.__globals__, _names(value.__code__), key, seen, depth - 1)
        elif _plain(value):
            key[f"value:{name}"] = hashlib.sha256(repr(value).encode()).digest()[:16]


_SCALARS = (int, float, complex, str, bytes, bool, type(None))


def _plain(value: Any) -> bool:
    """An immutable plain value (a number, a string, a tuple of them): a setting. A list or
    a dict is left out: a task may change it (a counter), which would make it run again
    at every run."""
    if isinstance(value, _SCALARS):
        return not isinstance(value, (str, bytes)) or len(value) <= 10_000
    if isinstance(value, (tuple, frozenset)):
        return len(value) <= 1_000 and all(_plain(v) for v in value)
    return False


def _code_bytes(code: types.CodeType) -> bytes:
    from flowbook.engine.checkpoint import _code_bytes as code_bytes

    return code_bytes(code)


def _what_changed(before: dict, now: dict) -> str:
    """"code changed", "code changed: numbers_in", "notebook value changed: decimals"."""
    if before.get(_OWN) != now.get(_OWN):
        return "code changed"
    changed = sorted(n for n in before.keys() | now.keys() if before.get(n) != now.get(n))
    functions = [n.partition(":")[2] for n in changed if n.startswith("code:")]
    if functions:
        return f"code changed: {', '.join(functions)}"
    return f"notebook value changed: {', '.join(n.partition(':')[2] for n in changed)}"


def _ran_above(run: Any, task: Any, upstream: dict) -> str | None:
    """"upstream re-ran: X" when a task above along a state-only edge (an order, often
    a file it writes) ran again in this run rather than being reused; None otherwise."""
    ran = [e.upstream_task for e, st in upstream.items()
           if e.key is None and e.upstream_task in run.plan.edges_to and not _reused(st)]
    if not ran:
        return None
    names = dict.fromkeys(run.plan.names.get(t, t.name) for t in ran)
    return f"upstream re-ran: {', '.join(names)}"


def _reused(state: State) -> bool:
    return state.is_cached() and str(state.message or "").startswith("Reused: ")


def _digests(inputs: dict) -> dict | None:
    """Input name -> a digest of its value (pickled); None when one cannot be pickled."""
    found = {}
    for name, value in inputs.items():
        try:
            data = pickle.dumps(value, protocol=4)
        except Exception:
            return None
        found[name] = hashlib.sha256(data).digest()[:16]
    return found
