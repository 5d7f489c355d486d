"""Export a notebook's flow to a standalone Python script (``%flow export PATH.py [FLOW]``).

``script(flow, namespace, history)`` returns the text of a module that builds the same flow
and runs it with ``python PATH.py`` wherever flowbook is installed. Its parts, in order:

1. flowbook's imports;
2. the notebook code the tasks need (``notebook.history``): for each name a task reads that
   is neither one of its inputs nor a builtin, the latest top-level statement of the
   notebook's history that binds it, then what that statement reads, and so on: each
   statement once, in the order the notebook ran them, an import cut down to the names
   needed, each cell's statements under an ``# In[n]`` line;
3. one ``@task`` function per task function (``notebook.as_code``): a ``%%task`` cell
   becomes ``def name(inputs):`` with its last expression returned and its comments kept;
   an ``@task`` function keeps its body as written. Decorators are written from the tasks'
   options as they are now, not copied from the cell (a notebook name the decorator read
   may have changed since);
4. the flow (``notebook.wiring``), written from its plan whatever built it (``with Flow``,
   ``%%task`` cells, ``add_edge``), with the functional API: one call per task in the order
   the tasks were added (so repeated names get the same ``-2`` suffixes), each bound to the
   notebook's variable for it when there is one; data edges as keyword arguments, state-only
   edges as ``upstream_tasks``, ``.map`` with ``unmapped``/``mapped``/``flatten`` where an
   edge differs from the call, options a copy changed as ``task_args``, constants as
   literals, ``with case(...)`` blocks and ``merge(...)`` as they were written (unless
   changed since), the reference tasks when chosen;
5. ``if __name__ == "__main__":`` runs the flow and prints its state, then one line per task:
   its unique name and state class (a mapped task's children's classes after it).

What the script could not rebuild as it is is refused with a ``UserValueError`` naming the
flow and the task: a lambda, a function reading variables of the function it was made in,
a constant or option with no literal form (a lock, an open file), a name no notebook cell
binds (or only a magic, or a ``with``/``for`` block the script would have to run whole), a
Task subclass with its own ``__init__``.

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
import importlib
import re
import sys
from dataclasses import dataclass
from typing import Any

from flowbook.core.parameter import Parameter
from flowbook.core.task import FunctionTask, GetItem, Task
from flowbook.errors import UserValueError
from flowbook.notebook import as_code
from flowbook.notebook.cell_task import CellTask
from flowbook.notebook.history import History, render
from flowbook.notebook.wiring import Wiring, merged, wrappers
from flowbook.tasks import control_flow
from flowbook.tasks import core as gathering

__all__ = ["script"]

# Names the script imports from flowbook: a notebook name among them must be the same object.
FLOWBOOK_NAMES = {"Flow": "flowbook", "task": "flowbook", "Parameter": "flowbook",
                  "triggers": "flowbook", "unmapped": "flowbook", "mapped": "flowbook",
                  "flatten": "flowbook", "case": "flowbook", "merge": "flowbook",
                  "cache": "flowbook.engine"}
# flowbook's own Task classes: the attributes their constructor takes first.
KNOWN_CLASSES = {control_flow.CompareValue: ("value",), control_flow.Merge: (),
                 gathering.Constant: ("value",), gathering.List: (), gathering.Tuple: (),
                 gathering.Set: (), gathering.Dict: (), GetItem: ()}


def script(flow: Any, namespace: dict, history: Any = None, *, filename: str = "") -> str:
    """The text of a Python module that builds ``flow`` and runs it when run as a script.

    ``namespace`` is the notebook's (IPython's ``user_ns``); ``history`` the code of the
    cells it ran, oldest first (default: its ``In`` list); ``filename`` the file it goes to,
    for its docstring. Raises UserValueError naming what cannot be exported."""
    cells = namespace.get("In", ()) if history is None else history
    try:
        return _Exporter(flow, namespace, History(cells)).text(filename)
    except UserValueError as exc:
        raise UserValueError(f"cannot export flow {flow.name!r}: {exc}") from None


class _Exporter:
    """Writes one flow; ``text()`` is the script."""

    def __init__(self, flow: Any, namespace: dict, history: History):
        self.flow, self.ns, self.history = flow, namespace, history
        self.plan = flow.plan()
        self.coder = as_code.Coder(namespace)
        self.imports = self.coder.imports  # local name -> the module it comes from
        self.needs = self.coder.needs  # notebook name -> who reads it (for messages)
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
            if self.how[t].callable == "Merge()" and merged(t, self.plan):
                self.imports["merge"] = "flowbook"
        if all(self.how[t].callable == "Merge()" and merged(t, self.plan) for t in merges):
            self.imports.pop("Merge", None)
        self.flow_options = self._flow_options()
        self.code = history.needed(self.needs, self._provided)

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
            self.coder.text(value.result, f"{who}: its argument {edge.key!r}")
        if t in self.inline and isinstance(t, gathering.Constant):
            self.coder.text(t.value, f"{who}: its value")
        call_mapped = t in self.plan.mapped
        if call_mapped and self.plan.constants_of[t]:
            self.imports["unmapped"] = "flowbook"
        for edge in self.plan.edges_to[t]:
            for wrapper in wrappers(edge, call_mapped, self.plan):
                self.imports[wrapper] = "flowbook"

    # -- what each task is written as -------------------------------------------------------

    def _call_of(self, t: Any) -> "_Call":
        who = f"task {self.plan.names[t]!r}"
        if isinstance(t, CellTask):
            return _Call(self._factory(t, t, who), {})
        if isinstance(t, FunctionTask):
            base = self._base_task(t, who)
            task_args = self.coder.options(t, as_code.option_values(base), who, copy=True)
            if t.name != base.name:
                task_args = {"name": as_code.literal(t.name), **task_args}
            if t.run.__module__ != "__main__":
                return _Call(None, task_args, callable=t.run.__name__)
            return _Call(self._factory(t.run, base, who), task_args)
        if isinstance(t, Parameter):
            kwargs = {"default": self.coder.text(t.default, f"{who}: its default")}
            if t.required:  # a default is given, so it would be optional
                kwargs["required"] = repr(t.required)
            base = Parameter(t.name, t.default, t.required)
            self.imports["Parameter"] = "flowbook"
            return _Call(None, {}, self._construct(t, [as_code.literal(t.name)], kwargs, base, who),
                         parameter=True)
        return _Call(None, {}, self._class_task(t, who))

    def _base_task(self, t: FunctionTask, who: str) -> Any:
        """The task the ``@task`` decorator made (what a copy's task_args differ from)."""
        fn = t.run
        if fn.__name__ == "<lambda>":
            raise UserValueError(f"{who} is built from a lambda, which has no name or def to "
                                 "write; write it as a function with `@task` above its def")
        if fn.__module__ != "__main__":
            made = getattr(sys.modules.get(fn.__module__), fn.__name__, None)
            if isinstance(made, FunctionTask) and made.run is fn:
                self.imports[fn.__name__] = fn.__module__
                return made
            raise UserValueError(f"{who} runs {fn.__module__}.{fn.__qualname__}, which is not "
                                 "an @task of its module the script could import")
        for value in [self.ns.get(fn.__name__), *self.ns.values()]:
            if isinstance(value, FunctionTask) and value.run is fn:
                return value
        return next(u for u in self.plan.tasks if isinstance(u, FunctionTask) and u.run is fn)

    def _factory(self, key: Any, base: Any, who: str) -> "_Factory":
        """The ``@task`` def of a function (or of a ``%%task`` cell), written once."""
        if key not in self.factories:
            name, body, reads = (as_code.cell_function(key) if isinstance(key, CellTask)
                                 else as_code.function_source(key, who))
            options = self.coder.options(base, as_code.option_values(Task()), who)
            for read in sorted(reads):
                self.coder.need(read, who)
            self.factories[key] = _Factory(name, body, options, base.name)
        return self.factories[key]

    def _class_task(self, t: Any, who: str) -> str:
        cls = type(t)
        if cls in KNOWN_CLASSES:
            self.imports[cls.__name__] = cls.__module__
            args = [self.coder.text(getattr(t, a), f"{who}: its {a}") for a in KNOWN_CLASSES[cls]]
            return self._construct(t, args, {}, cls(*(getattr(t, a) for a in KNOWN_CLASSES[cls])),
                                   who)
        if cls.__init__ is not Task.__init__:
            raise UserValueError(f"{who} is a {cls.__qualname__}, whose __init__ takes "
                                 "arguments the script cannot know; give it a plain "
                                 "Task.__init__ or write the flow with @task functions")
        if cls.__module__ == "__main__":
            if self.ns.get(cls.__name__) is not cls:
                raise UserValueError(f"{who} is a {cls.__qualname__} the notebook no longer "
                                     "binds to that name; run its class cell again and "
                                     "rebuild the flow")
            self.coder.need(cls.__name__, who)
        else:
            self.imports[cls.__name__] = cls.__module__
        return self._construct(t, [], {}, cls(), who)

    def _construct(self, t: Any, args: list, kwargs: dict, base: Any, who: str) -> str:
        """``Cls(args, kwargs, options differing from a fresh ``base``)``."""
        options = self.coder.options(t, as_code.option_values(base), who)
        if t.name != base.name:
            kwargs = {**kwargs, "name": as_code.literal(t.name)}
        kwargs.update(options)
        parts = args + [f"{k}={v}" for k, v in kwargs.items()]
        return f"{type(t).__name__}({', '.join(parts)})"

    def _flow_options(self) -> str:
        flow, options = self.flow, [as_code.literal(self.flow.name)]
        if flow.result_dir is not None:
            options.append(f"result_dir={as_code.literal(str(flow.result_dir))}")
        if flow.state_handlers:
            options.append("state_handlers=" + self.coder.text(
                list(flow.state_handlers), f"flow {flow.name!r}: its state_handlers"))
        return ", ".join(options)

    # -- the notebook's code ----------------------------------------------------------------

    def _provided(self, name: str, who: str) -> bool:
        """Whether the script binds ``name`` itself (a flowbook import); refuses a notebook
        name it would clash with."""
        if name in FLOWBOOK_NAMES:
            ours = _flowbook_object(name)
            if self.ns.get(name, ours) is not ours:
                raise UserValueError(f"{who} reads {name!r}, which the notebook binds to "
                                     f"something else than flowbook's {name}; rename it")
            self.imports[name] = FLOWBOOK_NAMES[name]
            return True
        if self.history.binding(name) is None and isinstance(self.ns.get(name), Task):
            raise UserValueError(f"{who} reads {name!r}, a task of another flow; make it a "
                                 "task of this flow to read its result")
        return False

    # -- writing ----------------------------------------------------------------------------

    def text(self, filename: str) -> str:
        names = _Names(self)
        run = f"`python {filename}`" if filename else "python"
        parts = [f'"""Flow {self.flow.name!r}, exported from a notebook by flowbook\'s '
                 f'`%flow export`.\n\nRun it with {run}; it prints the state of the flow and '
                 'of each task."""', self._import_lines()]
        if self.code:
            parts.append(render(self.code))
        parts += [f.text(names.factory[f]) for f in self.factories.values()]
        parts.append(Wiring(self).block(names))
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
            options = {"name": as_code.literal(self.task_name), **options}
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
        for stmt, _ in exporter.code:
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


def _variables(namespace: dict, how: dict, history: History) -> dict:
    """Task -> the notebook variable bound to it, when exactly one is, by an assignment
    (``x = load()``, in a ``with`` block or not; a loop's variable is left out)."""
    found: dict = {}
    for name, value in namespace.items():
        stmt = history.binding(name)
        if isinstance(value, Task) and value in how and not name.startswith("_") and \
                isinstance(getattr(stmt, "node", None), (ast.Assign, ast.AnnAssign, ast.With)):
            found[value] = None if value in found else name
    return {t: n for t, n in found.items() if n}


def _main(flow: str) -> str:
    return (f'if __name__ == "__main__":\n'
            f"    state = {flow}.run()\n"
            f"    print(state)\n"
            f"    for t, name in {flow}.plan().names.items():\n"
            f"        s = state.result[t]\n"
            f"        children = [type(c).__name__ for c in getattr(s, 'map_states', [])]\n"
            f"        print(f\"{{name:24}} {{type(s).__name__}}\", *children)")


def _inlined(t: Any, plan: Any) -> bool:
    """A constant or collection flowbook made for one argument: written as the value."""
    out = plan.edges_from[t]
    if len(out) != 1:
        return False
    if not t.auto_generated:  # the values of a dict argument are an unmarked List
        down = out[0].downstream_task
        if not (type(t) is gathering.List and out[0].key == "values"
                and type(down) is gathering.Dict and down.auto_generated):
            return False
    if isinstance(t, gathering.Constant):
        return True
    if isinstance(t, gathering.Dict):
        ups = plan.edges_to[t]
        keys = [e for e, _ in plan.constants_of[t] if e.key == "keys"]
        return (len(ups) == 1 and ups[0].key == "values" and bool(keys)
                and _inlined(ups[0].upstream_task, plan))
    return isinstance(t, (gathering.List, gathering.Tuple, gathering.Set)) and all(
        e.key and not e.mapped and not e.flattened for e in plan.edges_to[t])


def _case_task(c: Any) -> str:
    """How the script writes the CompareValue ``case(task, value)`` makes."""
    return f"CompareValue({as_code.literal(c.value)}, name={as_code.literal(f'case({c.value})')})"


def _flowbook_object(name: str) -> Any:
    """What the script's flowbook import ``name`` is."""
    module = importlib.import_module(FLOWBOOK_NAMES[name])
    found = getattr(module, name, None)
    return found if found is not None else importlib.import_module(f"{module.__name__}.{name}")
