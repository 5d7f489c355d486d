"""The notebook's flows: ``notebook_flow(name)`` and finding a flow the user named.

A notebook flow remembers which cell built what: running a cell's
``with notebook_flow():`` block again first removes the tasks that cell added last time, so
re-running (or editing and re-running) a flow cell replaces its tasks instead of adding
copies, and the ``%%task`` cells reading them are linked to the new ones.

>>> notebook_flow() is notebook_flow("notebook")
True
>>> find_flow("notebook", {}).name
'notebook'
"""

from __future__ import annotations

import itertools
import sys
from typing import Any

from flowbook.core.flow import Flow
from flowbook.errors import UserLookupError

__all__ = ["DEFAULT_FLOW", "NotebookFlow", "notebook_flow", "find_flow", "flow_names",
           "watch_cells"]

DEFAULT_FLOW = "notebook"
_FLOWS: dict = {}  # flow name -> NotebookFlow; lives as long as the kernel
_cell: Any = None  # (cell id, execution number) of the cell running now, when IPython says
_executions = itertools.count(1)
_watched: set = set()  # ids of the IPython shells whose cells we follow


class NotebookFlow(Flow):
    """A flow of the notebook; ``with`` blocks re-run in the same cell replace their tasks."""

    def __init__(self, name: str, **kwargs: Any):
        super().__init__(name, **kwargs)
        self._built_by: dict = {}  # cell id -> (execution number, [tasks its block added])
        self._building: list = []  # (cell id, tasks before the block), one per open block

    def __enter__(self) -> "NotebookFlow":
        cell = _cell
        if cell is not None:
            cell_id, execution = cell
            done, added = self._built_by.get(cell_id, (None, []))
            if done != execution:  # the cell runs again: its earlier tasks go
                _remove_tasks(self, added)
                self._built_by[cell_id] = (execution, [])
            self._building.append((cell_id, set(self.tasks)))
        return super().__enter__()

    def __exit__(self, *exc: Any) -> None:
        super().__exit__(*exc)
        if self._building:
            cell_id, before = self._building.pop()
            execution, added = self._built_by[cell_id]
            added.extend(t for t in self.tasks if t not in before)
            from flowbook.notebook import authoring

            authoring.relink(self)


def _remove_tasks(flow: Flow, tasks: list) -> None:
    from flowbook.engine.in_progress import refuse_changes

    tasks = [t for t in tasks if t in flow.tasks]
    if tasks:
        refuse_changes(flow, "rebuild it")
    for task in tasks:
        flow.remove_task(task)


def notebook_flow(name: str = DEFAULT_FLOW) -> NotebookFlow:
    """The notebook's flow called ``name``, made on first use; ``%%task`` cells add to it."""
    flow = _FLOWS.get(name)
    if flow is None:
        flow = _FLOWS[name] = NotebookFlow(name)
    watch_cells()
    return flow


def watch_cells(shell: Any = None) -> None:
    """Follow which cell runs (IPython's pre_run_cell event), when inside IPython."""
    if shell is None:
        ipython = sys.modules.get("IPython")  # never imported here: only if already loaded
        shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or id(shell) in _watched:
        return
    _watched.add(id(shell))
    shell.events.register("pre_run_cell", _note_cell)


def _note_cell(info: Any) -> None:
    global _cell
    cell_id = getattr(info, "cell_id", None)
    _cell = None if cell_id is None else (cell_id, next(_executions))


def find_flow(name: str | None, namespace: dict, create: bool = False) -> Flow:
    """The flow ``name`` means: a Flow variable of the notebook, else a notebook flow of that
    name (made when ``create``); the default notebook flow when ``name`` is None."""
    if name is None:
        return notebook_flow()
    value = namespace.get(name)
    if isinstance(value, Flow):
        return value
    if name in _FLOWS or create:
        return notebook_flow(name)
    raise UserLookupError(f"no flow named {name!r}: the notebook's flows are "
                          f"{', '.join(flow_names(namespace)) or 'none yet'}; add a task to a "
                          f"new one with `%%task NAME --flow {name}`")


def flow_names(namespace: dict) -> list:
    """The notebook flows' names and the names of the notebook's Flow variables."""
    variables = [k for k, v in namespace.items() if isinstance(v, Flow) and not k.startswith("_")]
    return sorted(set(_FLOWS) | set(variables))
