"""Drawing a flow: a pure function from (plan, task states) to a ``graphviz.Digraph``.

Each node has the task's unique name (``flowbook.core.naming``) as its DOT name, so as the
SVG ``<title>`` that the widget finds it by, and ``id="fb<i>"`` (``i``: the task's index in
the plan). Its label is what a person wrote: the unique name of a task, a constant mapped
over as its value (``[1, 2, 3]``), a list, tuple, set or dict gathered from arguments as that
collection (``[load, load-2, 3]``); ``labels()`` gives them to the widget. Reference tasks
have a double border; mapped tasks are boxes labelled ``<map>``, striped with their
children's colours when they have children. Data edges are solid and labelled with the
argument, state-only edges dashed, mapped edges bold; edges into a collection, an item
(``x[0]``), a ``merge`` or a ``case`` carry no label (their names were made up by flowbook),
nor do the edges of a flow with more than ``MAX_EDGE_LABELS`` labels (dot would take long).

Without states every node is grey: that is the layout the live view recolours
(``layout_svg``, and ``svg.ColourableSvg`` for the static picture). With states (as in
``flow.visualize(state)``) nodes take their state's fill, border and a second line with the
state's icon and name (``palette.cue``). Edges and borders are ``palette.LINE``, readable
on a light and a dark page; the background is transparent. Every name is escaped: a task
called ``<b>x</b>`` is drawn as that text.
"""

from __future__ import annotations

import functools
import reprlib
import shutil
from typing import Any

from flowbook.widget.palette import LINE, cue, shares, text_colour_on

__all__ = ["draw", "labels", "layout_svg", "render_svg", "render_file", "node_id",
           "DrawingError", "DOT_MISSING"]

FONT = "Helvetica,Arial,sans-serif"
# Compact: tight ranks and margins, small minimum sizes, so 1,000 tasks stay in view.
GRAPH = {"rankdir": "TB", "nodesep": "0.2", "ranksep": "0.3", "bgcolor": "transparent",
         "pad": "0.12"}  # pad: room for the static picture's state badges at the edges
NODE = {"style": "filled", "fontname": FONT, "fontsize": "11", "penwidth": "1",
        "color": LINE, "height": "0.3", "width": "0.4", "margin": "0.07,0.03"}
EDGE = {"fontname": FONT, "fontsize": "9", "color": LINE, "fontcolor": LINE,
        "arrowsize": "0.6"}
SMALL = {"shape": "box", "fontsize": "9", "height": "0.2", "width": "0.2",
         "margin": "0.04,0.02"}  # a constant or a collection: a small box
# A mapped task: a box with room below its label for the static picture's bar of children.
MAPPED = {"shape": "box", "height": "0.65", "width": "1.1", "labelloc": "t"}
MAX_LABEL = 40  # characters of a task's name shown; the full name stays in <title>
MAX_VALUE = 24  # characters of a constant or a collection shown
# dot spends most of its time placing edge labels: a flow with more labelled edges than this
# is drawn without them (1,000 tasks with 2,000 labelled edges: 26 s with, 1.5 s without).
MAX_EDGE_LABELS = 250
STYLE = {"solid": "", "dashed": ",dashed", "dotted": ",dotted", "bold": ",bold"}

DOT_MISSING = (
    "The DAG cannot be drawn: Graphviz's `dot` program was not found on PATH. Install "
    "Graphviz (Debian/Ubuntu: `apt-get install graphviz`; macOS: `brew install graphviz`; "
    "conda: `conda install -c conda-forge graphviz`; others: https://graphviz.org/download/). "
    "The flow runs as usual; the status line and the task panel still work.")

_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 2, MAX_VALUE, MAX_VALUE
_REPR.maxlist = _REPR.maxtuple = _REPR.maxset = _REPR.maxdict = 4


class DrawingError(RuntimeError):
    """Graphviz could not lay out the flow; the message says why and what to do."""


def draw(source: Any, states: dict | None = None, names: dict | None = None) -> Any:
    """The flow (a Flow, or its ``Plan``) as a ``graphviz.Digraph``, each task filled with
    its state's colour in ``states`` (``{Task: State}``; a task absent from it is grey).
    ``names`` defaults to the plan's unique names."""
    import graphviz

    plan = _plan_of(source)
    states = states or {}
    names = names or plan.names
    shown = _labels(plan, names)
    graph = graphviz.Digraph(graph_attr=GRAPH, node_attr=NODE, edge_attr=EDGE)
    for index, task in enumerate(plan.tasks):
        state = states.get(task)
        label = graphviz.escape(shown[task])
        if state is not None and (_kind(task) is None or not state.is_successful()):
            look = cue(state)
            label += "\\n" + graphviz.escape(f"{look['icon']} {look['state']}")
        attrs = _node_attrs(task, state, plan)
        graph.node(node_id(names[task]), label=label, id=f"fb{index}", **attrs)
    labelled = [e.key is not None and _labelled(e.downstream_task) for e in plan.edges]
    if sum(labelled) > MAX_EDGE_LABELS:
        labelled = [False] * len(labelled)
    for edge, label in zip(plan.edges, labelled):
        graph.body.append(_edge_line(edge, names, label))
    return graph


def labels(source: Any, names: dict | None = None) -> dict:
    """``{unique name: label drawn}`` of a Flow or Plan: the name itself for most tasks.

    >>> from flowbook import Flow, task
    >>> @task
    ... def total(values):
    ...     return sum(values)
    >>> @task
    ... def one():
    ...     return 1
    >>> with Flow("f") as flow:
    ...     result = total([one(), 2])
    >>> labels(flow)
    {'one': 'one', 'total': 'total', 'List': '[one, 2]'}
    """
    plan = _plan_of(source)
    names = names or plan.names
    return {names[task]: label for task, label in _labels(plan, names).items()}


def layout_svg(source: Any, names: dict | None = None) -> str:
    """The SVG the live view recolours: ``dot``'s layout of a Flow or Plan with every node
    grey, each ``<g id="fb<i>" class="node">`` titled with its task's unique name (escaped).
    Raises DrawingError when Graphviz is missing or fails."""
    from flowbook.widget.svg import ColourableSvg

    plan = _plan_of(source)
    names = names or plan.names
    return ColourableSvg(render_svg(draw(plan, names=names)),
                         [names[t] for t in plan.tasks]).layout()


def node_id(name: str) -> str:
    """The DOT node id of a task's unique name: quoted as literal text, never as HTML."""
    import graphviz

    return graphviz.escape(name)


def _plan_of(source: Any) -> Any:
    plan = getattr(source, "plan", None)
    return plan() if callable(plan) else source


def _kind(task: Any) -> str | None:
    """"constant", "list", "tuple", "set" or "dict" for a task flowbook made from a plain
    argument (or one made by hand and left with its class's name); None for other tasks."""
    from flowbook.tasks import core

    for kind, cls in (("constant", core.Constant), ("list", core.List), ("tuple", core.Tuple),
                      ("set", core.Set), ("dict", core.Dict)):
        if isinstance(task, cls):
            return kind if task.auto_generated or task.name == cls.__name__ else None
    return None


def _labels(plan: Any, names: dict) -> dict:
    """Task -> its label; a collection reads its items' labels, so they come first."""
    shown: dict = {}  # as an item of a collection: without " <map>"
    for task in plan.order:
        kind = _kind(task)
        if kind is None:
            shown[task] = _cut(names[task], MAX_LABEL)
        elif kind == "constant":
            shown[task] = _value(task.value)
        else:
            shown[task] = _collection(kind, task, plan, shown)
    return {task: shown[task] + " <map>" if task in plan.mapped and _kind(task) is None
            else shown[task] for task in plan.tasks}


def _collection(kind: str, task: Any, plan: Any, shown: dict) -> str:
    if kind == "dict":
        keys = next((st.result for e, st in plan.constants_of[task] if e.key == "keys"), None)
        values = next((e.upstream_task for e in plan.edges_to[task] if e.key == "values"), None)
        if not isinstance(keys, list) or _kind(values) != "list":
            return "dict"
        pairs = zip(keys, _items(values, plan, shown))
        return _joined("{", [f"{_value(k)}: {v}" for k, v in pairs], "}")
    opening, closing = {"list": "[]", "tuple": "()", "set": "{}"}[kind]
    return _joined(opening, _items(task, plan, shown), closing)


def _items(task: Any, plan: Any, shown: dict) -> list:
    """The labels of a collection's ``arg_<i>`` inputs, in order."""
    inputs = {e.key: shown[e.upstream_task] for e in plan.edges_to[task] if e.key}
    inputs.update((e.key, _value(st.result)) for e, st in plan.constants_of[task])
    return [inputs[key] for key in sorted(inputs, key=_position)]


def _position(key: str) -> tuple:
    number = key.rpartition("_")[2]
    return (0, int(number), "") if number.isdigit() else (1, 0, key)


def _joined(opening: str, items: list, closing: str) -> str:
    text = opening
    for i, item in enumerate(items):
        part = item if i == 0 else f", {item}"
        if i and len(text) + len(part) + 1 > MAX_VALUE:
            return f"{text}, …{closing}"
        text += part
    return text + closing


def _value(value: Any) -> str:
    return _cut(_REPR.repr(value), MAX_VALUE)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _node_attrs(task: Any, state: Any, plan: Any) -> dict:
    look = cue(state)
    attrs = {"fillcolor": look["fill"], "fontcolor": look["text"]}
    style = "filled"
    if _kind(task) is not None:
        attrs.update(SMALL)
    if task in plan.mapped:
        attrs.update(MAPPED)
        children = state.map_states if state is not None and state.is_mapped() else ()
        if children:
            style = "filled,striped"
            stripes = shares(children)
            attrs["fillcolor"] = ":".join(f"{c};{share:.3f}" for c, share in stripes)
            attrs["fontcolor"] = text_colour_on([c for c, _ in stripes])
    if state is not None:
        style += STYLE[look["border"]]
    if style != "filled":
        attrs["style"] = style
    if task in plan.reference:
        attrs["peripheries"] = "2"
    return attrs


def _edge_line(edge: Any, names: dict, label: bool) -> str:
    """One DOT edge statement. Written out rather than with ``Digraph.edge``, which would read
    a ``:`` in a task name as a port."""
    import graphviz
    from graphviz.quoting import attr_list, quote

    attrs: dict = {}
    if label:
        attrs["label"] = graphviz.escape(edge.key)
    if edge.mapped:
        attrs["style"] = "bold"
    elif edge.key is None:
        attrs["style"] = "dashed"
    tail = quote(node_id(names[edge.upstream_task]))
    head = quote(node_id(names[edge.downstream_task]))
    return f"\t{tail} -> {head}{attr_list(kwargs=attrs)}\n"


def _labelled(task: Any) -> bool:
    """Whether edges into ``task`` show their argument's name: not for a collection
    (``arg_1``), an item (``task_result``), a merge (``task1``) or a case (``value``)."""
    from flowbook.core.task import GetItem
    from flowbook.tasks.control_flow import CompareValue, Merge

    return _kind(task) is None and not isinstance(task, (GetItem, Merge, CompareValue))


def render_svg(graph: Any) -> str:
    """Lay out ``graph`` with ``dot`` and return the SVG text. Raises DrawingError with the
    way out when Graphviz is missing or fails."""
    dot = shutil.which("dot")
    if dot is None:
        raise DrawingError(DOT_MISSING)
    return _laid_out(graph.source, dot)


@functools.lru_cache(maxsize=8)
def _laid_out(source: str, dot: str) -> str:
    """The SVG of a DOT source. Cached: a flow shown again (each ``%flow run`` shows a new
    widget) is drawn at once, without running ``dot``."""
    import graphviz

    try:
        return graphviz.Source(source).pipe(format="svg", encoding="utf-8")
    except graphviz.ExecutableNotFound as exc:
        raise DrawingError(DOT_MISSING) from exc
    except (graphviz.CalledProcessError, OSError) as exc:
        raise DrawingError(f"Graphviz's `dot` ({dot}) failed to lay out the flow: {exc}") from exc


def render_file(graph: Any, filename: str, format: str | None = None) -> str:
    """Render ``graph`` to ``filename`` (plus the format's extension); returns the path."""
    import graphviz

    try:
        return graph.render(filename, format=format, cleanup=True)
    except graphviz.ExecutableNotFound as exc:
        raise DrawingError(DOT_MISSING) from exc
