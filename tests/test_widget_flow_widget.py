"""FlowWidget (flowbook/widget/flow_widget.py), tested through its traits, without a browser."""

import gc
import re
import subprocess
import sys
import threading
import weakref

import pytest
import traitlets

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
    """{node title: fill} read from an SVG the widget made."""
    nodes = re.findall(r'<g id="fb\d+" class="node">\s*<title>(.*?)</title>\s*<\w+ fill="([^"]+)"',
                       svg)
    return dict(nodes)


def states(widget):
    """{unique name: state name} as the widget's nodes show them."""
    return {name: entry["state"] for name, entry in widget.nodes.items()}


def fills(widget):
    return {name: entry["fill"] for name, entry in widget.nodes.items()}


def counts(widget):
    return {name: n for name, n, _ in widget.status["counts"]}


def labels(widget, scope=None):
    return [a["label"] for a in widget.actions if scope is None or a["scope"] == scope]


def act(widget, label, scope=None):
    """Click the action labelled ``label`` (as the page would: by its id) and wait for it."""
    found = {a["label"]: a["id"] for a in widget.actions if scope is None or a["scope"] == scope}
    assert label in found, f"no action {label!r}; actions: {list(found)}"
    widget.act(found[label])
    assert widget.wait_for_action(timeout=30), f"{label} still running after 30 s"


def test_show_and_flow_widget_give_an_anywidget_of_the_flow(show):
    import anywidget

    flow = pipeline({})
    widget = show(flow)
    assert isinstance(widget, FlowWidget) and isinstance(widget, anywidget.AnyWidget)
    assert widget.flow is flow and "export default" in widget._esm
    other = flow.widget()
    try:
        assert isinstance(other, FlowWidget) and other.flow is flow
    finally:
        other.close()


def test_show_refuses_what_is_not_a_flow_or_a_run_state():
    from flowbook.engine.state import Success
    from flowbook.errors import UserTypeError

    with pytest.raises(UserTypeError, match="takes a Flow or the State flow.run"):
        flowbook.show("etl")
    with pytest.raises(UserValueError, match="show the flow instead"):
        flowbook.show(Success())


def test_before_a_run_every_task_is_grey_and_not_run_and_the_widget_follows(show):
    widget = show(pipeline({}))
    assert states(widget) == {"extract": "not run", "approve": "not run", "load": "not run"}
    assert set(fills(widget).values()) == {NOT_RUN}
    assert set(svg_fills(widget.svg).values()) == {NOT_RUN}  # the layout: neutral fills
    assert counts(widget) == {"not run": 3} and widget.run == 0 and widget.follow


def test_colours_follow_every_state_change_without_a_new_layout(show):
    flow = pipeline({"load": True})
    widget = show(flow)
    layout = widget.svg
    seen = []

    def after_each_event(event):  # subscribed after the widget: it has seen the event
        widget.refresh()
        seen.append(tuple(fills(widget).values()))

    unsubscribe = flow.subscribe(after_each_event)
    flow.run()
    flow.resume("approve")
    unsubscribe()
    extract_colours = [f[0] for f in seen]
    assert RUNNING in extract_colours and extract_colours[-1] == GREEN
    assert extract_colours.index(RUNNING) < extract_colours.index(GREEN)
    approve_colours = list(dict.fromkeys(f[1] for f in seen))
    assert approve_colours == [NOT_RUN, PAUSED, COLOURS["Resume"], RUNNING, GREEN]
    assert widget.svg is layout  # recoloured in the page, never laid out again


def test_a_widget_made_after_a_run_keeps_showing_that_run(show):
    fixed = {}
    flow = pipeline(fixed)
    flow.run()
    flow.resume()
    widget = show(flow)
    assert states(widget)["load"] == "Failed" and widget.run == 1 and not widget.follow
    fixed["load"] = True
    flow.run()  # a later run, from another cell
    widget.refresh()
    assert states(widget)["load"] == "Failed" and widget.run == 1
    assert [r["label"] for r in widget.runs] == ["run 1 · Failed", "run 2 · Running"]


def test_the_widget_of_a_state_shows_its_run_and_its_resume_continues_it(show):
    flow = pipeline({"load": True})
    first = flow.run()
    flow.run()
    widget = show(first)
    assert widget.run == 1 and states(widget)["approve"] == "Paused"
    act(widget, "Resume all (1)")
    assert states(widget) == {"extract": "Success", "approve": "Success", "load": "Success"}
    assert flow.runs[0].state.is_successful() and flow.last_run.state.is_running()


def test_a_following_widget_shows_each_new_run(show):
    flow = pipeline({})
    flow.run()
    widget = FlowWidget(flow, follow=True)
    try:
        flow.resume()
        flow.run()
        widget.refresh()
        assert widget.run == 2 and states(widget)["load"] == "not run"
    finally:
        widget.close()


def test_the_run_picker_switches_runs_and_follow_goes_back_to_the_latest(show):
    flow = pipeline({})
    flow.run()
    flow.resume()
    flow.run()
    widget = show(flow)
    assert widget.run == 2
    widget.run = 1  # the page's run picker
    widget.refresh()
    assert states(widget)["load"] == "Failed" and not widget.follow
    widget.follow = True
    flow.run()
    widget.refresh()
    assert widget.run == 3


def test_a_paused_run_offers_resume_all_and_a_failed_one_retry_failed(show):
    flow = pipeline({})
    widget = show(flow)
    flow.run()
    widget.refresh()
    assert labels(widget) == ["Resume all (1)"]
    flow.resume()
    widget.refresh()
    assert labels(widget) == ["Retry failed (1)"]


def test_the_selected_task_offers_its_own_actions_with_a_preview(show):
    flow = pipeline({})
    widget = show(flow)
    flow.run()
    widget.selected = "approve"
    assert labels(widget, "task") == ["Resume"]
    flow.resume()
    widget.selected = "load"
    widget.refresh()
    task_actions = [a for a in widget.actions if a["scope"] == "task"]
    assert [a["label"] for a in task_actions] == ["Retry", "Retry from here"]
    assert task_actions[0]["title"] == ("Re-runs: load. Reuses the results of: extract, "
                                        "approve.")


def test_a_trigger_failed_task_offers_to_retry_its_failed_upstream_and_says_why(show):
    flow = spark()
    widget = show(flow)
    flow.run()
    widget.selected = "report"
    (retry, *_) = [a for a in widget.actions if a["scope"] == "task"]
    assert retry["label"] == "Retry run_job" and retry["id"] == "retry:run_job"
    assert retry["task"] == "report"  # shown in report's panel
    assert "retrying run_job re-runs report too" in retry["title"]
    assert labels(widget, "global") == ["Retry failed (1)"]  # not 2: report follows run_job


def test_a_300_task_flow_with_one_failure_offers_at_most_two_global_actions(show):
    @task
    def ok(x=0):
        return x

    @task
    def boom(x=0):
        raise RuntimeError("boom")

    with Flow("big") as flow:
        first = boom()
        for i in range(299):
            ok(first if i < 150 else None)
    widget = show(flow)
    flow.run()
    widget.refresh()
    assert labels(widget, "global") == ["Retry failed (1)"]
    assert len(widget.actions) <= 2


def test_a_cancelled_task_is_retried_by_retry_failed(show):
    from flowbook.engine.state import Cancelled

    flow = spark()
    create = flow.get_tasks("create_cluster")[0]
    widget = show(flow)
    flow.run(task_states={create: Cancelled("interrupted")})
    widget.refresh()
    act(widget, "Retry failed (1)")
    assert states(widget)["create_cluster"] == "Success"


def test_an_action_runs_in_the_background_and_disables_the_others(show):
    release = threading.Event()

    @task(trigger=triggers.manual_only)
    def approve():
        return 1

    @task
    def publish(x):
        print("publishing", x)
        assert release.wait(30), "the test never released publish"
        return x

    with Flow("gate") as flow:
        publish(approve())
    widget = show(flow)
    flow.run()
    widget.refresh()
    widget.act("resume_all")  # returns while publish is still blocked
    assert widget.busy
    release.set()
    assert widget.wait_for_action(timeout=30)
    assert fills(widget) == {"approve": GREEN, "publish": GREEN}
    assert widget.actions == [] and widget.problem == ""


def test_what_a_buttons_run_prints_goes_to_the_widget_not_the_cell(show, capsys):
    @task(trigger=triggers.manual_only)
    def approve():
        print("approved, publishing")
        return 1

    with Flow("gate") as flow:
        approve()
    widget = show(flow)
    flow.run()
    widget.refresh()
    capsys.readouterr()
    act(widget, "Resume all (1)")
    assert widget.output == "approved, publishing\n"
    assert "publishing" not in capsys.readouterr().out
    widget.selected = "approve"
    assert "approved, publishing" in widget.panel  # kept with the task run as well


def test_what_a_buttons_run_logs_goes_to_the_widget_and_its_panel(show, capsys):
    @task(trigger=triggers.manual_only)
    def approve():
        flowbook.context.get("logger").info("approved")

    with Flow("gate") as flow:
        approve()
    widget = show(flow)
    flow.run()
    widget.refresh()
    capsys.readouterr()
    act(widget, "Resume all (1)")
    assert "INFO - flowbook.approve | approved\n" in widget.output
    assert "approved" not in capsys.readouterr().err
    widget.selected = "approve"
    assert "flowbook.approve | approved" in widget.panel


def test_retry_from_here_re_runs_a_successful_task_and_what_is_below(show):
    calls = []

    @task
    def extract():
        calls.append("extract")
        return 1

    @task
    def load(x):
        calls.append("load")
        return x

    with Flow("again") as flow:
        load(extract())
    widget = show(flow)
    flow.run()
    widget.selected = "load"
    act(widget, "Retry from here", "task")
    assert calls == ["extract", "load", "load"] and states(widget)["load"] == "Success"


def test_an_unknown_action_is_refused_with_the_ones_on_offer(show):
    flow = pipeline({})
    widget = show(flow)
    flow.run()
    widget.refresh()
    with pytest.raises(UserValueError, match="offers no action 'retry:x' now; it offers: "
                                             "resume_all"):
        widget.act("retry:x")


def test_the_page_asking_hello_is_answered(show, monkeypatch):
    widget = show(pipeline({}))
    sent = []
    monkeypatch.setattr(widget, "send", lambda content, buffers=None: sent.append(content))
    widget._on_message(widget, {"type": "hello"}, [])
    assert sent == [{"type": "hello"}]


def test_a_refused_action_shows_why_and_the_widget_carries_on(show, monkeypatch, caplog):
    flow = pipeline({})
    widget = show(flow)
    flow.run()
    widget.refresh()
    monkeypatch.setattr("flowbook.engine.continuation.resume",
                        raising(UserValueError("task 'approve' is not paused")))
    act(widget, "Resume all (1)")
    assert "Resume all (1) did not work: task 'approve' is not paused" in widget.problem
    assert "bug" not in widget.problem and not caplog.records and not widget.busy


def raising(exc):
    """A stand-in for a continuation that raises ``exc``."""
    def action(*args, **kwargs):
        raise exc

    return action


def test_a_bug_in_flowbook_on_an_action_is_logged_with_its_traceback_and_said(
        show, monkeypatch, caplog):
    flow = pipeline({})
    widget = show(flow)
    flow.run()
    widget.refresh()
    monkeypatch.setattr("flowbook.engine.continuation.resume",
                        raising(TypeError("unsupported operand")))
    act(widget, "Resume all (1)")
    (record,) = [r for r in caplog.records if r.name == "flowbook.widget"]
    assert record.levelname == "ERROR" and "Resume all (1)" in record.getMessage()
    assert record.exc_info[0] is TypeError and "Traceback" in caplog.text
    assert "Resume all (1) failed because of a bug in flowbook" in widget.problem
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
    act(widget, "Retry failed (1)")
    assert "Retry failed (1) did not work: stopped by the body" in widget.problem
    assert not caplog.records  # an interrupt is not a bug
    assert flow.last_run.state.is_cancelled()
    act(widget, "Retry failed (1)" if "Retry failed (1)" in labels(widget)
        else "Continue the run")
    assert states(widget)["flaky"] == "Success" and widget.problem == ""


def test_the_panel_says_which_rule_and_upstream_state_stopped_a_task(show):
    flow = spark()
    widget = show(flow)
    flow.run()
    widget.selected = "report"
    assert ("all_successful runs when every upstream task succeeded (Skipped counts as "
            "success); run_job is Failed") in widget.panel


def test_the_panel_shows_history_result_output_and_traceback(show):
    flow = pipeline({})
    widget = show(flow)
    flow.run()
    flow.resume()
    widget.selected = "extract"
    assert "[1, 2, 3]" in widget.panel and "extracting 3 rows" in widget.panel
    assert "<th>" in widget.panel  # the history table has headers
    widget.selected = "load"
    assert "Traceback (most recent call last)" in widget.panel
    assert "ConnectionError: database is down" in widget.panel
    assert "flowbook/engine" not in widget.panel  # only the user's frames


def test_selecting_an_unknown_task_is_refused_with_the_names(show):
    widget = show(pipeline({}))
    widget.selected = "approve"
    with pytest.raises(traitlets.TraitError, match="has no task named 'nope'; choose one of: "
                                                   "extract, approve, load"):
        widget.selected = "nope"


def test_the_widget_of_a_flow_not_run_follows_tasks_added_and_keeps_the_choice(show):
    flow = spark()
    widget = show(flow)
    widget.selected = "run_job"
    report = flow.get_tasks("report")[0]
    with flow, pytest.warns(UserWarning, match="making a copy of task 'report'"):
        report(report)  # a second task named report, below the first
    widget.refresh()
    assert set(states(widget)) == {"create_cluster", "run_job", "report", "report-2"}
    assert set(svg_fills(widget.svg)) == set(states(widget))
    assert widget.selected == "run_job"


def test_a_run_shows_the_plan_it_ran_even_when_the_flow_changed_since(show):
    flow = spark()
    flow.run()
    widget = show(flow)
    with flow, pytest.warns(UserWarning, match="making a copy of task 'report'"):
        flow.get_tasks("report")[0](1)
    widget.refresh()
    assert set(states(widget)) == {"create_cluster", "run_job", "report"}


def test_html_in_names_and_messages_is_escaped(show):
    @task(name=HOSTILE)
    def hostile():
        raise ValueError(HOSTILE)

    with Flow(HOSTILE) as flow:
        hostile()
    widget = show(flow)
    flow.run()
    widget.selected = HOSTILE
    escaped = "&lt;img src=x onerror=alert(1)&gt;"
    assert f"<title>{escaped}</title>" in widget.svg
    assert "<img" not in widget.panel and escaped in widget.panel
    assert "<img" not in widget.static_svg()
    assert HOSTILE in widget._repr_mimebundle_()[0]["text/plain"]


def test_duplicate_task_names_get_unique_titles_and_actions(show):
    @task(trigger=triggers.manual_only)
    def step():
        return 1

    with Flow("twice") as flow:
        step()
        step()
    widget = show(flow)
    flow.run()
    assert set(svg_fills(widget.svg)) == {"step", "step-2"}
    widget.selected = "step-2"
    act(widget, "Resume", "task")
    assert states(widget) == {"step": "Paused", "step-2": "Success"}


def test_a_map_of_100_with_8_failures_counts_its_children(show):
    @task
    def numbers():
        return list(range(100))

    @task
    def check(x):
        if x % 12 == 5:
            raise ValueError(f"bad {x}")
        return x

    with Flow("map") as flow:
        check.map(numbers())
    widget = show(flow)
    flow.run()
    widget.refresh()
    node = widget.nodes["check"]
    assert node["state"] == "Mapped"
    assert node["children"] == {"total": 100, "counts": [["Success", 92, GREEN],
                                                         ["Failed", 8, RED]]}
    assert counts(widget) == {"Success": 93, "Failed": 8}  # numbers + the children
    assert "8/100 failed" in widget.static_svg()
    widget.selected = "check"
    assert widget.panel.count("data-child=") == 100 and "Traceback" not in widget.panel
    widget.child = 5
    assert "Traceback" in widget.panel and "ValueError: bad 5" in widget.panel
    assert labels(widget, "global") == ["Retry failed (1)"]


def test_the_timeline_is_filled_only_while_it_is_shown(show):
    flow = spark()
    widget = show(flow)
    flow.run()
    assert widget.timeline == {}
    widget.view = "timeline"
    rows = {row["task"]: row["segments"] for row in widget.timeline["rows"]}
    assert [segment[2] for segment in rows["run_job"]] == ["Running", "Failed"]


def test_mimebundle_has_the_static_svg_and_a_text_summary(show):
    flow = spark()
    widget = show(flow)
    flow.run()
    data, _ = widget._repr_mimebundle_()  # refreshes first: no wait for the throttled redraw
    assert "application/vnd.jupyter.widget-view+json" in data
    assert svg_fills(data["image/svg+xml"])["run_job"] == RED
    text = data["text/plain"]
    assert text.startswith("Flow 'spark': Failed: Some reference tasks failed.")
    assert re.search(r"run_job\s+Failed\s+Error during execution of task", text)


def test_without_dot_the_widget_names_the_graphviz_install_and_the_run_goes_on(
        show, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no `dot`
    flowbook.widget.drawing._laid_out.cache_clear()
    flow = spark()
    widget = show(flow)
    assert "apt-get install graphviz" in widget.problem and "bug" not in widget.problem
    state = flow.run()
    widget.refresh()
    assert state.is_failed() and states(widget)["run_job"] == "Failed" and widget.svg == ""
    data, _ = widget._repr_mimebundle_()
    assert "image/svg+xml" not in data and "run_job" in data["text/plain"]


def test_a_broken_redraw_never_reaches_the_run_and_is_logged_once(show, monkeypatch, caplog):
    flow = spark()
    widget = show(flow)
    monkeypatch.setattr("flowbook.widget.view_model.nodes",
                        raising(RuntimeError("drawing exploded")))
    flow.subscribe(lambda event: widget.refresh())  # redraw inside the engine's publishing
    state = flow.run()
    flow.run()
    assert state.is_failed() and flow.last_run.states  # the runs went on normally
    assert "Redrawing the widget failed because of a bug in flowbook" in widget.problem
    assert not [r for r in caplog.records if r.name == "flowbook.events"]  # nothing escaped
    (record,) = [r for r in caplog.records if r.name == "flowbook.widget"]
    assert "could not redraw the widget of flow 'spark'" in record.getMessage()
    monkeypatch.undo()
    widget.refresh()
    assert widget.problem == ""  # it recovers once the bug is gone


def test_a_flow_too_big_to_draw_still_has_status_and_panel(show, monkeypatch):
    monkeypatch.setattr(flow_widget, "MAX_DRAWN", 2)
    flow = pipeline({})
    widget = show(flow)
    flow.run()
    widget.refresh()
    assert "flowbook draws flows of up to 2" in widget.problem
    assert widget.svg == "" and states(widget)["approve"] == "Paused"


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
    widget.refresh()
    assert len(_instances) > before
    widget.close()
    assert len(_instances) == before


def test_a_flow_shown_again_is_drawn_without_running_dot(show, monkeypatch):
    import graphviz

    flow = spark()
    show(flow)
    monkeypatch.setattr(graphviz.Source, "pipe", lambda *a, **k: 1 / 0)
    again = show(flow)
    assert again.problem == "" and set(svg_fills(again.svg)) == {"create_cluster", "run_job",
                                                                  "report"}


def test_a_widget_holds_its_own_run_and_the_flow_only_its_latest_runs(show):
    from flowbook.engine import runs

    flow = pipeline({})
    flow.run()
    widget = show(flow)
    first = weakref.ref(flow.last_run)
    assert widget.run == 1
    second = None
    for i in range(runs.KEPT + 1):
        flow.run()
        if i == 0:
            second = weakref.ref(flow.last_run)
    gc.collect()
    assert first() is not None  # the widget shows it
    assert second() is None  # kept by nothing but the flow, which keeps its latest runs
    assert len(flow.runs) == runs.KEPT


def test_importing_flowbook_loads_no_widget_drawing_or_ipython_module():
    code = ("import sys, flowbook; print(sorted(m for m in ('graphviz', 'ipywidgets', "
            "'IPython', 'traitlets', 'anywidget', 'flowbook.widget') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


class Displayed:
    """Stands in for IPython's display: records what is shown and updated, by display id."""

    def __init__(self):
        self.outputs = []  # [bundle] in display order
        self.updates = []  # [bundle] given to DisplayHandle.update

    def display(self, obj, raw=False, metadata=None, display_id=None):
        self.outputs.append(obj)
        if display_id:
            recorder = self

            class Handle:
                def update(self, bundle, raw=False):
                    recorder.updates.append(bundle)

            return Handle()
        return None


@pytest.fixture
def displayed(monkeypatch):
    import IPython.display

    seen = Displayed()
    monkeypatch.setattr(IPython.display, "display", seen.display)
    return seen


def test_displayed_it_is_a_static_picture_then_the_live_view(show, displayed):
    flow = spark()
    flow.run()
    widget = show(flow)
    widget._ipython_display_()
    picture, view = displayed.outputs
    assert '<div class="flowbook-static"><img alt="Flow &#x27;spark&#x27;: Failed' in \
        picture["text/html"]
    assert "data:image/svg+xml;base64," in picture["text/html"]
    assert svg_fills(picture["image/svg+xml"])["run_job"] == RED
    assert picture["text/plain"].startswith("Flow 'spark': Failed")
    assert view["application/vnd.jupyter.widget-view+json"]["model_id"] == widget.model_id
    assert view["text/plain"] == ""  # the summary is in the picture's output


def test_the_picture_of_a_run_keeps_its_failure_when_another_cell_fixes_it(show, displayed):
    fixed = {}
    flow = pipeline(fixed)
    flow.run()
    flow.resume()
    widget = show(flow)
    widget._ipython_display_()
    fixed["load"] = True
    flow.retry()  # from another cell: the live view follows the run ...
    widget.refresh()
    assert states(widget)["load"] == "Success"
    assert displayed.updates == []  # ... and the picture keeps what this output showed
    widget.selected = "load"
    act(widget, "Retry from here", "task")  # the widget's own action redraws its picture
    (update,) = displayed.updates
    assert svg_fills(update["image/svg+xml"])["load"] == GREEN


def test_a_following_widget_redraws_its_picture_when_the_latest_run_ends(show, displayed):
    flow = spark()
    widget = show(flow)  # before any run: it follows
    widget._ipython_display_()
    flow.run()
    widget.refresh()
    assert svg_fills(displayed.updates[-1]["image/svg+xml"])["run_job"] == RED


def test_a_follower_keeps_to_the_latest_run_when_an_older_one_is_continued(show):
    flow = pipeline({"load": True})
    flow.run()
    older = flow.last_run
    follower = FlowWidget(flow, follow=True)
    try:
        flow.run()
        from flowbook.engine import continuation

        continuation.resume(older, ())  # run 1 was still paused: continue it
        follower.refresh()
        assert follower.run == 2 and follower.follow
    finally:
        follower.close()


def test_a_widget_of_the_next_run_that_never_began_shows_the_latest(show):
    flow = spark()
    flow.run()
    widget = FlowWidget(flow, run=flow_widget.NEXT)
    try:
        widget.stop_waiting()  # what %flow run does when the run was refused
        widget.refresh()
        assert widget.run == 1
        flow.run()
        widget.refresh()
        assert widget.run == 1  # no later run is taken for the one it waited for
    finally:
        widget.close()


def test_a_widget_refuses_a_state_or_another_flows_run_and_says_what_to_pass():
    from flowbook.errors import UserTypeError

    flow, other = spark(), pipeline({})
    state = flow.run()
    other.run()
    with pytest.raises(UserTypeError, match=r"use flowbook.show\(state\)"):
        FlowWidget(flow, run=state)
    with pytest.raises(UserValueError, match="that run is of flow 'etl', not 'spark'"):
        FlowWidget(flow, run=other.last_run)


def test_a_click_on_an_action_no_longer_offered_is_said_not_raised(show):
    flow = pipeline({})
    widget = show(flow)
    flow.run()
    widget._on_message(widget, {"type": "action", "id": "retry:load"}, [])
    assert "offers no action 'retry:load' now" in widget.problem and not widget.busy


def test_retry_from_here_is_not_offered_where_the_failed_upstream_decides(show):
    flow = spark()
    widget = show(flow)
    flow.run()
    widget.selected = "report"
    assert labels(widget, "task") == ["Retry run_job"]


def test_the_status_line_shows_the_next_scheduled_run_until_stopped(show, monkeypatch):
    from datetime import datetime, timezone

    from flowbook.engine import scheduled
    from flowbook.engine.clock import FakeClock
    from flowbook.schedules import Schedule
    from flowbook.schedules.clocks import DatesClock

    monkeypatch.setattr(scheduled, "in_background", lambda: True)  # as in a kernel
    due = datetime(2024, 3, 1, 12, 5, tzinfo=timezone.utc)
    flow = pipeline({})
    flow.schedule = Schedule([DatesClock([due])])
    widget = show(flow)
    flow.run(clock=FakeClock(start=due.timestamp() - 300))
    widget.refresh()
    assert widget.status["next_run"] == "next run at 2024-03-01 12:05:00 UTC"
    flow.stop()  # the runs' thread has ended, and told the widget
    assert widget.status["next_run"] == ""
