"""The flow block of an exported script: the flow written from its plan with the functional
API (``notebook.export``, part 4).

One call per task in the order the tasks were added, each after what it reads; data edges as
keyword arguments, state-only edges as ``upstream_tasks``, ``.map`` with
``unmapped``/``mapped``/``flatten`` where an edge differs from the call, ``task_args``,
constants as literals, ``with case(...)`` blocks and ``merge(...)``, the reference tasks when
chosen. What each task is written as (``how``), which tasks are written inline and which
form ``case`` blocks is the exporter's to decide; this module only writes it.
"""

from __future__ import annotations

import ast
from typing import Any

from flowbook.core.parameter import Parameter
from flowbook.core.task import Task
from flowbook.errors import UserValueError
from flowbook.tasks import core as gathering

__all__ = ["Wiring", "merged", "wrappers"]


class Wiring:
    """Writes the flow block of the exporter ``exporter`` (its flow, plan, ``how``,
    ``inline``, ``cases``, ``coder`` and ``flow_options``)."""

    def __init__(self, exporter: Any):
        self.flow, self.plan, self.coder = exporter.flow, exporter.plan, exporter.coder
        self.how = exporter.how  # Task -> how it is called (tasks written inline have none)
        self.inline = exporter.inline  # the tasks written as values where they are read
        self.cases = exporter.cases  # CompareValue -> the tasks its case block holds
        self.flow_options = exporter.flow_options  # the code of Flow(...)'s arguments

    def block(self, names: Any) -> str:
        """The ``with Flow(...)`` block, then the reference tasks when chosen."""
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

    def _case_lines(self, cond: Any, names: Any, bound: set) -> list:
        """``with case(task, value):`` around the tasks the case's CompareValue runs first."""
        members = self.cases[cond]
        lines = [f"    {names.flow}.add_task({names.var[e.upstream_task]})"
                 for t in members for e in self.plan.edges_to[t]
                 if isinstance(e.upstream_task, Parameter) and e.upstream_task not in bound]
        (edge,) = self.plan.edges_to[cond]
        lines.append(f"    with case({self._expr(edge.upstream_task, names)}, "
                     f"{self.coder.text(cond.value, 'a case value')}):")
        for t in members:
            lines += self._call_lines(t, names, "        ")
        return lines

    def _call_lines(self, t: Any, names: Any, indent: str) -> list:
        """``var = factory(arguments)``, over several lines when it is long."""
        how, mapped = self.how[t], t in self.plan.mapped
        head = (names.factory[how.factory] if how.factory else how.callable) + \
            (".map" if mapped else "")
        args, state_only = [], []
        for edge in self.plan.edges_to[t]:
            if t in self.cases.get(edge.upstream_task, ()):
                continue  # the case block adds it
            text = self._expr(edge.upstream_task, names)
            for wrapper in wrappers(edge, mapped, self.plan):
                text = f"{wrapper}({text})"
            (args.append(f"{edge.key}={text}") if edge.key else state_only.append(text))
        for edge, value in self.plan.constants_of[t]:
            text = self.coder.text(value.result, f"task {self.plan.names[t]!r}: its argument "
                                            f"{edge.key!r}")
            args.append(f"{edge.key}=unmapped({text})" if mapped else f"{edge.key}={text}")
        if state_only:
            args.append(f"upstream_tasks=[{', '.join(state_only)}]")
        if how.callable == "Merge()" and merged(t, self.plan):
            head, args = "merge", [a.split("=", 1)[1] for a in args]  # as merge() made it
        if how.task_args:
            args.append("task_args=dict(" + ", ".join(
                f"{k}={v}" for k, v in how.task_args.items()) + ")")
        return _layout(f"{indent}{names.var[t]} = {head}(", args)

    def _expr(self, t: Any, names: Any) -> str:
        """How an edge names its upstream task: a variable, or the value written inline."""
        if t not in self.inline:
            return names.var[t]
        if isinstance(t, gathering.Constant):
            return self.coder.text(t.value, f"task {self.plan.names[t]!r}: its value")
        if isinstance(t, gathering.Dict):
            keys = {e.key: s.result for e, s in self.plan.constants_of[t]}["keys"]
            values = self._items(self.plan.edges_to[t][0].upstream_task, names)
            return "{" + ", ".join(f"{self.coder.text(k, 'a key')}: {v}"
                                   for k, v in zip(keys, values)) + "}"
        texts = self._items(t, names)
        if isinstance(t, gathering.Tuple):
            return f"({', '.join(texts)}{',' if len(texts) == 1 else ''})"
        if isinstance(t, gathering.Set):
            return "{" + ", ".join(texts) + "}"
        return f"[{', '.join(texts)}]"

    def _items(self, t: Any, names: Any) -> list:
        """The code of a gathering task's items, in order."""
        return [self._expr(v, names) if isinstance(v, Task) else
                self.coder.text(v, f"task {self.plan.names[t]!r}: an item")
                for v in _items_of(t, self.plan)]


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


def wrappers(edge: Any, call_mapped: bool, plan: Any) -> list:
    """The annotations an edge's argument needs in a call (``.map`` or not), innermost first."""
    wrappers = ["flatten"] if edge.flattened else []
    if edge.mapped != call_mapped:
        if edge.flattened:
            raise UserValueError(f"task {plan.names[edge.downstream_task]!r}: its argument "
                                 f"{edge.key!r} is flattened but not mapped in a mapped "
                                 "call, which the functional API cannot write")
        wrappers.append("mapped" if edge.mapped else "unmapped")
    return wrappers


def _items_of(t: Any, plan: Any) -> list:
    """A gathering task's items in order: upstream tasks and constant values."""
    by_key = {e.key: e.upstream_task for e in plan.edges_to[t]}
    by_key.update((e.key, s.result) for e, s in plan.constants_of[t])
    return [by_key[k] for k in sorted(by_key, key=lambda k: int(k.rpartition("_")[2]))]


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


def merged(t: Any, plan: Any) -> bool:
    """Whether ``merge(a, b, ...)`` makes this Merge task (arguments task1, task2, ...)."""
    keys = [e.key for e in plan.edges_to[t]]
    return (not plan.constants_of[t] and not any(e.mapped or e.flattened
                                                 for e in plan.edges_to[t])
            and keys == [f"task{i + 1}" for i in range(len(keys))])
