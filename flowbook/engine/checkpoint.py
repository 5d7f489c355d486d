"""Checkpoints: where a task's successful results are kept, and found again by later runs.

One mechanism for three ways of asking (``store_for`` decides per task):

- ``@task(target="{task_name}-{today}.pkl")`` (or a function of the same keywords): before
  its trigger, a task whose target exists ends Cached with the stored value without running;
  otherwise it runs and its result is written there. The target is a location of the task's
  ``result``, else of the flow's ``result``, else a file under the flow's ``result_dir``.
- ``result=`` on a task or on its flow, without a target: each success is written (to the
  result's location template, or a new name), never read back; as in Prefect 1.
- ``Flow(..., result_dir="results")``: each success is written to
  ``result_dir/<flow>/<task>/<key>.pickle``, the key digesting the task's code (with the
  notebook functions it calls and the settings it reads: ``reuse.code_key``) and its inputs;
  after its trigger, a run whose task has the same code and inputs ends Cached with it, even
  in a restarted kernel. A file that cannot be read is the user's data, not a bug: it is moved
  aside, a warning on the ``flowbook.checkpoint`` logger names it, and the task runs again.

``checkpoint=False`` on a task stops the writing. Files are written to a temporary name and
renamed, so a crash never leaves half a result. They are pickles: only read folders you trust.

>>> import tempfile
>>> from flowbook import Flow, task
>>> calls = []
>>> @task
... def slow(x):
...     calls.append(x)
...     return x * 2
>>> with Flow("demo", result_dir=tempfile.mkdtemp()) as flow:
...     doubled = slow(21)
>>> flow.run().result[doubled].result, flow.run().result[doubled], calls
(42, <Cached: "Result loaded from its checkpoint.">, [21])
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import re
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowbook.engine.result import Result, ResultNotImplementedError
from flowbook.engine.state import Cached, Failed, State

__all__ = ["Store", "Spot", "may_keep", "store_for", "spot", "look", "keep", "directory",
           "code_digest"]

_UNSAFE = re.compile(r"[^\w.-]+")
log = logging.getLogger("flowbook.checkpoint")  # no handler added: Python's last resort prints it


@dataclass(frozen=True, slots=True)
class Store:
    """How one task's results are kept in a flow run."""

    result: Result | None  # reads and writes values (None: a target with nowhere to look)
    keyed: bool  # a result_dir checkpoint: one file per code and inputs, read back after trigger


@dataclass(frozen=True, slots=True)
class Spot:
    """Where one run of a task (or a mapped child) looks for and keeps its result."""

    result: Result | None  # its location a template, a function or a file name (see Store)
    keywords: dict  # what fills the template: parameters, the run's context, the inputs
    reads: bool  # a value stored there ends the task Cached
    writes: bool  # a success's value is written there
    keyed: bool  # a result_dir checkpoint: unreadable files are moved aside, None is kept too


def may_keep(flow: Any) -> bool:
    """Whether ``flow`` keeps the results of its tasks (a result_dir, a flow ``result=``);
    else only a task's own ``result=`` or ``target=`` keeps one."""
    return flow.result_dir is not None or getattr(flow, "result", None) is not None


def store_for(flow: Any, task: Any, plan: Any) -> Store | None:
    """How ``flow`` keeps the results of ``task``; None: not. Its name in the flow's
    ``plan`` is read only for a result_dir checkpoint."""
    if task.result is None and not task.target and not may_keep(flow):
        return None  # nowhere to keep it (most runs): answered before the rest
    if not _worth_keeping(task):
        return None
    result = task.result if task.result is not None else getattr(flow, "result", None)
    if task.target:
        if result is None and flow.result_dir is not None:
            from flowbook.engine.results import LocalResult

            result = LocalResult(dir=flow.result_dir, validate_dir=False)
        return Store(None if result is None else result.at(task.target), keyed=False)
    if task.checkpoint is False:
        return None
    if result is not None:
        return Store(result, keyed=False)
    if flow.result_dir is not None:
        from flowbook.engine.results import LocalResult

        folder = directory(flow.result_dir, flow.name, plan.names[task])
        return Store(LocalResult(dir=folder, validate_dir=False), keyed=True)
    return None


def spot(tr: Any, inputs: dict) -> Spot | None:
    """Where the task run ``tr`` on ``inputs`` looks and writes; None: nowhere (no store,
    or a result_dir checkpoint of inputs that cannot be pickled: then it simply runs)."""
    store = tr.store
    if store is None:
        return None
    if store.keyed:
        name = _key(tr.task, inputs)
        return None if name is None else Spot(store.result.at(name), {}, True, True, True)
    keywords = {**tr.setting.parameters, **tr.context_values(), **inputs}
    keywords.pop("self", None)  # a method's self would clash with the Result's own
    return Spot(store.result, keywords, reads=bool(tr.task.target),
                writes=tr.task.checkpoint is not False, keyed=False)


def look(where: Spot | None, task_name: str) -> State | None:
    """Cached with the value stored at ``where``; None when there is none (the task runs);
    Failed, naming the task, when its target cannot be filled in or read."""
    if where is None or not where.reads:
        return None
    if where.result is None:
        return Failed(f"Task {task_name!r} has a target but no result to keep it in; give it "
                      "result=LocalResult(dir='results'), or its flow result=... or "
                      "result_dir='results'")
    try:
        template = where.result.unformatted_location(**where.keywords)
        if not where.result.exists(template, **where.keywords):
            return None
        location = template.format(**where.keywords)
        found = where.result.read(location)
    except Exception as exc:  # a template naming an unknown keyword, a file it cannot read
        return _unreadable(where, task_name, exc)
    if where.keyed:
        return Cached("Result loaded from its checkpoint.", result=found)
    return Cached(f"Result found at task target {location}", result=found,
                  cached_parameters=where.keywords.get("parameters"))


def keep(where: Spot | None, state: State, task_name: str) -> State:
    """``state`` (a success) with its value written at ``where`` (its ``_result`` says where),
    or Failed naming the task when the value or the folder cannot take it."""
    if (where is None or not where.writes or where.result is None
            or state.result is None and not where.keyed):
        return state
    try:
        written = where.result.write(state.result, **where.keywords)
    except ResultNotImplementedError:  # a plain Result holds values but stores none
        return state
    except OSError as exc:  # a full disk, a read-only folder: the user's environment
        place = os.path.join(getattr(where.result, "dir", ""), str(where.result.location))
        return Failed(f"Task {task_name!r} succeeded, but its checkpoint could not be written "
                      f"to {place} ({exc}); free some space or give it another folder "
                      "(result_dir=..., LocalResult(dir=...))", result=exc)
    except Exception as exc:  # the value: pickle or JSON cannot store it
        return Failed(f"Task {task_name!r} succeeded, but its result cannot be checkpointed: "
                      f"{exc!r}. Return a value {type(where.result).__name__} can store, or "
                      "give the task checkpoint=False.", result=exc)
    state._result = written
    return state


def directory(result_dir: Any, flow_name: str, task_name: str) -> Path:
    """Where the checkpoints of one task of one flow live."""
    return Path(result_dir) / _slug(flow_name) / _slug(task_name)


def _key(task: Any, inputs: dict) -> str | None:
    """The file name of a result_dir checkpoint: a digest of code and inputs (None when the
    inputs cannot be pickled)."""
    from flowbook.engine.reuse import code_key

    # Its code, the notebook functions it calls and the settings it reads (engine.reuse).
    digest = hashlib.sha256(b"".join(k.encode() + v for k, v in sorted(code_key(task).items())))
    try:
        digest.update(pickle.dumps(sorted(inputs.items()), protocol=4))
    except Exception:
        return None
    return f"{digest.hexdigest()[:32]}.pickle"


def _unreadable(where: Spot, task_name: str, exc: Exception) -> State | None:
    """A target that cannot be filled in or read fails the task; an unreadable result_dir
    checkpoint is moved aside with a warning, and the task runs again (None)."""
    if not where.keyed:
        return Failed(f"Task {task_name!r}: its target {where.result.location!r} cannot be "
                      f"looked up: {exc!r}. A template may use the parameters, the context "
                      "(task_name, map_index, today, ...) and the task's inputs; delete an "
                      "unreadable file to run the task again", result=exc)
    path = Path(where.result.dir) / where.result.location
    if isinstance(exc, FileNotFoundError):  # gone between exists() and read()
        return None
    aside = _move_aside(path)
    done = f"it was moved to {aside.name} for a look" if aside else "it could not be moved aside"
    log.warning("flowbook: the checkpoint of task %r at %s cannot be read (%r); %s, and the "
                "task runs again", task_name, path, exc, done, exc_info=exc)
    return None


def _worth_keeping(task: Any) -> bool:
    from flowbook.core.parameter import Parameter

    # A parameter's value comes from the run, and auto-made tasks (constants, lists, item
    # lookups) are cheaper to recompute than to read back.
    return not isinstance(task, Parameter) and not task.auto_generated


def code_digest(task: Any) -> bytes:
    """Bytes that change when the task's code changes (so edited code runs again)."""
    source = getattr(task, "source", None)  # a %%task cell keeps its source
    if isinstance(source, str):
        return source.encode()
    fn = getattr(task.run, "__func__", task.run)
    code = getattr(fn, "__code__", None)
    return _code_bytes(code) if code is not None else type(task).__qualname__.encode()


def _code_bytes(code: types.CodeType) -> bytes:
    """The code's instructions, constants and names, nested code included; line numbers
    and file names are left out, so moving a cell does not invalidate its results."""
    parts = [code.co_code, repr(code.co_names).encode()]
    for const in code.co_consts:
        parts.append(_code_bytes(const) if isinstance(const, types.CodeType)
                     else repr(const).encode())
    return b"\0".join(parts)


def _slug(name: str) -> str:
    """A file-name-safe form of ``name``; a short digest keeps distinct names apart."""
    readable = _UNSAFE.sub("_", name).strip("._")[:60] or "_"
    return f"{readable}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def _move_aside(path: Path) -> Path | None:
    """Rename an unreadable checkpoint to ``*.unreadable``; where it went, None if it could
    not be moved (then it is overwritten when the task's new result is saved)."""
    aside = path.with_suffix(".unreadable")
    try:
        os.replace(path, aside)
    except OSError:
        return None
    return aside
