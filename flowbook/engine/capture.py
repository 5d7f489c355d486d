"""What a task's body prints and logs: kept per task run, and still shown as usual.

When the first task body runs, ``sys.stdout`` and ``sys.stderr`` are wrapped in routers. A
write from a thread that is running a task body is kept in that task's ``TaskOutput``
(``run.outputs[(task, map_index)]``); every write, kept or not, goes on to the stream the
router wraps, so the notebook shows exactly what it would without flowbook.

A run continued from a widget's button (in a background thread, while the notebook runs
other cells) has its bodies' writes diverted to the widget instead (``diverted``): passed
on, they would appear under whichever cell runs at that moment.

Records of the ``flowbook`` loggers (``utilities.logging``) go through ``LogKeeper``: one
emitted in a thread running a task body is kept with that run (``TaskOutput.log``); every
record is shown on sys.stderr, or given to the sink of a diverted run.

The routers stay in place after the body ends: putting the streams back after every task
costs three times as much as the whole capture, and a router that no body uses only passes
writes through. When someone replaces ``sys.stdout`` (``redirect_stdout``, pytest's capsys),
the next task body wraps the new stream.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from threading import get_ident
from typing import Any

__all__ = ["TaskOutput", "Capture", "LogKeeper", "current", "for_helper_thread", "diverted"]

LIMIT = 1_000_000  # characters kept per stream of one task run; the rest is counted, not kept

_lock = threading.Lock()  # guards the replacement of sys.stdout/sys.stderr
_routers: list = [None, None]  # the stdout and stderr routers installed last
_active: dict = {}  # thread id -> the Capture of the task body running in that thread
_diverted: dict = {}  # id of a run's outputs -> sink(stream, text) taking its bodies' writes


class TaskOutput:
    """The text one task (or mapped child) printed and logged, over all its attempts."""

    __slots__ = ("_parts", "_sizes", "dropped")

    def __init__(self) -> None:
        # stream ("stdout", "stderr", "log": its log records as lines) -> chunks, in order
        self._parts: dict = {"stdout": [], "stderr": [], "log": []}
        self._sizes: dict = {"stdout": 0, "stderr": 0, "log": 0}  # stream -> characters kept
        self.dropped = 0  # characters not kept because a stream reached LIMIT

    def add(self, stream: str, text: str) -> None:
        room = max(LIMIT - self._sizes[stream], 0)
        if len(text) > room:
            self.dropped += len(text) - room
            text = text[:room]
        if text:
            self._parts[stream].append(text)
            self._sizes[stream] += len(text)

    @property
    def stdout(self) -> str:
        return "".join(self._parts["stdout"])

    @property
    def stderr(self) -> str:
        return "".join(self._parts["stderr"])

    @property
    def log(self) -> str:
        """The records its body logged (``flowbook`` loggers), one formatted line each."""
        return "".join(self._parts["log"])

    def __repr__(self) -> str:
        sizes = self._sizes
        return (f"<TaskOutput: {sizes['stdout']} + {sizes['stderr']} characters, "
                f"{sizes['log']} logged>")


class Capture:
    """Context manager around one task body: this thread's writes go (also) to
    ``outputs[(task, map_index)]``, which is created on the first write."""

    __slots__ = ("outputs", "key", "_ident", "_previous")

    def __init__(self, outputs: dict, task: Any, map_index: int | None):
        self.outputs = outputs  # the run's {(task, map_index): TaskOutput}
        self.key = (task, map_index)  # where this body's text goes
        self._ident = 0  # the thread this capture was entered in
        self._previous: Capture | None = None  # the capture it hides there (a nested run)

    def follow(self) -> Capture:
        """A capture writing to the same place, for a helper thread running the body."""
        return Capture(self.outputs, *self.key)

    def write(self, stream: str, text: str) -> None:
        out = self.outputs.get(self.key)
        if out is None:
            out = self.outputs[self.key] = TaskOutput()
        out.add(stream, text)

    def log_print(self, text: str) -> int:
        """A print of a task with ``log_stdout=True``: an INFO record of the task's logger
        instead (kept and shown by ``LogKeeper``), as Prefect 1 redirects it."""
        from flowbook.utilities.logging import get_logger

        if text.strip():
            task, index = self.key
            get_logger(task.name if index is None else f"{task.name}[{index}]").info(
                text.rstrip("\n"))
        return len(text)

    def __enter__(self) -> Capture:
        self._ident = ident = get_ident()
        self._previous = _active.get(ident)
        _active[ident] = self  # only this thread touches its own key
        if sys.stdout is not _routers[0] or sys.stderr is not _routers[1]:
            _install()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is None:
            del _active[self._ident]
        else:
            _active[self._ident] = self._previous


@contextlib.contextmanager
def diverted(outputs: dict, sink: Any) -> Any:
    """While in the block, what the bodies of the run whose outputs are ``outputs`` print goes
    to ``sink(stream, text)`` instead of on to sys.stdout/sys.stderr (it is still kept). A run
    already diverted keeps its first sink: a second action on it is refused anyway."""
    key = id(outputs)
    mine = _diverted.setdefault(key, sink) is sink
    try:
        yield
    finally:
        if mine:
            del _diverted[key]


def current() -> Capture | None:
    """The capture of the task body running in this thread, if any."""
    return _active.get(get_ident())


def for_helper_thread() -> Any:
    """A context manager for a helper thread running this thread's task body (a timeout),
    so that its writes are kept with the same task run."""
    capture = current()
    return contextlib.nullcontext() if capture is None else capture.follow()


class LogKeeper(logging.Handler):
    """The handler of the ``flowbook`` logger: keeps a record emitted by a task body with
    its task run and shows every record on sys.stderr (a diverted run's go to its sink)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + "\n"
        except Exception:
            self.handleError(record)
            return
        capture = _active.get(get_ident())
        if capture is not None:
            capture.write("log", line)
            sink = _diverted.get(id(capture.outputs)) if _diverted else None
            if sink is not None:
                sink("log", line)
                return
        stream = sys.stderr
        # Past the router: the record is kept above, not again as printed text.
        stream = stream._original if isinstance(stream, _Router) else stream
        try:
            stream.write(line)
            stream.flush()
        except Exception:
            self.handleError(record)


class _Router:
    """Stands in for sys.stdout or sys.stderr: copies a task body's writes to its capture
    and passes every write on to the stream it wraps."""

    def __init__(self, stream: str, original: Any):
        self._stream = stream  # "stdout" or "stderr"
        self._original = original  # the stream it wraps

    def write(self, text: str) -> Any:
        capture = _active.get(get_ident())
        if capture is not None and isinstance(text, str):
            if self._stream == "stdout" and getattr(capture.key[0], "log_stdout", False):
                return capture.log_print(text)
            capture.write(self._stream, text)
            if _diverted:
                sink = _diverted.get(id(capture.outputs))
                if sink is not None:
                    sink(self._stream, text)
                    return len(text)
        return self._original.write(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._original.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)

    def __repr__(self) -> str:
        return f"<flowbook router of {self._original!r}>"


def _install() -> None:
    """Wrap the current sys.stdout and sys.stderr (those that are not routers already)."""
    with _lock:
        for i, name in enumerate(("stdout", "stderr")):
            stream = getattr(sys, name)
            if not isinstance(stream, _Router):
                stream = _Router(name, stream)
                setattr(sys, name, stream)
            _routers[i] = stream
