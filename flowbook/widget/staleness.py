"""Stale tasks in words: what the widget and ``%flow list`` say of ``notebook.stale``'s
``reasons`` (every stale task of a flow, found in one walk of its plan), and what to do.

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

from typing import Any

from flowbook.notebook.stale import EDITED, OUTDATED, Stale, reasons

__all__ = ["EDITED", "OUTDATED", "Stale", "reasons", "text", "remedy", "function_name"]


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
