"""Plain-text reports for the magics: a task's one-line summary, a flow's task table, a run.

>>> from flowbook import Flow
>>> from flowbook.notebook.authoring import define_task
>>> flow, ns = Flow("demo"), {}
>>> _ = define_task(flow, "cluster", "'spark://1'", ns)
>>> print(task_summary(flow, define_task(flow, "job", "cluster.upper()", ns)))
job in flow 'demo' | inputs: cluster | trigger: all_successful
>>> _ = flow.run()
>>> print(run_summary(flow))
flow 'demo': Success (All reference tasks succeeded.) | 2 Success
  cluster  Success
  job      Success
"""

from __future__ import annotations

import builtins
import difflib
from collections import Counter
from typing import Any

from flowbook import triggers
from flowbook.core import task_options
from flowbook.engine.flow_run import state_name
from flowbook.notebook.cell_task import CellTask

__all__ = ["task_summary", "task_table", "run_summary", "simulation_summary", "reuse_summary"]


def task_summary(flow: Any, task: Any, namespace: dict | None = None) -> str:
    """One line: the task's flow, inputs, state-only upstreams, trigger and options; with the
    notebook's ``namespace``, also the names the code reads that nothing defines yet (a typo,
    or a task still to come; a close task name is offered) and a builtin the task's name
    hides."""
    inputs = [e.upstream_task.name for e in flow.edges_to(task) if e.key]
    waits = [e.upstream_task.name for e in flow.edges_to(task) if not e.key]
    parts = [f"{task.name} in flow {flow.name!r}",
             f"inputs: {', '.join(inputs) or 'none'}"]
    if waits:
        parts.append(f"after: {', '.join(waits)}")
    parts.append(f"trigger: {_trigger_name(task)}")
    if task.max_retries:
        delay = task_options.seconds(task.retry_delay)
        parts.append(f"retries: {task.max_retries} every {delay:g} s")
    if task.timeout is not None:
        parts.append(f"timeout: {task.timeout:g} s")
    if not task.skip_on_upstream_skip:
        parts.append("runs when upstream skipped")
    if task in flow.chosen_reference_tasks():
        parts.append("reference task")
    task_names = _other_task_names(flow, task)
    missing = [n for n in getattr(task, "upstream_names", ()) if n not in waits + inputs]
    if missing:
        parts.append("waiting for tasks not defined yet: "
                     + ", ".join(_with_hint(n, task_names, []) for n in missing))
    if namespace is not None:
        parts += _notes(task, inputs, namespace, task_names)
    return " | ".join(parts)


def _notes(task: Any, inputs: list, namespace: dict, task_names: list) -> list:
    notes = []
    assigned = getattr(task, "assigned", frozenset())  # its own variables are defined
    undefined = sorted(n for n in getattr(task, "reads", ()) if n not in inputs
                       and n not in assigned and n not in namespace
                       and not hasattr(builtins, n))
    if undefined:
        own = [n for n in namespace if not n.startswith("_") and n not in _SHELL_NAMES
               and n != task.name]
        notes.append("not defined yet: "
                     + ", ".join(_with_hint(n, task_names, own) for n in undefined))
    if hasattr(builtins, task.name):
        notes.append(f"note: the name hides Python's {task.name}() in this notebook")
    return notes


# Names IPython puts in every notebook: never what a cell meant to read.
_SHELL_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython"})


def _other_task_names(flow: Any, task: Any) -> list:
    return sorted({t.name for t in flow.tasks if not t.auto_generated and t is not task})


def _with_hint(name: str, task_names: list, notebook_names: list) -> str:
    """``name``, and the closest task name (else the closest other name of the notebook)
    when one is close. Tasks come first: what a cell reads is mostly tasks.

    >>> _with_hint("claened", ["cleaned", "raw"], ["cleaner"])
    'claened (did you mean cleaned?)'
    >>> _with_hint("totl", ["raw"], ["total_of"])
    'totl (did you mean total_of?)'
    >>> _with_hint("later", ["raw"], [])
    'later'
    """
    close = (difflib.get_close_matches(name, task_names, n=1)
             or difflib.get_close_matches(name, notebook_names, n=1))
    return f"{name} (did you mean {close[0]}?)" if close else name


def task_table(flow: Any) -> str:
    """Every task of the flow: how it was defined, its inputs, trigger and latest state; when
    some are stale (``notebook.stale``), a column saying why ("edited", "outdated", "below
    cleaned") and a line saying what to do."""
    run = flow.last_run
    found = _stale_reasons(flow)
    rows = [("task", "kind", "inputs", "trigger", "state") + (("stale",) if found else ())]
    for task in flow.tasks:
        if task.auto_generated:
            continue
        inputs = ", ".join(e.upstream_task.name for e in flow.edges_to(task) if e.key)
        kind = "%%task" if isinstance(task, CellTask) else type(task).__name__
        st = run.states.get(task) if run is not None else None
        stale = (found[task].why if task in found else "",) if found else ()
        rows.append((task.name, kind, inputs or "-", _trigger_name(task),
                     state_name(st)) + stale)
    if len(rows) == 1:
        return f"flow {flow.name!r} has no tasks yet; add one with a %%task cell"
    return _columns(rows) + "".join(f"\n{line}" for line in _stale_notes(found))


def _stale_reasons(flow: Any) -> dict:
    """Task -> why it is stale (``widget.staleness``, which finds them all in one walk)."""
    from flowbook.widget.staleness import reasons

    return {task: why for task, why in reasons(flow).items() if not task.auto_generated}


def _stale_notes(found: dict) -> list:
    """What brings stale tasks up to date: one line per way."""
    from flowbook.widget.staleness import EDITED, function_name

    notes = []
    if any(s.kind == EDITED for s in found.values()):
        notes.append("stale: edited since the flow ran, or below such a task; %flow run runs "
                     "them again")
    outdated = sorted({function_name(s.origin) for s in found.values() if s.kind != EDITED})
    if outdated:
        listed = ", ".join(f"{name}()" for name in outdated)
        held = "an older definition" if len(outdated) == 1 else "older definitions"
        notes.append(f"outdated: the flow holds {held} of {listed}; run the cell that builds "
                     "the flow")
    return notes


def run_summary(flow: Any) -> str:
    """The latest run: the flow's state, a count per state, and each task's state."""
    run = flow.last_run
    if run is None:
        return f"flow {flow.name!r} has not run yet; run it with %flow run"
    counts = Counter(state_name(st) for st in run.states.values())
    head = (f"flow {flow.name!r}: {state_name(run.state)} ({run.state.message}) | "
            + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    rows = [(t.name, state_name(run.states.get(t)), _reuse_note(run, t) if run.reuse else "")
            for t in flow.sorted_tasks() if not t.auto_generated]
    return head + "\n" + _columns(rows, indent="  ")


_LISTED = 8  # tasks named per line of reuse_summary before "and N more"


def reuse_summary(flow: Any) -> str | None:
    """Two lines under the widget of a reusing run: what was reused, what ran and why;
    None when the latest run did not reuse, or when it is a first run (every task ran, with
    no earlier result)."""
    run = flow.last_run
    if run is None or not run.reuse:
        return None
    reused, ran = [], []
    for task in flow.sorted_tasks():
        if task.auto_generated:
            continue
        note = _reuse_note(run, task)
        if note.startswith("reused"):
            reused.append(task.name)
        elif note.startswith("ran: "):
            ran.append(f"{task.name} ({note.removeprefix('ran: ')})")
    if not reused and all(r.endswith("(no earlier result)") for r in ran):
        return None  # a first run: nothing to say
    return (f"reused {len(reused)}: {_some(reused)}\n"
            f"ran {len(ran)}: {_some(ran)}  (%flow run --all runs every task)")


def _some(names: list) -> str:
    more = len(names) - _LISTED
    return ", ".join(names[:_LISTED]) + (f" and {more} more" if more > 0 else "") or "none"


def _reuse_note(run: Any, task: Any) -> str:
    """In a reusing run (engine.reuse): "reused (...)" or "ran: <why it ran again>"."""
    for state in reversed(run.task_history(task)):
        message = str(state.message or "")
        if state.is_cached() and message.startswith("Reused: "):
            return "reused: " + message.removeprefix("Reused: ").rstrip(".")
        if state.is_cached() and state is run.states.get(task):
            return "reused: " + message.rstrip(".").lower()  # a checkpoint, a cache_for
        if state.is_running() and message.startswith("Running again: "):
            return "ran: " + message.removeprefix("Running again: ").rstrip(".")
    return ""


def simulation_summary(flow: Any, state: Any, outcomes: dict) -> str:
    """What ``flowbook.simulate`` found: the flow's state, then each task's state and why
    (the outcome asked for, or the rule that decided)."""
    from flowbook.widget.explain import why_text

    asked = ", ".join(f"{name}={outcome}" for name, outcome in outcomes.items())
    counts = Counter(state_name(st) for st in state.result.values())
    head = (f"what if {asked or 'every task succeeds'}: flow {flow.name!r} would end "
            f"{state_name(state)} ({str(state.message).removeprefix('What-if: ')}) | "
            + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    named = {t for t in flow.tasks if t.name in outcomes}
    rows = []
    for task in flow.sorted_tasks():
        if task.auto_generated:
            continue
        st = state.result.get(task)
        why = ("as asked" if task in named else why_text(st.why) if st is not None
               and st.why is not None else "")
        rows.append((task.name, state_name(st), why))
    return (head + "\n" + _columns(rows, indent="  ")
            + "\n(simulated: no task ran; flowbook.simulate(flow, {...}) does it from code)")


def _trigger_name(task: Any) -> str:
    """The trigger as the cell wrote it (``always_run``), else the function's name."""
    return getattr(task, "trigger_text", None) or triggers.describe(task.trigger)[0]


def _columns(rows: list, indent: str = "") -> str:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(indent + "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
                     for r in rows)
