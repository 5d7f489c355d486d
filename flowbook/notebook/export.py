"""Export a notebook's flow to a standalone Python script (``%flow export PATH.py [FLOW]``).

``script(flow, namespace, history)`` returns the text of a module that builds the same flow
and runs it with ``python PATH.py`` wherever flowbook is installed. Its parts, in order:

1. flowbook's imports;
2. the notebook code the tasks need: for each name a task reads that is neither one of its
   inputs nor a builtin, the latest top-level statement of the notebook's history (IPython's
   ``In``) that binds it, then what those statements read, each statement once, in the
   order the notebook ran them, an import cut down to the names needed. Statements rather
   than cells: a cell that defines a helper and also runs the flow gives only the helper;
   a name read inside a function is looked up as it is at the end (the latest definition,
   as the notebook's run saw it), a name read at once as it was just before;
3. one ``@task`` function per task function: a ``%%task`` cell becomes ``def name(inputs):``
   with its last expression returned and its comments kept; an ``@task`` function keeps its
   body as written. Decorators are written from the tasks' options as they are now, not
   copied from the cell (a notebook name the decorator read may have changed since);
4. the flow, written from its plan whatever built it (``with Flow``, ``%%task`` cells,
   ``add_edge``), with the functional API: one call per task in the order the tasks were
   added (so repeated names get the same ``-2`` suffixes), data edges as keyword arguments,
   state-only edges as ``upstream_tasks``, ``.map`` with ``unmapped``/``mapped``/``flatten``
   where an edge differs from the call, options a copy changed as ``task_args``, constants
   as literals, ``with case(...)`` blocks and ``merge(...)`` as they were written (unless
   changed since), the reference tasks when chosen;
5. ``if __name__ == "__main__":`` runs the flow and prints its state, then one line per task:
   its unique name and state class (a mapped task's children's classes after it).

What the script could not rebuild as it is, it refuses with a ``UserValueError`` naming the
task: a lambda, a function reading variables of the function it was made in, a constant or
option with no literal form (a lock, an open file), a name no notebook cell binds (or only
a magic, or a ``with``/``for`` block the script would have to run whole), a Task subclass
with its own ``__init__``. Statements that change a needed object in place without binding
a name (``rows.append(4)``) are not carried over.

>>> from flowbook import Flow
>>> from flowbook.notebook.authoring import define_task
>>> flow, ns = Flow("demo"), {}
>>> _ = define_task(flow, "rows", "[1, 2, 3]", ns)
>>> _ = define_task(flow, "total", "sum(rows)  # all of them", ns)
>>> print(script(flow, ns).split(3 * chr(10))[3])
@task
def total(rows):
    return sum(rows)  # all of them
"""

from __future__ import annotations

import ast
import builtins
import inspect
import io
import re
import symtable
import sys
import textwrap
import tokenize
from dataclasses import dataclass
from typing import Any

from flowbook import triggers
from flowbook.core.parameter import Parameter
from flowbook.core.task import FunctionTask, GetItem, Task
from flowbook.errors import UserValueError
from flowbook.notebook.cell_task import CellTask, _as_function
from flowbook.tasks import control_flow
from flowbook.tasks import core as gathering

__all__ = ["script"]

# Task options, in the order a decorator or task_args lists them.
OPTIONS = ("tags", "max_retries", "retry_delay", "retry_on", "timeout", "trigger",
           "skip_on_upstream_skip", "cache_for", "cache_validator", "cache_key", "checkpoint",
           "state_handlers", "log_stdout", "nout", "slug")
# Names the script imports from flowbook: a notebook name among them must be the same object.
FLOWBOOK_NAMES = {"Flow": "flowbook", "task": "flowbook", "Parameter": "flowbook",
                  "triggers": "flowbook", "unmapped": "flowbook", "mapped": "flowbook",
                  "flatten": "flowbook", "case": "flowbook",
                  "merge": "flowbook", "cache": "flowbook.engine"}
# flowbook's own Task classes: the attributes their constructor takes first.
KNOWN_CLASSES = {control_flow.CompareValue: ("value",), control_flow.Merge: (),
                 gathering.Constant: ("value",), gathering.List: (), gathering.Tuple: (),
                 gathering.Set: (), gathering.Dict: (), GetItem: ()}
IPYTHON_NAMES = {"display", "get_ipython", "In", "Out", "exit", "quit"}
PREFERRED_TRIGGERS = ("always_run", *triggers.__all__)


def script(flow: Any, namespace: dict, history: Any = None, *, filename: str = "") -> str:
    """The text of a Python module that builds ``flow`` and runs it when run as a script.

    ``namespace`` is the notebook's (IPython's ``user_ns``); ``history`` the code of the
    cells it ran, oldest first (default: its ``In`` list); ``filename`` the file it goes to,
    for its docstring. Raises UserValueError naming what cannot be exported."""
    cells = namespace.get("In", ()) if history is None else history
    return _Exporter(flow, namespace, _History(cells)).text(filename)


@dataclass(frozen=True)
class _Statement:
    """One top-level statement of the notebook's history."""

    position: int  # its place among every statement of the history; later is larger
    cell: int  # the number of its cell in the history (In[cell])
    node: ast.stmt
    text: str  # its code as written (comments kept); unparsed when it shares a line
    binds: frozenset  # names it binds at the top level
    reads_now: frozenset  # names read as it runs
    reads_later: frozenset  # names read when the functions or classes it defines are used
    magic: bool  # it calls get_ipython(): a magic or a shell command


def _scan(source: str) -> tuple:
    """(names bound at the top level, names read there, names read in nested scopes)."""
    table = symtable.symtable(source, "<export>", "exec")
    symbols = table.get_symbols()
    binds = {s.get_name() for s in symbols if s.is_assigned() or s.is_imported()}
    now = {s.get_name() for s in symbols if s.is_referenced()}
    later: set = set()
    nested = list(table.get_children())
    while nested:
        child = nested.pop()
        later.update(s.get_name() for s in child.get_symbols()
                     if s.is_referenced() and s.is_global())
        nested.extend(child.get_children())
    return frozenset(binds), frozenset(now), frozenset(later)


class _History:
    """The statements of the notebook's history, and which binds a name when."""

    def __init__(self, cells: Any):
        self.statements: list = []
        self._binding: dict = {}  # name -> [statements binding it], oldest first
        for number, code in enumerate(cells):
            try:
                tree = ast.parse(code or "")
            except SyntaxError:
                continue  # a cell that did not run binds nothing
            lines = (code or "").splitlines()
            for node in tree.body:
                self._add(number, node, lines)

    def _add(self, cell: int, node: ast.stmt, lines: list) -> None:
        try:
            binds, now, later = _scan(ast.unparse(node))
        except SyntaxError:  # top-level await and the like: nothing a script can reuse
            return
        stmt = _Statement(len(self.statements), cell, node, _segment(node, lines), binds,
                          now, later, "get_ipython" in now | later)
        self.statements.append(stmt)
        for name in binds:
            self._binding.setdefault(name, []).append(stmt)

    def binding(self, name: str, before: int | None = None) -> _Statement | None:
        """The latest statement binding ``name`` (before position ``before``)."""
        for stmt in reversed(self._binding.get(name, ())):
            if before is None or stmt.position < before:
                return stmt
        return None


def _segment(node: ast.stmt, lines: list) -> str:
    """The statement's own lines (decorators and comments kept), else its unparsed code."""
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
    start, end = lines[first - 1], lines[node.end_lineno - 1]
    col = len(start.encode()[:node.col_offset].decode(errors="ignore")) if first == node.lineno \
        else len(start) - len(start.lstrip())
    rest = end.encode()[node.end_col_offset:].decode(errors="ignore").strip()
    if start[:col].strip() or (rest and not rest.startswith("#")):
        return ast.unparse(node)  # `a = 1; b = 2`: this statement alone
    return textwrap.dedent("\n".join(lines[first - 1:node.end_lineno]))


def _refuse(message: str) -> UserValueError:
    return UserValueError(f"cannot export: {message}")


class _Exporter:
    """Writes one flow; ``text()`` is the script."""

    def __init__(self, flow: Any, namespace: dict, history: _History):
        self.flow, self.ns, self.history = flow, namespace, history
        self.plan = flow.plan()
        self.imports: dict = {}  # local name -> module it comes from (flowbook's first)
        self.needs: dict = {}  # notebook name -> who reads it (for messages)
        self.factories: dict = {}  # function or CellTask -> _Factory
        self.how: dict = {}  # Task -> _Call (tasks written inline have none)
        chosen = set(flow.chosen_reference_tasks())
        self.inline = {t for t in self.plan.tasks if _inlined(t, self.plan) and t not in chosen}
        for t in self.plan.tasks:
            if t not in self.inline:
                self.how[t] = self._call_of(t)
            self._note_values(t)
        self.cases = self._cases(chosen)
        merges = [t for t in self.how if type(t) is control_flow.Merge]
        for t in merges:
            if self.how[t].callable == "Merge()" and _merged(t, self.plan):
                self.imports["merge"] = "flowbook"
        if all(self.how[t].callable == "Merge()" and _merged(t, self.plan) for t in merges):
            self.imports.pop("Merge", None)
        self.flow_options = self._flow_options()
        self.code, self.wanted = self._notebook_code()

    def _cases(self, chosen: set) -> dict:
        """CompareValue -> the tasks it runs first, for each ``case`` block the script can
        write as one: made by ``case`` and changed in no other way."""
        plan, found = self.plan, {}
        for c in plan.tasks:
            if type(c) is not control_flow.CompareValue or c in chosen:
                continue
            members = [e.downstream_task for e in plan.edges_from[c]]
            ins = plan.edges_to[c]
            if (c.name != f"case({c.value})" or self.how[c].callable != _case_task(c)
                    or len(ins) != 1 or ins[0].key != "value" or ins[0].mapped
                    or ins[0].flattened or any(e.key or e.mapped for e in plan.edges_from[c])):
                continue
            inside = set(members)
            if all(m in self.how and not self.how[m].parameter and
                   type(m) is not control_flow.CompareValue and
                   not any(e.upstream_task in inside | self.inline for e in plan.edges_to[m])
                   for m in members):
                self.imports["case"] = "flowbook"
                found[c] = sorted(members, key=plan.tasks.index)
        if all(c in found for c in plan.tasks if type(c) is control_flow.CompareValue):
            self.imports.pop("CompareValue", None)
        return found

    def _note_values(self, t: Any) -> None:
        """Note the imports and notebook names the flow's values and edges will use."""
        who = f"task {self.plan.names[t]!r}"
        for edge, value in self.plan.constants_of[t]:
            self._text(value.result, f"{who}: its argument {edge.key!r}")
        if t in self.inline and isinstance(t, gathering.Constant):
            self._text(t.value, f"{who}: its value")
        call_mapped = t in self.plan.mapped
        if call_mapped and self.plan.constants_of[t]:
            self.imports["unmapped"] = "flowbook"
        for edge in self.plan.edges_to[t]:
            for wrapper in _wrappers(edge, call_mapped, self.plan):
                self.imports[wrapper] = "flowbook"

    # -- what each task is written as -------------------------------------------------------

    def _call_of(self, t: Any) -> "_Call":
        who = f"task {self.plan.names[t]!r}"
        if isinstance(t, CellTask):
            return _Call(self._factory(t, t, who), {})
        if isinstance(t, FunctionTask):
            base = self._base_task(t, who)
            task_args = self._options(t, _option_values(base), who, "task_args")
            if t.name != base.name:
                task_args = {"name": _literal(t.name), **task_args}
            if t.run.__module__ != "__main__":
                return _Call(None, task_args, callable=t.run.__name__)
            return _Call(self._factory(t.run, base, who), task_args)
        if isinstance(t, Parameter):
            kwargs = {"default": self._text(t.default, f"{who}: its default")}
            if t.required != (t.default is None):
                kwargs["required"] = repr(t.required)
            base = Parameter(t.name, t.default, t.required)
            self.imports["Parameter"] = "flowbook"
            return _Call(None, {}, self._construct(t, [_literal(t.name)], kwargs, base, who),
                         parameter=True)
        return _Call(None, {}, self._class_task(t, who))

    def _base_task(self, t: FunctionTask, who: str) -> Any:
        """The task the ``@task`` decorator made (what a copy's task_args differ from)."""
        fn = t.run
        if fn.__name__ == "<lambda>":
            raise _refuse(f"{who} is built from a lambda, which has no name or def to write; "
                          "write it as a function with `@task` above its def")
        if fn.__module__ != "__main__":
            made = getattr(sys.modules.get(fn.__module__), fn.__name__, None)
            if isinstance(made, FunctionTask) and made.run is fn:
                self.imports[fn.__name__] = fn.__module__
                return made
            raise _refuse(f"{who} runs {fn.__module__}.{fn.__qualname__}, which is not an "
                          "@task of its module the script could import")
        for value in [self.ns.get(fn.__name__), *self.ns.values()]:
            if isinstance(value, FunctionTask) and value.run is fn:
                return value
        return next(u for u in self.plan.tasks if isinstance(u, FunctionTask) and u.run is fn)

    def _factory(self, key: Any, base: Any, who: str) -> "_Factory":
        """The ``@task`` def of a function (or of a ``%%task`` cell), written once."""
        if key not in self.factories:
            name, body, reads = (_cell_function(key) if isinstance(key, CellTask) else
                                 _function_source(key, who))
            options = self._options(base, _option_values(Task()), who, "decorator")
            for read in sorted(reads):
                self._need(read, who)
            self.factories[key] = _Factory(name, body, options, base.name)
        return self.factories[key]

    def _class_task(self, t: Any, who: str) -> str:
        cls = type(t)
        if cls in KNOWN_CLASSES:
            self.imports[cls.__name__] = cls.__module__
            args = [self._text(getattr(t, a), f"{who}: its {a}") for a in KNOWN_CLASSES[cls]]
            return self._construct(t, args, {}, cls(*(getattr(t, a) for a in KNOWN_CLASSES[cls])),
                                   who)
        if cls.__init__ is not Task.__init__:
            raise _refuse(f"{who} is a {cls.__qualname__}, whose __init__ takes arguments "
                          "the script cannot know; give it a plain Task.__init__ or write the "
                          "flow with @task functions")
        if cls.__module__ == "__main__":
            if self.ns.get(cls.__name__) is not cls:
                raise _refuse(f"{who} is a {cls.__qualname__} the notebook no longer binds to "
                              "that name; run its class cell again and rebuild the flow")
            self._need(cls.__name__, who)
        else:
            self.imports[cls.__name__] = cls.__module__
        return self._construct(t, [], {}, cls(), who)

    def _construct(self, t: Any, args: list, kwargs: dict, base: Any, who: str) -> str:
        """``Cls(args, kwargs, options differing from a fresh ``base``)``."""
        options = self._options(t, _option_values(base), who, "decorator")
        if t.name != base.name:
            kwargs = {**kwargs, "name": _literal(t.name)}
        kwargs.update(options)
        parts = args + [f"{k}={v}" for k, v in kwargs.items()]
        return f"{type(t).__name__}({', '.join(parts)})"

    # -- options and values -----------------------------------------------------------------

    def _options(self, t: Any, base: dict, who: str, where: str) -> dict:
        """Option -> its code, for the options of ``t`` that differ from ``base``."""
        mine = _option_values(t)
        texts = {}
        for option in OPTIONS:
            if mine[option] == base[option]:
                continue
            value = mine[option]
            if option == "state_handlers":
                texts.update(self._handlers(value, who, where))
            elif option == "tags":
                tags = ", ".join(repr(tag) for tag in sorted(value))
                texts[option] = f"frozenset({{{tags}}})" if where == "task_args" else f"[{tags}]"
            else:
                texts[option] = self._text(value, f"{who}: its {option}")
        return texts

    def _handlers(self, handlers: tuple, who: str, where: str) -> dict:
        plain = [h for h in handlers if not _is_on_failure(h)]
        texts = {"state_handlers": self._text(list(plain), f"{who}: its state_handlers")}
        wrapped = [h for h in handlers if _is_on_failure(h)]
        if wrapped and (where == "task_args" or len(wrapped) > 1 or handlers[-1] is not
                        wrapped[0]):
            raise _refuse(f"{who} has an on_failure handler given to a copy; give it as "
                          "state_handlers instead")
        if wrapped:
            fn = inspect.getclosurevars(wrapped[0]).nonlocals["on_failure"]
            texts["on_failure"] = self._text(fn, f"{who}: its on_failure")
            if not plain:
                del texts["state_handlers"]
        return texts

    def _text(self, value: Any, what: str) -> str:
        """Code giving ``value``; the notebook names and imports it uses are noted."""
        literal = _literal(value)
        if literal is not None:
            return literal
        if isinstance(value, (list, tuple)):
            items = [self._text(v, what) for v in value]
            if isinstance(value, tuple):
                return f"({', '.join(items)}{',' if len(items) == 1 else ''})"
            return f"[{', '.join(items)}]"
        if callable(value):
            return self._object(value, what)
        raise _refuse(f"{what} is {_short(value)}, which cannot be written as a Python "
                      "literal; compute it in a task (or pass it as a Parameter) instead")

    def _object(self, obj: Any, what: str) -> str:
        """A function or class: by its name in flowbook, builtins, the notebook or a module."""
        module, name = getattr(obj, "__module__", None), getattr(obj, "__qualname__", "")
        if module == "flowbook.triggers":
            self.imports["triggers"] = "flowbook"
            for candidate in PREFERRED_TRIGGERS:
                if getattr(triggers, candidate, None) is obj:
                    return f"triggers.{candidate}"
            if obj.__name__ in ("some_successful", "some_failed"):
                return f"triggers.{obj.__name__}({_bounds(obj)})"
        if module == "flowbook.engine.cache":
            self.imports["cache"] = "flowbook.engine"
            if name.endswith(".<locals>.validator"):
                keys = inspect.getclosurevars(obj).nonlocals["validate_on"]
                return f"cache.{name.split('.')[0]}(validate_on={keys!r})"
            return f"cache.{name}"
        if getattr(builtins, name, None) is obj:
            return name
        if name == "<lambda>" or "<locals>" in name:
            raise _refuse(f"{what} is {_short(obj)}, a lambda or a function made inside "
                          "another, which the script cannot name; define it with def at the "
                          "top level of a cell")
        if module == "__main__":
            if self.ns.get(name) is not obj:
                raise _refuse(f"{what} is an earlier definition of {name!r}, not the one the "
                              "notebook has now; run the cell that builds the flow again")
            self._need(name, what)
            return name
        if getattr(sys.modules.get(module), name, None) is obj:
            self.imports[name] = module
            return name
        raise _refuse(f"{what} is {_short(obj)}, which the script cannot import")

    def _flow_options(self) -> str:
        flow, options = self.flow, [_literal(self.flow.name)]
        if flow.result_dir is not None:
            options.append(f"result_dir={_literal(str(flow.result_dir))}")
        if flow.state_handlers:
            options.append("state_handlers=" + self._text(
                list(flow.state_handlers), f"flow {flow.name!r}: its state_handlers"))
        return ", ".join(options)

    # -- the notebook's code ----------------------------------------------------------------

    def _need(self, name: str, who: str) -> None:
        if _free(name):
            self.needs.setdefault(name, who)

    def _notebook_code(self) -> tuple:
        """(the statements the needed names come from, in the order the notebook ran them;
        statement position -> the names wanted from it)."""
        chosen: dict = {}
        wanted: dict = {}
        work = [(name, None, who) for name, who in self.needs.items()]
        while work:
            name, before, who = work.pop()
            stmt = self._statement(name, before, who)
            if stmt is None:
                continue
            wanted.setdefault(stmt.position, set()).add(name)
            if stmt.position in chosen:
                continue
            chosen[stmt.position] = stmt
            reader = f"In[{stmt.cell}] (which defines {name!r})"
            for read in stmt.reads_now - {"get_ipython"}:
                if _free(read) and not (read in stmt.binds and
                                        self.history.binding(read, stmt.position) is None):
                    work.append((read, stmt.position, reader))
            work.extend((read, None, reader) for read in stmt.reads_later if _free(read))
        return [chosen[p] for p in sorted(chosen)], wanted

    def _statement(self, name: str, before: int | None, who: str) -> _Statement | None:
        """The statement binding ``name`` that the script needs (None: flowbook's import)."""
        if name in FLOWBOOK_NAMES:
            ours = _flowbook_object(name)
            if self.ns.get(name, ours) is ours:
                self.imports[name] = FLOWBOOK_NAMES[name]
                return None
            raise _refuse(f"{who} reads {name!r}, which the notebook binds to something "
                          f"else than flowbook's {name}; rename it in the notebook")
        stmt = self.history.binding(name, before)
        if stmt is None:
            hint = (", a task of another flow" if isinstance(self.ns.get(name), Task) else
                    "; IPython provides it, a script has no IPython" if name in IPYTHON_NAMES
                    else "")
            raise _refuse(f"{who} reads {name!r}, which no cell of the notebook defines"
                          f"{hint}; define it in a cell, or make it a task's input")
        if stmt.magic:
            raise _refuse(f"{who} reads {name!r}, which only a magic sets (In[{stmt.cell}]: "
                          f"{stmt.text.strip()}); a script runs no magics: set it with plain "
                          "Python in a cell")
        if isinstance(stmt.node, (ast.With, ast.AsyncWith, ast.For, ast.AsyncFor, ast.While)):
            kind = type(stmt.node).__name__.lower().replace("async", "async ")
            raise _refuse(f"{who} reads {name!r}, which In[{stmt.cell}] sets inside a `{kind}` "
                          "block the script would have to run whole; set it at the top level "
                          "of a cell")
        return stmt

    # -- writing ----------------------------------------------------------------------------

    def text(self, filename: str) -> str:
        names = _Names(self)
        run = f"`python {filename}`" if filename else "python"
        parts = [f'"""Flow {self.flow.name!r}, exported from a notebook by flowbook\'s '
                 f'`%flow export`.\n\nRun it with {run}; it prints the state of the flow and '
                 'of each task."""', self._import_lines()]
        if self.code:
            parts.append(_code_lines(self.code, self.wanted))
        parts += [f.text(names.factory[f]) for f in self.factories.values()]
        parts.append(self._wiring(names))
        parts.append(_main(names.flow))
        return "\n\n\n".join(parts) + "\n"

    def _import_lines(self) -> str:
        self.imports["Flow"] = "flowbook"
        if self.factories:
            self.imports["task"] = "flowbook"
        modules: dict = {}
        for name, module in self.imports.items():
            modules.setdefault(module, []).append(name)
        return "\n".join(f"from {m} import {', '.join(sorted(n, key=str.lower))}"
                         for m, n in sorted(modules.items()))

    def _wiring(self, names: "_Names") -> str:
        flow = names.flow
        lines = [f"with Flow({self.flow_options}) as {flow}:"]
        written = [t for t in self.plan.tasks if t in self.how]
        for t in written:
            if self.how[t].parameter:
                lines.append(f"    {names.var[t]} = {self.how[t].callable}")
        bound: set = set()  # the Parameters an edge has added to the flow so far
        for unit in _in_order(self.plan, written, self.inline, self.cases):
            if unit in self.cases:
                lines += self._case_lines(unit, names, bound)
            elif not self.how[unit].parameter:
                lines += self._call_lines(unit, names, "    ")
            elif not self.plan.edges_from[unit]:
                lines.append(f"    {flow}.add_task({names.var[unit]})")
            bound.update(e.upstream_task for t in self.cases.get(unit, [unit])
                         for e in self.plan.edges_to[t])
        chosen = self.flow.chosen_reference_tasks()
        if chosen:
            lines.append(f"{flow}.set_reference_tasks([{', '.join(names.var[t] for t in chosen)}])")
        return "\n".join(lines)

    def _case_lines(self, cond: Any, names: "_Names", bound: set) -> list:
        """``with case(task, value):`` around the tasks the case's CompareValue runs first."""
        members = self.cases[cond]
        lines = [f"    {names.flow}.add_task({names.var[e.upstream_task]})"
                 for t in members for e in self.plan.edges_to[t]
                 if isinstance(e.upstream_task, Parameter) and e.upstream_task not in bound]
        (edge,) = self.plan.edges_to[cond]
        lines.append(f"    with case({self._expr(edge.upstream_task, names)}, "
                     f"{self._text(cond.value, 'a case value')}):")
        for t in members:
            lines += self._call_lines(t, names, "        ")
        return lines

    def _call_lines(self, t: Any, names: "_Names", indent: str) -> list:
        """``var = factory(arguments)``, over several lines when it is long."""
        how, mapped = self.how[t], t in self.plan.mapped
        head = (names.factory[how.factory] if how.factory else how.callable) + \
            (".map" if mapped else "")
        args, state_only = [], []
        for edge in self.plan.edges_to[t]:
            if t in self.cases.get(edge.upstream_task, ()):
                continue  # the case block adds it
            text = self._expr(edge.upstream_task, names)
            for wrapper in _wrappers(edge, mapped, self.plan):
                text = f"{wrapper}({text})"
            (args.append(f"{edge.key}={text}") if edge.key else state_only.append(text))
        for edge, value in self.plan.constants_of[t]:
            text = self._text(value.result, f"task {self.plan.names[t]!r}: its argument "
                                            f"{edge.key!r}")
            args.append(f"{edge.key}=unmapped({text})" if mapped else f"{edge.key}={text}")
        if state_only:
            args.append(f"upstream_tasks=[{', '.join(state_only)}]")
        if how.callable == "Merge()" and _merged(t, self.plan):
            head, args = "merge", [a.split("=", 1)[1] for a in args]  # as merge() made it
        if how.task_args:
            args.append("task_args=dict(" + ", ".join(
                f"{k}={v}" for k, v in how.task_args.items()) + ")")
        return _layout(f"{indent}{names.var[t]} = {head}(", args)

    def _expr(self, t: Any, names: "_Names") -> str:
        """How an edge names its upstream task: a variable, or the value written inline."""
        if t not in self.inline:
            return names.var[t]
        if isinstance(t, gathering.Constant):
            return self._text(t.value, f"task {self.plan.names[t]!r}: its value")
        if isinstance(t, gathering.Dict):
            keys = {e.key: s.result for e, s in self.plan.constants_of[t]}["keys"]
            values = self._items(self.plan.edges_to[t][0].upstream_task, names)
            return "{" + ", ".join(f"{self._text(k, 'a key')}: {v}"
                                   for k, v in zip(keys, values)) + "}"
        texts = self._items(t, names)
        if isinstance(t, gathering.Tuple):
            return f"({', '.join(texts)}{',' if len(texts) == 1 else ''})"
        if isinstance(t, gathering.Set):
            return "{" + ", ".join(texts) + "}"
        return f"[{', '.join(texts)}]"

    def _items(self, t: Any, names: "_Names") -> list:
        """The code of a gathering task's items, in order."""
        return [self._expr(v, names) if isinstance(v, Task) else
                self._text(v, f"task {self.plan.names[t]!r}: an item")
                for v in _items(t, self.plan)]


@dataclass(eq=False)
class _Factory:
    """An ``@task`` function of the script."""

    preferred: str  # the def's name in the notebook (a %%task cell: the task's name)
    body: str  # the def, decorators left out, as the notebook has it
    options: dict  # decorator option -> its code (name left out)
    task_name: str  # the name the decorator gives its task

    def text(self, name: str) -> str:
        options = dict(self.options)
        if self.task_name != name:
            options = {"name": repr(self.task_name), **options}
        decorator = "@task" if not options else "@task(" + ", ".join(
            f"{k}={v}" for k, v in options.items()) + ")"
        body = re.sub(rf"^(\s*(async\s+)?def\s+){re.escape(self.preferred)}\b", rf"\g<1>{name}",
                      self.body, count=1)
        return f"{decorator}\n{body}"


@dataclass(eq=False)
class _Call:
    """How one task is written in the flow."""

    factory: Any  # the _Factory called (None: an imported @task or a class)
    task_args: dict  # option -> code, where this task differs from its factory's task
    callable: str | None = None  # the code called instead of a factory
    parameter: bool = False  # a Parameter: bound to a variable, added by its edges


class _Names:
    """The script's names: a def per factory, a variable per task, never two alike."""

    def __init__(self, exporter: _Exporter):
        taken = set(FLOWBOOK_NAMES) | set(exporter.imports) | set(dir(builtins))
        for stmt in exporter.code:
            taken |= stmt.binds
        self.factory = {f: _fresh(f.preferred, taken, "_")
                        for f in exporter.factories.values()}
        variables = _variables(exporter.ns, exporter.how, exporter.history)
        self.var = {t: _fresh(variables.get(t) or _identifier(exporter.plan.names[t]), taken,
                              "_task") for t in exporter.plan.tasks if t in exporter.how}
        self.flow = _fresh("flow", taken, "_")


def _fresh(preferred: str, taken: set, suffix: str) -> str:
    name, n = preferred, 1
    while name in taken:
        name = f"{preferred}{suffix}" if n == 1 else f"{preferred}{suffix}{n}"
        n += 1
    taken.add(name)
    return name


def _identifier(name: str) -> str:
    text = re.sub(r"\W+", "_", name).strip("_") or "task"
    return f"task_{text}" if text[0].isdigit() else text


def _variables(namespace: dict, how: dict, history: _History) -> dict:
    """Task -> the notebook variable bound to it, when exactly one is, by an assignment
    (``x = load()``, in a ``with`` block or not; a loop's variable is left out)."""
    found: dict = {}
    for name, value in namespace.items():
        stmt = history.binding(name)
        if isinstance(value, Task) and value in how and not name.startswith("_") and \
                isinstance(getattr(stmt, "node", None), (ast.Assign, ast.AnnAssign, ast.With)):
            found[value] = None if value in found else name
    return {t: n for t, n in found.items() if n}


# -- pieces of the script -------------------------------------------------------------------


def _cell_function(t: CellTask) -> tuple:
    """(name, def, names it reads from the notebook) of a ``%%task`` cell."""
    body = _returning(t.source, t.tree)
    if body is None:  # a string spanning lines: indenting would change it
        body = ast.unparse(_as_function(t.tree, t.inputs, t.name)).split("\n", 1)[1]
    function = f"def {t.name}({', '.join(t.inputs)}):\n{body}"
    _, _, reads = _scan(function)  # t.reads has the body's own variables too
    return t.name, function, {n for n in reads if _free(n)}


def _returning(source: str, tree: ast.Module) -> str | None:
    """The cell's lines indented, the last expression returned; None if a string spans lines."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    if any(tok.type == tokenize.STRING and tok.start[0] != tok.end[0] for tok in tokens):
        return None
    lines = source.splitlines()
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr):
        line = lines[last.lineno - 1]
        col = len(line.encode()[:last.col_offset].decode(errors="ignore"))
        lines[last.lineno - 1] = f"{line[:col]}return {line[col:]}"
    if not tree.body:
        lines.append("pass")
    return "\n".join(f"    {line}" if line.strip() else "" for line in lines)


def _function_source(fn: Any, who: str) -> tuple:
    """(name, def without decorators, names it reads) of an ``@task`` function."""
    if fn.__code__.co_freevars:
        raise _refuse(f"{who} runs {fn.__qualname__}, which reads "
                      f"{', '.join(fn.__code__.co_freevars)} of the function it was made in; "
                      "define it at the top level of a cell")
    try:
        source = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        raise _refuse(f"{who} runs {fn.__qualname__}, whose source flowbook cannot find "
                      "(made with exec?); define it in a cell") from None
    node = ast.parse(source).body[0]
    lines = source.splitlines()[node.lineno - 1:node.end_lineno]
    body = textwrap.dedent("\n".join(lines))
    binds, now, later = _scan(body)
    reads = {n for n in (now | later) - binds if _free(n)}
    return fn.__name__, body, reads


def _code_lines(code: list, wanted: dict) -> str:
    """The notebook's statements, each cell's under an ``# In[n]`` line."""
    out, cell = [], None
    for stmt in code:
        if stmt.cell != cell:
            out.append(f"{'' if cell is None else chr(10)}# In[{stmt.cell}]")
            cell = stmt.cell
        if isinstance(stmt.node, _BLOCKS) and out[-1].strip() and out[-1][0] != "#":
            out.append("")
        out.append(_cut_import(stmt, wanted[stmt.position]))
        if isinstance(stmt.node, _BLOCKS):
            out.append("")
    return "\n".join(out).rstrip()


_BLOCKS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _cut_import(stmt: _Statement, wanted: set) -> str:
    """An import statement kept to the names wanted from it."""
    node = stmt.node
    if not isinstance(node, (ast.Import, ast.ImportFrom)):
        return stmt.text
    needed = [a for a in node.names if (a.asname or a.name.split(".")[0]) in wanted]
    if len(needed) == len(node.names):
        return stmt.text
    return ast.unparse(type(node)(**{**node.__dict__, "names": needed}))


def _main(flow: str) -> str:
    return (f'if __name__ == "__main__":\n'
            f"    state = {flow}.run()\n"
            f"    print(state)\n"
            f"    for t, name in {flow}.plan().names.items():\n"
            f"        s = state.result[t]\n"
            f"        children = [type(c).__name__ for c in getattr(s, 'map_states', [])]\n"
            f"        print(f\"{{name:24}} {{type(s).__name__}}\", *children)")


def _layout(opening: str, args: list, width: int = 99) -> list:
    """A call's lines: on one line when it fits, else one argument a line (a long
    ``task_args=dict(...)`` one option a line)."""
    line = f"{opening}{', '.join(args)})"
    if len(line) <= width:
        return [line]
    indent = " " * (len(opening) - len(opening.lstrip()) + 4)
    lines = [opening.rstrip()]
    for n, arg in enumerate(args):
        end = ")" if n == len(args) - 1 else ","
        if len(indent + arg) >= width and arg.startswith("task_args=dict("):
            hang = ",\n" + " " * (len(indent) + len("task_args=dict("))
            arg = "task_args=dict(" + hang.join(_split_arguments(arg[15:-1])) + ")"
        lines.append(f"{indent}{arg}{end}")
    return lines


def _split_arguments(text: str) -> list:
    """``a=1, b=f(2, 3)`` -> ``["a=1", "b=f(2, 3)"]`` (commas inside brackets kept)."""
    call = ast.parse(f"f({text})", mode="eval").body
    return [f"{k.arg}={ast.get_source_segment(f'f({text})', k.value)}" for k in call.keywords]


def _wrappers(edge: Any, call_mapped: bool, plan: Any) -> list:
    """The annotations an edge's argument needs in a call (``.map`` or not), innermost first."""
    wrappers = ["flatten"] if edge.flattened else []
    if edge.mapped != call_mapped:
        if edge.flattened:
            raise _refuse(f"task {plan.names[edge.downstream_task]!r}: its argument "
                          f"{edge.key!r} is flattened but not mapped in a mapped call, which "
                          "the functional API cannot write")
        wrappers.append("mapped" if edge.mapped else "unmapped")
    return wrappers


def _inlined(t: Any, plan: Any) -> bool:
    """A constant or collection flowbook made for one argument: written as the value."""
    if not t.auto_generated or len(plan.edges_from[t]) != 1:
        return False
    if isinstance(t, gathering.Constant):
        return True
    if isinstance(t, gathering.Dict):
        ups = plan.edges_to[t]
        keys = [e for e, _ in plan.constants_of[t] if e.key == "keys"]
        return (len(ups) == 1 and ups[0].key == "values" and bool(keys)
                and _inlined(ups[0].upstream_task, plan))
    return isinstance(t, (gathering.List, gathering.Tuple, gathering.Set)) and not any(
        e.mapped or e.flattened for e in plan.edges_to[t])


def _items(t: Any, plan: Any) -> list:
    """A gathering task's items in order: upstream tasks and constant values."""
    by_key = {e.key: e.upstream_task for e in plan.edges_to[t]}
    by_key.update((e.key, s.result) for e, s in plan.constants_of[t])
    return [by_key[f"arg_{i}"] for i in range(len(by_key))]


def _in_order(plan: Any, written: list, inline: set, cases: dict) -> list:
    """What to write: tasks, and case CompareValues standing for their blocks; each after
    what it reads, otherwise in the order the tasks were added."""
    unit = {t: t for t in written}
    unit.update((m, c) for c, members in cases.items() for m in members)

    def ups(t: Any) -> set:
        found = set()
        for e in plan.edges_to[t]:
            found |= ups(e.upstream_task) if e.upstream_task in inline else {e.upstream_task}
        return found

    needs: dict = {}
    for t in written:
        needs.setdefault(unit[t], set()).update(unit[u] for u in ups(t))
    for u, found in needs.items():
        found.discard(u)
    done: set = set()
    order: list = []
    left = list(needs)  # dicts keep the order tasks were added: a block goes where it began
    while left:
        u = next(u for u in left if needs[u] <= done)
        left.remove(u)
        done.add(u)
        order.append(u)
    return order


def _merged(t: Any, plan: Any) -> bool:
    """Whether ``merge(a, b, ...)`` makes this Merge task (arguments task1, task2, ...)."""
    keys = [e.key for e in plan.edges_to[t]]
    return (not plan.constants_of[t] and not any(e.mapped or e.flattened
                                                 for e in plan.edges_to[t])
            and keys == [f"task{i + 1}" for i in range(len(keys))])


def _case_task(c: Any) -> str:
    """How the script writes the CompareValue ``case(task, value)`` makes."""
    return f"CompareValue({_literal(c.value)}, name={_literal(f'case({c.value})')})"


def _option_values(t: Any) -> dict:
    return {option: getattr(t, option) for option in OPTIONS}


def _is_on_failure(handler: Any) -> bool:
    return getattr(handler, "__qualname__", "").startswith("_on_failure_handler.")


def _bounds(trigger: Any) -> str:
    values = inspect.getclosurevars(trigger).nonlocals
    return ", ".join(f"{k}={values[k]!r}" for k in ("at_least", "at_most")
                     if values.get(k) is not None)


def _literal(value: Any) -> str | None:
    """``repr(value)`` when it is a literal giving ``value`` back, else None."""
    try:
        text = repr(value)
        back = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if type(back) is not type(value) or back != value:
        return None
    if isinstance(value, str) and text.startswith("'") and '"' not in value:
        quoted = '"' + text[1:-1].replace("\\'", "'") + '"'  # "text", as people write it
        return quoted if ast.literal_eval(quoted) == value else text
    return text


def _flowbook_object(name: str) -> Any:
    """What the script's flowbook import ``name`` is."""
    import importlib

    module = importlib.import_module(FLOWBOOK_NAMES[name])
    found = getattr(module, name, None)
    return found if found is not None else importlib.import_module(f"{module.__name__}.{name}")


def _free(name: str) -> bool:
    """Whether a name read must come from the notebook (not a builtin, not IPython's)."""
    return name in IPYTHON_NAMES or not hasattr(builtins, name) or name == "__IPYTHON__"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
