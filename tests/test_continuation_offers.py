"""What can be resumed or retried, what a retry re-runs (flowbook/engine/offers.py), and
retry_from (flowbook/engine/continuation.py): run one task again with everything below it."""

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as strategies

from flowbook import Flow, task, triggers
from flowbook.engine import continuation, offers
from flowbook.engine import state as st
from flowbook.engine.clock import FakeClock
from flowbook.errors import UserValueError


class Etl:
    """extract -> run_job -> report -> publish, and an independent side task; run_job fails
    while ``broken``; every body counts its calls."""

    def __init__(self, **report_options):
        self.calls = Counter()
        self.broken = True

        def body(name, fail=lambda: False):
            def run(x=None):
                self.calls[name] += 1
                if fail():
                    raise RuntimeError(f"{name} failed")
                return name
            return task(run, name=name, **(report_options if name == "report" else {}))

        with Flow("etl") as flow:
            self.extract = body("extract")()
            self.run_job = body("run_job", lambda: self.broken)(x=self.extract)
            self.report = body("report")(x=self.run_job)
            self.publish = body("publish")(x=self.report)
            self.side = body("side")()
        self.flow = flow

    def run(self):
        self.flow.run(clock=FakeClock())
        return self.flow.last_run


def kinds(run, *tasks):
    return [type(run.states[t]).__name__ for t in tasks]


# -- resumable, retryable -----------------------------------------------------------------

def test_a_failed_task_is_retryable_and_its_trigger_failed_downstream_is_not():
    etl = Etl()
    run = etl.run()
    assert kinds(run, etl.run_job, etl.report) == ["Failed", "TriggerFailed"]
    assert offers.retryable(run) == [etl.run_job]


def test_why_a_trigger_failed_task_is_not_retryable_names_the_upstream_to_retry():
    etl = Etl()
    run = etl.run()
    assert offers.why_not_retryable(run, etl.report) == (
        "report is TriggerFailed because run_job failed; retrying run_job re-runs report too")
    assert offers.blocking_upstream(run, etl.report) == [etl.run_job]


def test_a_chain_of_trigger_failed_tasks_points_to_the_task_that_failed_itself():
    etl = Etl()
    run = etl.run()
    assert offers.blocking_upstream(run, etl.publish) == [etl.run_job]
    assert offers.why_not_retryable(run, etl.publish) == (
        "publish is TriggerFailed because report is TriggerFailed; retrying run_job re-runs "
        "publish too")


def test_a_retryable_task_has_no_reason_against_it():
    etl = Etl()
    run = etl.run()
    assert offers.why_not_retryable(run, etl.run_job) is None
    assert offers.blocking_upstream(run, etl.run_job) == []


def test_nothing_above_holds_back_a_task_that_succeeded_or_has_not_run():
    @task(trigger=triggers.manual_only)
    def gate():
        return 1

    @task
    def after(x):
        return x

    with Flow("approvals") as flow:
        first = gate()
        later = after(first)
    flow.run()
    run = flow.last_run
    assert offers.blocking_upstream(run, later) == [] == offers.blocking_upstream(run, first)
    assert offers.why_not_retryable(run, later) == (
        "after has not run yet: it runs once the tasks above it have finished")
    assert offers.why_not_retryable(run, first) == "gate is waiting for approval: resume it"


def test_a_successful_task_is_not_retryable_and_retry_from_is_suggested():
    etl = Etl()
    run = etl.run()
    why = offers.why_not_retryable(run, etl.extract)
    assert why.startswith("extract succeeded (Success)") and "flow.retry_from" in why


def test_after_fixing_and_retrying_the_upstream_the_downstream_reran():
    etl = Etl()
    etl.run()
    etl.broken = False
    state = etl.flow.retry(etl.run_job)
    assert state.is_successful()
    assert etl.calls == Counter(extract=1, run_job=2, report=1, publish=1, side=1)
    assert offers.retryable(etl.flow.last_run) == []


def test_a_trigger_failed_task_whose_upstream_succeeded_is_retryable():
    ready = {"now": False}

    def when_ready(upstream_states):
        """runs once the data is ready"""
        return ready["now"]

    @task
    def load():
        return 1

    @task(trigger=when_ready)
    def report(x):
        return x

    with Flow("gated") as flow:
        out = report(load())
    flow.run()
    run = flow.last_run
    assert type(run.states[out]) is st.TriggerFailed
    assert offers.retryable(run) == [out] and offers.why_not_retryable(run, out) is None
    ready["now"] = True
    assert flow.retry(out).is_successful()


def test_a_cancelled_task_is_retryable_and_what_it_stopped_is_not():
    etl = Etl()
    etl.broken = False
    etl.flow.run(task_states={etl.run_job: st.Cancelled("stopped")})
    run = etl.flow.last_run
    assert offers.retryable(run) == [etl.run_job]
    assert offers.why_not_retryable(run, etl.report).startswith(
        "report is TriggerFailed because run_job was cancelled")


def mapped_flow(broken):
    @task
    def numbers():
        return [1, 2, 3]

    @task
    def invert(x):
        if x in broken:
            raise ZeroDivisionError(x)
        return 1 / x

    @task
    def double(x):
        return 2 * x

    with Flow("map") as flow:
        inverted = invert.map(numbers())
        doubled = double.map(inverted)
    flow.run()
    return flow, inverted, doubled


def test_a_mapped_task_with_failed_children_is_retryable_and_its_mapped_downstream_is_not():
    flow, inverted, doubled = mapped_flow({2})
    run = flow.last_run
    assert offers.retryable(run) == [inverted]
    assert offers.why_not_retryable(run, doubled) == (
        "double has 1 TriggerFailed of 3 children because invert has 1 Failed of 3 "
        "children; retrying invert re-runs double too")


def test_resumable_lists_paused_tasks_and_tasks_with_paused_children():
    @task
    def numbers():
        return [1, 2]

    @task(trigger=triggers.manual_only)
    def approve(x):
        return x

    @task(trigger=triggers.manual_only)
    def gate():
        return 1

    with Flow("approvals") as flow:
        children = approve.map(numbers())
        single = gate()
    flow.run()
    assert set(offers.resumable(flow.last_run)) == {children, single}
    flow.resume(single)
    assert offers.resumable(flow.last_run) == [children]


def test_why_not_retryable_refuses_a_task_of_another_flow():
    etl, other = Etl(), Etl()
    run = etl.run()
    with pytest.raises(UserValueError, match="is not in flow 'etl'"):
        offers.why_not_retryable(run, other.report)


# -- previews -----------------------------------------------------------------------------

def test_retry_preview_lists_what_reruns_and_whose_results_are_reused():
    etl = Etl()
    run = etl.run()
    preview = offers.retry_preview(run)
    assert preview.rerun == (etl.run_job, etl.report, etl.publish)
    assert set(preview.reused) == {etl.extract, etl.side}
    assert dict(preview.children) == {}


def test_retry_preview_of_a_mapped_task_names_its_failed_children():
    flow, inverted, doubled = mapped_flow({2})
    preview = offers.retry_preview(flow.last_run, [inverted])
    assert preview.rerun == (inverted, doubled)
    assert dict(preview.children) == {inverted: (1,), doubled: (1,)}


def test_retry_preview_refuses_what_retry_refuses():
    etl = Etl()
    run = etl.run()
    with pytest.raises(UserValueError, match="task 'extract' did not fail"):
        offers.retry_preview(run, [etl.extract])


def test_retry_from_preview_reruns_the_task_and_everything_below_it():
    etl = Etl()
    etl.broken = False
    run = etl.run()
    preview = offers.retry_from_preview(run, etl.run_job)
    assert preview.rerun == (etl.run_job, etl.report, etl.publish)
    assert set(preview.reused) == {etl.extract, etl.side}


# -- retry_from ---------------------------------------------------------------------------

def test_retry_from_reruns_the_task_and_its_downstream_and_keeps_upstream_results():
    etl = Etl()
    etl.broken = False
    etl.run()
    state = etl.flow.retry_from(etl.run_job)
    assert state.is_successful()
    assert etl.calls == Counter(extract=1, run_job=2, report=2, publish=2, side=1)


def test_retry_from_continues_the_same_run():
    etl = Etl()
    etl.broken = False
    run = etl.run()
    etl.flow.retry_from("report")
    assert etl.flow.last_run is run
    assert [type(s).__name__ for s in run.task_history(etl.report)] == [
        "Pending", "Running", "Success", "Pending", "Running", "Success"]


def test_retry_from_a_mapped_task_reruns_every_child():
    calls = []

    @task
    def numbers():
        return [1, 2, 3]

    @task
    def square(x):
        calls.append(x)
        return x * x

    with Flow("map") as flow:
        squares = square.map(numbers())
    flow.run()
    state = flow.retry_from(squares)
    assert calls == [1, 2, 3, 1, 2, 3] and state.result[squares].result == [1, 4, 9]


def test_retry_from_a_paused_task_says_to_resume_it():
    @task(trigger=triggers.manual_only)
    def gate():
        return 1

    with Flow("approvals") as flow:
        gate()
    flow.run()
    with pytest.raises(UserValueError, match=r"task 'gate' has not finished .*\(Paused\).*"
                                             r"flow\.resume\('gate'\)"):
        flow.retry_from("gate")


def test_retry_from_a_task_not_run_yet_says_what_to_do_first():
    @task(trigger=triggers.manual_only)
    def gate():
        return 1

    @task
    def after(x):
        return x

    with Flow("approvals") as flow:
        later = after(gate())
    flow.run()
    with pytest.raises(UserValueError, match=r"\(not run yet\).*retry or resume the tasks "
                                             "above it first"):
        flow.retry_from(later)


def test_retry_from_an_unknown_name_names_the_flow():
    etl = Etl()
    etl.run()
    with pytest.raises(UserValueError, match="flow 'etl' has no task named 'nope'"):
        etl.flow.retry_from("nope")


def test_retry_from_before_any_run_says_to_run_first():
    with pytest.raises(UserValueError, match=r"has not run yet.*flow\.run\(\)"):
        Etl().flow.retry_from("report")


# -- a preview agrees with what the action did ----------------------------------------------

RULES = [triggers.all_successful, triggers.all_finished, triggers.any_failed,
         triggers.any_successful]


@strategies.composite
def small_dags(draw):
    """(number of tasks, edges i -> j with i < j, trigger index per task, broken tasks)."""
    n = draw(strategies.integers(1, 6))
    pairs = [(i, j) for j in range(n) for i in range(j)]
    edges = [pair for pair in pairs if draw(strategies.booleans())]
    rules = [draw(strategies.integers(0, len(RULES) - 1)) for _ in range(n)]
    broken = {i for i in range(n) if draw(strategies.booleans())}
    return n, edges, rules, broken


def build(dag):
    """The flow of a drawn DAG; its tasks fail while in ``broken`` (a set the test edits)."""
    n, edges, rules, broken = dag
    broken = set(broken)

    def body(i):
        def run():
            if i in broken:
                raise ValueError(f"t{i} is broken")
            return i
        return task(run, name=f"t{i}", trigger=RULES[rules[i]])

    flow = Flow("random")
    tasks = [flow.add_task(body(i)) for i in range(n)]
    for i, j in edges:
        flow.add_edge(tasks[i], tasks[j])
    return flow, tasks, broken


def changed(run, before):
    """The tasks whose stored state is no longer the one in ``before``."""
    return {t for t, s in run.states.items() if before.get(t) is not s}


@settings(derandomize=True, max_examples=150, deadline=None)
@given(small_dags(), strategies.data())
def test_retry_preview_reruns_exactly_the_tasks_retry_changes(dag, data):
    flow, tasks, broken = build(dag)
    flow.run(clock=FakeClock())
    run = flow.last_run
    failed = [t for t in tasks if continuation.has_failed_parts(run.states.get(t))]
    if not failed:
        return
    chosen = data.draw(strategies.lists(strategies.sampled_from(failed), unique=True))
    broken.intersection_update(data.draw(strategies.sets(strategies.sampled_from(tasks)
                                                         .map(tasks.index))))
    preview = offers.retry_preview(run, chosen)
    before = dict(run.states)
    flow.retry(*chosen)
    assert set(preview.rerun) == changed(run, before)
    assert set(preview.reused) == {t for t in before if t not in preview.rerun}


@settings(derandomize=True, max_examples=150, deadline=None)
@given(small_dags(), strategies.data())
def test_retry_from_preview_reruns_exactly_the_tasks_retry_from_changes(dag, data):
    flow, tasks, broken = build(dag)
    flow.run(clock=FakeClock())
    run = flow.last_run
    start = data.draw(strategies.sampled_from(tasks))
    preview = offers.retry_from_preview(run, start)
    before = dict(run.states)
    flow.retry_from(start)
    assert set(preview.rerun) == changed(run, before)


# -- approving twice --------------------------------------------------------------------

def _release() -> tuple:
    @task
    def build():
        return 1

    @task(trigger=triggers.manual_only)
    def deploy(x):
        return x

    @task
    def other():
        raise ValueError("boom")

    with Flow("release") as flow:
        live = deploy(build())
        fails = other()
    return flow, live, fails


def test_resuming_an_already_approved_task_warns_and_keeps_the_run():
    flow, live, _ = _release()
    flow.run()
    done = flow.resume()  # a widget's button, say
    changes = flow.last_run.changes
    with pytest.warns(UserWarning, match=r"task 'deploy' of flow 'release' was already resumed"):
        again = flow.resume("deploy")  # then the tutorial's next cell
    assert again is done and flow.last_run.changes == changes
    assert isinstance(flow.last_run.states[live], st.Success)
    with pytest.warns(UserWarning, match="already resumed"):
        assert flow.resume() is done


def test_resuming_a_task_never_paused_is_still_refused():
    flow, _, fails = _release()
    flow.run()
    flow.resume()
    with pytest.raises(UserValueError, match="'other' is not paused"):
        flow.resume(fails)


def test_resume_with_nothing_ever_paused_is_still_refused():
    @task
    def one():
        return 1

    with Flow("plain") as flow:
        one()
    flow.run()
    with pytest.raises(UserValueError, match="has no paused task to resume"):
        flow.resume()
