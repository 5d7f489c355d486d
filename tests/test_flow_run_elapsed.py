"""A run's elapsed time (FlowRun.spans, FlowRun.elapsed): the time its loop was advancing it,
retry waits included, waits for a person left out."""

from builders import approval_flow

from flowbook import Flow, task
from flowbook.engine.clock import FakeClock


def test_elapsed_leaves_out_the_wait_for_approval():
    clock = FakeClock()
    flow = approval_flow(clock)
    flow.run(clock=clock)
    clock.advance(100)  # nobody approves for a while
    run = flow.last_run
    assert run.elapsed() == 2.0
    flow.resume()
    assert run.elapsed() == 5.0


def test_each_advance_is_one_span_on_the_runs_clock():
    clock = FakeClock(start=1000.0)
    flow = approval_flow(clock)
    flow.run(clock=clock)
    clock.advance(100)
    flow.resume()
    assert flow.last_run.spans == [(1000.0, 1002.0), (1102.0, 1105.0)]


def test_elapsed_counts_the_wait_before_a_retry():
    attempts = []

    @task(max_retries=1, retry_delay=10)
    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("not yet")

    flow = Flow("retries", tasks=[flaky])
    flow.run(clock=FakeClock())
    assert flow.last_run.elapsed() == 10.0


def test_elapsed_of_a_run_in_progress_counts_until_now():
    clock = FakeClock()
    seen = []

    @task
    def slow():
        clock.advance(4)
        seen.append(flow.last_run.elapsed())

    flow = Flow("live", tasks=[slow])
    flow.run(clock=clock)
    assert seen == [4.0] and flow.last_run.spans[-1][1] is not None
