"""Flow.visualize (flowbook/core/visualize.py): Prefect 1's drawing of a flow and its states."""

import re
import sys
import types

import graphviz
import pytest

from flowbook import Flow, task
from flowbook.core.visualize import DOT_MISSING, NO_STATE_COLOR, draw
from flowbook.engine.state import (
    Cached, Failed, Mapped, Pending, Skipped, State, Success, TimedOut, TriggerFailed,
)
from flowbook.errors import UserTypeError


@task
def numbers():
    return [1, 2, 3]


@task
def add(x, y):
    return x + y


@task
def total(x):
    return sum(x)


def mapped_flow():
    """numbers -> add.map(x=numbers, y=10) -> total(add): (flow, numbers, add, total)."""
    with Flow("mapped") as flow:
        listed = numbers()
        added = add.map(x=listed, y=10)
        summed = total(added)
    return flow, listed, added, summed


def names(graph, label):
    """The DOT names of the nodes labelled ``label``, in the order drawn."""
    return [line.split(" [")[0].strip() for line in node_lines(graph, label)]


def node_lines(graph, label):
    """The DOT statements of the nodes labelled ``label``."""
    return [line for line in graph.source.splitlines()
            if re.search(rf"\[label={re.escape(label)}[ \]]", line) and "->" not in line]


@pytest.fixture
def kernel(monkeypatch):
    """As in a Jupyter kernel: IPython's shell has an ``IPKernelApp`` config."""
    ipython = types.ModuleType("IPython")
    shell = types.SimpleNamespace(config={"IPKernelApp": {}})
    ipython.get_ipython = lambda: shell
    monkeypatch.setitem(sys.modules, "IPython", ipython)


@pytest.fixture
def renders(monkeypatch):
    """Records each ``Digraph.render`` call's keywords instead of running dot or a viewer."""
    calls = []
    monkeypatch.setattr(graphviz.Digraph, "render",
                        lambda self, **options: calls.append(options))
    return calls


def test_each_task_is_an_ellipse_labelled_with_its_name():
    flow, *_ = mapped_flow()
    assert node_lines(draw(flow), "numbers") == ["\tt0 [label=numbers shape=ellipse]"]


def test_a_mapped_task_is_a_box_marked_map_and_its_mapped_edges_are_dashed():
    flow, *_ = mapped_flow()
    graph = draw(flow)
    [listed], [added], [summed] = (names(graph, n) for n in ("numbers", '"add <map>"', "total"))
    assert node_lines(graph, '"add <map>"') == [f'\t{added} [label="add <map>" shape=box]']
    assert f"{listed} -> {added} [label=x style=dashed]" in graph.source
    assert f"{added} -> {summed} [label=x]" in graph.source


def test_names_that_look_like_markup_are_quoted_as_text():
    with Flow("odd") as flow:
        task(lambda: 1, name="<lambda>")()
        task(lambda: 1, name="back\\slash")()
    source = draw(flow).source
    assert 'label="<lambda>"' in source and 'label="back\\\\slash"' in source
    graphviz.Source(source).pipe(format="svg")  # dot reads it


def test_a_flow_state_fills_each_task_with_its_state_colour_half_transparent():
    flow, listed, added, summed = mapped_flow()
    graph = draw(flow, Success(result={listed: Success(), summed: Failed()}))
    assert 'label=numbers color="#28a74580" colorscheme=svg' in graph.source
    assert f'label=total color="{Failed.color}80"' in graph.source
    assert f'label="add <map>" color="{NO_STATE_COLOR}"' in graph.source


def test_the_children_of_a_mapped_state_are_drawn_one_box_each_in_their_colours():
    flow, listed, added, summed = mapped_flow()
    children = [Success(), Failed(), Skipped()]
    graph = draw(flow, Success(result={listed: Success(), added: Mapped(map_states=children),
                                       summed: Success()}))
    [listed], [summed] = names(graph, "numbers"), names(graph, "total")
    drawn = names(graph, '"add <map>"')
    assert drawn == [f"{drawn[0][:-2]}_{child}" for child in range(3)]
    colours = [re.search(r'color="(#\w+)"', line)[1]
               for line in node_lines(graph, '"add <map>"')]
    assert colours == [s.color + "80" for s in children]
    for child in drawn:
        assert f"{listed} -> {child} [label=x style=dashed]" in graph.source  # one edge each
        assert f"{child} -> {summed} [label=x]" in graph.source  # reduced from each child


def test_a_mapped_task_whose_state_is_not_mapped_is_one_box():
    flow, listed, added, summed = mapped_flow()
    graph = draw(flow, Success(result={listed: Success(), added: Skipped()}))
    [line] = node_lines(graph, '"add <map>"')
    assert f'[label="add <map>" color="{Skipped.color}80" colorscheme=svg shape=box' in line


def test_mapped_children_feed_the_children_of_the_next_mapped_task_one_to_one():
    with Flow("twice") as flow:
        first = add.map(x=numbers(), y=1)
        second = add.map(x=first, y=2)
    two = [Success(), Success()]
    graph = draw(flow, Success(result={first: Mapped(map_states=list(two)),
                                       second: Mapped(map_states=list(two))}))
    tails, heads = names(graph, '"add <map>"')[:2], names(graph, '"add <map>"')[2:]
    edges = re.findall(r"(t\d+_\d) -> (t\d+_\d) \[label=x", graph.source)
    assert edges == list(zip(tails, heads)) and len(edges) == 2


def test_horizontal_lays_the_flow_out_left_to_right():
    flow, *_ = mapped_flow()
    assert "rankdir=LR" in draw(flow, horizontal=True).source
    assert "rankdir" not in draw(flow).source


def test_the_drawing_is_the_same_each_time():
    assert draw(mapped_flow()[0]).source == draw(mapped_flow()[0]).source


def test_visualize_with_a_filename_saves_that_format_and_removes_the_dot_file(tmp_path):
    flow, *_ = mapped_flow()
    graph = flow.visualize(filename=str(tmp_path / "mapped"), format="svg", horizontal=True)
    assert "<svg" in (tmp_path / "mapped.svg").read_text()
    assert not (tmp_path / "mapped").exists()
    assert "rankdir=LR" in graph.source


def test_visualize_in_a_kernel_returns_the_graph_for_the_notebook_to_show(kernel, renders):
    flow, listed, *_ = mapped_flow()
    graph = flow.visualize(Success(result={listed: Success()}))
    assert renders == []
    assert isinstance(graph, graphviz.Digraph) and "label=numbers" in graph.source


def test_visualize_outside_a_kernel_opens_a_rendered_copy_in_the_viewer(renders):
    flow, *_ = mapped_flow()
    graph = flow.visualize()
    assert [call["view"] for call in renders] == [True]
    assert isinstance(graph, graphviz.Digraph)


def test_without_the_graphviz_package_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(ImportError, match=r"pip install graphviz"):
        mapped_flow()[0].visualize()


def test_without_dot_the_error_says_how_to_install_graphviz(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(graphviz.ExecutableNotFound) as caught:
        mapped_flow()[0].visualize(filename=str(tmp_path / "x"))
    if sys.version_info >= (3, 11):
        assert caught.value.__notes__ == [DOT_MISSING]
        assert "apt-get install graphviz" in DOT_MISSING


def test_a_flow_state_must_be_the_state_of_a_flow_run():
    flow, *_ = mapped_flow()
    with pytest.raises(UserTypeError, match=r"flow 'mapped'.*State returned by flow.run"):
        draw(flow, Success(result=3))


def test_each_state_class_has_prefect_1s_colour_and_a_subclass_inherits_its_parents():
    class Custom(TriggerFailed):
        pass

    assert (State.color, Pending.color, Success.color, Failed.color) == (
        "#696969", "#7ebdff", "#28a745", "#eb0000")
    assert (Cached.color, Mapped.color, TimedOut.color, Custom.color) == (
        "#34d058", "#003ccb", "#ff4e33", TriggerFailed.color)
    assert Success().color == Success.color
