"""FlowWidget (flowbook/widget/flow_widget.py), tested through its state, without a browser."""

import gc
import re
import subprocess
import sys
import threading
import weakref

import ipywidgets
import pytest

import flowbook
from flowbook import Flow, task, triggers
from flowbook.errors import UserValueError
from flowbook.widget import flow_widget
from flowbook.widget.flow_widget import FlowWidget
from flowbook.widget.palette import COLOURS, NOT_RUN

GREEN, RED, RUNNING, PAUSED = (COLOURS["Success"], COLOURS["Failed"], COLOURS["Running"],
                               COLOURS["Paused"])
HOSTILE = "<img src=x onerror=alert(1)>"


def pipeline(fixed):
    """extract -> approve (manual_only) -> load (fails until ``fixed["load"]``)."""
    @task
    def extract():
        print("extracting 3 rows")
        return [1, 2, 3]

    @task(trigger=triggers.manual_only)
    def approve(rows):
        return rows

    @task
    def load(rows):
        if not fixed.get("load"):
            raise ConnectionError("database is down")
        return len(rows)

    with Flow("etl") as flow:
        load(approve(extract()))
    return flow


def spark(job_error=RuntimeError("job failed")):
    """create_cluster -> run_job (fails) -> report (all_successful: TriggerFailed)."""
    @task
    def create_cluster():
        return "cluster"

    @task
    def run_job(cluster):
        raise job_error

    @task
    def report(result):
        return result

    with Flow("spark") as flow:
        report(run_job(create_cluster()))
    return flow


def svg_fills(svg):
    """{node title: fill} read from the SVG the widget shows."""
    nodes = re.findall(r'<g id="fb\d+" class="node">\s*<title>(.*?)</title>\s*<\w+ fill="([^"]+)"',
                       svg)
    return dict(nodes)


def click(widget, label):
    buttons = {b.description: b for b in widget.button_box.children}
    assert label in buttons, f"no button {label!r}; buttons: {list(buttons)}"
    buttons[label].click()
    assert widget.wait_for_action(timeout=30), f"{label} still running after 30 s"


def test_show_and_flow_widget_give_a_widget_of_the_flow(show):
    flow = pipeline({})
    widget = show(flow)
    assert isinstance(widget, FlowWidget) and isinstance(widget, ipywidgets.DOMWidget)
    assert widget.flow is flow
    other = flow.widget()
    try:
        assert isinstance(other, FlowWidget) and other.flow is flow
    finally:
        other.close()


def test_before_a_run_every_task_is_grey_and_not_run(show):
    widget = show(pipeline({}))
    assert widget.states == {"extract": "not run", "approve": "not run", "load": "not run"}
    assert set(widget.fills.values()) == {NOT_RUN}
    assert set(svg_fills(widget.svg()).values()) == {NOT_RUN}
    assert widget.counts == {"not run": 3}


def test_colours_follow_every_state_change(show):
    flow = pipeline({"load": True})
    widget = show(flow)
    seen = []

    def after_each_event(event):  # subscribed after the widget: it has seen the event
        widget.refresh()
        seen.append((widget.fills["extract"], widget.fills["approve"], widget.fills["load"]))

    unsubscribe = flow.subscribe(after_each_event)
    flow.run()
    flow.resume("approve")
    unsubscribe()
    extract_colours = [fills[0] for fills in seen]
    assert RUNNING in extract_colours and extract_colours[-1] == GREEN
    assert extract_colours.index(RUNNING) < extract_colours.index(GREEN)
    approve_colours = list(dict.fromkeys(fills[1] for fills in seen))
    assert approve_colours == [NOT_RUN, PAUSED, COLOURS["Resume"], RUNNING, GREEN]
    assert [fills[2] for fills in seen][-3:] == [RUNNING, GREEN, GREEN]  # then the flow's end
    assert svg_fills(widget.svg()) == {"extract": GREEN, "approve": GREEN, "load": GREEN}


def test_a_run_started_after_the_widget_replaces_the_previous_run(show):
    fixed = {}
    flow = pipeline(fixed)
    flow.run()
    flow.resume()
    widget = show(flow)
    assert widget.states["load"] == "Failed"
    fixed["load"] = True
    flow.run()
    widget.refresh()
    assert widget.states == {"extract": "Success", "approve": "Paused", "load": "not run"}


def test_a_paused_task_gets_a_resume_button_and_a_failed_one_a_retry_button(show):
    flow = pipeline({})
    widget = show(flow)
    flow.run()
    widget.refresh()
    assert widget.actions == ["Resume approve"]
    flow.resume()
    widget.refresh()
    assert widget.actions == ["Retry load"]
    assert [b.description for b in widget.button_box.children] == ["Retry load"]


def test_trigger_failed_and_timed_out_tasks_get_retry_buttons(show):
    release = threading.Event()  # set once the run is over: slow cannot end before

    @task(timeout=0.05)
    def slow():
        release.wait(30)

    flow = spark()
    flow.add_task(slow)
    widget = show(flow)
    try:
        flow.run()
    finally:
        release.set()
    widget.refresh()
    assert widget.states["report"] == "TriggerFailed" and widget.states["slow"] == "TimedOut"
    assert widget.actions == ["Retry run_job", "Retry report", "Retry slow"]


def test_a_cancelled_task_gets_a_retry_button_that_runs_it(show):
    from flowbook.engine.state import Cancelled

    flow = spark()
    create = flow.get_tasks("create_cluster")[0]
    widget = show(flow)
    flow.run(task_states={create: Cancelled("interrupted")})
    widget.refresh()
    assert widget.actions[0] == "Retry create_cluster"  # run_job and report failed below it
    click(widget, "Retry create_cluster")
    assert widget.states["create_cluster"] == "Success"


def test_clicking_resume_runs_in_the_background_and_the_downstream_task_follows(show):
    release = threading.Event()

    @task(trigger=triggers.manual_only)
    def approve():
        return 1

    @task
    def publish(x):
        assert release.wait(30), "the test never released publish"
        return x

    with Flow("gate") as flow:
        publish(approve())
    widget = show(flow)
    flow.run()
    widget.refresh()
    widget.button_box.children[0].click()  # returns while publish is still blocked
    assert widget.busy and all(b.disabled for b in widget.button_box.children)
    release.set()
    assert widget.wait_for_action(timeout=30)
    assert widget.fills == {"approve": GREEN, "publish": GREEN}
    assert widget.actions == [] and widget.problem == ""


def test_clicking_retry_on_a_fixed_task_turns_it_green(show):
    fixed = {}
    flow = pipeline(fixed)
    widget = show(flow)
    flow.run()
    widget.refresh()
    click(widget, "Resume approve")
    assert widget.fills["load"] == RED
    fixed["load"] = True
    click(widget, "Retry load")
    assert widget.fills["load"] == GREEN
    assert widget.states == {"extract": "Success", "approve": "Success", "load": "Success"}


def test_a_refused_click_shows_why_and_the_widget_carries_on(show):
    flow = pipeline({"load": True})
    widget = show(flow)
    flow.run()
    widget.refresh()
    button = widget.button_box.children[0]
    flow.resume()  # from code, before the click
    button.click()
    widget.wait_for_action(timeout=30)
    widget.refresh()
    assert widget.actions == []  # the click came too late: nothing is paused any more
    assert not widget.busy


def raising(exc):
    """A stand-in for flow.resume / flow.retry that raises ``exc``."""
    def action(*tasks):
        raise exc

    return action


def test_a_resume_flowbook_refuses_shows_the_refusal_and_logs_nothing(show, monkeypatch,
                                                                       caplog):
    flow = pipeline({})
    widget = show(flow)
    flow.run()
    widget.refresh()
    monkeypatch.setattr(flow, "resume", raising(UserValueError("task 'approve' is not paused")))
    click(widget, "Resume approve")
    assert "Resume approve did not work: task 'approve' is not paused" in widget.problem
    assert "is not paused" in widget.notice.value
    assert "bug" not in widget.problem and not caplog.records


def test_a_bug_in_flowbook_on_a_button_is_logged_with_its_traceback_and_said(
        show, monkeypatch, caplog):
    flow = pipeline({})
    widget = show(flow)
    flow.run()
    widget.refresh()
    monkeypatch.setattr(flow, "resume", raising(TypeError("unsupported operand")))
    click(widget, "Resume approve")
    (record,) = [r for r in caplog.records if r.name == "flowbook.widget"]
    assert record.levelname == "ERROR" and "Resume approve" in record.getMessage()
    assert record.exc_info[0] is TypeError and "unsupported operand" in caplog.text
    assert "Traceback" in caplog.text  # the traceback is in the log
    assert "Resume approve failed because of a bug in flowbook" in widget.problem
    assert "see the log" in widget.problem and not widget.busy


def test_a_body_interrupting_a_retry_is_shown_and_the_run_can_be_continued(show, caplog):
    calls = []

    @task
    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first try fails")
        if len(calls) == 2:
            raise KeyboardInterrupt("stopped by the body")
        return "done"

    with Flow("flaky") as flow:
        flaky()
    widget = show(flow)
    flow.run()
    widget.refresh()
    click(widget, "Retry flaky")
    assert "Retry flaky did not work: stopped by the body" in widget.problem
    assert not caplog.records  # an interrupt is not a bug
    assert flow.last_run.state.is_cancelled() and widget.actions[0] == flow_widget.CONTINUE
    click(widget, flow_widget.CONTINUE)
    assert widget.states["flaky"] == "Success" and widget.problem == ""


def test_the_panel_says_which_rule_and_upstream_state_stopped_a_task(show):
    flow = spark()
    widget = show(flow)
    flow.run()
    widget.refresh()
    widget.selected = "report"
    assert ("all_successful runs when every upstream task succeeded (Skipped counts as "
            "success); run_job is Failed") in widget.panel.value
    assert "<li>run_job: Failed</li>" in widget.panel.value


def test_the_panel_says_why_a_task_ran(show):
    flow = spark()
    widget = show(flow)
    flow.run()
    widget.selected = "run_job"
    assert ("all_successful runs when every upstream task succeeded (Skipped counts as "
            "success); it passed (create_cluster is Success)") in widget.panel.value


def test_the_panel_shows_history_result_output_and_traceback(show):
    flow = pipeline({})
    widget = show(flow)
    flow.run()
    flow.resume()
    widget.selected = "extract"
    panel = widget.panel.value
    assert "[1, 2, 3]" in panel and "extracting 3 rows" in panel
    assert re.search(r"<td>\d\d:\d\d:\d\d\.\d{3}</td><td>\+0\.000 s</td><td>Pending</td>", panel)
    widget.selected = "load"
    panel = widget.panel.value
    assert "Traceback (most recent call last)" in panel
    assert "ConnectionError: database is down" in panel
    assert "flowbook/engine" not in panel  # only the user's frames


def test_the_selector_and_selected_stay_in_step(show):
    widget = show(pipeline({}))
    widget.selector.value = "approve"
    assert widget.selected == "approve"
    widget.selected = "load"
    assert widget.selector.value == "load"
    with pytest.raises(Exception, match="has no task named 'nope'"):
        widget.selected = "nope"


def test_the_widget_follows_tasks_added_to_the_flow_and_keeps_the_choice(show):
    flow = spark()
    widget = show(flow)
    flow.run()
    widget.selected = "run_job"
    report = flow.get_tasks("report")[0]
    with flow:
        report(report)  # a second task named report, below the first
    widget.refresh()
    assert widget.states == {"create_cluster": "Success", "run_job": "Failed",
                             "report": "TriggerFailed", "report-2": "not run"}
    assert set(svg_fills(widget.svg())) == set(widget.states)
    assert widget.selected == widget.selector.value == "run_job"


def test_html_in_names_and_messages_is_shown_as_text(show):
    @task(name=HOSTILE)
    def hostile():
        raise ValueError(HOSTILE)

    with Flow(HOSTILE) as flow:
        hostile()
    widget = show(flow)
    flow.run()
    widget.refresh()
    widget.selected = HOSTILE
    escaped = "&lt;img src=x onerror=alert(1)&gt;"
    assert f"<title>{escaped}</title>" in widget.svg()
    for child in (widget.status, widget.drawing, widget.legend, widget.panel, widget.notice):
        assert "<img" not in child.value
    assert escaped in widget.panel.value and escaped in widget.status.value
    assert widget.actions == [f"Retry {HOSTILE}"]  # a button's description is shown as text
    assert HOSTILE in widget._repr_mimebundle_()["text/plain"]


def test_duplicate_task_names_get_unique_titles_and_buttons(show):
    @task(trigger=triggers.manual_only)
    def step():
        return 1

    with Flow("twice") as flow:
        step()
        step()
    widget = show(flow)
    flow.run()
    widget.refresh()
    assert set(svg_fills(widget.svg())) == {"step", "step-2"}
    assert widget.actions == ["Resume step", "Resume step-2"]
    click(widget, "Resume step-2")
    assert widget.states == {"step": "Paused", "step-2": "Success"}


def test_a_mapped_task_shows_its_children(show):
    @task
    def numbers():
        return [1, 2, 3]

    @task
    def invert(x):
        return 1 / (x - 2)

    with Flow("map") as flow:
        invert.map(numbers())
    widget = show(flow)
    flow.run()
    widget.refresh()
    assert widget.states["invert"] == "Mapped" and widget.actions == ["Retry invert"]
    assert 'class="flowbook-children"' in widget.svg()
    assert widget.svg().count(f'fill="{GREEN}" stroke="none"') == 1  # one stripe per state
    widget.selected = "invert"
    assert "2 Success, 1 Failed" in widget.panel.value
    assert "ZeroDivisionError" in widget.panel.value


def test_mimebundle_has_the_coloured_svg_and_a_text_summary(show):
    flow = spark()
    widget = show(flow)
    flow.run()
    bundle = widget._repr_mimebundle_()  # refreshes first: no wait for the throttled redraw
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert svg_fills(bundle["image/svg+xml"])["run_job"] == RED
    text = bundle["text/plain"]
    assert text.startswith("Flow 'spark': Failed: Some reference tasks failed.")
    assert re.search(r"run_job\s+Failed\s+Error during execution of task", text)


def test_without_dot_the_widget_names_the_graphviz_install_and_the_run_goes_on(
        show, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no `dot`
    flow = spark()
    widget = show(flow)
    assert "apt-get install graphviz" in widget.problem
    assert "graphviz.org" in widget.notice.value
    state = flow.run()
    widget.refresh()
    assert state.is_failed() and widget.states["run_job"] == "Failed"
    bundle = widget._repr_mimebundle_()
    assert "image/svg+xml" not in bundle and "run_job" in bundle["text/plain"]


def test_a_broken_redraw_never_reaches_the_run(show, monkeypatch, caplog):
    flow = spark()
    widget = show(flow)

    def broken(*args, **kwargs):
        raise RuntimeError("drawing exploded")

    monkeypatch.setattr(widget._svg, "render", broken)
    flow.subscribe(lambda event: widget.refresh())  # redraw inside the engine's publishing
    state = flow.run()
    assert state.is_failed() and flow.last_run.states  # the run went on normally
    assert "drawing exploded" in widget.problem
    assert not [r for r in caplog.records if r.name == "flowbook.events"]  # nothing escaped


def test_a_redraw_bug_is_logged_once_with_its_traceback_while_it_repeats(show, monkeypatch,
                                                                        caplog):
    flow = spark()
    widget = show(flow)
    monkeypatch.setattr(widget._svg, "render", raising(RuntimeError("drawing exploded")))
    for _ in range(3):
        flow.run()
        widget.refresh()
    (record,) = caplog.records
    assert record.name == "flowbook.widget" and record.exc_info[0] is RuntimeError
    assert "could not redraw the widget of flow 'spark'" in record.getMessage()
    assert "Redrawing the widget failed because of a bug in flowbook" in widget.problem
    monkeypatch.undo()
    widget.refresh()
    assert widget.problem == ""  # it recovers once the bug is gone


def test_a_drawing_failure_is_a_message_not_a_logged_bug(show, monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no `dot`
    widget = show(spark())
    assert "apt-get install graphviz" in widget.problem and "bug" not in widget.problem
    assert not caplog.records


def test_a_flow_too_big_to_draw_still_has_status_and_panel(show, monkeypatch):
    monkeypatch.setattr(flow_widget, "MAX_DRAWN", 2)
    flow = pipeline({})
    widget = show(flow)
    flow.run()
    widget.refresh()
    assert "flowbook draws flows of up to 2" in widget.problem
    assert widget.svg() == "" and widget.states["approve"] == "Paused"


def test_close_unsubscribes_and_lets_the_widget_go():
    flow = pipeline({})
    widget = flowbook.show(flow)
    flow.run()
    assert flow.events
    widget.close()
    assert not flow.events
    ref = weakref.ref(widget)
    del widget
    gc.collect()
    assert ref() is None


def test_close_leaves_no_widget_registered_in_ipywidgets():
    from ipywidgets.widgets.widget import _instances

    flow = pipeline({})
    before = len(_instances)
    widget = flowbook.show(flow)
    flow.run()
    widget.refresh()  # makes a button too
    assert len(_instances) > before
    widget.close()
    assert len(_instances) == before


def test_a_flow_shown_again_is_drawn_without_running_dot(show, monkeypatch):
    import graphviz

    flow = spark()
    show(flow)
    monkeypatch.setattr(graphviz.Source, "pipe", lambda *a, **k: 1 / 0)
    again = show(flow)
    assert again.problem == "" and svg_fills(again.svg())["run_job"] == NOT_RUN


def test_the_widget_keeps_no_run_but_the_latest(show):
    flow = pipeline({})
    widget = show(flow)
    flow.run()
    first = weakref.ref(flow.last_run)
    flow.run()
    widget.refresh()
    gc.collect()
    assert first() is None


def test_importing_flowbook_loads_no_widget_drawing_or_ipython_module():
    code = ("import sys, flowbook; print(sorted(m for m in ('graphviz', 'ipywidgets', "
            "'IPython', 'traitlets', 'flowbook.widget') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
