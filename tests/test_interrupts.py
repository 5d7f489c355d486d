"""Interrupting a run (flowbook/engine/interrupt.py, the loop in flow_run.py, continuation.py)
on every executor: running tasks end Cancelled, finished ones keep their results, the flow is
Cancelled, the KeyboardInterrupt reaches the caller, and flow.retry() continues the run
without running again what finished. Late outcomes of abandoned bodies are never recorded.

The interrupt is a real SIGINT sent to the test's main thread once the task to interrupt
has started (never by a timer), as a kernel interrupt would deliver it. Tests wait for what
they need (a body started, an abandoned thread ended) by events and joins, never by sleeping.
"""

import threading
import time
from collections import Counter

import pytest
import rough_tasks
from interrupting import WAIT, interrupt_when, wait_for

from flowbook import Flow, task
from flowbook.engine import state as st
from flowbook.engine.events import FlowStateChanged, TaskStateChanged
from flowbook.engine.in_progress import RunInProgressError
from flowbook.executors import DaskExecutor, LocalDaskExecutor, LocalExecutor

def kinds(states):
    return [type(s).__name__ for s in states]


def run_interrupted(flow, condition, **options):
    """Run ``flow``, interrupted once ``condition`` holds; returns the flow's state."""
    with interrupt_when(condition), pytest.raises(KeyboardInterrupt):
        flow.run(**options)
    return flow.last_state


class Pipeline:
    """first -> slow -> after, counting calls; slow blocks on its first call until released."""

    def __init__(self):
        self.calls = Counter()
        self.started = threading.Event()  # the first call of slow is inside its body
        self.release = threading.Event()
        self.old_body_returned = threading.Event()
        self.first_attempt_thread = None  # the thread the first call of slow ran in

        @task
        def first():
            self.calls["first"] += 1
            return "first result"

        @task
        def slow(x):
            self.calls["slow"] += 1
            if self.calls["slow"] == 1:
                self.first_attempt_thread = threading.current_thread()
                try:
                    self.started.set()
                    self.release.wait(WAIT)
                    return "old attempt"
                finally:
                    self.old_body_returned.set()
            return f"new attempt after {x}"

        @task
        def after(y):
            self.calls["after"] += 1
            return y.upper()

        with Flow("pipeline") as self.flow:
            self.first = first()
            self.slow = slow(self.first)
            self.after = after(self.slow)

    def state_of(self, t):
        return self.flow.last_run.states.get(t)

    def let_the_first_attempt_end(self):
        """Release the abandoned first call of slow and wait until its pool thread has
        ended: the body has returned and whatever the thread did with its result (an
        attempt to record a Success) is over. Only for a thread pool, whose threads end
        once their pool is closed and their call is done."""
        self.release.set()
        self.first_attempt_thread.join(WAIT)
        assert not self.first_attempt_thread.is_alive(), "the abandoned attempt never ended"


@pytest.fixture(params=["local", "threads"])
def executor(request):
    return LocalExecutor() if request.param == "local" else LocalDaskExecutor(num_workers=4)


@pytest.fixture
def dask(dask_deployment):
    return DaskExecutor(address=dask_deployment.address)


# -- in the kernel's process: the default executor and threads ----------------------------

def test_an_interrupt_cancels_the_running_task_and_keeps_finished_ones(executor):
    p = Pipeline()
    state = run_interrupted(p.flow, p.started, executor=executor)
    p.release.set()
    assert type(state) is st.Cancelled and "interrupted" in state.message
    assert "flow.retry()" in state.message and p.flow.last_run.interrupted
    assert p.state_of(p.first).result == "first result"
    slow = p.state_of(p.slow)
    assert type(slow) is st.Cancelled and "Interrupted" in slow.message
    assert p.state_of(p.after) is None
    assert type(state.result[p.after]) is st.Pending  # the flow state lists every task


def test_retry_after_an_interrupt_runs_only_what_did_not_finish(executor):
    p = Pipeline()
    run_interrupted(p.flow, p.started, executor=executor)
    p.release.set()
    assert p.old_body_returned.wait(WAIT)
    state = p.flow.retry()
    assert type(state) is st.Success and not p.flow.last_run.interrupted
    assert state.result[p.after].result == "NEW ATTEMPT AFTER FIRST RESULT"
    assert p.calls == {"first": 1, "slow": 2, "after": 1}


def test_the_late_result_of_an_abandoned_thread_is_never_recorded():
    p = Pipeline()
    events = []
    p.flow.subscribe(events.append)
    run_interrupted(p.flow, p.started, executor=LocalDaskExecutor(num_workers=2))
    seen = len(events)
    p.let_the_first_attempt_end()  # the abandoned body returns "old attempt", in its thread
    assert p.old_body_returned.is_set()
    assert len(events) == seen and isinstance(events[-1], FlowStateChanged)
    assert kinds(p.flow.last_run.task_history(p.slow)) == ["Pending", "Running", "Cancelled"]


def test_a_retry_racing_the_abandoned_thread_keeps_the_new_attempts_result():
    p = Pipeline()
    run_interrupted(p.flow, p.started, executor=LocalDaskExecutor(num_workers=2))
    state = p.flow.retry()  # while the first attempt still blocks in its thread
    assert state.result[p.slow].result == "new attempt after first result"
    p.let_the_first_attempt_end()
    assert p.state_of(p.slow).result == "new attempt after first result"
    assert kinds(p.flow.last_run.task_history(p.slow)) == [
        "Pending", "Running", "Cancelled", "Pending", "Running", "Success"]


def test_tasks_a_thread_never_started_keep_their_state_and_run_on_retry():
    p = Pipeline()
    waiting = []

    @task
    def queued():
        waiting.append(1)
        return "ran"

    later = queued.copy()
    p.flow.set_dependencies(later, upstream_tasks=[p.first])  # ready with slow, after it
    # one thread: slow runs; queued waits behind it in the pool's queue
    run_interrupted(p.flow, p.started, executor=LocalDaskExecutor(num_workers=1))
    p.let_the_first_attempt_end()  # its thread would have taken queued next, had it stayed
    assert p.state_of(later) is None and not waiting  # not started, not cancelled
    state = p.flow.retry()
    assert state.result[later].result == "ran" and p.calls["first"] == 1


def test_an_interrupt_while_waiting_to_retry_can_be_continued(monkeypatch):
    attempts = []
    waiting = threading.Event()  # the loop has begun waiting for the retry
    real_sleep = time.sleep

    def loop_sleep(seconds):
        """The loop's wait for the retry (the main thread's sleep) lasts until the interrupt
        comes (WAIT at most), however late the watcher; other threads sleep as asked."""
        if threading.current_thread() is not threading.main_thread():
            return real_sleep(seconds)
        waiting.set()
        real_sleep(WAIT)

    @task(max_retries=1, retry_delay=0.3)
    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("first attempt fails")
        return "second attempt"

    with Flow("flaky") as flow:
        t = flaky()

    with monkeypatch.context() as patch:
        patch.setattr(time, "sleep", loop_sleep)
        state = run_interrupted(flow, waiting)
    assert type(state) is st.Cancelled and type(flow.last_run.states[t]) is st.Retrying
    assert flow.retry().result[t].result == "second attempt"  # nothing failed: it continues


def test_a_mapped_child_running_at_the_interrupt_is_the_only_one_run_again():
    release, calls = threading.Event(), Counter()
    seen, guard = set(), threading.Lock()
    ready = threading.Event()  # children 0 and 2 succeeded and child 1 is in its body

    def note(fact):
        with guard:
            seen.add(fact)
            if seen == {"0 succeeded", "1 started", "2 succeeded"}:
                ready.set()

    @task
    def child(x):
        calls[x] += 1
        if x == 2 and calls[x] == 1:
            note("1 started")
            release.wait(WAIT)
        return x * 10

    with Flow("mapped") as flow:
        kids = child.map([1, 2, 3])
    flow.subscribe(lambda e: isinstance(e, TaskStateChanged) and e.map_index is not None
                   and e.new.is_successful() and note(f"{e.map_index} succeeded"))

    run_interrupted(flow, ready, executor=LocalDaskExecutor(num_workers=3))
    release.set()
    children = flow.last_run.states[kids].map_states
    assert kinds(children) == ["Success", "Cancelled", "Success"]
    assert flow.retry().result[kids].result == [10, 20, 30]
    assert calls == {1: 1, 2: 2, 3: 1}


def test_a_task_raising_keyboard_interrupt_itself_stops_the_run_like_an_interrupt(
        executor, tmp_path):
    marks = str(tmp_path / "calls")
    with Flow("f") as flow:
        t = task(rough_tasks.interrupt_first_time)(marks)
    with pytest.raises(KeyboardInterrupt):
        flow.run(executor=executor)
    assert type(flow.last_state) is st.Cancelled
    assert type(flow.last_run.states[t]) is st.Cancelled
    assert flow.retry().result[t].result == "went on"


def test_continuing_a_run_another_thread_advances_is_refused_and_changes_nothing():
    p = Pipeline()
    background = threading.Thread(target=p.flow.run, name="background run")
    background.start()
    try:
        assert p.started.wait(WAIT)
        with pytest.raises(RunInProgressError, match="'background run'"):
            p.flow.retry()
        assert type(p.state_of(p.slow)) is st.Running
    finally:
        p.release.set()
        background.join(WAIT)
    assert p.flow.last_state.is_successful() and p.calls["slow"] == 1


# -- on dask.distributed -----------------------------------------------------------------------

def test_an_interrupt_on_dask_cancels_the_task_in_flight_and_retry_continues(dask, tmp_path):
    firsts, slows = str(tmp_path / "first"), str(tmp_path / "slow")
    with Flow("f") as flow:
        first = task(rough_tasks.count, name="first")(firsts)
        slow = task(rough_tasks.slow_first_time, name="slow")(slows, WAIT, first)

    def slow_started_after_first_was_applied():  # (chained, slow may start before that)
        done = flow.last_run is not None and flow.last_run.states.get(first)
        return bool(done) and done.is_successful() and rough_tasks.calls(slows) == 1

    state = run_interrupted(flow, slow_started_after_first_was_applied, executor=dask)
    assert type(state) is st.Cancelled and dask.client is None
    assert state.result[first].result == 1
    assert type(state.result[slow]) is st.Cancelled and "Dask worker" in state.result[slow].message
    assert flow.retry().result[slow].result == 2
    assert rough_tasks.calls(firsts) == 1


def test_dask_executor_cancel_cancels_a_future_running_on_a_worker(dask, tmp_path):
    started, release = tmp_path / "started", tmp_path / "release"
    try:
        with dask.start():
            future = dask.submit(rough_tasks.start_then_wait_for, str(started), str(release),
                                 WAIT)
            wait_for(started.exists, "the call never started on a worker")
            assert dask.cancel([future]) == [future]
            wait_for(lambda: future.future.status == "cancelled",
                     "the future was never cancelled")
    finally:
        release.touch()  # the body Dask cannot stop ends now, freeing its worker thread


def test_a_task_raising_keyboard_interrupt_on_a_dask_worker_stops_the_run_and_the_worker_lives(
        dask, tmp_path):
    marks = str(tmp_path / "calls")
    with Flow("f") as flow:
        before = task(rough_tasks.pid, name="before")()
        t = task(rough_tasks.interrupt_first_time)(marks, before)
    with pytest.raises(KeyboardInterrupt, match="Dask worker"):
        flow.run(executor=dask)
    assert type(flow.last_run.states[t]) is st.Cancelled
    assert flow.retry().result[t].result == "went on"


# -- the executors' cancel -----------------------------------------------------------------------

def test_a_thread_pool_drops_the_calls_it_has_not_started():
    executor = LocalDaskExecutor(num_workers=1)
    started, release = threading.Event(), threading.Event()

    def block():
        started.set()
        return release.wait(WAIT)

    with executor.start():
        busy = executor.submit(block)
        assert started.wait(WAIT)  # the one thread has taken `busy`
        waiting = executor.submit(lambda: "never")
        assert executor.cancel([busy, waiting]) == [busy]
        release.set()
        assert executor.wait([busy]) == [busy]


def test_the_local_executor_has_nothing_left_to_cancel():
    executor = LocalExecutor()
    done = executor.submit(lambda: 1)
    assert executor.cancel([done]) == [done]  # it ran inside submit
