"""Debugging a run: ``raise_on_exception()`` lets a task's error out of ``flow.run()``.

>>> from flowbook import Flow, task
>>> @task
... def div(x):
...     return 1 / x
>>> with Flow("debug") as flow:
...     div(0)
<Task: div>
>>> with raise_on_exception():
...     flow.run()
Traceback (most recent call last):
ZeroDivisionError: division by zero
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from flowbook.context import context

__all__ = ["raise_on_exception"]


@contextmanager
def raise_on_exception() -> Iterator[None]:
    """Within the block, the first error a task body (or a trigger, a state handler, a
    timeout) raises ends the run and is raised again in the caller of ``flow.run()``,
    ``flow.resume()`` or ``flow.retry()``, traceback and all; the tasks then running end
    Cancelled and the flow Failed, as when flowbook itself fails. Signals (``FAIL``,
    ``SKIP``, ...) still only choose states."""
    with context(raise_on_exception=True):
        yield
