"""Drawing a flow for the widget (flowbook/widget/drawing.py): (flow, states) -> Digraph.

Flow.visualize (Prefect 1's drawing, flowbook/core/visualize.py) is in test_core_visualize.py.
"""

import html
import re

import graphviz
import pytest

from flowbook import Flow, task
from flowbook.tasks.control_flow import case, merge
from flowbook.widget.drawing import (
    MAX_EDGE_LABELS, DrawingError, draw, labels, layout_svg, render_file, render_svg,
)
from flowbook.widget.palette import COLOURS, LINE, NOT_RUN, contrast


def node_line(graph, name):
    """The DOT statement of node ``name``."""
    pattern = re.compile(rf'^\t"?{re.escape(name)}"? \[', re.M)
    match = pattern.search(graph.source)
    assert match, f"no node {name!r} in:\n{graph.source}"
    return graph.source[match.start():graph.source.index("\n", match.start())]


def texts(svg):
    """The text drawn in an SVG (labels of nodes and edges), unescaped."""
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S)]


@task
def total(values):
    return sum(values)


@task
def one():
    return 1


@task
def square(x):
    return x * x


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
    assert "labelloc=t" in node_line(graph, "double")  # room below the label for the bar
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


def test_draw_colours_each_task_by_its_state_in_a_flow_run():
    flow = etl()
    assert f'fillcolor="{NOT_RUN}"' in node_line(draw(flow), "report")
    state = flow.run()
    assert f'fillcolor="{COLOURS["Success"]}"' in node_line(draw(flow, state.result), "report")


def test_render_file_writes_the_drawing_in_the_format_asked(tmp_path):
    flow = etl()
    render_file(draw(flow, flow.run().result), str(tmp_path / "etl"), "svg")
    assert "<svg" in (tmp_path / "etl.svg").read_text()


def test_without_dot_rendering_says_how_to_install_graphviz(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DrawingError, match=r"apt-get install graphviz.*graphviz\.org"):
        render_svg(draw(etl()))
    with pytest.raises(DrawingError, match="apt-get install graphviz"):
        render_file(draw(etl()), str(tmp_path / "x"))


def test_literals_and_lists_are_drawn_as_values_without_flowbooks_internal_names():
    with Flow("literals") as flow:
        first = one()
        total([first, one(), 3])
        total((first, 4))
        square.map([1, 2, 3])
    drawn = " ".join(texts(render_svg(draw(flow))))
    for internal in ("Constant[", "arg_0", "arg_1", "List", "Tuple"):
        assert internal not in drawn
    assert "[one, one-2, 3]" in drawn and "(one, 4)" in drawn and "[1, 2, 3]" in drawn


def test_a_dict_argument_is_drawn_as_the_dict_it_builds():
    with Flow("dict") as flow:
        total({"a": one(), "b": 2})
    assert set(labels(flow).values()) == {"one", "[one, 2]", "{'a': one, 'b': 2}", "total"}


def test_edges_into_collections_items_merges_and_cases_have_no_label():
    with Flow("made up keys") as flow:
        first = one()
        total([first])
        square(first[0])
        merge(first, one())
        with case(first, 1):
            one()
    source = draw(flow).source
    for key in ("arg_1", "task_result", "task1", "task2", "label=value "):
        assert key not in source
    assert 'values' in source and "label=x" in source  # arguments a person named


def test_long_values_and_names_are_cut_short_in_labels_and_kept_whole_as_node_names():
    long_name = "a_task_with_a_name_longer_than_anyone_would_read"
    with Flow("long") as flow:
        total(task(lambda: 1, name=long_name)()).set_upstream(square.map(list(range(1000))))
    shown = labels(flow)
    assert shown[long_name] == long_name[:39] + "…"
    assert shown["Constant[list]"].startswith("[0, 1, 2, 3") and len(shown["Constant[list]"]) <= 24
    assert f'<title>{long_name}</title>' in render_svg(draw(flow))


def test_draw_takes_a_flow_or_its_plan():
    flow = etl()
    assert draw(flow).source == draw(flow.plan()).source


def test_edges_edge_labels_and_borders_read_on_white_and_on_black_pages():
    svg = render_svg(draw(etl()))
    strokes = set(re.findall(r'stroke="(#[0-9a-f]{6})"', svg))
    edge_text = set(re.findall(r'<text [^>]*fill="(#[0-9a-f]{6})">(?:x|values)<', svg))
    assert strokes == edge_text == {LINE}
    graph_start = svg[svg.index('class="graph"'):svg.index('class="node"')]
    assert "<polygon" not in graph_start  # no page colour behind the graph: transparent
    assert min(contrast(LINE, "#ffffff"), contrast(LINE, "#000000")) >= 3


def test_layout_svg_is_grey_and_titled_with_unique_names():
    with Flow("dupes") as flow:
        total([one(), one()])
    svg = layout_svg(flow)
    titles = re.findall(r'<g id="fb(\d+)" class="node">\s*<title>(.*?)</title>', svg)
    plan = flow.plan()
    assert dict(titles) == {str(i): plan.names[t] for i, t in enumerate(plan.tasks)}
    assert sorted(dict(titles).values()) == ["List", "one", "one-2", "total"]
    assert set(re.findall(r'<(?:ellipse|polygon) fill="(#[0-9a-f]{6})"', svg)) == {NOT_RUN, LINE}


def test_draw_tells_states_apart_by_border_and_icon_as_well_as_colour():
    @task
    def broken():
        raise ValueError("no")

    with Flow("two ends") as flow:
        total([broken()])
        one()
    graph = draw(flow, flow.run().result)
    assert "style=\"filled,bold\"" in node_line(graph, "broken")
    assert "✗ Failed" in node_line(graph, "broken")
    assert "style=\"filled,dashed\"" in node_line(graph, "total")
    assert "⊘ TriggerFailed" in node_line(graph, "total")
    assert "✓ Success" in node_line(graph, "one") and "style" not in node_line(graph, "one")


def test_a_flow_with_many_labelled_edges_is_drawn_without_edge_labels():
    with Flow("wide") as flow:
        previous = one()
        for _ in range(MAX_EDGE_LABELS + 1):
            previous = square(previous)
    assert "label=x" not in draw(flow).source
    flow.remove_task(previous)
    assert draw(flow).source.count("label=x") == MAX_EDGE_LABELS


def test_a_mapped_task_gathered_in_a_list_is_an_item_without_its_map_mark():
    with Flow("gathered") as flow:
        total([square.map([1, 2]), 3])
    shown = labels(flow)
    assert shown["square"] == "square <map>" and shown["List"] == "[square, 3]"
