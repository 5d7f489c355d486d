"""Stale tasks: code edited in the notebook since a task last ran, and what depends on it.

Two ways a notebook leaves a flow behind its code:

- a ``%%task`` cell run again with other code redefines its task in place: the task is
  *edited* (``task.edited``) until it runs with the new code;
- an ``@task`` function's cell run again makes a new task, but a flow built before still
  holds a copy of the old one: the flow's task is *outdated* until the cell that builds the
  flow runs again. A run of such a flow warns, naming the function.

``stale(flow)`` lists both kinds and every task below them, in run order: their results do
not reflect the notebook's code. ``%flow list`` and the widget show them.

>>> from flowbook import Flow
>>> from flowbook.notebook.authoring import define_task
>>> flow, ns = Flow("demo"), {}
>>> _ = define_task(flow, "rows", "[1, 2, 3]", ns)
>>> _ = define_task(flow, "total", "sum(rows)", ns)
>>> _ = flow.run()
>>> _ = define_task(flow, "rows", "[1, 2, 3, 4]", ns)     # the cell, edited and run again
>>> [t.name for t in stale(flow)]
['rows', 'total']
>>> _ = flow.run()
>>> stale(flow)
[]
"""

from __future__ import annotations

import types
import warnings
from dataclasses import dataclass
from typing import Any

__all__ = ["stale", "reasons", "Stale", "EDITED", "OUTDATED", "edited", "outdated",
           "warn_outdated", "why_stale"]


def edited(task: Any) -> bool:
    """A ``%%task`` cell run again with other code since its task last ran."""
    return bool(getattr(task, "edited", False))


def outdated(task: Any) -> Any:
    """The task the notebook now binds to this ``@task`` function's name when that is a
    newer definition (other code) than the copy the flow holds; else None."""
    fn = getattr(task, "run", None)
    if not isinstance(fn, types.FunctionType):
        return None
    current = fn.__globals__.get(fn.__name__)
    newer = getattr(current, "run", None)
    if current is None or newer is fn or not isinstance(newer, types.FunctionType):
        return None
    if getattr(current, "name", None) != task.name or newer.__code__ == fn.__code__:
        return None
    from flowbook.engine.checkpoint import code_digest

    return current if code_digest(current) != code_digest(task) else None


EDITED, OUTDATED = "edited", "outdated"  # the two ways a task itself is stale


@dataclass(frozen=True, slots=True)
class Stale:
    """Why one task's result does not reflect the notebook's code."""

    why: str  # "edited", "outdated" or "below X" (X: the unique name of ``above``)
    above: Any  # the first stale task above it (None: edited or outdated itself)
    origin: Any  # the edited or outdated task it comes from (itself, if it is one)
    kind: str  # "edited" or "outdated": what ``origin`` is


def reasons(flow: Any) -> dict:
    """Task -> ``Stale`` for every stale task of ``flow``, in run order, in one walk of its
    plan."""
    plan = flow.plan()
    found: dict = {}
    for task in plan.order:
        if edited(task):
            found[task] = Stale(EDITED, None, task, EDITED)
        elif outdated(task) is not None:
            found[task] = Stale(OUTDATED, None, task, OUTDATED)
        else:
            above = next((e.upstream_task for e in plan.edges_to[task]
                          if e.upstream_task in found), None)
            if above is not None:
                origin = found[above]
                found[task] = Stale(f"below {plan.names.get(above, above.name)}", above,
                                    origin.origin, origin.kind)
    return found


def stale(flow: Any) -> list:
    """The tasks of ``flow`` whose results do not reflect the notebook's code: edited or
    outdated ones and every task below them, in run order."""
    return list(reasons(flow))


def why_stale(flow: Any, task: Any) -> str | None:
    """``"edited"``, ``"outdated"`` (a newer definition in the notebook) or ``"below X"``;
    None when the task is not stale."""
    found = reasons(flow).get(task)
    return None if found is None else found.why


def warn_outdated(flow: Any) -> None:
    """Warn, once per run, when ``flow`` holds older definitions of ``@task`` functions the
    notebook has redefined since the flow was built (the run uses the old code)."""
    names = sorted({t.name for t in flow.tasks if outdated(t) is not None})
    if not names:
        return
    listed = ", ".join(f"{n}()" for n in names)
    warnings.warn(
        f"flow {flow.name!r} was built with an older definition of {listed}: "
        f"{'its cell was' if len(names) == 1 else 'their cells were'} run again since, and "
        "this run uses the old code; run the cell that builds the flow again to use the new",
        UserWarning, stacklevel=4)
