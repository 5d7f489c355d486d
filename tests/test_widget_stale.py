"""Stale tasks in the widget (flowbook/widget/staleness.py and how flow_widget, view_model,
panel and svg show them): a task whose code changed in the notebook since it ran, and what
is below it, wear a dashed ring and say why, until the flow runs again."""

from __future__ import annotations

import random
import re

import pytest
from builders import cell_flow

from flowbook import Flow
from flowbook.notebook.authoring import define_task
from flowbook.notebook.stale import why_stale
from flowbook.widget import staleness
from flowbook.widget.flow_widget import FlowWidget
from flowbook.widget.palette import STALE, STALE_DASH, STALE_OUTLINE, contrast

EDITED_TEXT = "edited since it ran: its result is from the old code; run the flow again"
RING = re.compile(r'<g class="flowbook-stale"><(ellipse|rect) [^>]*stroke="'
                  + STALE_OUTLINE + '"[^>]*/></g>')


def cells():
    return cell_flow(run=True)


def whys(widget) -> dict:
    """{unique name: why} of the nodes the widget marks stale."""
    return {name: entry["stale"]["why"] for name, entry in widget.nodes.items()
            if entry["stale"]}


def ringed(svg: str) -> list:
    """The titles of the nodes a static SVG draws with a stale ring."""
    nodes = re.findall(r'<g id="fb\d+" class="node">\s*<title>(.*?)</title>(.*?)</g>\n?</g>',
                       svg, re.DOTALL)
    return sorted(title for title, body in nodes if RING.search(body + "</g>"))


@pytest.fixture
def widgets():
    made = []
    yield lambda *args, **kwargs: made.append(FlowWidget(*args, **kwargs)) or made[-1]
    for widget in made:
        widget.close()


def test_a_cell_run_again_with_other_code_marks_its_task_and_what_is_below(widgets):
    flow, ns = cells()
    widget = widgets(flow)
    assert whys(widget) == {}
    define_task(flow, "cleaned", "sorted(raw, reverse=True)", ns)
    widget.refresh()
    assert whys(widget) == {"cleaned": "edited", "report": "below cleaned"}
    assert widget.nodes["cleaned"]["stale"]["text"] == EDITED_TEXT
    assert widget.nodes["report"]["stale"]["text"] == (
        "below cleaned, which was edited since it ran: its result may change; run the flow "
        "again")
    assert widget.nodes["cleaned"]["stale"]["outline"] == STALE_OUTLINE
    assert widget.nodes["cleaned"]["stale"]["dash"] == STALE_DASH
    assert widget.nodes["cleaned"]["state"] == "Success"  # the state's look is kept


def test_running_the_flow_again_clears_the_marks(widgets):
    flow, ns = cells()
    widget = widgets(flow, follow=True)
    define_task(flow, "cleaned", "sorted(raw, reverse=True)", ns)
    widget.refresh()
    assert set(whys(widget)) == {"cleaned", "report"}
    flow.run()
    widget.refresh()
    assert whys(widget) == {}
    assert [e[0] for e in widget.legend] == ["Success"]


def test_a_widget_of_an_earlier_run_marks_nothing_once_a_later_run_exists(widgets):
    flow, ns = cells()
    widget = widgets(flow)  # shows run 1, and keeps showing it
    define_task(flow, "cleaned", "sorted(raw, reverse=True)", ns)
    widget.refresh()
    assert set(whys(widget)) == {"cleaned", "report"}
    flow.run()
    define_task(flow, "raw", "[9]", ns)  # stale again, against run 2
    widget.refresh()
    assert widget.run == 1 and whys(widget) == {}


def _notebook(source: str, namespace: dict) -> None:
    exec(compile(source, "<cell>", "exec"), namespace)


def test_an_at_task_function_redefined_since_the_flow_was_built_is_outdated(widgets):
    ns: dict = {}
    _notebook("from flowbook import task, Flow\n"
              "@task\ndef total(rows):\n    return sum(rows)\n"
              "@task\ndef show(n):\n    return f'{n} in all'\n"
              "with Flow('etl') as etl:\n    out = show(total([1, 2, 3]))\n", ns)
    widget = widgets(ns["etl"])  # not run yet: stale is about the code, not a run
    _notebook("@task\ndef total(rows):\n    return max(rows)\n", ns)
    widget.refresh()
    assert whys(widget) == {"total": "outdated", "show": "below total"}
    assert widget.nodes["total"]["stale"]["text"] == (
        "outdated: the flow holds an older definition of total(); run the cell that builds "
        "the flow")
    assert widget.nodes["show"]["stale"]["text"] == (
        "below total, which is outdated: its result may change; run the cell that builds the "
        "flow")


def test_the_static_picture_rings_only_the_stale_tasks(widgets):
    flow, ns = cells()
    widget = widgets(flow)
    assert ringed(widget.static_svg()) == []
    define_task(flow, "cleaned", "sorted(raw, reverse=True)", ns)
    widget.refresh()
    svg = widget.static_svg()
    assert ringed(svg) == ["cleaned", "report"]
    assert f'stroke-dasharray="{STALE_DASH}"' in svg
    assert svg.count('fill="#28a745"') >= 4  # every node keeps its Success fill


def test_the_legend_lists_stale_only_while_a_task_is_stale(widgets):
    flow, ns = cells()
    widget = widgets(flow, follow=True)
    assert STALE not in [e[0] for e in widget.legend]
    define_task(flow, "report", "len(cleaned) + 1", ns)
    widget.refresh()
    assert widget.legend[-1] == [STALE, STALE_OUTLINE, STALE, ""]
    flow.run()
    widget.refresh()
    assert STALE not in [e[0] for e in widget.legend]


def test_the_panel_and_the_text_summary_say_a_task_is_stale_and_what_to_do(widgets):
    flow, ns = cells()
    widget = widgets(flow)
    define_task(flow, "cleaned", "sorted(raw, reverse=True)", ns)
    widget.selected = "cleaned"
    assert "Stale" in widget.panel and EDITED_TEXT in widget.panel
    widget.selected = "raw"
    assert "Stale" not in widget.panel
    summary = widget.summary()
    assert re.search(r"cleaned +Success +.*\[stale: edited\]", summary)
    assert re.search(r"report +Success +.*\[stale: below cleaned\]", summary)
    assert "stale" not in next(line for line in summary.splitlines() if "raw" in line)


def test_the_stale_ring_reads_on_a_white_and_on_a_black_page():
    assert contrast(STALE_OUTLINE, "#ffffff") >= 3 and contrast(STALE_OUTLINE, "#000000") >= 3


def test_reasons_are_the_edited_tasks_and_everything_below_them():
    rng = random.Random(14)
    for _ in range(40):
        flow, ns = Flow("random"), {}
        names = [f"t{i}" for i in range(8)]
        for i, name in enumerate(names):
            reads = rng.sample(names[:i], k=min(i, rng.randint(0, 2)))
            define_task(flow, name, " + ".join(["1", *reads]), ns)
        flow.run()
        edited = set(rng.sample(names, k=rng.randint(0, 3)))
        for name in edited:
            define_task(flow, name, f"{ns[name].source} + 0", ns)
        below, todo = set(), [ns[n] for n in edited]
        while todo:  # every task reachable downstream, walked independently of stale.py
            for down in flow.downstream_tasks(todo.pop()):
                if down.name not in below:
                    below.add(down.name)
                    todo.append(down)
        found = staleness.reasons(flow)
        assert {t.name for t in found} == edited | below
        assert list(found) == flow.stale()
        for task, said in found.items():
            assert said.why == "edited" if task.name in edited else said.why.startswith("below ")
            assert why_stale(flow, task) == said.why


# ------------------------------------------------------------------ in IPython, no run event



def run(ip, cell: str):
    res = ip.run_cell(cell, store_history=False)
    if res.error_before_exec or res.error_in_exec:
        raise res.error_before_exec or res.error_in_exec
    return res.result


def test_a_cell_run_again_redraws_the_widget_with_no_run_event(ip):
    run(ip, "%%task raw\n[3, 1, 2]")
    run(ip, "%%task cleaned\nsorted(raw)")
    run(ip, "%%task report\nlen(cleaned)")
    run(ip, "%flow run")
    widget = run(ip, "import flowbook\nwidget = flowbook.show(flowbook.notebook_flow())\nwidget")
    try:
        assert whys(widget) == {}
        run(ip, "%%task cleaned\nsorted(raw, reverse=True)")  # the cell, edited, run again
        assert whys(widget) == {"cleaned": "edited", "report": "below cleaned"}
        run(ip, "%flow run")
        widget.wait_for_action()
        widget.refresh()  # the run's own events redraw it too, on a timer
        assert whys(widget) == {}
    finally:
        widget.close()


def test_an_at_task_cell_run_again_redraws_the_widget(ip):
    run(ip, "from flowbook import task, Flow\n"
            "@task\ndef total(rows):\n    return sum(rows)\n")
    run(ip, "with Flow('etl') as etl:\n    total([1, 2, 3])\n")
    widget = run(ip, "import flowbook\nflowbook.show(etl)")
    try:
        run(ip, "@task\ndef total(rows):\n    return max(rows)\n")
        assert whys(widget) == {"total": "outdated"}
    finally:
        widget.close()


def test_a_widget_before_any_run_draws_the_tasks_cells_add(ip):
    run(ip, "%%task raw\n[3, 1, 2]")
    widget = run(ip, "import flowbook\nflowbook.show(flowbook.notebook_flow())")
    try:
        run(ip, "%%task cleaned\nsorted(raw)")
        assert sorted(widget.nodes) == ["cleaned", "raw"]
    finally:
        widget.close()


def test_a_closed_widget_no_longer_looks_after_cells(ip):
    run(ip, "%%task raw\n[3, 1, 2]")
    before = len(ip.events.callbacks["post_run_cell"])
    widget = run(ip, "import flowbook\nflowbook.show(flowbook.notebook_flow())")
    assert len(ip.events.callbacks["post_run_cell"]) == before + 1
    widget.close()
    assert len(ip.events.callbacks["post_run_cell"]) == before


def test_a_what_if_simulation_shows_no_marks_and_leaving_it_shows_them_again(widgets):
    flow, ns = cells()
    widget = widgets(flow)
    define_task(flow, "cleaned", "sorted(raw, reverse=True)", ns)
    widget.what_if = True
    assert whys(widget) == {}  # a simulation ran no code, old or new
    widget.what_if = False
    assert whys(widget) == {"cleaned": "edited", "report": "below cleaned"}


def test_the_ring_of_a_reference_task_goes_around_its_double_border(widgets):
    flow, ns = cells()  # report and other end the flow: reference tasks, drawn with two borders
    define_task(flow, "report", "len(cleaned) + 1", ns)
    widget = widgets(flow)
    body = re.search(r"<title>report</title>(.*?)</g>\n?</g>", widget.static_svg(),
                     re.DOTALL).group(1)
    borders = [float(rx) for rx in re.findall(r'<ellipse [^>]*?rx="([\d.]+)"', body)]
    ring = float(re.search(r'<g class="flowbook-stale"><ellipse [^>]*?rx="([\d.]+)"',
                           body).group(1))
    assert len(borders) == 3  # the two borders, then the ring
    assert ring == pytest.approx(max(borders[:2]) + 3.5, abs=0.01)
