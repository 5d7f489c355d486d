"""The widget's text (flowbook/widget/panel.py): status counts, the task panel, the summary."""

import html
import re

from builders import approval_flow

from flowbook import Flow, task
from flowbook.engine import signals
from flowbook.engine.clock import FakeClock
from flowbook.engine.state import Success
from flowbook.widget import panel
from flowbook.widget.palette import colour_of
from flowbook.widget.tracking import Snapshot

HOSTILE = "<img src=x onerror=alert(1)>"


def snapshot(flow):
    """The flow's latest run as a redraw sees it."""
    run = flow.last_run
    children = {t: list(s.map_states) for t, s in run.states.items() if s.is_mapped()}
    return Snapshot(run, dict(run.states), children, run.state)


def shown(flow, name, child=None):
    """The panel of the task with unique name ``name``."""
    snap = snapshot(flow)
    names = dict(flow.last_run.plan.names)
    chosen = next(t for t, n in names.items() if n == name)
    return panel.task_html(snap, chosen, names, child)


def mapped_flow(size, broken):
    @task
    def numbers():
        return list(range(size))

    @task
    def check(x):
        if x in broken:
            raise ValueError(f"bad row {x}")
        print(f"checked {x}")
        return x

    with Flow("map") as flow:
        check.map(numbers())
    flow.run(clock=FakeClock())
    return flow


# -- layout -------------------------------------------------------------------------------

def test_the_panel_is_one_line_of_classed_sections_without_pre_margins():
    clock = FakeClock()
    flow = approval_flow(clock)
    flow.run(clock=clock)
    text = shown(flow, "work")
    assert "\n" not in text  # no blank lines in a container that keeps white space
    assert text.startswith('<div class="fb-panel">')
    assert '<div class="fb-section"><div class="fb-title">History</div>' in text
    assert all(pre == '<pre class="fb-pre" style="margin:0">'
               for pre in re.findall(r"<pre[^>]*>", text))


def test_the_history_is_a_table_with_headers_and_state_colours():
    clock = FakeClock()
    flow = approval_flow(clock)
    flow.run(clock=clock)
    text = shown(flow, "work")
    assert ('<table class="fb-history"><thead><tr><th>time</th><th>state</th><th>message</th>'
            "</tr></thead>") in text
    green = colour_of(Success())
    assert f'<td><span class="fb-swatch" style="background:{green}"></span>Success</td>' in text


def test_the_head_says_how_long_the_task_ran():
    clock = FakeClock()
    flow = approval_flow(clock)
    flow.run(clock=clock)
    assert '<span class="fb-duration">ran 2.00 s</span>' in shown(flow, "work")


def test_a_paused_task_shows_no_result():
    clock = FakeClock()
    flow = approval_flow(clock)
    flow.run(clock=clock)
    assert "Result" not in shown(flow, "gate")
    assert '<div class="fb-title">Result</div><pre class="fb-pre" style="margin:0">' \
           "&#x27;rows&#x27;</pre>" in shown(flow, "work")


def test_a_task_paused_by_its_body_shows_no_signal_as_result():
    @task
    def confirm():
        raise signals.PAUSE("check the data first")

    flow = Flow("pause", tasks=[confirm])
    flow.run()
    assert "Result" not in shown(flow, "confirm") and "PAUSE" not in shown(flow, "confirm")


# -- why ------------------------------------------------------------------------------------

def test_the_why_no_longer_says_waiting_for_approval_once_approved():
    clock = FakeClock()
    flow = approval_flow(clock)
    flow.run(clock=clock)
    assert "manual_only never runs by itself" in shown(flow, "gate")
    flow.resume()
    text = shown(flow, "gate")
    assert "waiting for approval" not in text.split("History")[0]
    assert "it passed (work is Success)" in text


def test_the_why_of_a_trigger_failed_task_is_recomputed_after_its_upstream_is_retried():
    broken = {"now": True}

    @task
    def run_job():
        if broken["now"]:
            raise RuntimeError("job failed")
        return 1

    @task
    def report(x):
        return x

    with Flow("spark") as flow:
        report(run_job())
    flow.run()
    assert "run_job is Failed" in shown(flow, "report")
    broken["now"] = False
    flow.retry()
    text = shown(flow, "report")
    assert "run_job is Failed" not in text and "it passed (run_job is Success)" in text


def test_a_task_not_run_yet_says_what_it_waits_for():
    clock = FakeClock()
    flow = approval_flow(clock)
    with flow:
        after = task(lambda x: x, name="after")(flow.get_tasks("gate")[0])
    flow.run(clock=clock)
    assert "it runs once gate has finished" in shown(flow, after.name)


# -- elapsed and counts ---------------------------------------------------------------------

def test_the_status_shows_the_runs_own_elapsed_time_without_the_wait_for_approval():
    from flowbook.widget import view_model

    clock = FakeClock()
    flow = approval_flow(clock)
    flow.run(clock=clock)
    clock.advance(600)
    flow.resume()
    snap = snapshot(flow)
    assert view_model.status("approval", snap, flow.plan().names)["elapsed"] == "5.00 s"


def test_counts_count_a_mapped_task_by_its_childrens_states():
    flow = mapped_flow(100, set(range(0, 100, 13)))
    snap = snapshot(flow)
    assert panel.counts(snap, list(flow.last_run.plan.tasks)) == {"Success": 93, "Failed": 8}


def test_the_summary_counts_mapped_children_per_state():
    flow = mapped_flow(100, set(range(8)))
    snap = snapshot(flow)
    names = dict(flow.last_run.plan.names)
    text = panel.summary_text("map", snap, names, panel.counts(snap, list(names)))
    assert "  check    Mapped          100 children: 92 Success, 8 Failed" in text
    assert "93 Success, 8 Failed" in text


# -- mapped children --------------------------------------------------------------------------

def test_mapped_children_are_a_grid_of_cells_with_counts():
    flow = mapped_flow(3, {1})
    text = shown(flow, "check")
    assert text.count('class="fb-child"') == 3
    assert ('<button type="button" class="fb-child" data-child="1" title="[1] Failed: Error '
            "during execution of task: ValueError(&#x27;bad row 1&#x27;)\"") in text
    assert "3 children: " in text and "2 Success" in text and "1 Failed" in text


def test_without_a_chosen_child_no_childs_details_are_shown():
    text = shown(mapped_flow(3, {1}), "check")
    assert "fb-child-details" not in text and "Traceback" not in text
    assert "checked 0" not in text


def test_the_chosen_childs_details_are_shown_and_no_others():
    flow = mapped_flow(3, {1})
    text = shown(flow, "check", child=1)
    assert 'class="fb-child fb-chosen" data-child="1"' in text
    assert text.count('class="fb-section fb-child-details"') == 1
    assert "ValueError: bad row 1" in text and "checked 0" not in text
    assert "checked 2" in shown(flow, "check", child=2)


def test_a_child_that_does_not_exist_is_said_so():
    text = shown(mapped_flow(3, set()), "check", child=7)
    assert "check has no child [7] in this run (3 children)" in text


def test_html_in_names_and_messages_is_shown_as_text():
    @task(name=HOSTILE)
    def hostile(x):
        raise ValueError(HOSTILE)

    with Flow(HOSTILE) as flow:
        hostile.map([1])
    flow.run()
    text = shown(flow, HOSTILE, child=0)
    assert "<img" not in text and html.escape(HOSTILE) in text


def test_what_a_body_logged_is_shown_after_what_it_printed():
    @task
    def chatty():
        from flowbook import context

        print("printed")
        context.get("logger").warning("logged <b>")

    with Flow("logs") as flow:
        chatty()
    flow.run()
    text = shown(flow, "chatty")
    assert re.search(r"stdout</div><pre[^>]*>printed\n</pre>.*log</div><pre[^>]*>\[.*\] "
                     r"WARNING - flowbook.chatty \| logged &lt;b&gt;", text)
