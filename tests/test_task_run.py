"""One task run: the order of its steps and what each step decides."""

import threading
import time
from datetime import timedelta

import pytest

from builders import chain_flow, passthrough, raises, returns
from flowbook import context, task, triggers
from flowbook.engine import signals
from flowbook.engine import state as st
from flowbook.engine.results import LocalResult
from flowbook.engine.task_run import attempt, is_plain


WAIT = 30  # seconds a body blocks at most when nothing releases it (a failure, never a pass)


def run_states(flow):
    return flow.run().result


def test_success_records_the_return_value():
    flow, (a,) = chain_flow(returns(3))
    s = run_states(flow)[a]
    assert type(s) is st.Success and s.result == 3


def test_failure_records_the_exception():
    flow, (a,) = chain_flow(raises(KeyError("k")))
    s = run_states(flow)[a]
    assert type(s) is st.Failed and isinstance(s.result, KeyError)


def test_failed_upstream_gives_trigger_failed_with_the_decision():
    flow, (a, b) = chain_flow(raises(name="load"), passthrough(name="save"))
    s = run_states(flow)[b]
    assert type(s) is st.TriggerFailed
    assert s.why.trigger == "all_successful"
    assert [(name, type(up).__name__) for name, up in s.why.upstream] == [("load", "Failed")]


def test_failed_upstream_passes_its_exception_as_input():
    seen = []
    flow, (a, b) = chain_flow(raises(ValueError("v")),
                              task(lambda x: seen.append(x), name="b",
                                   trigger=triggers.all_failed))
    run_states(flow)
    assert isinstance(seen[0], ValueError)


def test_skip_propagates_down_a_chain():
    flow, tasks = chain_flow(raises(signals.SKIP("no")), passthrough(name="b"),
                             passthrough(name="c"))
    states = run_states(flow)
    assert [type(states[t]).__name__ for t in tasks] == ["Skipped"] * 3


def test_upstream_skip_is_checked_before_the_trigger():
    flow, (a, b) = chain_flow(raises(signals.SKIP("no")),
                              passthrough(trigger=triggers.any_failed))
    s = run_states(flow)[b]
    assert type(s) is st.Skipped and s.why.trigger == "skip_on_upstream_skip"


def test_skip_on_upstream_skip_false_runs_the_task():
    flow, (a, b) = chain_flow(raises(signals.SKIP("no")),
                              passthrough(skip_on_upstream_skip=False))
    assert type(run_states(flow)[b]) is st.Success


def test_trigger_returning_false_gives_trigger_failed():
    flow, (a,) = chain_flow(returns(1, trigger=lambda ups: False))
    assert type(run_states(flow)[a]) is st.TriggerFailed


def test_trigger_raising_gives_trigger_failed_with_the_exception():
    def broken(ups):
        raise RuntimeError("bad trigger")

    flow, (a,) = chain_flow(returns(1, trigger=broken))
    s = run_states(flow)[a]
    assert type(s) is st.TriggerFailed and isinstance(s.result, RuntimeError)


def test_trigger_failed_is_never_retried():
    flow, (a, b) = chain_flow(raises(), passthrough(max_retries=3, retry_delay=0))
    s = run_states(flow)[b]
    assert type(s) is st.TriggerFailed


def test_success_signal_sets_message_and_result():
    flow, (a,) = chain_flow(raises(signals.SUCCESS(message="early", result=9)))
    s = run_states(flow)[a]
    assert type(s) is st.Success and (s.message, s.result) == ("early", 9)


def test_fail_signal_is_retried_like_an_error():
    @task(max_retries=1, retry_delay=0)
    def once():
        if context.task_run_count == 1:
            raise signals.FAIL("first")
        return "second"

    flow, (a,) = chain_flow(once)
    assert run_states(flow)[a].result == "second"


def test_retry_signal_retries_without_max_retries():
    @task
    def again():
        if context.task_run_count == 1:
            raise signals.RETRY("again")
        return context.task_run_count

    flow, (a,) = chain_flow(again)
    s = run_states(flow)[a]
    assert type(s) is st.Success and s.result == 2


def test_retries_exhausted_end_failed_after_max_retries_plus_one_runs():
    calls = []

    @task(max_retries=2, retry_delay=0)
    def always():
        calls.append(1)
        raise ValueError("no")

    flow, (a,) = chain_flow(always)
    assert type(run_states(flow)[a]) is st.Failed and len(calls) == 3


def test_retry_waits_for_the_retry_delay():
    times = []

    @task(max_retries=1, retry_delay=0.2)
    def slow_retry():
        times.append(time.monotonic())
        if len(times) == 1:
            raise ValueError("first")

    flow, _ = chain_flow(slow_retry)
    flow.run()
    assert times[1] - times[0] >= 0.2


def test_retry_on_limits_retries_to_matching_errors():
    calls = []

    @task(max_retries=3, retry_delay=0, retry_on=KeyError)
    def wrong_error():
        calls.append(1)
        raise ValueError("not a KeyError")

    flow, _ = chain_flow(wrong_error)
    flow.run()
    assert len(calls) == 1


def test_timeout_gives_timed_out():
    release = threading.Event()  # set once the run is over: the body cannot end before
    flow, (a,) = chain_flow(task(lambda: release.wait(WAIT), name="slow", timeout=0.1))
    try:
        assert type(run_states(flow)[a]) is st.TimedOut
    finally:
        release.set()


def test_timeout_not_reached_gives_success():
    # The timeout is a bound an immediate return cannot reach, however loaded the machine.
    flow, (a,) = chain_flow(task(lambda: 5, name="quick", timeout=60))
    assert run_states(flow)[a].result == 5


def test_timed_out_task_can_be_retried():
    calls, second_began = [], threading.Event()

    @task(timeout=0.1, max_retries=1, retry_delay=0)
    def first_slow():
        calls.append(1)
        if len(calls) == 1:
            second_began.wait(WAIT)  # only the timeout can end the first attempt
        else:
            second_began.set()
        return len(calls)

    flow, (a,) = chain_flow(first_slow)
    assert run_states(flow)[a].result == 2


def test_loop_reruns_with_the_previous_result():
    @task
    def count_up():
        n = context.get("task_loop_result", 0)
        if n < 3:
            raise signals.LOOP(result=n + 1)
        return (n, context.task_loop_count)

    flow, (a,) = chain_flow(count_up)
    assert run_states(flow)[a].result == (3, 4)
    assert [type(s).__name__ for s in flow.last_run.task_history(a)].count("Looped") == 3


def test_state_handler_sees_every_change_and_may_replace_the_state():
    seen = []

    def handler(t, old, new):
        seen.append((type(old).__name__, type(new).__name__))
        if new.is_failed():
            return st.Success("forgiven", result="ok")

    flow, (a,) = chain_flow(raises(state_handlers=[handler]))
    s = run_states(flow)[a]
    assert seen == [("Pending", "Running"), ("Running", "Failed")]
    assert type(s) is st.Success and s.result == "ok"


def test_state_handler_raising_fails_the_task():
    def handler(t, old, new):
        raise RuntimeError("broken handler")

    flow, (a,) = chain_flow(returns(1, state_handlers=[handler]))
    s = run_states(flow)[a]
    assert type(s) is st.Failed and "broken handler" in s.message


def test_state_handler_raising_a_signal_puts_the_signals_state():
    def handler(t, old, new):
        if new.is_successful():
            raise signals.SKIP("not today")

    flow, (a,) = chain_flow(returns(1, state_handlers=[handler]))
    s = run_states(flow)[a]
    assert type(s) is st.Skipped and s.message == "not today"


def test_a_retry_paused_by_manual_only_keeps_counting_its_attempts():
    runs = []

    def resume_pauses_and_fail_successes(t, old, new):
        if isinstance(new, st.Paused):
            return st.Resume()
        if old.is_running():
            raise signals.FAIL("cannot pass")

    @task(max_retries=2, retry_delay=0, trigger=triggers.manual_only,
          state_handlers=[resume_pauses_and_fail_successes])
    def counts():
        runs.append(context.task_run_count)

    flow, (a,) = chain_flow(counts)
    assert type(run_states(flow)[a]) is st.Failed and runs == [1, 2, 3]


def test_the_attempt_after_a_retry_counts_on_through_a_pause():
    paused = st.Paused()
    paused.previous = st.Retrying(run_count=2)
    resumed = st.Resume()
    resumed.previous = paused
    assert attempt(resumed) == 3 and attempt(st.Retrying(run_count=1)) == 2
    assert attempt(st.Resume()) == 1 and attempt(st.Pending()) == 1


def test_cache_for_reuses_the_result_in_a_later_run():
    calls = []

    @task(cache_for=60, cache_key="test_cache_for_reuses")
    def expensive():
        calls.append(1)
        return len(calls)

    flow, (a,) = chain_flow(expensive)
    first = run_states(flow)[a]
    second = run_states(flow)[a]
    assert type(first) is st.Cached and type(second) is st.Cached
    assert second.result == 1 and len(calls) == 1


def test_context_names_the_running_task():
    seen = []
    flow, _ = chain_flow(task(lambda: seen.append(context.task_full_name), name="who"))
    flow.run()
    assert seen == ["who"]


@pytest.mark.parametrize("option, value", [
    ("trigger", triggers.any_successful), ("state_handlers", [lambda t, old, new: new]),
    ("cache_for", timedelta(minutes=1)), ("target", "out.txt"), ("result", LocalResult()),
    ("timeout", 5), ("task_run_name", "run-{x}")])
def test_a_task_with_a_step_to_see_to_before_its_body_is_not_plain(option, value):
    assert is_plain(passthrough())
    assert not is_plain(passthrough(**{option: value}))


def test_each_task_run_gets_the_runs_context_and_its_own_values_in_a_dict_of_its_own():
    from flowbook import Flow

    seen = []

    def look(x=None):
        seen.append(context.to_dict())
        context["mine"] = len(seen)  # for this body only

    with Flow("f") as flow:
        first = task(look, name="first")()
        task(look, name="second")(first)
    flow.run(context={"answer": 42})
    assert [(s["task_name"], s["answer"], s["flow_name"], s.get("mine")) for s in seen] == [
        ("first", 42, "f", None), ("second", 42, "f", None)]
    assert seen[0]["task_tags"] == set() and seen[0]["task_run_count"] == 1
    assert seen[0]["logger"].name == "flowbook.first" and seen[0]["map_index"] is None
