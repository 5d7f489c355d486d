"""What Prefect 1 code imports from ``prefect.utilities.tasks``: ``task``, ``as_task``,
``apply_map``, the edge annotations, ``defaults_from_attrs``, ``tags`` and ``pause_task``.

>>> from flowbook import Task
>>> class Greet(Task):
...     def __init__(self, greeting="hello", **kwargs):
...         self.greeting = greeting
...         super().__init__(**kwargs)
...     @defaults_from_attrs("greeting")
...     def run(self, name, greeting=None):
...         return f"{greeting} {name}"
>>> Greet().run("ada"), Greet().run("ada", greeting="hi")
('hello ada', 'hi ada')
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from flowbook.context import context
from flowbook.core.apply_map import apply_map
from flowbook.core.edge import flatten, mapped, unmapped
from flowbook.core.task import task
from flowbook.engine import signals
from flowbook.tasks.core.wrapping import as_task

__all__ = ["task", "as_task", "apply_map", "unmapped", "mapped", "flatten",
           "defaults_from_attrs", "tags", "pause_task"]


def defaults_from_attrs(*names: str) -> Callable:
    """Decorate a Task's ``run``: each keyword in ``names`` that the call leaves out takes
    the task's attribute of that name (one passed, even None, is kept)."""

    def decorate(run: Callable) -> Callable:
        @functools.wraps(run)
        def with_defaults(self: Any, *args: Any, **kwargs: Any) -> Any:
            for name in names:
                if name not in kwargs:
                    kwargs[name] = getattr(self, name)
            return run(self, *args, **kwargs)

        return with_defaults

    return decorate


@contextmanager
def tags(*names: str) -> Iterator[None]:
    """Within the block, every task made gets these tags too."""
    with context(tags=set(context.get("tags") or ()) | set(names)):
        yield


def pause_task(message: str | None = None) -> None:
    """Called in a task's run: pause it (a ``PAUSE`` signal) until it is resumed; a resumed
    run goes on past this call."""
    if not context.get("resume", False):
        raise signals.PAUSE(message or "Pause signal raised during task execution.")
