"""The run's clock (flowbook/engine/clock.py): FakeClock itself, and a run on a FakeClock,
where retry delays, retry order, state timestamps, timeouts and cache expirations follow
the fake time and take no real time. Nothing here depends on how fast the machine is."""

import threading

import pytest

from flowbook import Flow, context, task, triggers
from flowbook.engine import cache, clock as clocks
from flowbook.engine import state as st
from flowbook.engine.clock import FakeClock
from flowbook.executors import LocalDaskExecutor, LocalExecutor

START = 1_000.0  # the fake time every run here starts at


@pytest.fixture
def clock():
    return FakeClock(start=START)


@pytest.fixture(params=["local", "threads"])
def executor(request):
    return LocalExecutor() if request.param == "local" else LocalDaskExecutor(num_workers=2)


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def failing_until_attempt(n, calls=None, label=None):
    """A body failing on its attempts before attempt ``n``; appends ``label`` to ``calls``
    on each attempt."""
    def body():
        if calls is not None:
            calls.append(label)
        attempt = context.get("task_run_count")
        if attempt < n:
            raise ValueError(f"attempt {attempt} fails")
        return attempt
    return body


def kinds(states):
    return [type(s).__name__ for s in states]


# -- FakeClock ---------------------------------------------------------------------------

def test_a_fake_clock_starts_where_it_is_told():
    assert FakeClock(start=42.0).now() == 42.0


def test_sleep_moves_the_fake_time_at_once_and_is_listed(clock):
    clock.sleep(3600)
    clock.sleep(1.5)
    assert clock.now() == START + 3601.5
    assert clock.slept == [3600, 1.5]


def test_advance_moves_the_fake_time_without_counting_as_a_sleep(clock):
    clock.advance(10)
    assert clock.now() == START + 10 and clock.slept == []


def test_the_fake_time_never_goes_back(clock):
    clock.advance(-5)
    assert clock.now() == START


def test_wait_until_returns_true_for_an_event_already_set(clock):
    event = threading.Event()
    event.set()
    assert clock.wait_until(event, START + 1) is True


def test_wait_until_returns_false_once_the_fake_time_reaches_the_deadline(clock):
    event, result = threading.Event(), []
    waiter = threading.Thread(target=lambda: result.append(clock.wait_until(event, START + 5)))
    waiter.start()
    clock.advance(5)
    waiter.join()
    assert result == [False] and not event.is_set()


def test_wait_until_with_no_time_left_returns_false_without_looking_at_the_event(clock):
    event = threading.Event()
    event.set()
    assert clock.wait_until(event, START + 0) is False


def test_wait_until_returns_true_when_the_event_is_set_before_the_deadline(clock):
    event, result = threading.Event(), []
    waiter = threading.Thread(target=lambda: result.append(clock.wait_until(event, START + 5)))
    waiter.start()
    clock.advance(4)
    event.set()
    waiter.join()
    assert result == [True] and clock.now() == START + 4


def test_using_makes_a_clock_current_in_this_thread_only(clock):
    seen = []
    with clocks.using(clock):
        other = threading.Thread(target=lambda: seen.append(clocks.current()))
        other.start()
        other.join()
        assert clocks.current() is clock
    assert seen == [clocks.REAL] and clocks.current() is clocks.REAL


# -- retries -----------------------------------------------------------------------------

@pytest.mark.parametrize("delay", [60, 3600])
def test_a_retry_delay_is_slept_on_the_fake_clock(clock, delay):
    with Flow("retry") as flow:
        t = task(failing_until_attempt(2), max_retries=1, retry_delay=delay)()
    state = flow.run(clock=clock)
    assert state.is_successful() and state.result[t].result == 2
    assert clock.slept == [delay] and clock.now() == START + delay


def test_every_retry_sleeps_its_delay(clock):
    with Flow("retry") as flow:
        t = task(failing_until_attempt(3), max_retries=2, retry_delay=3600)()
    assert flow.run(clock=clock).result[t].result == 3
    assert clock.slept == [3600, 3600]


def test_a_retrying_state_starts_at_the_fake_now_plus_the_delay(clock):
    with Flow("retry") as flow:
        t = task(failing_until_attempt(2), max_retries=1, retry_delay=60)()
    flow.run(clock=clock)
    retrying = [s for s in flow.last_run.task_history(t) if isinstance(s, st.Retrying)]
    assert [s.start_at for s in retrying] == [START + 60]


def test_tasks_with_shorter_retry_delays_run_again_first(clock, executor):
    calls = []
    with Flow("two delays") as flow:
        task(failing_until_attempt(2, calls, "slow"), name="slow", max_retries=1,
             retry_delay=30)()
        task(failing_until_attempt(2, calls, "fast"), name="fast", max_retries=1,
             retry_delay=10)()
    assert flow.run(executor=executor, clock=clock).is_successful()
    assert calls[2:] == ["fast", "slow"]
    assert clock.slept == [10, 20]


# -- timestamps --------------------------------------------------------------------------

def test_state_timestamps_come_from_the_fake_clock(clock):
    with Flow("times") as flow:
        t = task(failing_until_attempt(2), max_retries=1, retry_delay=60)()
    state = flow.run(clock=clock)
    stamps = [s.timestamp for s in flow.last_run.task_history(t)]
    assert stamps == [START] * 4 + [START + 60] * 2
    assert state.timestamp == START + 60


# -- timeouts ----------------------------------------------------------------------------

def test_a_body_sleeping_past_its_timeout_on_the_fake_clock_times_out(clock, executor):
    with Flow("timeout") as flow:
        t = task(lambda: clocks.current().sleep(10), timeout=1)()
    state = flow.run(executor=executor, clock=clock)
    assert type(state.result[t]) is st.TimedOut


def test_a_body_sleeping_within_its_timeout_on_the_fake_clock_succeeds(clock, executor):
    with Flow("timeout") as flow:
        t = task(lambda: clocks.current().sleep(0.5) or "done", timeout=1)()
    state = flow.run(executor=executor, clock=clock)
    assert type(state.result[t]) is st.Success and state.result[t].result == "done"


def test_a_timeout_holds_even_when_the_body_ends_before_the_wait_begins(executor):
    class WaitsLate(FakeClock):
        """Starts waiting only once the body has ended: a thread schedule that can happen."""

        def wait_until(self, event, deadline):
            event.wait()
            return super().wait_until(event, deadline)

    with Flow("timeout") as flow:
        t = task(lambda: clocks.current().sleep(10), timeout=1)()
    state = flow.run(executor=executor, clock=WaitsLate(start=START))
    assert type(state.result[t]) is st.TimedOut


# -- cache expiration --------------------------------------------------------------------

def cached_flow(calls):
    with Flow("cached") as flow:
        t = task(lambda: calls.append("ran") or len(calls), name="cached_on_fake_clock",
                 cache_for=60)()
    return flow, t


def test_a_cached_result_is_reused_before_it_expires_on_the_fake_clock(clock):
    calls = []
    flow, t = cached_flow(calls)
    flow.run(clock=clock)
    clock.advance(59)
    state = flow.run(clock=clock)
    assert calls == ["ran"] and type(state.result[t]) is st.Cached


def test_a_cached_result_is_not_reused_once_the_fake_clock_passes_its_expiry(clock):
    calls = []
    flow, t = cached_flow(calls)
    flow.run(clock=clock)
    clock.advance(61)
    state = flow.run(clock=clock)
    assert calls == ["ran", "ran"] and state.result[t].result == 2


def test_a_cached_state_expires_at_the_fake_now_plus_cache_for(clock):
    flow, t = cached_flow([])
    state = flow.run(clock=clock)
    assert state.result[t].cached_result_expiration == START + 60


# -- resume and retry keep the run's clock ---------------------------------------------

def test_a_resumed_run_keeps_its_fake_clock(clock):
    with Flow("resume") as flow:
        t = task(lambda: "approved", trigger=triggers.manual_only)()
    flow.run(clock=clock)
    clock.advance(500)
    state = flow.resume()
    assert state.is_successful() and state.timestamp == START + 500
    history = flow.last_run.task_history(t)
    assert kinds(history[-3:]) == ["Resume", "Running", "Success"]
    assert [s.timestamp for s in history[-3:]] == [START + 500] * 3


def test_a_retried_run_keeps_its_fake_clock_for_timestamps_and_delays(clock):
    attempts = []

    def body():
        attempts.append(context.get("task_run_count"))
        if len(attempts) < 4:  # both attempts of the run, and the first of the retry
            raise ValueError("not yet")
        return "done"

    with Flow("retry") as flow:
        t = task(body, max_retries=1, retry_delay=3600)()
    assert flow.run(clock=clock).is_failed()
    assert clock.slept == [3600]
    clock.advance(100)
    state = flow.retry()
    assert state.is_successful() and clock.slept == [3600, 3600]
    history = flow.last_run.task_history(t)
    assert kinds(history[-3:]) == ["Retrying", "Running", "Success"]
    assert history[-3].start_at == START + 3700 + 3600
    assert [s.timestamp for s in history[-2:]] == [START + 3700 + 3600] * 2
