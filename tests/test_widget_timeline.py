"""Task durations and the timeline's rows (flowbook/widget/timeline.py), on a FakeClock."""

from flowbook import Flow, task, triggers
from flowbook.engine import state as st
from flowbook.engine.clock import FakeClock
from flowbook.widget import timeline
from flowbook.widget.palette import colour_of

START = 1000.0


def stamped(*pairs):
    """A history of (state, timestamp) pairs."""
    states = []
    for state, stamp in pairs:
        state.timestamp = stamp
        states.append(state)
    return states


def flaky_flow(clock):
    """flaky: runs 2 s and fails, waits 10 s, runs 1 s and succeeds; beside it, broken fails
    and report below it never runs."""
    attempts = []

    @task(max_retries=1, retry_delay=10)
    def flaky():
        attempts.append(1)
        clock.advance(2 if len(attempts) == 1 else 1)
        if len(attempts) == 1:
            raise ValueError("not yet")
        return "ok"

    @task
    def broken():
        raise ValueError("no")

    @task
    def report(x):
        return x

    with Flow("times") as flow:
        first = flaky()
        never = report(broken())
    flow.run(clock=clock)
    return flow, first, never


def test_duration_sums_the_running_time_of_every_attempt():
    flow, first, _ = flaky_flow(FakeClock(start=START))
    assert timeline.task_duration(flow.last_run.task_history(first)) == 3.0


def test_duration_is_none_for_a_task_that_never_ran():
    flow, _, never = flaky_flow(FakeClock(start=START))
    assert timeline.task_duration(flow.last_run.task_history(never)) is None


def test_duration_of_a_task_still_running_counts_until_now_when_given():
    history = stamped((st.Pending(), 0.0), (st.Running(), 1.0))
    assert timeline.task_duration(history) == 0.0
    assert timeline.task_duration(history, now=4.5) == 3.5


def test_segments_show_running_the_wait_to_retry_and_each_end_as_a_marker():
    flow, first, _ = flaky_flow(FakeClock(start=START))
    rows = timeline.rows(flow.last_run, dict(flow.last_run.plan.names))
    flaky_row = next(row for row in rows["rows"] if row["task"] == "flaky")
    assert flaky_row["segments"] == [
        [START, START + 2, "Running", colour_of(st.Running())],
        [START + 2, START + 2, "Failed", colour_of(st.Failed())],
        [START + 2, START + 12, "Retrying", colour_of(st.Retrying())],
        [START + 12, START + 13, "Running", colour_of(st.Running())],
        [START + 13, START + 13, "Success", colour_of(st.Success())],
    ]


def test_the_timeline_spans_the_run_and_lists_every_task():
    flow, _, never = flaky_flow(FakeClock(start=START))
    rows = timeline.rows(flow.last_run, dict(flow.last_run.plan.names))
    assert (rows["start"], rows["end"]) == (START, START + 13)
    assert {row["task"] for row in rows["rows"]} == {"flaky", "broken", "report"}
    report_row = next(row for row in rows["rows"] if row["task"] == "report")
    assert [s[2] for s in report_row["segments"]] == ["TriggerFailed"]


def test_a_paused_task_waits_until_now_then_until_its_approval():
    clock = FakeClock(start=START)

    @task(trigger=triggers.manual_only)
    def gate():
        return 1

    flow = Flow("approval", tasks=[gate])
    flow.run(clock=clock)
    clock.advance(30)
    names = dict(flow.last_run.plan.names)
    assert timeline.rows(flow.last_run, names)["rows"][0]["segments"] == [
        [START, START + 30, "Paused", colour_of(st.Paused())]]
    flow.resume()
    kinds = [s[2] for s in timeline.rows(flow.last_run, names)["rows"][0]["segments"]]
    assert kinds == ["Paused", "Resume", "Running", "Success"]


def test_a_mapped_task_is_one_row_from_its_first_child_start_to_its_last_child_end():
    clock = FakeClock(start=START)

    @task
    def numbers():
        return [1, 2, 3]

    @task
    def wait(x):
        clock.advance(x)
        return x

    with Flow("map") as flow:
        waited = wait.map(numbers())
    flow.run(clock=clock)
    run = flow.last_run
    row = next(r for r in timeline.rows(run, dict(run.plan.names))["rows"]
               if r["task"] == "wait")
    assert row["segments"] == [[START, START + 6, "Mapped", colour_of(st.Mapped())]]
    assert timeline.duration_of(run, waited) == 6.0
