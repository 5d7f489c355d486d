"""``Flow.visualize``: the flow drawn as Prefect 1 draws it, as a ``graphviz.Digraph``.

One node per task, labelled with the task's name: an ellipse, or a box labelled
``"name <map>"`` for a mapped task. Edges carry the argument they feed; mapped edges are
dashed. Given a flow State (from ``flow.run()``), each node is filled with its task state's
``color`` at half opacity (``"#28a74580"`` for Success; ``"#00000080"`` for a task without a
state), and a mapped task whose state is ``Mapped`` is drawn as one box per child, each in the
child's colour, with its edges drawn per child ("reduce" edges from every child).

Node names are ``t<i>`` (``i``: the task's place in ``flow.tasks``) and ``t<i>_<j>`` for child
``j``, so a drawing's DOT source is the same from one session to the next. (Prefect 1 used
``id(task)``.) This is the picture of Prefect 1's API; the live widget (``flow.widget()``)
has flowbook's own drawing (``flowbook.widget.drawing``).

>>> from flowbook import Flow, task
>>> @task
... def one():
...     return 1
>>> @task
... def add(x, y):
...     return x + y
>>> with Flow("sums") as flow:
...     total = add.map(x=[1, 2], y=one())
>>> print(draw(flow).source, end="")  # doctest: +NORMALIZE_WHITESPACE
digraph {
    t0 [label=one shape=ellipse]
    t1 [label="add <map>" shape=box]
    t2 [label="[1, 2]" shape=ellipse]
    t2 -> t1 [label=x style=dashed]
    t0 -> t1 [label=y style=dashed]
}
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

__all__ = ["visualize", "draw", "NO_STATE_COLOR", "GRAPHVIZ_MISSING",
           "DOT_MISSING"]

NO_STATE_COLOR = "#00000080"  # a task the flow state has no state for
OPACITY = "80"  # appended to a state's colour: half transparent, as Prefect 1 draws it

GRAPHVIZ_MISSING = (
    "flow.visualize() needs the graphviz Python package, which is not installed. Install it "
    "with `pip install graphviz` (it is a dependency of flowbook: `pip install flowbook` "
    "brings it). Drawing also needs "
    "Graphviz's `dot` program: https://graphviz.org/download/")
DOT_MISSING = (
    "flow.visualize() could not run Graphviz's `dot` program: it is not on PATH. Install "
    "Graphviz (Debian/Ubuntu: `apt-get install graphviz`; macOS: `brew install graphviz`; "
    "conda: `conda install -c conda-forge graphviz`; others: https://graphviz.org/download/); "
    "the `graphviz` Python package alone is not enough. In a notebook, the Digraph returned "
    "is drawn by the page and needs `dot` as well.")


def visualize(flow: Any, flow_state: Any = None, filename: str | None = None,
              format: str | None = None, horizontal: bool = False) -> Any:
    """Draw ``flow`` (coloured by ``flow_state``, a State from ``flow.run()``) and return the
    ``graphviz.Digraph``. With ``filename`` it is rendered to ``filename.<format>`` (PDF by
    default) and the DOT file removed; else, outside a Jupyter kernel, it is rendered to a
    temporary PDF and opened in the system's viewer; in a kernel the notebook shows it.
    ``horizontal=True`` lays it out left to right."""
    graphviz = _import_graphviz()
    graph = draw(flow, flow_state, horizontal, graphviz)
    if filename:
        _render(graphviz, graph, filename=filename, view=False, format=format, cleanup=True)
    elif not _in_kernel():
        _open_in_viewer(graphviz, graph)
    return graph


def draw(flow: Any, flow_state: Any = None, horizontal: bool = False,
         graphviz: Any = None) -> Any:
    """The ``graphviz.Digraph`` of ``flow`` as ``visualize`` draws it, rendered nowhere."""
    graphviz = graphviz or _import_graphviz()
    states = _task_states(flow, flow_state)
    graph = graphviz.Digraph()
    if horizontal:
        graph.graph_attr["rankdir"] = "LR"
    nodes = _nodes(flow, states)
    for task, drawn in nodes.items():
        _add_task(graphviz, graph, task, drawn, states is not None, _is_mapped(flow, task))
    for edge in flow.edges:
        style = "dashed" if edge.mapped else None
        for tail, head in _edge_ends(flow, edge, nodes, states):
            graph.edge(tail, head, edge.key, style=style)
    return graph


def _in_kernel() -> bool:
    """Whether this runs in a Jupyter kernel (IPython's ``IPKernelApp``): there the notebook
    draws the returned Digraph, so nothing is opened. No IPython, or any error asking it,
    means no."""
    try:
        from IPython import get_ipython

        return get_ipython().config.get("IPKernelApp") is not None
    except Exception:  # IPython missing, not running (None), or broken: not a kernel
        return False


def _import_graphviz() -> Any:
    try:
        import graphviz
    except ImportError as exc:
        raise ImportError(GRAPHVIZ_MISSING) from exc
    return graphviz


def _task_states(flow: Any, flow_state: Any) -> dict | None:
    """``{task: State}`` of a flow State, or None without one."""
    if flow_state is None:
        return None
    states = getattr(flow_state, "result", None)
    if not isinstance(states, dict):
        from flowbook.errors import UserTypeError

        raise UserTypeError(
            f"flow {flow.name!r}: visualize(flow_state=) takes the State returned by "
            f"flow.run(), whose result maps each task to its state; got {flow_state!r}")
    return states


def _is_mapped(flow: Any, task: Any) -> bool:
    return any(edge.mapped for edge in flow.edges_to(task))


def _children(flow: Any, task: Any, states: dict | None) -> list | None:
    """The child states of a mapped task whose state is ``Mapped`` with children (drawn one
    node each), else None."""
    state = states.get(task) if states else None
    if state is None or not state.is_mapped() or not _is_mapped(flow, task):
        return None
    return list(state.map_states) or None


def _nodes(flow: Any, states: dict | None) -> dict:
    """``{task: [(node name, state drawn), ...]}``: one node per task, or one per child."""
    nodes = {}
    for index, task in enumerate(flow.tasks):
        children = _children(flow, task, states)
        if children:
            nodes[task] = [(f"t{index}_{i}", child) for i, child in enumerate(children)]
        else:
            nodes[task] = [(f"t{index}", states.get(task) if states else None)]
    return nodes


def _add_task(graphviz: Any, graph: Any, task: Any, nodes: list, coloured: bool,
              mapped: bool) -> None:
    label = graphviz.escape(f"{task.name} <map>" if mapped else str(task.name))
    shape = "box" if mapped else "ellipse"
    for name, state in nodes:
        if not coloured:
            graph.node(name, label, shape=shape)
            continue
        colour = NO_STATE_COLOR if state is None else state.color + OPACITY
        graph.node(name, label, shape=shape, color=colour, style="filled", colorscheme="svg")


def _edge_ends(flow: Any, edge: Any, nodes: dict, states: dict | None) -> list:
    """The (tail, head) node names that draw ``edge``: child to child along a mapped edge
    between two mapped tasks drawn out, else every tail node to every head node (a "reduce"
    edge from each child, a broadcast edge to each child)."""
    tails = [name for name, _ in nodes[edge.upstream_task]]
    heads = [name for name, _ in nodes[edge.downstream_task]]
    if (edge.mapped and _children(flow, edge.upstream_task, states)
            and _children(flow, edge.downstream_task, states)):
        return list(zip(tails, heads))
    return [(tail, head) for head in heads for tail in tails]


def _open_in_viewer(graphviz: Any, graph: Any) -> None:
    """Render to a temporary PDF and open it; the PDF stays for the viewer to read."""
    handle, path = tempfile.mkstemp(prefix="flowbook-flow-")
    os.close(handle)
    try:
        _render(graphviz, graph, filename=path, view=True, cleanup=True)
    finally:
        if os.path.exists(path):  # the DOT source, when rendering failed before cleanup
            os.unlink(path)


def _render(graphviz: Any, graph: Any, **options: Any) -> None:
    try:
        graph.render(**options)
    except graphviz.backend.ExecutableNotFound as exc:
        if hasattr(exc, "add_note"):  # Python 3.11+: the way out under graphviz's message
            exc.add_note(DOT_MISSING)
        raise
