"""Which tasks of a flow are stale, why, and what to do, in words: ``notebook.stale``'s
answers for every task at once.

``notebook.stale.why_stale`` answers for one task and walks the flow each time; a view
asks for every task on each redraw, so ``reasons`` finds the same answers in one walk of
the plan (``tests/test_widget_stale.py`` checks they agree).

>>> from flowbook import Flow
>>> from flowbook.notebook.authoring import define_task
>>> flow, ns = Flow("demo"), {}
>>> _ = define_task(flow, "raw", "[3, 1, 2]", ns)
>>> _ = define_task(flow, "cleaned", "sorted(raw)", ns)
>>> _ = define_task(flow, "report", "len(cleaned)", ns)
>>> _ = flow.run()
>>> _ = define_task(flow, "cleaned", "sorted(raw, reverse=True)", ns)  # edited, run again
>>> found = reasons(flow)
>>> [(task.name, stale.why) for task, stale in found.items()]
[('cleaned', 'edited'), ('report', 'below cleaned')]
>>> text(found[ns["report"]], found)
'below cleaned, which was edited since it ran: its result may change; run the flow again'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["EDITED", "OUTDATED", "Stale", "reasons", "text", "remedy", "function_name"]

EDITED, OUTDATED = "edited", "outdated"  # the two ways a task itself is stale


@dataclass(frozen=True, slots=True)
class Stale:
    """Why one task's result does not reflect the notebook's code."""

    why: str  # "edited", "outdated" or "below X" (X: the unique name of ``above``)
    above: Any  # the first stale task above it (None: edited or outdated itself)
    origin: Any  # the edited or outdated task it comes from (itself, if it is one)
    kind: str  # "edited" or "outdated": what ``origin`` is


def reasons(flow: Any) -> dict:
    """Task -> ``Stale`` for every task ``flow.stale()`` lists, in run order; each ``why``
    is what ``notebook.stale.why_stale`` says of it."""
    from flowbook.notebook import stale

    plan = flow.plan()
    found: dict = {}
    for task in plan.order:
        if stale.edited(task):
            found[task] = Stale(EDITED, None, task, EDITED)
        elif stale.outdated(task) is not None:
            found[task] = Stale(OUTDATED, None, task, OUTDATED)
        else:
            above = next((e.upstream_task for e in plan.edges_to[task]
                          if e.upstream_task in found), None)
            if above is not None:
                origin = found[above]
                found[task] = Stale(f"below {plan.names.get(above, above.name)}", above,
                                    origin.origin, origin.kind)
    return found


def text(stale: Stale, found: dict) -> str:
    """The sentence a tooltip or panel shows (``found``: what ``reasons`` returned)."""
    if stale.why == EDITED:
        return "edited since it ran: its result is from the old code; run the flow again"
    if stale.why == OUTDATED:
        return (f"outdated: the flow holds an older definition of {function_name(stale.origin)}"
                f"(); {remedy(stale)}")
    above = found.get(stale.above)
    said = ("was edited since it ran" if above is not None and above.why == EDITED else
            "is outdated" if above is not None and above.why == OUTDATED else
            "is stale too")
    return f"{stale.why}, which {said}: its result may change; {remedy(stale)}"


def remedy(stale: Stale) -> str:
    """What brings the task up to date: running the flow, or the cell that builds it."""
    if stale.kind == EDITED:
        return "run the flow again"
    return "run the cell that builds the flow"


def function_name(task: Any) -> str:
    """The name of an ``@task`` function (its task's name may differ)."""
    return getattr(getattr(task, "run", None), "__name__", None) or task.name
