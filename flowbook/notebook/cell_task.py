"""Cell tasks: a task whose work is the code of a notebook cell.

The body is compiled into a function whose keyword arguments are its inputs (the names it
reads that are other tasks of the flow); every other name resolves in the notebook's
namespace. The value of the last expression, or an explicit ``return``, is the result.

>>> ns = {}
>>> t = CellTask("total", "n = len(rows)\\nn * 10", ns)
>>> sorted(t.reads)
['len', 'n', 'rows']
>>> t.set_inputs(["rows"])
>>> t.run(rows=[1, 2, 3])
30
"""

from __future__ import annotations

import ast
import copy
import linecache
import symtable
from typing import Any, Iterable

from flowbook.core.task import Task

__all__ = ["CellTask", "parse_body", "names_read", "names_assigned"]


def parse_body(source: str, filename: str) -> ast.Module:
    """The body's syntax tree; raises SyntaxError with the line in the cell."""
    tree = ast.parse(source, filename, "exec")
    # Compiled once as a function so that errors only a function has ('return' with a value
    # is fine, but e.g. 'nonlocal x' is not) are reported now, not at run time.
    _compile_function(tree, (), filename, {}, "_check")
    return tree


def names_assigned(tree: ast.Module, filename: str) -> frozenset:
    """The names the body assigns (its own variables; an input it assigns again too)."""
    source = ast.unparse(_as_function(tree, (), "_body"))
    body = symtable.symtable(source, filename, "exec").get_children()[0]
    return frozenset(s.get_name() for s in body.get_symbols() if s.is_local())


def names_read(tree: ast.Module, filename: str) -> frozenset:
    """Every name the body reads from outside itself: candidate inputs and notebook names."""
    source = ast.unparse(_as_function(tree, (), "_body"))
    body = symtable.symtable(source, filename, "exec").get_children()[0]
    names = {s.get_name() for s in body.get_symbols() if s.is_referenced()}
    nested = list(body.get_children())
    while nested:
        table = nested.pop()
        names.update(s.get_name() for s in table.get_symbols()
                     if s.is_referenced() and s.is_global())
        nested.extend(table.get_children())
    return frozenset(names)


class CellTask(Task):
    """A task defined by a ``%%task`` cell: ``source`` is its code, ``reads`` the names the
    code reads (those naming other tasks of the flow become its inputs)."""

    def __init__(self, name: str, source: str, namespace: dict,
                 upstream_names: Iterable[str] = (), **task_options: Any):
        super().__init__(name=name, **task_options)
        self.source = source  # the cell body as written
        self.filename = f"<%%task {name}>"  # shown in tracebacks; the source is in linecache
        self.tree = parse_body(source, self.filename)
        self.reads = names_read(self.tree, self.filename)  # names read from outside the body
        self.assigned = names_assigned(self.tree, self.filename)  # its own variables
        self.upstream_names = tuple(upstream_names)  # --upstream: state-only upstream tasks
        self.reference = False  # whether the cell asked for --reference
        self.trigger_text: str | None = None  # the --trigger as written, to show it back
        self._namespace = namespace  # the notebook's globals, the body's global scope
        self.inputs: tuple = ()  # the input names the body is compiled for, sorted
        self._fn = _compile_function(self.tree, (), self.filename, namespace, name)
        linecache.cache[self.filename] = (len(source), None, source.splitlines(True),
                                          self.filename)

    def set_inputs(self, names: Iterable[str]) -> None:
        """Compile the body for these input names (a no-op when they are unchanged)."""
        inputs = tuple(sorted(names))
        if inputs != self.inputs:
            self._fn = _compile_function(self.tree, inputs, self.filename, self._namespace,
                                         self.name)
            self.inputs = inputs

    def run(self, **inputs: Any) -> Any:
        return self._fn(**inputs)

    def __getstate__(self) -> dict:
        # The notebook namespace stays behind when a task is pickled (e.g. for a Dask
        # worker); the compiled function carries the globals it uses.
        state = dict(self.__dict__)
        state.pop("_namespace", None)
        state.pop("tree", None)
        return state


def _as_function(tree: ast.Module, inputs: tuple, name: str) -> ast.Module:
    """``def name(*, <inputs>): <body>``, with a final expression turned into ``return``."""
    module = ast.parse(f"def {_function_name(name)}(*, {', '.join(inputs)}): pass"
                       if inputs else f"def {_function_name(name)}(): pass")
    body = [copy.deepcopy(node) for node in tree.body] or [ast.Pass()]
    last = body[-1]
    if isinstance(last, ast.Expr):
        body[-1] = ast.copy_location(ast.Return(value=last.value), last)
    module.body[0].body = body
    return ast.fix_missing_locations(module)


def _compile_function(tree: ast.Module, inputs: tuple, filename: str, namespace: dict,
                      name: str) -> Any:
    code = compile(_as_function(tree, inputs, name), filename, "exec")
    scope: dict = {}
    exec(code, namespace, scope)  # defines the function, with the notebook as its globals
    return scope[_function_name(name)]


def _function_name(task_name: str) -> str:
    return task_name if task_name.isidentifier() else "cell_task"
