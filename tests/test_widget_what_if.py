"""The widget's What-if mode (flowbook/widget/what_if.py and FlowWidget's what_if/outcomes),
tested through the widget's traits, without a browser."""

import re

import pytest
import traitlets

from flowbook import Flow, task, triggers
from flowbook.engine.simulate import simulate
from flowbook.engine.state import Cached, Failed, Paused, Skipped, Success, TriggerFailed
from flowbook.errors import UserValueError
from flowbook.widget import what_if
from flowbook.widget.flow_widget import FlowWidget
from flowbook.widget.palette import COLOURS

GREEN, RED, TRIGGER_FAILED = COLOURS["Success"], COLOURS["Failed"], COLOURS["TriggerFailed"]


def spark(job_fails=False):
    """create_cluster -> run_job -> report (all_successful), and tear_down (always_run)
    after report; run_job, the reference task, fails when ``job_fails``."""
    @task
    def create_cluster():
        return "cluster"

    @task
    def run_job(cluster):
        if job_fails:
            raise RuntimeError("job failed")
        return "result"

    @task
    def report(result):
        return result

    @task(trigger=triggers.always_run)
    def tear_down(cluster):
        return "down"

    with Flow("spark") as flow:
        cluster = create_cluster()
        job = run_job(cluster)
        tear_down(cluster, upstream_tasks=[report(job)])
    flow.set_reference_tasks([job])
    return flow


def states(widget):
    return {name: entry["state"] for name, entry in widget.nodes.items()}


def fills(widget):
    return {name: entry["fill"] for name, entry in widget.nodes.items()}


def text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def ran(show):
    """A widget of the spark flow after a run where every task succeeded."""
    flow = spark()
    flow.run()
    return show(flow)


# -- the outcomes a click goes through ------------------------------------------------------

def test_clicks_cycle_success_failed_skipped_timedout_then_back_to_the_run():
    seen, outcome = [], None
    for _ in range(4):
        outcome = what_if.next_outcome(outcome, None)
        seen.append(outcome)
    assert seen == ["Failed", "Skipped", "TimedOut", None]


def test_the_cycle_leaves_out_how_the_task_ended_in_the_run():
    seen, outcome = [], None
    for _ in range(4):
        outcome = what_if.next_outcome(outcome, "Failed")
        seen.append(outcome)
    assert seen == ["Success", "Skipped", "TimedOut", None]
    assert what_if.next_outcome(None, ["Success", "Failed"]) == "Success"  # mixed children


def test_an_outcome_is_how_a_task_ended_by_itself_not_what_the_engine_decided():
    from flowbook.engine.state import Decision

    refused = TriggerFailed("no", why=Decision("all_successful", "rule", (), "no"))
    assert [what_if.own_outcome(s) for s in (Success(), Cached(), Failed(), Skipped(),
                                             Paused(), refused, None)] == [
        "Success", "Success", "Failed", "Skipped", "Paused", None, None]


def test_a_mapped_task_ends_as_its_children_did():
    @task
    def numbers():
        return [1, 2, 3]

    @task
    def check(x):
        if x == 2:
            raise ValueError("two")
        return x

    with Flow("map") as flow:
        checked = check.map(numbers())
    flow.run()
    assert what_if.run_outcomes(flow.last_run, flow.plan()) == {
        checked: ["Success", "Failed", "Success"]}


# -- the widget ------------------------------------------------------------------------------

def test_what_if_mode_starts_as_the_run_ended(ran):
    before = states(ran)
    ran.what_if = True
    assert states(ran) == before and ran.outcomes == {}
    assert ran.status["what_if"] == "What if: nothing changed yet → flow Success (real run: " \
        "Success)"


def test_a_click_sets_failed_and_the_picture_recolours_from_simulate(ran):
    ran.what_if = True
    assert ran.cycle_outcome("run_job") == "Failed"
    expected = simulate(ran.flow, {"run_job": "Failed"})
    assert states(ran) == {t.name: type(s).__name__ for t, s in expected.result.items()}
    assert states(ran) == {"create_cluster": "Success", "run_job": "Failed",
                           "report": "TriggerFailed", "tear_down": "Success"}
    assert fills(ran)["run_job"] == RED and fills(ran)["report"] == TRIGGER_FAILED
    assert ran.outcomes == {"run_job": "Failed"} and ran.selected == "run_job"


def test_the_task_set_by_hand_is_marked_and_the_status_says_what_follows(ran):
    ran.what_if = True
    ran.cycle_outcome("run_job")
    assert {name: entry["set"] for name, entry in ran.nodes.items()} == {
        "create_cluster": None, "run_job": "Failed", "report": None, "tear_down": None}
    assert ran.status["what_if"] == "What if: run_job Failed → flow Failed (real run: Success)"
    assert ran.status["state"] == "Failed" and ran.status["run"] is None
    assert "click a task to change how it ends" in ran.status["hint"]


def test_clicks_go_round_and_back_to_the_run(ran):
    ran.what_if = True
    seen = [ran.cycle_outcome("run_job") for _ in range(4)]
    assert seen == ["Failed", "Skipped", "TimedOut", None]
    assert ran.outcomes == {} and set(states(ran).values()) == {"Success"}


def test_the_panel_says_it_is_a_simulation_and_explains_what_follows(ran):
    ran.what_if = True
    ran.cycle_outcome("run_job")
    shown = text(ran.panel)
    assert "What if (a simulation)" in shown and "You set it to end Failed." in shown
    assert "A click sets Skipped." in shown and "Nothing ran" in shown
    assert ("report TriggerFailed (real run: Success): all_successful runs when every "
            "upstream task succeeded") in shown
    assert "tear_down" not in shown  # always_run: it still runs, nothing changed there
    assert "it passed (create_cluster is Success), so the task would run and end Failed" \
        in shown
    assert "History" not in shown and "ran " not in shown  # nothing ran, no time went by
    ran.selected = "report"
    shown = text(ran.panel)
    assert "It ends a success as in the run." in shown
    assert "all_successful runs when every upstream task succeeded" in shown
    assert "run_job is Failed" in shown


def test_reset_clears_the_outcomes_set(ran):
    ran.what_if = True
    ran.cycle_outcome("run_job")
    ran.cycle_outcome("create_cluster")
    ran.outcomes = {}  # what the page's Reset does
    assert set(states(ran).values()) == {"Success"}
    assert not any(entry["set"] for entry in ran.nodes.values())


def test_leaving_the_mode_restores_the_runs_picture_status_panel_and_actions(show):
    flow = spark(job_fails=True)
    flow.run()
    widget = show(flow)
    widget.selected = "report"
    real = (widget.nodes, widget.status, widget.panel, widget.actions, widget.legend)
    assert [a["label"] for a in widget.actions] == ["Retry failed (1)", "Retry run_job"]
    widget.what_if = True
    widget.cycle_outcome("run_job")  # the job succeeds, what if
    assert states(widget)["report"] == "Success" and widget.actions == []
    widget.selected = "report"
    assert widget.actions == [] and "What if (a simulation)" in widget.panel
    widget.what_if = False
    assert (widget.nodes, widget.status, widget.panel, widget.actions, widget.legend) == real
    assert widget.outcomes == {"run_job": "Success"}  # kept for the next time


def test_a_failed_runs_task_starts_failed_and_a_click_makes_it_succeed(show):
    flow = spark(job_fails=True)
    flow.run()
    widget = show(flow)
    widget.what_if = True
    assert states(widget)["report"] == "TriggerFailed"  # as in the run
    assert widget.cycle_outcome("run_job") == "Success"
    assert states(widget) == dict.fromkeys(
        ["create_cluster", "run_job", "report", "tear_down"], "Success")
    assert widget.status["what_if"] == ("What if: run_job Success → flow Success (real "
                                        "run: Failed)")


def test_the_static_picture_never_shows_a_simulation(ran):
    picture, svg = ran.picture(), ran.static_svg()
    ran.what_if = True
    ran.cycle_outcome("run_job")
    assert ran.static_svg() == svg
    assert ran.picture()["text/plain"] == picture["text/plain"]
    assert "Failed" not in ran.summary()


def test_a_flow_never_run_can_be_simulated(show):
    flow = spark()
    widget = show(flow)
    widget.what_if = True
    assert set(states(widget).values()) == {"Success"}
    assert widget.cycle_outcome("create_cluster") == "Failed"
    assert states(widget)["run_job"] == "TriggerFailed"
    assert states(widget)["tear_down"] == "Success"  # always_run: it runs all the same
    assert widget.status["what_if"].endswith("(real run: not run yet)")
    assert "It ends" not in text(widget.panel) and "You set it to end Failed." in text(
        widget.panel)


def test_a_click_from_the_page_is_a_what_if_message(ran):
    ran.what_if = True
    ran._on_message(ran, {"type": "what_if", "task": "run_job"}, [])
    assert ran.outcomes == {"run_job": "Failed"} and ran.problem == ""


def test_a_click_out_of_the_mode_is_said_not_raised(ran):
    ran._on_message(ran, {"type": "what_if", "task": "run_job"}, [])
    assert "not in What-if mode" in ran.problem and ran.outcomes == {}
    with pytest.raises(UserValueError, match="turn it on first"):
        ran.cycle_outcome("run_job")


def test_outcomes_set_from_python_are_checked(ran):
    with pytest.raises(traitlets.TraitError, match="no task named 'run_jb'"):
        ran.outcomes = {"run_jb": "Failed"}
    with pytest.raises(traitlets.TraitError, match="not a state a task can end in"):
        ran.outcomes = {"run_job": "Exploded"}
    ran.outcomes = {"run_job": "failed"}
    assert ran.outcomes == {"run_job": "Failed"}


def test_outcomes_set_from_python_show_once_the_mode_is_on(ran):
    ran.outcomes = {"run_job": "TimedOut"}
    assert states(ran)["run_job"] == "Success"  # the run, until the mode is on
    ran.what_if = True
    assert states(ran)["run_job"] == "TimedOut" and states(ran)["report"] == "TriggerFailed"


def test_an_older_run_shown_is_simulated_from_the_latest_and_the_status_says_so(show):
    flow = spark()
    flow.run()
    widget = FlowWidget(flow, run=flow.last_run)
    try:
        flow.run()
        widget.what_if = True
        assert widget.run == 1
        assert widget.status["what_if"].endswith(
            "; simulated from run 2, the flow's latest, not run 1 shown")
    finally:
        widget.close()


def test_the_flow_as_it_is_now_is_simulated_and_drawn(ran):
    @task
    def notify(x):
        return x

    flow = ran.flow
    report = flow.get_tasks("report")[0]
    flow.add_task(notify)
    flow.set_dependencies(notify, keyword_tasks={"x": report})
    ran.refresh()
    assert "notify" not in ran.nodes  # the run's picture: its plan had no notify
    ran.what_if = True
    assert states(ran)["notify"] == "Success" and "notify" in ran.svg
    assert "the flow as it is now, changed since run 1" in ran.status["what_if"]
    ran.what_if = False
    assert "notify" not in ran.nodes and "notify" not in ran.svg


def test_the_timeline_view_turns_to_the_graph_in_what_if_mode(ran):
    ran.view = "timeline"
    ran.what_if = True
    assert ran.view == "graph"


def test_show_of_a_simulated_state_says_where_a_what_if_is_drawn():
    import flowbook

    @task
    def one():
        return 1

    with Flow("plain") as flow:
        one()
    with pytest.raises(UserValueError, match=r"comes from flowbook\.simulate.*flow\.visualize"
                                             r"\(state\).*What if"):
        flowbook.show(flowbook.simulate(flow))
