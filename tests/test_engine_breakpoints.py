"""Breakpoints and stepping (flowbook/engine/breakpoints.py, continuation.step, Flow.step),
on the local executor and on threads: decisions are made in the loop's thread, so both
stop at the same places."""

from __future__ import annotations

import pytest

from flowbook import Flow, task, triggers
from flowbook.engine import breakpoints
from flowbook.engine import state as st
from flowbook.engine.clock import FakeClock
from flowbook.errors import UserTypeError, UserValueError
from flowbook.executors import LocalDaskExecutor, LocalExecutor

EXECUTORS = {"local": LocalExecutor, "threads": lambda: LocalDaskExecutor(scheduler="threads")}


@pytest.fixture(params=sorted(EXECUTORS))
def executor(request):
    return EXECUTORS[request.param]()


class Pipeline:
    """extract -> clean -> load, and a report after load; ``calls`` lists bodies that ran."""

    def __init__(self, fail_clean: bool = False):
        self.calls: list = []
        calls = self.calls

        @task
        def extract():
            calls.append("extract")
            return [3, 1, 2]

        @task
        def clean(rows):
            calls.append("clean")
            if fail_clean:
                raise ValueError("bad row")
            return sorted(rows)

        @task
        def load(rows):
            calls.append("load")
            return len(rows)

        @task
        def report(n):
            calls.append("report")
            return f"{n} rows"

        with Flow("pipeline") as flow:
            self.extract = extract()
            self.clean = clean(self.extract)
            self.load = load(self.clean)
            self.report = report(self.load)
        self.flow = flow

    def state_of(self, t):
        return self.flow.last_run.states.get(t)


def test_a_breakpoint_stops_before_its_task_and_resume_continues(executor):
    p = Pipeline()
    state = p.flow.run(breakpoints=[p.load], executor=executor)
    assert p.calls == ["extract", "clean"]
    assert state.is_running()
    assert "Stopped at a breakpoint before load" in state.message
    paused = p.state_of(p.load)
    assert isinstance(paused, st.Paused) and "breakpoint" in paused.message.lower()
    assert paused.why.trigger == breakpoints.BREAKPOINT
    assert breakpoints.at_breakpoint(paused)
    assert p.state_of(p.report) is None
    final = p.flow.resume()
    assert final.is_successful() and p.calls == ["extract", "clean", "load", "report"]
    assert final.result[p.report].result == "3 rows"


def test_breakpoints_by_name_and_several(executor):
    p = Pipeline()
    p.flow.run(breakpoints=["clean", "report"], executor=executor)
    assert p.calls == ["extract"]
    p.flow.resume()
    assert p.calls == ["extract", "clean", "load"]
    assert breakpoints.at_breakpoint(p.state_of(p.report))
    assert p.flow.resume().is_successful()


def test_step_runs_exactly_the_next_task(executor):
    p = Pipeline()
    p.flow.run(breakpoints=[p.clean], executor=executor)
    p.flow.step()
    assert p.calls == ["extract", "clean"]
    assert breakpoints.at_breakpoint(p.state_of(p.load))
    p.flow.step()
    assert p.calls == ["extract", "clean", "load"]
    final = p.flow.step()
    assert p.calls == ["extract", "clean", "load", "report"] and final.is_successful()


def test_step_without_a_run_begins_one_and_runs_its_first_task(executor):
    p = Pipeline()
    state = p.flow.step(executor=executor)
    assert p.calls == ["extract"]
    assert "before clean" in state.message
    assert p.flow.last_run.number == 1
    p.flow.resume()
    assert p.calls == ["extract", "clean", "load", "report"]
    p.flow.step()  # the run has finished: a new one begins
    assert p.flow.last_run.number == 2 and p.calls[-1] == "extract"


def test_each_step_is_one_task_when_several_are_ready(executor):
    calls = []

    @task
    def root():
        return 1

    @task
    def branch(x, label):
        calls.append(label)
        return x

    with Flow("fan") as flow:
        r = root()
        left, right = branch(r, "left"), branch(r, "right")
    flow.run(breakpoints="all", executor=executor)
    assert calls == [] and breakpoints.at_breakpoint(flow.last_run.states[r])
    flow.step()
    assert calls == []  # root ran; both branches now stand at their breakpoints
    assert breakpoints.at_breakpoint(flow.last_run.states[left])
    assert breakpoints.at_breakpoint(flow.last_run.states[right])
    flow.step(right)
    assert calls == ["right"]
    flow.step()
    assert calls == ["right", "left"]
    assert flow.last_state.is_successful()


def test_continuing_a_breakpoint_is_not_an_approval_of_manual_only(executor):
    @task
    def build():
        return 1

    @task(trigger=triggers.manual_only)
    def deploy(x):
        return x

    with Flow("release") as flow:
        d = deploy(build())
    flow.run(breakpoints=[d], executor=executor)
    state = flow.step()
    assert isinstance(flow.last_run.states[d], st.Paused)
    assert not breakpoints.at_breakpoint(flow.last_run.states[d])  # now for approval
    assert "Waiting for approval of deploy" in state.message
    with pytest.raises(UserValueError, match="waits for approval of deploy; approve with "
                                             r"flow\.resume\(\)"):
        flow.step()
    assert flow.resume().is_successful()


def test_resume_ends_stepping_but_keeps_breakpoints_not_reached(executor):
    p = Pipeline()
    p.flow.run(breakpoints=[p.clean, p.report], executor=executor)
    p.flow.step()  # clean runs; stepping: load stops
    assert breakpoints.at_breakpoint(p.state_of(p.load))
    p.flow.resume()  # load runs, report still has its breakpoint
    assert p.calls == ["extract", "clean", "load"]
    assert breakpoints.at_breakpoint(p.state_of(p.report))
    p.flow.resume()
    assert p.calls[-1] == "report"


def test_stepping_stops_before_a_task_its_trigger_will_refuse_then_retry_runs_freely(executor):
    p = Pipeline(fail_clean=True)
    p.flow.run(breakpoints=[p.clean], executor=executor)
    p.flow.step()
    assert isinstance(p.state_of(p.clean), st.Failed)
    assert breakpoints.at_breakpoint(p.state_of(p.load))  # the trigger is asked after
    p.flow.step()
    assert isinstance(p.state_of(p.load), st.TriggerFailed)
    assert p.calls == ["extract", "clean"]
    state = p.flow.retry()  # no longer stepping: clean fails again, the rest follows
    assert state.is_failed() and p.calls == ["extract", "clean", "clean"]
    assert isinstance(p.state_of(p.report), st.TriggerFailed)


def test_a_retrying_task_is_not_stopped_again_between_attempts():
    attempts = []

    @task(max_retries=2, retry_delay=5)
    def flaky():
        attempts.append(1)
        if len(attempts) < 3:
            raise ValueError("not yet")
        return "ok"

    with Flow("retry") as flow:
        f = flaky()
    flow.run(breakpoints=[f], clock=FakeClock())
    state = flow.step()
    assert state.is_successful() and len(attempts) == 3


def test_a_mapped_task_stops_before_mapping_and_steps_as_one_task(executor):
    seen = []

    @task
    def numbers():
        return [1, 2, 3]

    @task
    def double(x):
        seen.append(x)
        return 2 * x

    with Flow("map") as flow:
        doubled = double.map(numbers())
    flow.run(breakpoints=[doubled], executor=executor)
    assert isinstance(flow.last_run.states[doubled], st.Paused) and seen == []
    state = flow.step()
    assert sorted(seen) == [1, 2, 3]
    assert state.result[doubled].result == [2, 4, 6]


def test_step_refuses_a_task_not_at_a_breakpoint_and_a_run_at_none():
    p = Pipeline()
    p.flow.run(breakpoints=[p.load])
    with pytest.raises(UserValueError, match="'report' of flow 'pipeline' is not stopped at a "
                                             "breakpoint .*before load"):
        p.flow.step(p.report)


def test_bad_breakpoints_are_refused_with_the_way_out():
    p = Pipeline()
    with pytest.raises(UserValueError, match=r"no task named 'lod' \(did you mean 'load'\?\)"):
        p.flow.run(breakpoints=["lod"])
    with pytest.raises(UserTypeError, match="list of tasks or task names"):
        p.flow.run(breakpoints="load")
    with pytest.raises(UserValueError, match="is not in flow"):
        p.flow.run(breakpoints=[Pipeline().load])
    assert p.flow.last_run is None  # nothing began


def test_stopping_is_published_as_a_state_change():
    p = Pipeline()
    seen = []
    p.flow.subscribe(lambda event: seen.append((getattr(event, "task", None), event.new)))
    p.flow.run(breakpoints=[p.load])
    paused = [new for t, new in seen if t is p.load]
    assert len(paused) == 1 and breakpoints.at_breakpoint(paused[0])
