"""The widget's buttons: which actions it offers for a run, and doing one.

What can be resumed or retried is the engine's knowledge (``engine.offers``); this module
turns it into at most two global buttons, "Resume all (N)" and "Retry failed (N)" ("Continue
the run" after an interrupt), and the selected task's own: Resume, Retry, "Retry from here"
with a preview of what re-runs, or, for a task that only its failed upstream can change,
"Retry <upstream>" saying so.

A run standing at a breakpoint (``engine.breakpoints``) offers "Step" (runs the first task
stopped, in run order, then stops before each task that becomes ready) and "Continue"
(continues every stopped task and ends the stepping) as its two global buttons, and "Step
this task" in a stopped task's panel. Continue is not an approval: tasks paused for one keep
waiting, with Resume in their panels, and "Resume all (N)" returns once no task stands at a
breakpoint; a failed task's Retry stays in its panel meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from flowbook.engine import breakpoints, continuation, offers

__all__ = ["Action", "offered"]

PREVIEW_NAMES = 8  # task names listed in a preview before "and N more"


@dataclass(frozen=True)
class Action:
    """One button: what it says and does."""

    id: str  # sent back by the page when clicked: "<verb>" or "<verb>:<unique name>"
    label: str  # the button's text
    verb: str  # "resume", "step", "retry", "retry_from" or "continue"
    tasks: tuple = ()  # the Tasks it acts on (none: every paused or failed one)
    scope: str = "task"  # "task" (the selected task's panel) or "global" (the toolbar)
    title: str = ""  # the tooltip: what it will do
    style: str = "warning"  # "primary" (resume) or "warning" (re-runs something)
    panel: str = ""  # unique name of the task whose panel shows it ("": the toolbar)

    def entry(self) -> dict:
        """The action as the page's ``actions`` trait lists it."""
        return {"id": self.id, "label": self.label, "scope": self.scope, "style": self.style,
                "title": self.title, "task": self.panel}

    def do(self, run: Any) -> Any:
        """Continue ``run`` this way (in the caller's thread); returns its flow State."""
        if self.verb == "resume":
            return continuation.resume(run, self.tasks)
        if self.verb == "step":
            return continuation.step(run, self.tasks[0])
        if self.verb == "retry_from":
            return continuation.retry_from(run, self.tasks[0])
        return continuation.retry(run, self.tasks)  # retry, or continue an interrupted run


def offered(run: Any, selected: Any, names: dict) -> list:
    """The actions on offer for ``run`` with ``selected`` (a Task or None) in the panel."""
    if run is None or run.state is None:
        return []
    own = [] if selected is None else _for_task(run, selected, names)
    return [*_global(run, names), *own]


def _global(run: Any, names: dict) -> list:
    stopped = _stopped(run)
    if stopped:
        return _stepping(run, stopped, names)
    paused, failed = offers.resumable(run), offers.retryable(run)
    found = []
    if paused:
        found.append(Action("resume_all", f"Resume all ({len(paused)})", "resume",
                            scope="global", style="primary",
                            title="Approve every paused task and continue the run"))
    if run.interrupted:  # retry() continues it, re-running what the interrupt cancelled
        found.append(Action("continue", "Continue the run", "continue", scope="global",
                            title="The run was interrupted; continue it where it stopped. "
                            + _preview_text(offers.retry_preview(run, ()), names)))
    elif failed:
        found.append(Action("retry_failed", f"Retry failed ({len(failed)})", "retry",
                            scope="global",
                            title=_preview_text(offers.retry_preview(run, ()), names)))
    return found


def _stopped(run: Any) -> list:
    """The tasks standing at a breakpoint, in run order: what ``continuation.step`` takes."""
    return breakpoints.stopped_tasks(run)


def _stepping(run: Any, stopped: list, names: dict) -> list:
    """Step (the first task stopped) and Continue (every one), for a run at a breakpoint."""
    first = names.get(stopped[0], stopped[0].name)
    others = [names.get(t, t.name) for t in stopped[1:]]
    waiting = [names.get(t, t.name) for t in offers.resumable(run) if t not in stopped]
    step_title = (f"Run {first}, stopped at a breakpoint, then stop before each task that "
                  "becomes ready")
    if others:
        step_title += f" ({_listed(others)} {'stays' if len(others) == 1 else 'stay'} stopped)"
    go_title = (f"Continue the run from its breakpoint{'s' if others else ''} "
                f"({_listed([first, *others])}) without stopping again")
    if waiting:
        go_title += (f"; {_listed(waiting)} {'waits' if len(waiting) == 1 else 'wait'} still "
                     "for approval (Resume in the panel)")
    return [Action("step", "Step", "step", (stopped[0],), scope="global", style="primary",
                   title=step_title),
            Action("continue_stopped", "Continue", "resume", tuple(stopped), scope="global",
                   style="primary", title=go_title)]


def _for_task(run: Any, task: Any, names: dict) -> list:
    name = names.get(task, task.name)
    return [replace(action, panel=name) for action in _task_actions(run, task, name, names)]


def _task_actions(run: Any, task: Any, name: str, names: dict) -> list:
    found = []
    if breakpoints.at_breakpoint(run.states.get(task)):
        found.append(Action(f"step:{name}", "Step this task", "step", (task,), style="primary",
                            title=f"Run {name} now, then stop before each task that becomes "
                            "ready"))
    elif task in offers.resumable(run):
        found.append(Action(f"resume:{name}", "Resume", "resume", (task,), style="primary",
                            title=f"Approve {name} and continue the run"))
    if task in offers.retryable(run):
        found.append(Action(f"retry:{name}", "Retry", "retry", (task,),
                            title=_preview_text(offers.retry_preview(run, (task,)), names)))
    else:
        upstream = offers.blocking_upstream(run, task)
        if upstream:
            first = upstream[0]
            found.append(Action(f"retry:{names.get(first, first.name)}",
                                f"Retry {names.get(first, first.name)}", "retry", (first,),
                                title=offers.why_not_retryable(run, task)))
    if continuation.can_retry_from(run, task) and not offers.blocking_upstream(run, task):
        found.append(Action(f"retry_from:{name}", "Retry from here", "retry_from", (task,),
                            title=_preview_text(offers.retry_from_preview(run, task), names)))
    return found


def _preview_text(preview: Any, names: dict) -> str:
    """``Re-runs: a, b. Reuses the results of: c.`` for a tooltip."""
    parts = [f"Re-runs: {_listed([_rerun_name(preview, t, names) for t in preview.rerun])}."]
    if preview.reused:
        parts.append("Reuses the results of: "
                     f"{_listed([names.get(t, t.name) for t in preview.reused])}.")
    return " ".join(parts)


def _rerun_name(preview: Any, task: Any, names: dict) -> str:
    """``work``, or ``work (8 of its children)`` for a mapped task re-run in part."""
    name = names.get(task, task.name)
    children = preview.children.get(task)
    return name if children is None else f"{name} ({len(children)} of its children)"


def _listed(names: Any) -> str:
    names = list(names)
    shown = ", ".join(names[:PREVIEW_NAMES])
    more = len(names) - PREVIEW_NAMES
    return shown + (f" and {more} more" if more > 0 else "") if names else "nothing"
