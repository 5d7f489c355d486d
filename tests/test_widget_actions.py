"""The widget's buttons for a run at a breakpoint (flowbook/widget/actions.py): Step and
Continue, and "Step this task", tested through FlowWidget's traits and act()."""

import re

import pytest

from flowbook import Flow, task, triggers
from flowbook.widget import actions


class Pipeline:
    """extract -> clean -> load, and audit (manual_only) after extract."""

    def __init__(self):
        @task
        def extract():
            return [3, 1, 2]

        @task
        def clean(rows):
            return sorted(rows)

        @task
        def load(rows):
            return len(rows)

        @task(trigger=triggers.manual_only)
        def audit(rows):
            return rows

        with Flow("pipeline") as flow:
            rows = extract()
            load(clean(rows))
            self.audit = audit(rows)
        self.flow = flow


def states(widget):
    return {name: entry["state"] for name, entry in widget.nodes.items()}


def offered(widget, scope=None):
    return {a["label"]: a for a in widget.actions if scope is None or a["scope"] == scope}


def act(widget, label, scope=None):
    found = offered(widget, scope)
    assert label in found, f"no action {label!r}; actions: {list(found)}"
    widget.act(found[label]["id"])
    assert widget.wait_for_action(timeout=30), f"{label} still running after 30 s"
    assert widget.problem == ""


def text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def stopped(show):
    """The pipeline's widget, its run stopped at a breakpoint before clean (audit waits for
    approval)."""
    pipeline = Pipeline()
    pipeline.flow.run(breakpoints=["clean"])
    return show(pipeline.flow)


def test_a_run_at_a_breakpoint_offers_step_and_continue_only(stopped):
    assert list(offered(stopped, "global")) == ["Step", "Continue"]
    step, go = offered(stopped)["Step"], offered(stopped)["Continue"]
    assert step["title"] == ("Run clean, stopped at a breakpoint, then stop before each task "
                             "that becomes ready")
    assert go["title"] == ("Continue the run from its breakpoint (clean) without stopping "
                           "again; audit waits still for approval (Resume in the panel)")


def test_step_runs_the_stopped_task_and_stops_before_the_next(stopped):
    act(stopped, "Step")
    assert states(stopped) == {"extract": "Success", "clean": "Success", "load": "Paused",
                               "audit": "Paused"}
    assert list(offered(stopped, "global")) == ["Step", "Continue"]
    assert offered(stopped)["Step"]["title"].startswith("Run load,")


def test_continue_goes_on_without_stopping_and_leaves_approvals_waiting(stopped):
    act(stopped, "Continue")
    assert states(stopped) == {"extract": "Success", "clean": "Success", "load": "Success",
                               "audit": "Paused"}
    assert list(offered(stopped, "global")) == ["Resume all (1)"]  # the approval, now
    act(stopped, "Resume all (1)")
    assert set(states(stopped).values()) == {"Success"}
    assert stopped.actions == []


def test_a_stopped_tasks_panel_offers_step_this_task_and_an_approvals_resume(stopped):
    stopped.selected = "clean"
    assert list(offered(stopped, "task")) == ["Step this task"]
    stopped.selected = "audit"
    assert list(offered(stopped, "task")) == ["Resume"]


def test_step_this_task_steps_the_task_chosen_not_the_first(show):
    @task
    def left():
        return 1

    @task
    def right():
        return 2

    with Flow("two") as flow:
        left()
        right()
    flow.run(breakpoints="all")  # both stop before they start
    widget = show(flow)
    assert offered(widget)["Step"]["title"] == (
        "Run left, stopped at a breakpoint, then stop before each task that becomes ready "
        "(right stays stopped)")
    widget.selected = "right"
    act(widget, "Step this task", "task")
    assert states(widget) == {"left": "Paused", "right": "Success"}


def test_the_why_of_a_task_at_a_breakpoint_is_not_an_approval(stopped):
    stopped.selected = "clean"
    shown = text(stopped.panel)
    assert ("The run stopped before it started, at a breakpoint: its upstream tasks finished "
            "(extract is Success), so it is ready to run.") in shown
    assert "Step runs it" in shown and "approv" not in shown.lower()


def test_no_step_without_a_breakpoint(show):
    pipeline = Pipeline()
    pipeline.flow.run()
    widget = show(pipeline.flow)
    assert list(offered(widget, "global")) == ["Resume all (1)"]
    assert "Step" not in offered(widget)


def test_step_and_continue_are_hidden_in_what_if_mode(stopped):
    stopped.what_if = True
    assert stopped.actions == []
    stopped.what_if = False
    assert list(offered(stopped, "global")) == ["Step", "Continue"]


def test_offered_lists_nothing_for_no_run():
    assert actions.offered(None, None, {}) == []
