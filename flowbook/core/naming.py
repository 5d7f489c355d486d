"""Unique task names: one name per task of a flow, even when several tasks share a name.

The first task with a name keeps it; later ones get ``-2``, ``-3``, ... (skipping names that
are taken). The widget's node titles, its buttons and its selector all use these names.

>>> from flowbook import Flow, task
>>> @task
... def load():
...     return 1
>>> with Flow("two loads") as flow:
...     a, b = load(), load()
>>> sorted(unique_names(flow).values())
['load', 'load-2']
"""

from __future__ import annotations

from typing import Any

__all__ = ["unique_names"]


def unique_names(flow: Any) -> dict:
    """``{Task: unique name}`` for every task of ``flow``, in the flow's insertion order."""
    taken = {t.name for t in flow.tasks}
    names: dict = {}
    seen: set = set()
    next_suffix: dict = {}  # name -> the suffix to try next (keeps many duplicates linear)
    for task in flow.tasks:
        name = task.name
        if name in seen:
            suffix = next_suffix.get(name, 2)
            while f"{name}-{suffix}" in taken:
                suffix += 1
            next_suffix[task.name] = suffix + 1
            name = f"{name}-{suffix}"
            taken.add(name)
        seen.add(name)
        names[task] = name
    return names
