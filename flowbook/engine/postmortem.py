"""After a task run failed: its inputs, its exception, pdb at the failure, a cell to run it.

A run keeps no copy of what a task was given: the inputs are derived from the states above
the task, exactly as its task run built them (``task_run.inputs_of``), a mapped child's from
its element of each mapped upstream (``mapping.child_upstreams``). The exception is the
result of the task's latest Failed state, with its traceback when the task ran in this
process; ``debug`` opens pdb post-mortem in the frame of the task's own code, and
``load_cell`` writes its inputs and its code as a cell that fails the same way, to fix.

>>> from flowbook import Flow, task
>>> @task
... def scale(values, factor):
...     return [factor / v for v in values]
>>> with Flow("etl") as flow:
...     out = scale(task(lambda: [2, 0], name="values")(), factor=10)
>>> state = flow.run()
>>> inputs(flow.last_run, "scale")
{'values': [2, 0], 'factor': 10}
>>> failure(flow.last_run, out)
ZeroDivisionError('division by zero')
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import textwrap
from typing import Any

from flowbook.core.task import FunctionTask
from flowbook.engine.continuation import resolve_tasks
from flowbook.engine.flow_run import FlowRun, state_name
from flowbook.engine.mapping import child_upstreams, settled
from flowbook.engine.state import State, TimedOut, TriggerFailed
from flowbook.engine.task_run import inputs_of
from flowbook.engine.upstream import upstream_states
from flowbook.errors import UserValueError

__all__ = ["inputs", "failure", "debug", "load_cell", "flow_variable"]

_CHILD = re.compile(r"(.+)\[(\d+)\]")  # "clean[3]": child 3 of the mapped task clean
_LITERAL_CHARS = 200  # longer values are read from the run (flow.inputs) in a loaded cell


def inputs(run: FlowRun, task: Any, map_index: int | None = None) -> dict:
    """What ``task`` (a Task, its name, or ``"name[3]"`` for a mapped child) was given in its
    latest run in ``run``: argument name -> value. A mapped task without ``map_index``
    stands for its first failed child."""
    task, index = _target(run, task, map_index)
    return inputs_of(_upstream(run, task, index))


def failure(run: FlowRun, task: Any, map_index: int | None = None) -> BaseException:
    """The exception ``task``'s latest attempt failed with (an attempt waiting for its retry,
    or stopped by an interrupt, counts the attempt before it)."""
    task, index = _target(run, task, map_index)
    return _failed(run, task, index).result


def debug(run: FlowRun, task: Any, map_index: int | None = None, *, pdb_class: Any = None,
          stdin: Any = None, stdout: Any = None) -> None:
    """Open pdb post-mortem where ``task`` failed, in the frame of its own code (its inputs
    are that frame's arguments), else in the deepest frame. ``pdb_class`` (default: IPython's
    debugger inside IPython, else ``pdb.Pdb``), ``stdin`` and ``stdout`` are passed on."""
    task, index = _target(run, task, map_index)
    state, full = _failed(run, task, index), _full_name(task, index)
    exc = state.result
    if isinstance(state, TimedOut):
        raise UserValueError(f"task {full!r} timed out ({state.message}): its code was still "
                             "running, so no frame of it failed; `%flow load "
                             f"{full}` puts its inputs and code in a cell to run here")
    if exc.__traceback__ is None:
        raise UserValueError(f"the exception of task {full!r} ({exc!r}) has no traceback: it "
                             "came back from another process (a Dask worker), which keeps no "
                             f"frames; `%flow load {full}` puts its inputs and code in a cell "
                             "to run here")
    tb, in_body = _from_body(exc.__traceback__, _body_code(task))
    names = ", ".join(inputs_of(_upstream(run, task, index))) or "none"
    where = ("in its code, inputs in scope: " + names if in_body else
             f"at the deepest frame (its own code is not in the traceback; "
             f"flow.inputs({full!r}) gives its inputs: {names})")
    print(f"debugging {full}: {exc!r} {where}; q quits", file=stdout or sys.stdout)
    debugger = (pdb_class or _pdb_class())(stdin=stdin, stdout=stdout)
    _post_mortem(debugger, tb, at_first=in_body)


def load_cell(run: FlowRun, task: Any, map_index: int | None = None,
              flow_variable: str | None = "flow") -> str:
    """A notebook cell that runs ``task`` again as in its latest run: its inputs as
    assignments, then its code (a ``%%task`` cell's body; an ``@task`` function's definition
    and a call of it). ``flow_variable`` is the notebook's variable for the flow, which reads
    inputs that are not short literals; None: a notebook flow, ``flowbook.notebook_flow``."""
    task, index = _target(run, task, map_index)
    full, values = _full_name(task, index), inputs_of(_upstream(run, task, index))
    code = _code(task, list(values), full)
    lines = [f"# inputs of {full}'s latest run ({_outcome(run, task, index)})"]
    source = flow_variable or f"flowbook.notebook_flow({run.flow.name!r})"
    read = False  # whether a value is read from the run
    # An input named like the flow's variable is assigned last, after the others read it.
    for name in sorted(values, key=lambda n: n == flow_variable):
        if not name.isidentifier():
            raise UserValueError(f"task {full!r} takes an input named {name!r}, which cannot "
                                 f"be a variable; flow.inputs({full!r}) gives its inputs")
        text = _literal(values[name])
        read = read or text is None
        lines.append(f"{name} = {text}" if text is not None
                     else f"{name} = {source}.inputs({full!r})[{name!r}]")
    if read and flow_variable is None:
        lines.insert(1, "import flowbook")
    return "\n".join(lines + code) + "\n"


def flow_variable(flow: Any, namespace: dict, preferred: str | None = None) -> str | None:
    """The name of a variable of ``namespace`` bound to ``flow`` (``preferred`` first, then
    ``flow``, then in order), or None."""
    names = [n for n in (preferred, "flow", *namespace)
             if n and not n.startswith("_") and namespace.get(n) is flow]
    return names[0] if names else None


# -- which task, which state ------------------------------------------------------------

def _target(run: FlowRun, item: Any, map_index: int | None) -> tuple:
    """(Task, map_index) named by ``item``: a Task, a name, or "name[i]"; a mapped task
    without an index stands for its first failed child."""
    child = _CHILD.fullmatch(item) if isinstance(item, str) else None
    if child and not run.flow.get_tasks(name=item):
        item, named = child.groups()
        if map_index is not None and map_index != int(named):
            raise UserValueError(f"{item}[{named}] names child {named}, but map_index is "
                                 f"{map_index}; give one of them")
        map_index = int(named)
    (task,) = resolve_tasks(run.flow, run.plan, [item])
    state = run.states.get(task)
    if state is None:
        raise UserValueError(f"task {task.name!r} has not run in the latest run of flow "
                             f"{run.flow.name!r}; run the flow first")
    if not state.is_mapped():
        if map_index is not None:
            raise UserValueError(f"task {task.name!r} is not mapped in the latest run of flow "
                                 f"{run.flow.name!r} (it is {state_name(state)}); leave out "
                                 "the child's index")
        return task, None
    children = state.map_states
    if map_index is None:
        failed = [i for i, child in enumerate(children) if child.is_failed()]
        if not failed:
            raise UserValueError(f"task {task.name!r} is mapped into {len(children)} children "
                                 f"and none failed; name one, e.g. {task.name}[0]")
        return task, failed[0]
    if not 0 <= map_index < len(children):
        raise UserValueError(f"task {task.name!r} is mapped into {len(children)} children; "
                             f"there is no child {map_index} (0 to {len(children) - 1})")
    return task, map_index


def _upstream(run: FlowRun, task: Any, index: int | None) -> dict:
    """``{Edge: State}`` the task (or its child ``index``) ran with; refuses while an
    upstream task has not settled, since the inputs are not all there yet."""
    upstream = upstream_states(run.plan, run.states, task)
    if index is not None:
        parent = run.states[task]
        existing = max(len(parent.map_states), parent.n_map_states)
        upstream = child_upstreams(upstream, existing)[index]
    for edge, st in upstream.items():
        if not settled(st):
            raise UserValueError(f"task {_full_name(task, index)!r} has not run in the latest "
                                 f"run of flow {run.flow.name!r}: its upstream task "
                                 f"{edge.upstream_task.name!r} is {state_name(st)}; run the "
                                 "flow on first")
    return upstream


def _finished(run: FlowRun, task: Any, index: int | None) -> State | None:
    """The task's latest finished state, looking past a wait for a retry, a retry in
    progress or an interrupt; None if it never finished."""
    for state in reversed(run.task_history(task, index)):
        if state.is_finished():
            return state
    return None


def _failed(run: FlowRun, task: Any, index: int | None) -> State:
    """The Failed state of the task's latest attempt, with the exception it failed with."""
    state, full = _finished(run, task, index), _full_name(task, index)
    if state is None:
        raise UserValueError(f"task {full!r} has not finished in the latest run of flow "
                             f"{run.flow.name!r} (it is "
                             f"{state_name(run.current_state(task, index))}); nothing to debug")
    if state.is_successful():
        done = "was skipped" if state.is_skipped() else "succeeded"
        raise UserValueError(f"{full} {done}; nothing to debug — flow.inputs({full!r}) gives "
                             "its inputs")
    if isinstance(state, TriggerFailed):
        failed = [name for name, st in (state.why.upstream if state.why else ())
                  if any(part.is_failed() for part in st.parts())]
        raise UserValueError(f"task {full!r} did not run its code: it is TriggerFailed "
                             f"({state.message}), which has no exception to debug; "
                             + (f"debug {failed[0]!r}, the upstream task that failed"
                                if failed else "debug the upstream task that failed"))
    if not state.is_failed() or not isinstance(state.result, BaseException):
        raise UserValueError(f"task {full!r} is {state_name(state)} without an exception of "
                             f"its code ({state.message}); nothing to debug")
    return state


def _outcome(run: FlowRun, task: Any, index: int | None) -> str:
    """``Failed: ZeroDivisionError('division by zero')``, or the state's name."""
    state = _finished(run, task, index) or run.current_state(task, index)
    if state.is_failed() and isinstance(state.result, BaseException):
        return f"{state_name(state)}: {state.result!r}"
    return state_name(state)


def _full_name(task: Any, index: int | None) -> str:
    return task.name if index is None else f"{task.name}[{index}]"


# -- pdb ------------------------------------------------------------------------------------

def _body_code(task: Any) -> Any:
    """The code object of the task's own code: a ``%%task`` cell's compiled body (its
    ``_fn``, notebook.cell_task), an ``@task`` function, a Task subclass's ``run``."""
    fn = getattr(task, "_fn", None) or task.run
    fn = inspect.unwrap(getattr(fn, "__func__", fn))
    return getattr(fn, "__code__", None)


def _from_body(tb: Any, code: Any) -> tuple:
    """(the traceback from the task's own frame on, True), or (``tb``, False) when the task's
    code is not in it (a state handler or a checkpoint failed)."""
    entry = tb
    while entry is not None:
        if code is not None and entry.tb_frame.f_code == code:
            return entry, True
        entry = entry.tb_next
    return tb, False


def _pdb_class() -> type:
    """IPython's debugger in IPython (in a kernel it asks for input on the stdin channel),
    else the standard library's."""
    ipython = sys.modules.get("IPython")  # never imported here: only if already loaded
    if ipython is not None and ipython.get_ipython() is not None:
        from IPython.core.debugger import Pdb

        return Pdb
    import pdb

    return pdb.Pdb


def _post_mortem(debugger: Any, tb: Any, at_first: bool) -> None:
    """pdb's post-mortem on ``tb``, stopped at its first frame when ``at_first`` (the task's
    own), else, as pdb does, at the deepest."""
    debugger.reset()
    if at_first:
        setup = debugger.setup

        def setup_at_first(frame: Any, traceback: Any) -> Any:
            stop = setup(frame, traceback)
            debugger.curindex = 0
            debugger.curframe = debugger.stack[0][0]
            if sys.version_info < (3, 13):  # later, pdb reads curframe.f_locals itself
                debugger.curframe_locals = debugger.curframe.f_locals
            return stop

        debugger.setup = setup_at_first  # pdb offers no other way to choose the first frame
    debugger.interaction(None, tb)


# -- the loaded cell --------------------------------------------------------------------------

def _code(task: Any, names: list, full: str) -> list:
    """The lines of a cell running the task's code on variables ``names``."""
    body = getattr(task, "source", None)  # a %%task cell's body as written
    if isinstance(body, str):
        return [*_runnable_body(body, task.name, names),
                f"# then copy the fix into the %%task {task.name} cell, run it, and "
                "flow.retry()"]
    if not isinstance(task, FunctionTask):
        raise UserValueError(f"task {full!r} is a {type(task).__name__}, not an @task function "
                             "or a %%task cell, so there is no code of it to put in a cell; "
                             f"flow.inputs({full!r}) gives its inputs")
    fn = inspect.unwrap(task.run)
    try:
        source = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError) as exc:
        raise UserValueError(f"the source of task {full!r}'s function {fn!r} is not "
                             f"available ({exc}); flow.inputs({full!r}) gives its inputs") from None
    definition = ast.parse(source).body[0]
    if not isinstance(definition, (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise UserValueError(f"task {full!r} runs a lambda, not a def, so there is no "
                             f"definition to put in a cell; flow.inputs({full!r}) gives its "
                             "inputs")
    call = definition.name + (".run" if definition.decorator_list else "")
    arguments = ", ".join(f"{n}={n}" for n in names)
    return [source.rstrip("\n"), f"{call}({arguments})",
            "# then re-run the cell that builds the flow, and run the flow again: it keeps",
            f"# the {definition.name} it was built with, so flow.retry() alone runs the old code"]


def _runnable_body(body: str, name: str, names: list) -> list:
    """A cell body as lines a cell runs; one with a ``return`` becomes a function called
    on the inputs (a cell cannot return), its last expression returned."""
    tree = ast.parse(body)
    if not any(isinstance(node, ast.Return) for node in _outer_nodes(tree)):
        return body.rstrip("\n").splitlines()
    lines = body.rstrip("\n").splitlines()
    last = tree.body[-1]
    if isinstance(last, ast.Expr):
        row = lines[last.lineno - 1]
        lines[last.lineno - 1] = row[:last.col_offset] + "return " + row[last.col_offset:]
    function = f"{name}_body"
    return [f"def {function}({', '.join(names)}):",
            *textwrap.indent("\n".join(lines), "    ").splitlines(),
            f"{function}({', '.join(f'{n}={n}' for n in names)})"]


def _outer_nodes(tree: ast.AST) -> Any:
    """The nodes of ``tree`` outside the functions and classes it defines."""
    nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    pending = list(ast.iter_child_nodes(tree))
    while pending:
        node = pending.pop()
        yield node
        if not isinstance(node, nested):
            pending.extend(ast.iter_child_nodes(node))


def _literal(value: Any) -> str | None:
    """``repr(value)`` when it is short and reads back as an equal value, else None."""
    if not _plain(value, [_LITERAL_CHARS]):
        return None
    text = repr(value)
    if len(text) > _LITERAL_CHARS:
        return None
    try:
        same = ast.literal_eval(text) == value
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return text if same else None


_SCALARS = (int, float, complex, str, bytes, bool, type(None))


def _plain(value: Any, budget: list) -> bool:
    """Built of Python's literal types only, with at most ``budget[0]`` parts (a short repr
    has few), checked before anything is repr'd: a large value costs nothing here."""
    budget[0] -= 1
    if budget[0] < 0:
        return False
    kind = type(value)
    if kind in (str, bytes):
        return len(value) <= _LITERAL_CHARS
    if kind in _SCALARS:
        return True
    if kind in (list, tuple, set):
        return all(_plain(v, budget) for v in value)
    if kind is dict:
        return all(_plain(k, budget) and _plain(v, budget) for k, v in value.items())
    return False
