"""Interrupting a run (flowbook/engine/interrupt.py, the loop in flow_run.py, continuation.py)
on every executor: running tasks end Cancelled, finished ones keep their results, the flow is
Cancelled, the KeyboardInterrupt reaches the caller, and flow.retry() continues the run
without running again what finished. Late outcomes of abandoned bodies are never recorded.

The interrupt is a real SIGINT sent to the test's main thread once the task to interrupt
has started (never by a timer), as a kernel interrupt would deliver it.
"""

import signal
import threading
import time
from collections import Counter

import pytest
import rough_tasks

from flowbook import Flow, task
from flowbook.engine import state as st
from flowbook.engine.events import FlowStateChanged
from flowbook.engine.in_progress import RunInProgressError
from flowbook.executors import DaskExecutor, LocalDaskExecutor, LocalExecutor

WAIT = 10  # seconds any body or watcher waits at most (a failure, never a pass)


def kinds(states):
    return [type(s).__name__ for s in states]


def interrupt_when(condition):
    """Send SIGINT to this (the main) thread as soon as ``condition()`` holds."""
    main = threading.get_ident()

    def watch():
        deadline = time.monotonic() + WAIT
        while not condition():
            if time.monotonic() > deadline:
                return
            time.sleep(0.005)
        signal.pthread_kill(main, signal.SIGINT)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    return watcher


def running(flow, name):
    """A condition: the task called ``name`` is Running in the flow's latest run."""
    def check():
        run = flow.last_run
        return run is not None and any(
            t.name == name and s.is_running() for t, s in list(run.states.items()))
    return check


def run_interrupted(flow, condition, **options):
    """Run ``flow``, interrupted once ``condition()`` holds; returns the flow's state."""
    watcher = interrupt_when(condition)
    with pytest.raises(KeyboardInterrupt):
        flow.run(**options)
    watcher.join()
    return flow.last_state


class Pipeline:
    """first -> slow -> after, counting calls; slow blocks on its first call until released."""

    def __init__(self):
        self.calls = Counter()
        self.release = threading.Event()
        self.old_body_returned = threading.Event()

        @task
        def first():
            self.calls["first"] += 1
            return "first result"

        @task
        def slow(x):
            self.calls["slow"] += 1
            if self.calls["slow"] == 1:
                try:
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


@pytest.fixture(params=["local", "threads"])
def executor(request):
    return LocalExecutor() if request.param == "local" else LocalDaskExecutor(num_workers=4)


@pytest.fixture
def dask(dask_deployment):
    return DaskExecutor(address=dask_deployment.address)


# -- in the kernel's process: the default executor and threads ----------------------------

def test_an_interrupt_cancels_the_running_task_and_keeps_finished_ones(executor):
    p = Pipeline()
    state = run_interrupted(p.flow, running(p.flow, "slow"), executor=executor)
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
    run_interrupted(p.flow, running(p.flow, "slow"), executor=executor)
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
    run_interrupted(p.flow, running(p.flow, "slow"), executor=LocalDaskExecutor(num_workers=2))
    seen = len(events)
    p.release.set()  # the abandoned body returns "old attempt" now, in its thread
    assert p.old_body_returned.wait(WAIT)
    time.sleep(0.05)  # time for it to try to record its Success
    assert len(events) == seen and isinstance(events[-1], FlowStateChanged)
    assert kinds(p.flow.last_run.task_history(p.slow)) == ["Pending", "Running", "Cancelled"]


def test_a_retry_racing_the_abandoned_thread_keeps_the_new_attempts_result():
    p = Pipeline()
    run_interrupted(p.flow, running(p.flow, "slow"), executor=LocalDaskExecutor(num_workers=2))
    state = p.flow.retry()  # while the first attempt still blocks in its thread
    assert state.result[p.slow].result == "new attempt after first result"
    p.release.set()
    assert p.old_body_returned.wait(WAIT)
    time.sleep(0.05)
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
    run_interrupted(p.flow, running(p.flow, "slow"), executor=LocalDaskExecutor(num_workers=1))
    p.release.set()
    assert p.old_body_returned.wait(WAIT)
    assert p.state_of(later) is None and not waiting  # not started, not cancelled
    state = p.flow.retry()
    assert state.result[later].result == "ran" and p.calls["first"] == 1


def test_an_interrupt_while_waiting_to_retry_can_be_continued():
    attempts = []

    @task(max_retries=1, retry_delay=0.3)
    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("first attempt fails")
        return "second attempt"

    with Flow("flaky") as flow:
        t = flaky()

    def retrying():
        run = flow.last_run
        return run is not None and run.states.get(t) is not None and run.states[t].is_retrying()

    state = run_interrupted(flow, retrying)
    assert type(state) is st.Cancelled and type(flow.last_run.states[t]) is st.Retrying
    assert flow.retry().result[t].result == "second attempt"  # nothing failed: it continues


def test_a_mapped_child_running_at_the_interrupt_is_the_only_one_run_again():
    release, calls = threading.Event(), Counter()

    @task
    def child(x):
        calls[x] += 1
        if x == 2 and calls[x] == 1:
            release.wait(WAIT)
        return x * 10

    with Flow("mapped") as flow:
        kids = child.map([1, 2, 3])

    def child_running():
        run = flow.last_run
        parent = run and run.states.get(kids)
        return parent is not None and parent.is_mapped() and any(
            c.is_running() for c in parent.map_states) and calls[1] and calls[3]

    run_interrupted(flow, child_running, executor=LocalDaskExecutor(num_workers=3))
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
        deadline = time.monotonic() + WAIT
        while not running(p.flow, "slow")() and time.monotonic() < deadline:
            time.sleep(0.005)
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
    state = run_interrupted(flow, lambda: rough_tasks.calls(slows) == 1, executor=dask)
    assert type(state) is st.Cancelled and dask.client is None
    assert state.result[first].result == 1
    assert type(state.result[slow]) is st.Cancelled and "Dask worker" in state.result[slow].message
    assert flow.retry().result[slow].result == 2
    assert rough_tasks.calls(firsts) == 1


def test_dask_executor_cancel_cancels_the_futures(dask):
    with dask.start():
        future = dask.submit(rough_tasks.slow_first_time, "/nonexistent/never", WAIT)
        time.sleep(0.1)
        assert dask.cancel([future]) == [future]
        deadline = time.monotonic() + WAIT
        while future.status != "cancelled" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert future.status == "cancelled"


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
    executor, release = LocalDaskExecutor(num_workers=1), threading.Event()
    with executor.start():
        busy = executor.submit(release.wait, WAIT)
        time.sleep(0.05)  # the one thread has taken `busy`
        waiting = executor.submit(lambda: "never")
        assert executor.cancel([busy, waiting]) == [busy]
        release.set()
        assert executor.wait([busy]) == [busy]


def test_the_local_executor_has_nothing_left_to_cancel():
    executor = LocalExecutor()
    done = executor.submit(lambda: 1)
    assert executor.cancel([done]) == [done]  # it ran inside submit
