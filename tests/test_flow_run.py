"""Flow runs: the flow's state, pause/resume/retry continuing a run, events and history."""

import pytest

from builders import chain_flow, passthrough, raises, returns
from flowbook import Flow, Parameter, context, task, triggers
from flowbook.engine import signals
from flowbook.engine import state as st
from flowbook.engine.events import FlowStateChanged, TaskStateChanged


def names(states):
    return {t.name: type(s).__name__ for t, s in states.items()}


def test_empty_flow_succeeds():
    assert type(Flow("empty").run()) is st.Success


def test_flow_fails_when_a_reference_task_fails():
    flow, _ = chain_flow(returns(1), passthrough(name="a"), raises(name="b"))
    assert type(flow.run()) is st.Failed


def test_always_run_cleanup_makes_the_flow_succeed_unless_the_job_is_a_reference_task():
    # The seed tutorial's Spark example.
    @task
    def create_cluster():
        return "cluster"

    @task
    def run_spark_job(cluster):
        raise RuntimeError("job failed")

    @task(trigger=triggers.always_run)
    def tear_down_cluster(cluster):
        return "torn down"

    with Flow("Spark") as flow:
        cluster = create_cluster()
        submitted = run_spark_job(cluster)
        result = tear_down_cluster(cluster, upstream_tasks=[submitted])
    state = flow.run()
    assert type(state) is st.Success and state.result[result].result == "torn down"
    flow.set_reference_tasks([submitted])
    assert type(flow.run()) is st.Failed


def test_a_failed_mapped_child_of_a_reference_task_fails_the_flow():
    @task
    def inv(x):
        return 1 / x

    with Flow("m") as flow:
        inv.map([1, 0])
    assert type(flow.run()) is st.Failed


def test_run_returns_running_instead_of_blocking_on_a_paused_task():
    flow, (a, b) = chain_flow(returns(1), passthrough(trigger=triggers.manual_only))
    state = flow.run()
    assert type(state) is st.Running and type(state.result[b]) is st.Paused
    assert "flow.resume()" in state.message


def test_paused_state_explains_the_manual_only_decision():
    flow, (a, b) = chain_flow(returns(1), passthrough(trigger=triggers.manual_only))
    why = flow.run().result[b].why
    assert why.trigger == "manual_only" and "person" in why.rule


def test_resume_continues_the_same_run_without_rerunning_upstream():
    calls = []
    up = task(lambda: calls.append(1) or 1, name="up")
    flow, (a, b, c) = chain_flow(up, passthrough(name="gate", trigger=triggers.manual_only),
                                 passthrough(name="after"))
    flow.run()
    state = flow.resume()
    assert type(state) is st.Success and state.result[c].result == 1 and calls == [1]
    assert [type(s).__name__ for s in flow.last_run.task_history(b)] == [
        "Pending", "Paused", "Resume", "Running", "Success"]


def test_resume_by_name_and_pause_signal_in_the_body():
    @task
    def confirm():
        if not context.get("resume"):
            raise signals.PAUSE("check the data first")
        return "confirmed"

    flow, (a,) = chain_flow(confirm)
    assert type(flow.run()) is st.Running
    assert flow.resume("confirm").result[a].result == "confirmed"


def test_resume_refuses_a_task_that_is_not_paused():
    flow, (a, b) = chain_flow(returns(1, name="a"), passthrough(trigger=triggers.manual_only))
    flow.run()
    with pytest.raises(ValueError, match="task 'a' is not paused"):
        flow.resume(a)


def test_resume_before_any_run_says_to_run_first():
    with pytest.raises(ValueError, match=r"has not run yet.*flow\.run\(\)"):
        Flow("f").resume()


def test_retry_reruns_the_failed_task_and_what_failed_below_it_only():
    calls = {"load": 0, "fix": False}

    @task
    def extract():
        calls["load"] += 1
        return 1

    @task
    def transform(x):
        if not calls["fix"]:
            raise ValueError("bad data")
        return x + 1

    @task
    def load(x):
        return x * 10

    with Flow("etl") as flow:
        e = extract()
        t = transform(e)
        l = load(t)
    assert type(flow.run()) is st.Failed
    calls["fix"] = True
    state = flow.retry()
    assert type(state) is st.Success and state.result[l].result == 20
    assert calls["load"] == 1  # the upstream success was reused


def test_retry_refuses_a_task_that_did_not_fail():
    flow, (a,) = chain_flow(returns(1, name="fine"))
    flow.run()
    with pytest.raises(ValueError, match="task 'fine' did not fail"):
        flow.retry(a)


def test_retry_of_a_mapped_task_reruns_only_failed_children():
    calls = []
    broken = {2}

    @task
    def child(x):
        calls.append(x)
        if x in broken:
            raise ValueError(x)
        return x

    with Flow("m") as flow:
        m = child.map([1, 2, 3])
    flow.run()
    broken.clear()
    state = flow.retry()
    assert state.result[m].result == [1, 2, 3] and calls == [1, 2, 3, 2]


def test_last_state_is_the_latest_runs_state():
    flow, _ = chain_flow(returns(1))
    assert flow.last_state is None
    state = flow.run()
    assert flow.last_state is state


def test_unknown_and_missing_parameters_are_named():
    with Flow("p") as flow:
        passthrough()(Parameter("needed"))
    with pytest.raises(ValueError, match=r"unknown parameters \['oops'\]"):
        flow.run(parameters={"needed": 1, "oops": 2})
    with pytest.raises(ValueError, match=r"required parameters \['needed'\]"):
        flow.run()


def test_parameter_default_and_given_value():
    with Flow("p") as flow:
        out = passthrough()(Parameter("n", default=2))
    assert flow.run().result[out].result == 2
    assert flow.run(parameters={"n": 7}).result[out].result == 7


def test_task_states_seed_the_run():
    flow, (a, b) = chain_flow(raises(name="a"), passthrough(name="b"))
    state = flow.run(task_states={a: st.Success(result=4)})
    assert state.result[b].result == 4


def test_events_report_every_change_with_time_and_unsubscribe_stops_them():
    flow, (a, b) = chain_flow(returns(1, name="a"), passthrough(name="b"))
    events = []
    unsubscribe = flow.subscribe(events.append)
    flow.run()
    task_events = [(e.task.name, type(e.new).__name__) for e in events
                   if isinstance(e, TaskStateChanged)]
    assert task_events == [("a", "Running"), ("a", "Success"), ("b", "Running"),
                           ("b", "Success")]
    flow_events = [type(e.new).__name__ for e in events if isinstance(e, FlowStateChanged)]
    assert flow_events == ["Running", "Success"]
    assert all(e.timestamp > 0 for e in events)
    unsubscribe()
    flow.run()
    assert len(events) == 6


def test_a_failing_subscriber_does_not_break_the_run(caplog):
    flow, (a,) = chain_flow(returns(1))
    flow.subscribe(lambda event: 1 / 0)
    assert type(flow.run()) is st.Success
    assert "ZeroDivisionError" in caplog.text  # logged on flowbook.events (tests/test_events.py)


def test_retrying_tasks_are_rerun_within_one_call_to_run():
    @task(max_retries=2, retry_delay=0.01)
    def flaky():
        if context.task_run_count < 3:
            raise ValueError("not yet")
        return "ok"

    flow, (a,) = chain_flow(flaky)
    state = flow.run()
    assert state.result[a].result == "ok"
    kinds = [type(s).__name__ for s in flow.last_run.task_history(a)]
    assert kinds.count("Retrying") == 2


def test_every_task_not_run_yet_starts_from_the_runs_one_pending_state():
    flow, tasks = chain_flow(returns(1), passthrough(), passthrough())
    flow.run()
    run = flow.last_run
    firsts = [run.task_history(t)[0] for t in tasks]
    assert all(first is run.pending for first in firsts)
    assert type(run.pending) is st.Pending and run.pending.previous is None
    assert [type(s).__name__ for s in run.task_history(tasks[-1])] == [
        "Pending", "Running", "Success"]
