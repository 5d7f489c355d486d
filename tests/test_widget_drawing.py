"""Drawing a flow (flowbook/widget/drawing.py), and Flow.visualize: (flow, states) -> Digraph."""

import re

import graphviz
import pytest

from flowbook import Flow, task
from flowbook.widget.drawing import DrawingError, draw, render_svg
from flowbook.widget.palette import COLOURS, NOT_RUN


def node_line(graph, name):
    """The DOT statement of node ``name``."""
    pattern = re.compile(rf'^\t"?{re.escape(name)}"? \[', re.M)
    match = pattern.search(graph.source)
    assert match, f"no node {name!r} in:\n{graph.source}"
    return graph.source[match.start():graph.source.index("\n", match.start())]


def etl():
    @task
    def extract():
        return [1, 2]

    @task
    def double(x):
        return 2 * x

    @task
    def report(values):
        return sum(values)

    @task
    def notify():
        return "sent"

    with Flow("etl") as flow:
        values = double.map(extract())
        total = report(values)
        notify(upstream_tasks=[total])
    flow.set_reference_tasks([total])
    return flow


def test_draw_gives_a_digraph_with_one_grey_node_per_task_without_states():
    graph = draw(etl())
    assert isinstance(graph, graphviz.Digraph)
    for name in ("extract", "double", "report", "notify"):
        assert f'fillcolor="{NOT_RUN}"' in node_line(graph, name)


def test_nodes_are_filled_with_their_states_colours():
    flow = etl()
    state = flow.run()
    graph = draw(flow, state.result)
    assert f'fillcolor="{COLOURS["Success"]}"' in node_line(graph, "report")
    assert f'"{COLOURS["Success"]};1.000"' in node_line(graph, "double")  # children stripes


def test_data_edges_are_labelled_state_edges_dashed_and_mapped_edges_bold():
    source = draw(etl()).source
    assert "extract -> double [label=x style=bold]" in source
    assert "double -> report [label=values]" in source
    assert "report -> notify [style=dashed]" in source


def test_reference_tasks_have_a_double_border_and_mapped_tasks_are_boxes():
    graph = draw(etl())
    assert "peripheries=2" in node_line(graph, "report")
    assert "peripheries" not in node_line(graph, "notify")
    assert 'label="double <map>"' in node_line(graph, "double")
    assert "shape=box" in node_line(graph, "double")


@pytest.mark.parametrize("name", ["<b>bold</b>", "a:b", 'say "hi"', "back\\slash\\", "node"])
def test_any_task_name_lays_out_and_is_drawn_as_text(name):
    @task(name=name)
    def odd():
        return 1

    @task
    def after(x):
        return x

    with Flow("odd names") as flow:
        after(odd())
    svg = render_svg(draw(flow))
    assert svg.count('class="node"') == 2 and svg.count('class="edge"') == 1
    assert "<b>" not in svg


def test_visualize_returns_the_digraph_coloured_by_a_flow_state():
    flow = etl()
    assert f'fillcolor="{NOT_RUN}"' in node_line(flow.visualize(), "report")
    state = flow.run()
    assert f'fillcolor="{COLOURS["Success"]}"' in node_line(flow.visualize(state), "report")


def test_visualize_with_a_filename_renders_that_file(tmp_path):
    flow = etl()
    flow.visualize(flow.run(), filename=str(tmp_path / "etl"), format="svg")
    assert "<svg" in (tmp_path / "etl.svg").read_text()


def test_without_dot_rendering_says_how_to_install_graphviz(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DrawingError, match=r"apt-get install graphviz.*graphviz\.org"):
        render_svg(draw(etl()))
    with pytest.raises(DrawingError, match="apt-get install graphviz"):
        etl().visualize(filename=str(tmp_path / "x"))
