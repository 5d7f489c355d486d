import pytest
from builders import chain_flow, passthrough, raises

from flowbook import Flow, task
from flowbook.engine import signals
from flowbook.engine import clock as clocks
from flowbook.engine.clock import FakeClock
from flowbook.exceptions import TaskTimeoutSignal
from flowbook.executors import LocalDaskExecutor
from flowbook.utilities.debug import raise_on_exception


def test_a_body_error_leaves_flow_run():
    flow, _ = chain_flow(raises(KeyError("k")))
    with raise_on_exception(), pytest.raises(KeyError):
        flow.run()


def test_the_flow_ends_failed_saying_why():
    flow, _ = chain_flow(raises())
    with raise_on_exception(), pytest.raises(ValueError):
        flow.run()
    state = flow.last_run.state
    assert state.is_failed() and "raise_on_exception" in state.message


def test_the_first_error_ends_the_run_before_tasks_below_run():
    flow, (_, below) = chain_flow(raises(), passthrough())
    with raise_on_exception(), pytest.raises(ValueError):
        flow.run()
    assert below not in flow.last_run.states


def test_without_it_a_body_error_is_a_failed_state():
    flow, (t,) = chain_flow(raises())
    assert flow.run().result[t].is_failed()


def test_a_fail_signal_only_chooses_a_state():
    flow, (t,) = chain_flow(raises(signals.FAIL("no")))
    with raise_on_exception():
        state = flow.run()
    assert state.result[t].is_failed()


def test_a_timeout_leaves_flow_run_as_task_timeout_signal():
    flow, _ = chain_flow(task(lambda: clocks.current().sleep(10), name="slow", timeout=1))
    with raise_on_exception(), pytest.raises(TaskTimeoutSignal):
        flow.run(clock=FakeClock())


def test_a_state_handler_error_leaves_flow_run():
    def handler(task_, old, new):
        raise LookupError("handler")

    flow, _ = chain_flow(task(lambda: 1, name="handled", state_handlers=[handler]))
    with raise_on_exception(), pytest.raises(LookupError):
        flow.run()


def test_an_error_on_a_thread_executor_leaves_flow_run():
    with Flow("mapped") as flow:
        task(lambda x: 1 / x, name="div").map([1, 0])
    with raise_on_exception(), pytest.raises(ZeroDivisionError):
        flow.run(executor=LocalDaskExecutor(num_workers=2))


def test_a_retry_under_it_raises_the_error_again():
    flow, _ = chain_flow(raises())
    flow.run()
    with raise_on_exception(), pytest.raises(ValueError):
        flow.retry()


def test_a_retry_outside_it_keeps_the_error_in_the_state():
    flow, (t,) = chain_flow(raises())
    with raise_on_exception(), pytest.raises(ValueError):
        flow.run()
    assert flow.retry().result[t].is_failed()
