"""Drawing a flow: a pure function from (flow, task states) to a ``graphviz.Digraph``.

Each node is named by the task's unique name (``flowbook.core.naming``) and filled with its
state's colour (``palette``). Reference tasks have a double border; mapped tasks are boxes
labelled ``<map>``, striped with their children's colours when they have children. Data
edges are solid and labelled with the argument, state-only edges dashed, mapped edges bold.
Every name is escaped: a task called ``<b>x</b>`` is drawn as that text.
"""

from __future__ import annotations

import functools
import shutil
from typing import Any

from flowbook.widget.palette import colour_of, shares, text_colour

__all__ = ["draw", "render_svg", "render_file", "node_id", "DrawingError", "DOT_MISSING"]

GRAPH = {"rankdir": "TB", "nodesep": "0.3", "ranksep": "0.45", "bgcolor": "transparent"}
NODE = {"style": "filled", "fontname": "Helvetica,Arial,sans-serif", "fontsize": "11",
        "penwidth": "1", "color": "#333333"}
EDGE = {"fontname": "Helvetica,Arial,sans-serif", "fontsize": "9", "color": "#555555",
        "fontcolor": "#555555", "arrowsize": "0.7"}
MAPPED_HEIGHT = "0.65"  # inches: room under a mapped task's label for its children's bar

DOT_MISSING = (
    "The DAG cannot be drawn: Graphviz's `dot` program was not found on PATH. Install "
    "Graphviz (Debian/Ubuntu: `apt-get install graphviz`; macOS: `brew install graphviz`; "
    "conda: `conda install -c conda-forge graphviz`; others: https://graphviz.org/download/). "
    "The flow runs as usual; the status line and the task panel still work.")


class DrawingError(RuntimeError):
    """Graphviz could not lay out the flow; the message says why and what to do."""


def draw(flow: Any, states: dict | None = None, names: dict | None = None) -> Any:
    """The flow (its plan, ``flow.plan()``) as a ``graphviz.Digraph``, each task filled with
    the colour of its state in ``states`` (``{Task: State}``; a task absent from it is grey).
    ``names`` defaults to the plan's unique names."""
    import graphviz

    plan = flow.plan()
    states = states or {}
    names = names or plan.names
    graph = graphviz.Digraph(graph_attr=GRAPH, node_attr=NODE, edge_attr=EDGE)
    for index, task in enumerate(plan.tasks):
        mapped = task in plan.mapped
        attrs = _node_attrs(states.get(task), mapped, task in plan.reference)
        label = f"{names[task]} <map>" if mapped else names[task]
        graph.node(node_id(names[task]), label=graphviz.escape(label), id=f"fb{index}", **attrs)
    for edge in plan.edges:
        graph.body.append(_edge_line(edge, names))
    return graph


def node_id(name: str) -> str:
    """The DOT node id of a task's unique name: quoted as literal text, never as HTML."""
    import graphviz

    return graphviz.escape(name)


def _node_attrs(state: Any, mapped: bool, reference: bool) -> dict:
    fill = colour_of(state)
    attrs = {"fillcolor": fill, "fontcolor": text_colour(fill)}
    if mapped:
        attrs.update(shape="box", height=MAPPED_HEIGHT)
        children = state.map_states if state is not None and state.is_mapped() else ()
        if children:
            attrs.update(style="filled,striped", fillcolor=_stripes(children))
    if reference:
        attrs["peripheries"] = "2"
    return attrs


def _stripes(children: list) -> str:
    """Graphviz's striped fill: one stripe per state, as wide as its share of the children."""
    return ":".join(f"{colour};{share:.3f}" for colour, share in shares(children))


def _edge_line(edge: Any, names: dict) -> str:
    """One DOT edge statement. Written out rather than with ``Digraph.edge``, which would read
    a ``:`` in a task name as a port."""
    import graphviz
    from graphviz.quoting import attr_list, quote

    attrs: dict = {}
    if edge.key is not None:
        attrs["label"] = graphviz.escape(edge.key)
    if edge.mapped:
        attrs["style"] = "bold"
    elif edge.key is None:
        attrs["style"] = "dashed"
    tail = quote(node_id(names[edge.upstream_task]))
    head = quote(node_id(names[edge.downstream_task]))
    return f"\t{tail} -> {head}{attr_list(kwargs=attrs)}\n"


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
