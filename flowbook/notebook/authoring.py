"""Adding, redefining and removing cell tasks while keeping the flow whole.

A change is planned, tried on a copy of the flow (so a cycle is found before anything moves)
and only then applied; a mistake raises ``CellError`` and leaves the flow as it was. While a
run of the flow is in progress (a widget's Resume or Retry in the background), every change
is refused with ``RunInProgressError``: the run's loop walks the flow's edges.

>>> from flowbook import Flow
>>> flow, ns = Flow("demo"), {}
>>> _ = define_task(flow, "total", "sum(rows)", ns)        # 'rows' is not a task yet
>>> _ = define_task(flow, "rows", "[1, 2, 3]", ns)         # now it is: total reads it
>>> flow.run().result[ns["total"]].result
6
"""

from __future__ import annotations

import builtins
import keyword
from collections import ChainMap
from typing import Any, Iterable

from flowbook import triggers
from flowbook.core import task_options
from flowbook.core.flow import Flow, FlowCycleError
from flowbook.core.task import Task
from flowbook.engine.in_progress import refuse_changes
from flowbook.errors import UserError, UserValueError
from flowbook.notebook.cell_task import CellTask

__all__ = ["CellError", "TRIGGER_NAMES", "define_task", "remove_task", "reset_flow",
           "connect_pending", "relink", "find_task", "resolve_trigger", "check_name"]

TRIGGER_NAMES = tuple(n for n in triggers.__all__ if n not in ("upstream_state_list",
                                                                 "describe", "truth_table"))


class CellError(UserValueError):
    """A mistake in a ``%%task`` cell or ``%flow`` command; the message says how to fix it.
    A ``UserError`` (and a ``ValueError``), so the magics show it as a ``UsageError``."""


def define_task(flow: Flow, name: str, source: str, namespace: dict, *,
                trigger: str | Any = None, max_retries: int | None = None,
                retry_delay: float | None = None, timeout: float | None = None,
                upstream: Iterable[str] = (), skip_on_upstream_skip: bool = True,
                reference: bool = False) -> CellTask:
    """Add the task ``name`` running ``source`` to ``flow``, or redefine it in place (same
    node, inputs recomputed from the new code), and bind ``name`` in ``namespace``."""
    check_name(name)
    refuse_changes(flow, f"redefine %%task {name}")
    existing = _existing_cell_task(flow, name)
    spec = _build(name, source, namespace, trigger=trigger, max_retries=max_retries,
                  retry_delay=retry_delay, timeout=timeout, upstream=upstream,
                  skip_on_upstream_skip=skip_on_upstream_skip)
    target = existing or spec
    remove, add = _plan(flow, target, spec)
    _check_acyclic(flow, target, remove, add)
    was_reference = target.reference
    if existing is not None:
        # Edited: other code than the one its results came from (notebook.stale).
        ran = flow.last_run is not None and existing in flow.last_run.states
        edited = existing.edited or (ran and existing.source != spec.source)
        existing.__dict__.update(spec.__dict__)  # the same node gets the new code and options
        for option in task_options.OPTIONS:  # an option back at its default is in no __dict__
            if option in vars(existing) and option not in vars(spec):
                delattr(existing, option)
        existing.edited = edited
    else:
        flow.add_task(spec)
    _apply(flow, remove, add)
    _sync_inputs(flow, target)
    _set_reference(flow, target, reference, was_reference)
    namespace[name] = target
    return target


def connect_pending(flow: Flow) -> list:
    """Give every cell task the edges from tasks it reads that exist now; returns them."""
    add = _pending(flow, _tasks_by_name(flow), skip=None)
    if add:
        refuse_changes(flow, "connect its %%task cells")
    _check_acyclic(flow, None, [], add)
    _apply(flow, [], add)
    return add


def relink(flow: Flow) -> None:
    """After tasks were removed or added by other means (a re-run ``with notebook_flow()``
    cell): every cell task's inputs follow its edges again, and waiting reads connect."""
    for task in flow.tasks:
        if isinstance(task, CellTask):
            _sync_inputs(flow, task)
    connect_pending(flow)


def remove_task(flow: Flow, name: str, namespace: dict) -> None:
    """Remove the task ``name`` and its edges; cell tasks reading it wait for a new one."""
    task = find_task(flow, name)
    refuse_changes(flow, f"remove task {name!r}")
    below = [t for t in flow.downstream_tasks(task) if isinstance(t, CellTask)]
    flow.remove_task(task)
    for t in below:
        _sync_inputs(flow, t)
    if namespace.get(name) is task:
        del namespace[name]


def reset_flow(flow: Flow, namespace: dict) -> None:
    """Empty ``flow``: every task, edge, reference choice and run is forgotten."""
    refuse_changes(flow, "reset it")
    for task in list(flow.tasks):
        flow.remove_task(task)
        if namespace.get(task.name) is task:
            del namespace[task.name]
    flow.set_reference_tasks([])
    flow.last_run = None


def find_task(flow: Flow, name: str) -> Any:
    """The one task of ``flow`` called ``name``."""
    found = flow.get_tasks(name=name)
    if len(found) == 1:
        return found[0]
    if not found:
        names = ", ".join(sorted(t.name for t in flow.tasks if not t.auto_generated))
        raise CellError(f"flow {flow.name!r} has no task named {name!r}; its tasks are: "
                        f"{names or 'none yet'}")
    raise CellError(f"flow {flow.name!r} has {len(found)} tasks named {name!r}; use "
                    "flow.remove_task(task) with the Task object instead")


def check_name(name: str) -> None:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise CellError(f"{name!r} is not a valid task name: a %%task name must be a Python "
                        "identifier (letters, digits and _, not starting with a digit, not a "
                        "keyword), because the notebook binds it to the task")


def resolve_trigger(expr: Any, namespace: dict) -> Any:
    """A trigger from ``--trigger``: a name in flowbook.triggers, a call such as
    ``some_successful(at_least=2)``, or a callable of the notebook."""
    if expr is None or callable(expr):
        return expr
    builtin = {n: getattr(triggers, n) for n in TRIGGER_NAMES}
    try:
        code = compile(expr, "<--trigger>", "eval")
        value = eval(code, {"__builtins__": builtins}, ChainMap(builtin, namespace))
    except NameError as exc:
        raise CellError(f"unknown trigger {expr!r} ({exc}); use one of "
                        f"{', '.join(TRIGGER_NAMES)}, a call such as "
                        "\"some_successful(at_least=2)\", or a function defined in the "
                        "notebook") from None
    except Exception as exc:  # the expression is the user's code: what it raises is theirs
        raise CellError(f"--trigger {expr!r} could not be evaluated: {exc}") from None
    if not callable(value):
        raise CellError(f"--trigger {expr!r} is {value!r}, not a trigger function; use one of "
                        f"{', '.join(TRIGGER_NAMES)}")
    return value


# -- planning ------------------------------------------------------------------------------


def _build(name: str, source: str, namespace: dict, *, trigger: Any, max_retries: Any,
           retry_delay: Any, timeout: Any, upstream: Iterable[str],
           skip_on_upstream_skip: bool) -> CellTask:
    """A new CellTask from the cell, every mistake reported as a CellError."""
    if max_retries and retry_delay is None:
        raise CellError(f"%%task {name}: --max-retries {max_retries} needs --retry-delay "
                        "SECONDS (the wait before each retry; 0 retries at once)")
    if retry_delay is not None and not max_retries:
        raise CellError(f"%%task {name}: --retry-delay needs --max-retries N (N > 0)")
    for up in upstream:
        check_name(up)
    try:
        new = CellTask(name, source, namespace, upstream_names=upstream,
                       trigger=resolve_trigger(trigger, namespace), max_retries=max_retries,
                       retry_delay=retry_delay, timeout=timeout,
                       skip_on_upstream_skip=skip_on_upstream_skip)
    except SyntaxError as exc:
        line = (exc.text or "").rstrip()
        raise CellError(f"syntax error in %%task {name}, line {(exc.lineno or 0) + 1} of the "
                        f"cell: {exc.msg}" + (f"\n    {line.strip()}" if line else "")) from None
    except UserError as exc:  # an option Task refuses; anything else is a bug: it propagates
        raise CellError(f"%%task {name}: {exc}") from None
    new.trigger_text = trigger if isinstance(trigger, str) else None
    return new


def _existing_cell_task(flow: Flow, name: str) -> CellTask | None:
    same = flow.get_tasks(name=name)
    cells = [t for t in same if isinstance(t, CellTask)]
    if len(same) > len(cells):
        raise CellError(f"flow {flow.name!r} already has a task named {name!r} that is not a "
                        f"%%task cell; pick another name, or remove it first with "
                        f"`%flow remove {name}`")
    return cells[0] if cells else None


def _tasks_by_name(flow: Flow, extra: Any = None) -> dict:
    """Name -> task for names only one task of the flow has (auto-made tasks left out)."""
    seen: dict = {}
    for task in [*flow.tasks, *([extra] if extra is not None else [])]:
        if not task.auto_generated:
            seen[task.name] = None if task.name in seen and seen[task.name] is not task else task
    return {name: task for name, task in seen.items() if task is not None}


def _plan(flow: Flow, target: CellTask, spec: CellTask) -> tuple[list, list]:
    """(edges to remove, (upstream, downstream, key) to add) so that ``target`` gets the
    inputs ``spec``'s code reads and every cell task the tasks it reads that exist."""
    by_name = _tasks_by_name(flow, extra=target)
    for name in spec.reads:
        if (name != target.name and _upstream_of(name, flow, by_name, spec) is None
                and len(flow.get_tasks(name=name)) > 1):
            raise CellError(f"%%task {target.name} reads {name!r}, and flow {flow.name!r} has "
                            f"several tasks named {name!r}; rename one so the input is clear")
    remove = flow.edges_to(target) if target in flow.tasks else []
    add = []
    for name in sorted(spec.reads):
        up = _upstream_of(name, flow, by_name, spec)
        if name != target.name and up is not None and up is not target:
            add.append((up, target, name))
    add += [(by_name[n], target, None) for n in spec.upstream_names
            if n in by_name and n not in spec.reads and n != target.name]
    return remove, add + _pending(flow, by_name, skip=target)


def _upstream_of(name: str, flow: Flow, by_name: dict, task: CellTask) -> Any:
    """The task a cell reading ``name`` gets its input from: a notebook variable bound to a
    task of the flow (``rows = load()`` in a flow cell), else the task called ``name``."""
    namespace = getattr(task, "_namespace", None) or {}  # a pickled copy has none
    value = namespace.get(name)
    if isinstance(value, Task) and value in flow.tasks:
        return value
    return by_name.get(name)


def _pending(flow: Flow, by_name: dict, skip: Any) -> list:
    """Edges cell tasks (but ``skip``) lack to the tasks they read or wait for."""
    add = []
    for task in flow.tasks:
        if not isinstance(task, CellTask) or task is skip:
            continue
        edges = flow.edges_to(task)
        keys = {e.key for e in edges}
        ups = {e.upstream_task for e in edges}
        for name in sorted(task.reads):
            up = _upstream_of(name, flow, by_name, task)
            if up is not None and up is not task and name not in keys:
                add.append((up, task, name))
                ups.add(up)
        add += [(by_name[n], task, None) for n in task.upstream_names
                if by_name.get(n) not in (None, task) and by_name[n] not in ups]
    return add


def _check_acyclic(flow: Flow, target: Any, remove: list, add: list) -> None:
    if not add:
        return
    trial = flow.copy()
    if target is not None:
        trial.add_task(target)
    for edge in remove:
        trial.remove_edge(edge)
    for up, down, key in add:
        trial.add_edge(up, down, key=key)
    try:
        trial.sorted_tasks()
    except FlowCycleError as exc:
        names = " -> ".join(t.name for t in exc.cycle)
        raise CellError(f"this would make a cycle in flow {flow.name!r}: {names}; a task "
                        "cannot read (or wait for) a task that depends on it. The flow is "
                        "unchanged.") from None


def _apply(flow: Flow, remove: list, add: list) -> None:
    changed = {e.downstream_task for e in remove}
    for edge in remove:
        flow.remove_edge(edge)
    for up, down, key in add:
        flow.add_edge(up, down, key=key)
        changed.add(down)
    for task in changed:
        _sync_inputs(flow, task)


def _sync_inputs(flow: Flow, task: CellTask) -> None:
    task.set_inputs(e.key for e in flow.edges_to(task) if e.key)


def _set_reference(flow: Flow, task: CellTask, reference: bool, was_reference: bool) -> None:
    """``--reference`` adds the task to the flow's reference tasks; dropping the option on a
    later run of the cell takes it out again (choices made elsewhere are kept)."""
    chosen = flow.chosen_reference_tasks()  # empty: the terminal tasks decide
    if reference and task not in chosen:
        flow.set_reference_tasks(chosen + [task])
    elif not reference and was_reference and task in chosen:
        flow.set_reference_tasks([t for t in chosen if t is not task])
    task.reference = reference
