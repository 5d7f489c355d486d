import threading

import pytest
from builders import chain_flow

from flowbook import task
from flowbook.context import context
from flowbook.engine import clock as clocks
from flowbook.engine import state as st
from flowbook.engine.clock import FakeClock
from flowbook.engine.timeout import call_with_timeout
from flowbook.exceptions import TaskTimeoutSignal
from flowbook.executors import LocalDaskExecutor, LocalExecutor

WAIT = 30  # seconds a test waits for an event that must come; never reached when it works


@pytest.fixture(params=["local", "threads"])
def executor(request):
    return LocalExecutor() if request.param == "local" else LocalDaskExecutor(num_workers=2)


def endless(stopped):
    """A body that sleeps on the run's clock until something stops it."""

    def body():
        try:
            while True:
                clocks.current().sleep(1)
        except TaskTimeoutSignal:
            stopped.set()
            raise

    return body


def test_the_body_is_stopped_by_a_timeout_signal_in_its_thread(executor):
    stopped = threading.Event()
    flow, (t,) = chain_flow(task(endless(stopped), name="endless", timeout=5))
    state = flow.run(executor=executor, clock=FakeClock())
    assert type(state.result[t]) is st.TimedOut
    assert stopped.wait(WAIT)


def test_a_timed_out_states_result_is_the_timeout_signal():
    flow, (t,) = chain_flow(task(endless(threading.Event()), name="endless", timeout=5))
    result = flow.run(clock=FakeClock()).result[t].result
    assert isinstance(result, TaskTimeoutSignal) and "timeout of 5" in str(result)


def test_a_body_that_ends_in_time_is_not_stopped():
    def quick():
        clocks.current().sleep(1)
        return "done"

    assert call_with_timeout(quick, {}, {}, 5, FakeClock()) == "done"


def test_a_body_error_is_raised_to_the_caller():
    def broken(x):
        raise KeyError(x)

    with pytest.raises(KeyError):
        call_with_timeout(broken, {"x": 1}, {}, 5, FakeClock())


def test_the_body_reads_the_context_it_is_given():
    assert call_with_timeout(lambda: context.get("k"), {}, {"k": 7}, 5, FakeClock()) == 7


def test_an_interrupt_while_waiting_stops_the_body_too():
    started, stopped = threading.Event(), threading.Event()

    class Interrupted(FakeClock):
        def wait_until(self, event, deadline):
            started.wait(WAIT)
            raise KeyboardInterrupt

    def busy():
        started.set()
        try:
            while True:
                pass
        except KeyboardInterrupt:
            stopped.set()
            raise

    with pytest.raises(KeyboardInterrupt):
        call_with_timeout(busy, {}, {}, 5, Interrupted())
    assert stopped.wait(WAIT)
