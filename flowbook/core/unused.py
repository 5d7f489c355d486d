"""The warning of tasks created inside a ``with Flow(...)`` block but never added to its flow.

While a block is open, ``context._unused_task_tracker`` (Prefect 1's name) holds the tasks
created or copied in it; when the block ends without an error, those not in the flow are
named in a ``UserWarning``. Constants are never noted (flowbook makes them of plain values),
and a task that is copied, which calling or mapping it does, counts as used: its copy takes
its place.

>>> import warnings
>>> from flowbook import Flow, Parameter
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     with Flow("demo"):
...         x = Parameter("x")
>>> str(caught[0].message)[:64]
"Tasks were created but not added to flow 'demo': {<Parameter: x>"
"""

from __future__ import annotations

import os
import sys
import warnings
from contextlib import contextmanager
from typing import Any, Iterator

from flowbook.context import context
from flowbook.core.ordered_set import OrderedSet

__all__ = ["TRACKER", "new_tracker", "created", "copied", "forget", "forgotten_on_error",
           "untracked", "warn_unused"]

TRACKER = "_unused_task_tracker"  # the context key, as in Prefect 1
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class Tracker(OrderedSet):
    """The tasks made in one open block and not added to its flow yet, in the order made
    (the warning lists them so). A task leaves it when it joins the flow, so a block that
    builds 100,000 tasks keeps none of them here."""

    __slots__ = ("flow",)

    def __init__(self, flow: Any = None):
        super().__init__()
        self.flow = flow  # the flow of the block, or None for flowbook's scratch blocks


def new_tracker(flow: Any = None) -> Tracker:
    """An empty tracker for the block of ``flow`` that opens."""
    return Tracker(flow)


def created(task: Any) -> None:
    """Note ``task``, just made, in the tracker of the open block, if any."""
    tracker = context.get(TRACKER)
    if tracker is not None and not _is_constant(task):
        tracker.add(task)


def added(flow: Any, task: Any) -> None:
    """``task`` joined ``flow``: if the open block builds ``flow``, it is used."""
    tracker = context.get(TRACKER)
    if tracker is not None and tracker.flow is flow:
        tracker.discard(task)


def copied(original: Any, new: Any) -> None:
    """``new`` is a copy of ``original``: the copy is noted in its place."""
    tracker = context.get(TRACKER)
    if tracker is not None:
        tracker.discard(original)
        created(new)


def forget(task: Any) -> None:
    """Forget ``task``: a copy whose call failed never reached the user, who sees the error
    instead."""
    tracker = context.get(TRACKER)
    if tracker is not None:
        tracker.discard(task)


@contextmanager
def forgotten_on_error(task: Any) -> Iterator[None]:
    """Forget ``task`` if the block raises (``forget``)."""
    try:
        yield
    except BaseException:
        forget(task)
        raise


@contextmanager
def untracked() -> Iterator[None]:
    """Tasks made inside are noted nowhere (flowbook's own scratch tasks)."""
    with context(**{TRACKER: new_tracker()}):
        yield


def warn_unused(flow: Any, tracker: Tracker) -> None:
    """Warn, naming them, of the tasks of ``tracker`` that are not in ``flow``."""
    unused = [t for t in tracker if t not in flow.tasks]
    if unused:
        warnings.warn(_message(flow, unused), UserWarning, stacklevel=_outside_flowbook())


def _message(flow: Any, unused: list) -> str:
    listed = ", ".join(repr(t) for t in unused)
    return (f"Tasks were created but not added to flow {flow.name!r}: {{{listed}}}. This can "
            "occur when `Task` classes, including `Parameters`, are instantiated inside a "
            "`with flow:` block but not added to the flow either explicitly or as the input "
            "to another task. Add each with `flow.add_task(task)`, pass it to another task, "
            "or create it outside the `with Flow(...)` block.")


_CONSTANT: Any = None  # flowbook.tasks.core.constants.Constant, imported when first needed


def _is_constant(task: Any) -> bool:
    global _CONSTANT
    if _CONSTANT is None:
        from flowbook.tasks.core.constants import Constant

        _CONSTANT = Constant
    return isinstance(task, _CONSTANT)


def _outside_flowbook() -> int:
    """The ``stacklevel`` of the first caller outside flowbook: the user's ``with`` line,
    however many ``__exit__`` methods (a NotebookFlow's, a subclass's) lie between."""
    frame, level = sys._getframe(2), 2  # 1 would be warn_unused itself
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level
