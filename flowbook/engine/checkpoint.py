"""Checkpoints: successful results kept on disk, so a restarted kernel can reuse them.

Opt in with ``Flow(..., result_dir="results")`` (a task can opt out with
``checkpoint=False``). Each successful result is written to
``result_dir/<flow>/<task>/<key>.pickle``, where the key digests the task's code (with
the notebook functions it calls and the settings it reads: ``reuse.code_key``) and its
inputs; the file is written to a temporary name and renamed, so a crash never leaves half a
result. A later run whose task has the same code and inputs loads the result and the task
ends Cached instead of running. A file that cannot be read is the user's data, not a bug:
it is moved aside, a warning on the ``flowbook.checkpoint`` logger names it, and the task
runs again. Checkpoints are pickles: only use a ``result_dir`` you trust.

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
import tempfile
import types
from pathlib import Path
from typing import Any

from flowbook.engine.state import Cached, Failed, State

__all__ = ["directory", "location", "load", "save", "code_digest"]

_UNSAFE = re.compile(r"[^\w.-]+")
log = logging.getLogger("flowbook.checkpoint")  # no handler added: Python's last resort prints it


def directory(result_dir: Any, flow_name: str, task_name: str) -> Path:
    """Where the checkpoints of one task of one flow live."""
    return Path(result_dir) / _slug(flow_name) / _slug(task_name)


def location(folder: Path | None, task: Any, inputs: dict) -> Path | None:
    """The checkpoint file for ``task`` run on ``inputs``, or None when the task is not
    checkpointed (no folder, ``checkpoint=False``, a parameter) or its inputs cannot be
    pickled (then it simply runs)."""
    if folder is None or task.checkpoint is False or not _worth_keeping(task):
        return None
    from flowbook.engine.reuse import code_key

    # Its code, the notebook functions it calls and the settings it reads (engine.reuse).
    digest = hashlib.sha256(b"".join(k.encode() + v for k, v in sorted(code_key(task).items())))
    try:
        digest.update(pickle.dumps(sorted(inputs.items()), protocol=4))
    except Exception:
        return None
    return folder / f"{digest.hexdigest()[:32]}.pickle"


def load(path: Path, task_name: str) -> State | None:
    """A Cached state with the stored result, or None when there is none (a file that cannot
    be read is moved aside with a warning, and the task runs again)."""
    try:
        with open(path, "rb") as file:
            value = pickle.load(file)
    except FileNotFoundError:
        return None
    except Exception as exc:  # unpickling runs the file's code: any error is the file's
        aside = _move_aside(path)
        done = (f"it was moved to {aside.name} for a look" if aside
                else "it could not be moved aside")
        log.warning("flowbook: the checkpoint of task %r at %s cannot be read (%r); %s, and "
                    "the task runs again", task_name, path, exc, done, exc_info=exc)
        return None
    return Cached("Result loaded from its checkpoint.", result=value)


def save(path: Path, state: State, task_name: str) -> State:
    """Write ``state``'s result atomically; returns ``state``, or a Failed state naming the
    task when the result cannot be pickled (nothing is written then)."""
    try:
        data = pickle.dumps(state.result, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        return Failed(f"Task {task_name!r} succeeded, but its result cannot be checkpointed: "
                      f"{exc!r}. Return a value pickle can store, or give the task "
                      "checkpoint=False.", result=exc)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)  # atomic: readers see the old file or the whole new one
    except BaseException:  # an interrupt too: no half-written file is left behind
        Path(temporary).unlink(missing_ok=True)
        raise
    return state


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
