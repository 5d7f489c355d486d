"""The catalog of differential cases: named flows that must end the same under Prefect and flowbook.

Each case is source text in the convention of `runner.py`: it uses only the names the runner
binds (``task, Task, Flow, Parameter, case, merge, unmapped, flatten, context, triggers,
signals, state, timedelta``), defines ``flow``, and may define ``PARAMS`` and ``RUNS``.
The comment at the top of each case says what Prefect 1.4.1 does with it.
"""
from __future__ import annotations

import textwrap

__all__ = ["CASES", "DIVERGENCES", "EXECUTORS", "ONLY_ON", "runs_on"]

CASES: dict[str, str] = {}


def _case(name: str, source: str) -> None:
    if name in CASES:
        raise ValueError(f"case {name!r} is defined twice")
    CASES[name] = textwrap.dedent(source).strip() + "\n"


# --- triggers -----------------------------------------------------------------------------

_case("all_successful_runs_after_successes", """
    # Default trigger: b runs when a succeeded.
    @task
    def a():
        return 1

    @task
    def b(x):
        return x + 1

    with Flow("f") as flow:
        b(a())
""")

_case("all_successful_trigger_fails_after_failure", """
    # b is TriggerFailed (a failed); the flow fails through its terminal task b.
    @task
    def a():
        raise ValueError("boom")

    @task
    def b(x):
        return "ran"

    with Flow("f") as flow:
        b(a())
""")

_case("all_failed_runs_when_every_upstream_failed", """
    @task
    def bad1():
        raise ValueError("1")

    @task
    def bad2():
        raise KeyError("2")

    @task(trigger=triggers.all_failed)
    def cleanup(x, y):
        return "cleaned"

    with Flow("f") as flow:
        cleanup(bad1(), bad2())
""")

_case("all_failed_trigger_fails_when_one_upstream_succeeded", """
    @task
    def bad():
        raise ValueError("1")

    @task
    def good():
        return 2

    @task(trigger=triggers.all_failed)
    def cleanup(x, y):
        return "cleaned"

    with Flow("f") as flow:
        cleanup(bad(), good())
""")

_case("any_successful_with_one_success_and_with_none", """
    # one_ok runs (one upstream succeeded); none_ok is TriggerFailed.
    @task
    def bad():
        raise ValueError("x")

    @task
    def good():
        return 1

    @task(trigger=triggers.any_successful)
    def one_ok(x, y):
        return [x, y]

    @task(trigger=triggers.any_successful)
    def none_ok(x):
        return "ran"

    with Flow("f") as flow:
        b = bad()
        one_ok(b, good())
        none_ok(b)
""")

_case("any_failed_with_one_failure_and_with_none", """
    @task
    def bad():
        raise ValueError("x")

    @task
    def good():
        return 1

    @task(trigger=triggers.any_failed)
    def one_failed(x, y):
        return "ran"

    @task(trigger=triggers.any_failed)
    def none_failed(x):
        return "ran"

    with Flow("f") as flow:
        g = good()
        one_failed(bad(), g)
        none_failed(g)
""")

_case("all_finished_and_always_run_run_after_failure", """
    # A failed upstream passes its exception as the input.
    @task
    def bad():
        raise ValueError("x")

    @task(trigger=triggers.all_finished)
    def finished(x):
        return x

    @task(trigger=triggers.always_run)
    def always(x):
        return "always"

    with Flow("f") as flow:
        b = bad()
        finished(b)
        always(b)
""")

_case("manual_only_pauses_then_runs_when_approved", """
    # Prefect asks input() and gets "y"; flowbook's runner calls flow.resume().
    @task
    def a():
        return 1

    @task(trigger=triggers.manual_only)
    def gate(x):
        return x + 10

    @task
    def after(x):
        return x * 2

    with Flow("f") as flow:
        after(gate(a()))
""")

_case("not_all_skipped_outcomes", """
    # all upstreams skipped -> Skipped; one skipped + one success -> runs;
    # a failure among them -> TriggerFailed.
    @task
    def skipper():
        raise signals.SKIP("nope")

    @task
    def good():
        return 1

    @task
    def bad():
        raise ValueError("x")

    @task(trigger=triggers.not_all_skipped, skip_on_upstream_skip=False)
    def all_skipped(x, y):
        return "ran"

    @task(trigger=triggers.not_all_skipped, skip_on_upstream_skip=False)
    def some_skipped(x, y):
        return "ran"

    @task(trigger=triggers.not_all_skipped, skip_on_upstream_skip=False)
    def with_failure(x, y):
        return "ran"

    with Flow("f") as flow:
        s1, s2, g = skipper(), skipper(), good()
        all_skipped(s1, s2)
        some_skipped(s1, g)
        with_failure(g, bad())
""")

_case("some_successful_counts_and_fractions", """
    # 3 upstreams, 2 successful.
    @task
    def good():
        return 1

    @task
    def bad():
        raise ValueError("x")

    def make(name, trigger):
        @task(name=name, trigger=trigger)
        def t(a, b, c):
            return name
        return t

    checks = [
        ("at_least_2", triggers.some_successful(at_least=2)),
        ("at_least_3", triggers.some_successful(at_least=3)),
        ("at_least_half", triggers.some_successful(at_least=0.5)),
        ("at_least_0.9", triggers.some_successful(at_least=0.9)),
        ("at_most_1", triggers.some_successful(at_most=1)),
        ("at_most_2", triggers.some_successful(at_most=2)),
        ("at_most_0.5", triggers.some_successful(at_most=0.5)),
        ("between_1_and_2", triggers.some_successful(at_least=1, at_most=2)),
        ("no_bounds", triggers.some_successful()),
    ]
    with Flow("f") as flow:
        ups = [good(), good(), bad()]
        for name, trigger in checks:
            make(name, trigger)(*ups)
""")

_case("some_failed_counts_and_fractions", """
    # 4 upstreams, 1 failed and 1 TriggerFailed (both count as failures).
    @task
    def good():
        return 1

    @task
    def bad():
        raise ValueError("x")

    @task
    def blocked(x):
        return x

    def make(name, trigger):
        @task(name=name, trigger=trigger)
        def t(a, b, c, d):
            return name
        return t

    checks = [
        ("at_least_2", triggers.some_failed(at_least=2)),
        ("at_least_3", triggers.some_failed(at_least=3)),
        ("at_least_half", triggers.some_failed(at_least=0.5)),
        ("at_least_0.75", triggers.some_failed(at_least=0.75)),
        ("at_most_1", triggers.some_failed(at_most=1)),
        ("at_most_0.5", triggers.some_failed(at_most=0.5)),
        ("at_most_0.25", triggers.some_failed(at_most=0.25)),
        ("between_2_and_3", triggers.some_failed(at_least=2, at_most=3)),
    ]
    with Flow("f") as flow:
        b = bad()
        ups = [good(), good(), b, blocked(b)]
        for name, trigger in checks:
            make(name, trigger)(*ups)
""")

_case("every_trigger_with_zero_upstreams", """
    # All pass except manual_only (Paused, then approved) and not_all_skipped (Skipped).
    checks = [
        ("all_successful", triggers.all_successful),
        ("all_failed", triggers.all_failed),
        ("any_successful", triggers.any_successful),
        ("any_failed", triggers.any_failed),
        ("all_finished", triggers.all_finished),
        ("always_run", triggers.always_run),
        ("manual_only", triggers.manual_only),
        ("not_all_skipped", triggers.not_all_skipped),
        ("some_successful_at_least_2", triggers.some_successful(at_least=2)),
        ("some_failed_at_least_1", triggers.some_failed(at_least=1)),
    ]

    def make(name, trigger):
        @task(name=name, trigger=trigger)
        def t():
            return name
        return t

    with Flow("f") as flow:
        for name, trigger in checks:
            make(name, trigger)()
""")

_case("constant_arguments_count_as_successful_upstreams", """
    # A constant input is an upstream Success for the trigger.
    @task(trigger=triggers.all_failed)
    def all_failed_const(x):
        return "ran"

    @task(trigger=triggers.any_failed)
    def any_failed_const(x, y):
        return "ran"

    @task(trigger=triggers.not_all_skipped)
    def not_all_skipped_const(x):
        return x

    @task(trigger=triggers.some_successful(at_least=2))
    def two_successes(x, y):
        return [x, y]

    @task
    def one():
        return 1

    with Flow("f") as flow:
        all_failed_const(1)
        any_failed_const(1, "two")
        not_all_skipped_const(3)
        two_successes(one(), 5)
""")

_case("trigger_failed_upstream_counts_as_failure", """
    @task
    def bad():
        raise ValueError("x")

    @task
    def blocked(x):
        return "never"

    @task(trigger=triggers.any_failed)
    def notices(x):
        return x

    @task(trigger=triggers.all_failed)
    def all_failed(x):
        return "ran"

    @task
    def blocked_again(x):
        return "never"

    with Flow("f") as flow:
        t = blocked(bad())
        notices(t)
        all_failed(t)
        blocked_again(t)
""")

_case("custom_trigger_function", """
    # A trigger gets {edge: state}; this one passes when exactly one upstream failed.
    def exactly_one_failed(upstream_states):
        return sum(s.is_failed() for s in upstream_states.values()) == 1

    @task
    def good():
        return 1

    @task
    def bad():
        raise ValueError("x")

    @task(trigger=exactly_one_failed)
    def passes(x, y):
        return "passed"

    @task(trigger=exactly_one_failed)
    def refuses(x, y):
        return "passed"

    with Flow("f") as flow:
        passes(good(), bad())
        refuses(good(), good())
""")

_case("trigger_returning_false_or_raising", """
    # False -> TriggerFailed; an exception -> TriggerFailed with that exception;
    # a signal raised by a trigger gives that signal's state.
    def never(upstream_states):
        return False

    def broken(upstream_states):
        raise ZeroDivisionError("bad trigger")

    def skipping(upstream_states):
        raise signals.SKIP("trigger says skip")

    @task
    def a():
        return 1

    @task(trigger=never)
    def t_false(x):
        return "ran"

    @task(trigger=broken)
    def t_raises(x):
        return "ran"

    @task(trigger=skipping)
    def t_skips(x):
        return "ran"

    with Flow("f") as flow:
        x = a()
        t_false(x)
        t_raises(x)
        t_skips(x)
""")

_case("skipped_upstream_counts_as_success_for_triggers", """
    @task
    def skipper():
        raise signals.SKIP("skipping!")

    @task(skip_on_upstream_skip=False)
    def all_successful(x):
        return "ran"

    @task(trigger=triggers.any_successful, skip_on_upstream_skip=False)
    def any_successful(x):
        return "ran"

    @task(trigger=triggers.any_failed, skip_on_upstream_skip=False)
    def any_failed(x):
        return "ran"

    with Flow("f") as flow:
        s = skipper()
        all_successful(s)
        any_successful(s)
        any_failed(s)
""")

_case("triggers_count_mapped_children", """
    # A Mapped upstream counts as its three children (one failed).
    @task
    def invert(x):
        return 1 / x

    @task(trigger=triggers.some_successful(at_least=2))
    def two_of_three(xs):
        return "ran"

    @task(trigger=triggers.some_successful(at_least=3))
    def three_of_three(xs):
        return "ran"

    @task(trigger=triggers.any_failed)
    def any_child_failed(xs):
        return len(xs)

    with Flow("f") as flow:
        m = invert.map([1, 0, 2])
        two_of_three(m)
        three_of_three(m)
        any_child_failed(m)
""")

_case("manual_only_ignores_upstream_failure", """
    # manual_only looks only at the resume flag, not at upstream states.
    @task
    def bad():
        raise ValueError("x")

    @task(trigger=triggers.manual_only)
    def gate(x):
        return x

    with Flow("f") as flow:
        gate(bad())
""")

_case("triggers_below_an_empty_map", """
    # An empty Mapped upstream is an upstream with no states: any_successful and any_failed
    # fail (their zero-upstream pass looks at the edges), all_* pass, not_all_skipped skips.
    @task
    def nothing():
        return []

    @task
    def double(x):
        return 2 * x

    def make(name, trigger):
        @task(name=name, trigger=trigger, skip_on_upstream_skip=False)
        def t(xs):
            return [name, xs]
        return t

    checks = [
        ("all_successful", triggers.all_successful),
        ("all_failed", triggers.all_failed),
        ("any_successful", triggers.any_successful),
        ("any_failed", triggers.any_failed),
        ("all_finished", triggers.all_finished),
        ("not_all_skipped", triggers.not_all_skipped),
        ("some_successful_at_least_1", triggers.some_successful(at_least=1)),
        ("some_failed_at_most_0", triggers.some_failed(at_most=0)),
    ]
    with Flow("f") as flow:
        m = double.map(nothing())
        for name, trigger in checks:
            make(name, trigger)(m)
""")

# --- signals ------------------------------------------------------------------------------

_case("signal_success_with_and_without_result", """
    @task
    def with_result():
        raise signals.SUCCESS(message="early", result={"value": 42})

    @task
    def without_result():
        raise signals.SUCCESS("early")

    @task
    def consume(x):
        return x

    with Flow("f") as flow:
        consume(with_result())
        without_result()
""")

_case("signal_fail", """
    @task
    def failing():
        raise signals.FAIL("stopping!")

    @task
    def after(x):
        return x

    with Flow("f") as flow:
        after(failing())
""")

_case("signal_skip_propagates_down_a_chain", """
    @task
    def skipper():
        raise signals.SKIP("skipping!")

    @task
    def b(x):
        return "b"

    @task
    def c(x):
        return "c"

    with Flow("f") as flow:
        c(b(skipper()))
""")

_case("skip_on_upstream_skip_false_runs_with_the_signal_as_input", """
    @task
    def skipper():
        raise signals.SKIP("skipping!")

    @task(skip_on_upstream_skip=False)
    def runs_anyway(x):
        return x

    @task
    def next_one(x):
        return "next"

    with Flow("f") as flow:
        next_one(runs_anyway(skipper()))
""")

_case("skip_check_precedes_the_trigger", """
    # any_failed below a skipped task is Skipped, not TriggerFailed.
    @task
    def skipper():
        raise signals.SKIP("skipping!")

    @task(trigger=triggers.any_failed)
    def on_failure(x):
        return "ran"

    @task(trigger=triggers.all_failed, skip_on_upstream_skip=False)
    def all_failed_no_skip(x):
        return "ran"

    with Flow("f") as flow:
        s = skipper()
        on_failure(s)
        all_failed_no_skip(s)
""")

_case("signal_retry_then_success", """
    # RETRY gives Retrying even with max_retries=0; the second run succeeds.
    @task
    def flaky():
        if context.get("task_run_count") == 1:
            raise signals.RETRY("again")
        return context.task_run_count

    @task
    def after(x):
        return x

    with Flow("f") as flow:
        after(flaky())
""")

_case("signal_pause_then_resume", """
    @task
    def a():
        return 1

    @task
    def needs_approval(x):
        if not context.get("resume"):
            raise signals.PAUSE("waiting for a person")
        return x + 100

    @task
    def after(x):
        return x

    with Flow("f") as flow:
        after(needs_approval(a()))
""")

_case("signal_loop_accumulates", """
    @task
    def counter(limit):
        total = context.get("task_loop_result", 0)
        if total < limit:
            raise signals.LOOP(message="looping", result=total + 10)
        return [total, context.get("task_loop_count")]

    with Flow("f") as flow:
        counter(30)
""")

_case("signal_triggerfail_and_validationfail_in_tasks", """
    @task
    def tf():
        raise signals.TRIGGERFAIL("manual trigger failure")

    @task
    def vf():
        raise signals.VALIDATIONFAIL("invalid")

    @task(trigger=triggers.any_failed)
    def notices(x, y):
        return "noticed"

    with Flow("f") as flow:
        notices(tf(), vf())
""")

_case("triggerfail_signal_in_a_task_is_retried", """
    # Unlike a failed trigger, a TRIGGERFAIL raised by the task itself is a Failed state
    # that goes through the retry check.
    @task(max_retries=1, retry_delay=timedelta(seconds=0))
    def tf():
        if context.task_run_count == 1:
            raise signals.TRIGGERFAIL("first time")
        return "second"

    with Flow("f") as flow:
        tf()
""")

_case("signals_are_not_swallowed_by_except_exception", """
    @task
    def guarded():
        try:
            raise signals.SKIP("still skips")
        except Exception:
            return "swallowed"

    with Flow("f") as flow:
        guarded()
""")

_case("signals_with_results", """
    @task
    def fail_with_result():
        raise signals.FAIL("failed", result=5)

    @task
    def skip_with_result():
        raise signals.SKIP("skipped", result="skipped value")

    @task(skip_on_upstream_skip=False, trigger=triggers.always_run)
    def sees(x, y):
        return [x, y]

    with Flow("f") as flow:
        sees(fail_with_result(), skip_with_result())
""")

_case("loop_without_result_and_loop_count", """
    @task
    def looper():
        count = context.get("task_loop_count")
        if count is None or count < 3:
            raise signals.LOOP("again")
        return [count, context.get("task_loop_result")]

    with Flow("f") as flow:
        looper()
""")

_case("loop_then_failure_is_retried_from_the_loop", """
    # The retry resumes the loop where it failed (loop result 2), not from the start.
    ATTEMPTS = []

    @task(max_retries=1, retry_delay=timedelta(seconds=0))
    def looper():
        total = context.get("task_loop_result", 0)
        ATTEMPTS.append(total)
        if total == 2 and len(ATTEMPTS) == 3:
            raise ValueError("fails once at 2")
        if total < 3:
            raise signals.LOOP(result=total + 1)
        return list(ATTEMPTS)

    with Flow("f") as flow:
        looper()
""")

_case("pause_downstream_of_a_failure_is_trigger_failed", """
    @task
    def bad():
        raise ValueError("x")

    @task
    def needs_approval(x):
        if not context.get("resume"):
            raise signals.PAUSE("waiting")
        return "approved"

    with Flow("f") as flow:
        needs_approval(bad())
""")

_case("two_paused_tasks_in_a_chain", """
    @task(trigger=triggers.manual_only)
    def first():
        return 1

    @task(trigger=triggers.manual_only)
    def second(x):
        return x + 1

    with Flow("f") as flow:
        second(first())
""")

# --- reference tasks and flow state -------------------------------------------------------

_case("spark_tutorial_always_run_teardown", """
    # The flow succeeds: the terminal teardown succeeded although the job failed.
    @task
    def create_cluster():
        return "cluster"

    @task
    def run_spark_job(cluster):
        raise RuntimeError("the job failed")

    @task(trigger=triggers.always_run)
    def tear_down_cluster(cluster):
        return "torn down"

    with Flow("Spark") as flow:
        cluster = create_cluster()
        submitted = run_spark_job(cluster)
        result = tear_down_cluster(cluster, upstream_tasks=[submitted])
""")

_case("spark_tutorial_with_reference_task", """
    @task
    def create_cluster():
        return "cluster"

    @task
    def run_spark_job(cluster):
        raise RuntimeError("the job failed")

    @task(trigger=triggers.always_run)
    def tear_down_cluster(cluster):
        return "torn down"

    with Flow("Spark") as flow:
        cluster = create_cluster()
        submitted = run_spark_job(cluster)
        result = tear_down_cluster(cluster, upstream_tasks=[submitted])

    flow.set_reference_tasks([submitted])
""")

_case("spark_tutorial_default_trigger", """
    # Without always_run the teardown is TriggerFailed.
    @task
    def create_cluster():
        return "cluster"

    @task
    def run_spark_job(cluster):
        raise RuntimeError("the job failed")

    @task
    def tear_down_cluster(cluster):
        return "torn down"

    with Flow("Spark") as flow:
        cluster = create_cluster()
        submitted = run_spark_job(cluster)
        tear_down_cluster(cluster, upstream_tasks=[submitted])
""")

_case("failing_non_terminal_task_does_not_fail_the_flow", """
    @task
    def bad():
        raise ValueError("x")

    @task(trigger=triggers.any_failed)
    def handle(x):
        return "handled"

    with Flow("f") as flow:
        handle(bad())
""")

_case("failing_non_terminal_reference_task_fails_the_flow", """
    @task
    def bad():
        raise ValueError("x")

    @task(trigger=triggers.any_failed)
    def handle(x):
        return "handled"

    with Flow("f") as flow:
        b = bad()
        handle(b)
    flow.set_reference_tasks([b])
""")

_case("empty_reference_list_resets_to_terminal_tasks", """
    @task
    def bad():
        raise ValueError("x")

    @task(trigger=triggers.always_run)
    def handle(x):
        return "handled"

    with Flow("f") as flow:
        b = bad()
        handle(b)
    flow.set_reference_tasks([b])
    flow.set_reference_tasks([])
""")

_case("reference_task_outside_the_flow_is_an_error", """
    @task
    def a():
        return 1

    @task
    def outsider():
        return 2

    with Flow("f") as flow:
        a()
    flow.set_reference_tasks([outsider])
""")

_case("empty_flow_succeeds", """
    flow = Flow("empty")
""")

_case("self_edge_is_refused", """
    @task
    def a():
        return 1

    flow = Flow("f")
    flow.add_edge(a, a)
""")

_case("cycle_is_an_error", """
    @task
    def a(x=None):
        return 1

    @task
    def b(x=None):
        return 2

    flow = Flow("f")
    flow.add_edge(a, b, key="x")
    flow.add_edge(b, a, key="x")
""")

_case("skipped_reference_task_flow_succeeds", """
    @task
    def skipper():
        raise signals.SKIP("skip")

    @task
    def after(x):
        return x

    with Flow("f") as flow:
        after(skipper())
""")

_case("unexpected_keyword_argument_is_an_error", """
    @task
    def a(x):
        return x

    with Flow("f") as flow:
        a(y=1)
""")

_case("missing_argument_is_an_error", """
    @task
    def a(x):
        return x

    with Flow("f") as flow:
        a()
""")

_case("calling_a_task_outside_a_flow_is_an_error", """
    @task
    def a():
        return 1

    @task
    def b(x):
        return x

    b(a)
    flow = Flow("f")
""")

_case("signal_raised_while_building_is_an_error", """
    raise signals.FAIL("not in a task")
""")

# --- retries and timeouts -----------------------------------------------------------------

_case("retries_then_success", """
    ATTEMPTS = []

    @task(max_retries=3, retry_delay=timedelta(seconds=0.05))
    def flaky():
        ATTEMPTS.append(context.get("task_run_count"))
        if len(ATTEMPTS) < 3:
            raise ValueError("not yet")
        return list(ATTEMPTS)

    with Flow("f") as flow:
        flaky()
""")

_case("retries_exhausted", """
    ATTEMPTS = []

    @task(max_retries=2, retry_delay=timedelta(seconds=0.02))
    def always_bad():
        ATTEMPTS.append(context.task_run_count)
        raise ValueError("never")

    @task(trigger=triggers.always_run)
    def report(x):
        return list(ATTEMPTS)

    with Flow("f") as flow:
        report(always_bad())
""")

_case("fail_signal_is_retried", """
    @task(max_retries=1, retry_delay=timedelta(seconds=0))
    def once():
        if context.task_run_count == 1:
            raise signals.FAIL("first attempt")
        return "second attempt"

    with Flow("f") as flow:
        once()
""")

_case("retry_on_filters_exceptions", """
    ATTEMPTS = []

    @task(max_retries=2, retry_delay=timedelta(seconds=0), retry_on=KeyError)
    def not_retried():
        ATTEMPTS.append("not_retried")
        raise ValueError("wrong type")

    @task(max_retries=2, retry_delay=timedelta(seconds=0), retry_on=[KeyError, IndexError])
    def retried():
        ATTEMPTS.append("retried")
        if context.task_run_count < 2:
            raise IndexError("right type")
        return "ok"

    @task(trigger=triggers.always_run)
    def report(x, y):
        return sorted(ATTEMPTS)

    with Flow("f") as flow:
        report(not_retried(), retried())
""")

_case("max_retries_without_retry_delay_is_an_error", """
    @task(max_retries=2)
    def a():
        return 1

    with Flow("f") as flow:
        a()
""")

_case("timeout_expires", """
    # slow cannot return before after has run (after removes the GATE file slow waits on),
    # and after runs only once slow has ended: only the timeout can end slow, however slow
    # the machine. The 60 s bound only stops a broken engine from hanging.
    import os, tempfile, time

    handle, GATE = tempfile.mkstemp(prefix="flowbook-timeout-gate-")
    os.close(handle)

    @task(timeout=1)
    def slow():
        deadline = time.monotonic() + 60
        while os.path.exists(GATE) and time.monotonic() < deadline:
            time.sleep(0.01)
        return "finished"

    @task(trigger=triggers.always_run)
    def after(x):
        os.remove(GATE)  # lets the abandoned body of slow end (flowbook cannot kill it)
        return "after"

    with Flow("f") as flow:
        after(slow())
""")

_case("timeout_not_reached", """
    # The timeout is only a bound no quick body can reach, even on a loaded machine.
    @task(timeout=60)
    def quick():
        return "finished"

    with Flow("f") as flow:
        quick()
""")

_case("retries_at_different_delays", """
    # Each task gets its own number of attempts, counted 1, 2, ... in order, whatever the
    # other task's delay. How the two tasks' attempts interleave depends on the machine's
    # speed (two timers racing), so the report keeps each task's attempts apart.
    ATTEMPTS = {"slow": [], "fast": []}

    @task(max_retries=1, retry_delay=timedelta(seconds=0.1))
    def slow_retry():
        ATTEMPTS["slow"].append(context.task_run_count)
        if context.task_run_count == 1:
            raise ValueError("x")
        return "slow"

    @task(max_retries=2, retry_delay=timedelta(seconds=0.02))
    def fast_retry():
        ATTEMPTS["fast"].append(context.task_run_count)
        if context.task_run_count < 3:
            raise ValueError("x")
        return "fast"

    @task
    def report(x, y):
        return {name: list(counts) for name, counts in ATTEMPTS.items()}

    with Flow("f") as flow:
        report(slow_retry(), fast_retry())
""")

_case("run_count_in_success_after_retrying_signal_and_retries", """
    @task(max_retries=2, retry_delay=timedelta(seconds=0))
    def mixed():
        n = context.task_run_count
        if n == 1:
            raise signals.RETRY("signal")
        if n == 2:
            raise ValueError("error")
        return n

    with Flow("f") as flow:
        mixed()
""")

_case("loop_and_retry_counts", """
    # A retry continues the loop (task_loop_count 2), and a looped rerun starts again
    # at task_run_count 1.
    SEEN = []

    @task(max_retries=2, retry_delay=timedelta(seconds=0))
    def a():
        SEEN.append([context.task_run_count, context.get("task_loop_count")])
        if len(SEEN) == 1:
            raise signals.LOOP(result=1)
        if len(SEEN) == 2:
            raise ValueError("x")
        if len(SEEN) == 3:
            raise signals.LOOP(result=2)
        return list(SEEN)

    with Flow("f") as flow:
        a()
""")

# --- parameters ---------------------------------------------------------------------------

_case("parameter_defaults_and_passed_values", """
    PARAMS = {"x": 5}

    @task
    def add(a, b):
        return a + b

    with Flow("f") as flow:
        x = Parameter("x")
        y = Parameter("y", default=10)
        add(x, y)
""")

_case("parameter_required_missing_is_an_error", """
    @task
    def echo(v):
        return v

    with Flow("f") as flow:
        echo(Parameter("needed"))
""")

_case("parameter_unknown_is_an_error", """
    PARAMS = {"x": 1, "typo": 2}

    @task
    def echo(v):
        return v

    with Flow("f") as flow:
        echo(Parameter("x"))
""")

_case("parameter_not_required_defaults_to_none", """
    @task
    def echo(v):
        return [v]

    with Flow("f") as flow:
        echo(Parameter("maybe", required=False))
""")

_case("parameter_required_with_default", """
    @task
    def echo(v):
        return v

    with Flow("f") as flow:
        echo(Parameter("x", default=3, required=True))
""")

# --- case / merge -------------------------------------------------------------------------

_case("case_true_branch_and_merge", """
    @task
    def condition():
        return True

    @task
    def yes():
        return "yes"

    @task
    def no():
        return "no"

    @task
    def show(x):
        return x

    with Flow("f") as flow:
        c = condition()
        with case(c, True):
            a = yes()
        with case(c, False):
            b = no()
        show(merge(a, b))
""")

_case("case_false_branch_and_merge_via_parameter", """
    PARAMS = {"mode": "slow"}

    @task
    def fast():
        return "fast"

    @task
    def slow():
        return "slow"

    @task
    def after_slow(x):
        return x + "!"

    with Flow("f") as flow:
        mode = Parameter("mode")
        with case(mode, "fast"):
            f = fast()
        with case(mode, "slow"):
            s = after_slow(slow())
        merged = merge(f, s)
""")

_case("case_with_no_matching_branch_skips_merge", """
    @task
    def value():
        return 3

    @task
    def one():
        return 1

    @task
    def two():
        return 2

    with Flow("f") as flow:
        v = value()
        with case(v, 1):
            a = one()
        with case(v, 2):
            b = two()
        merge(a, b)
""")

_case("merge_of_three_branches", """
    @task
    def pick():
        return "b"

    @task
    def branch(name):
        return name.upper()

    with Flow("f") as flow:
        p = pick()
        results = []
        for name in ["a", "b", "c"]:
            with case(p, name):
                results.append(branch(name, task_args=dict(name="branch_" + name)))
        merge(*results)
""")

_case("false_case_skips_a_mapped_task_and_its_input", """
    @task
    def flag():
        return False

    @task
    def items():
        return [1, 2]

    @task
    def double(x):
        return 2 * x

    with Flow("f") as flow:
        with case(flag(), True):
            double.map(items())
""")

_case("merge_skips_none_results", """
    @task
    def cond():
        return True

    @task
    def nothing():
        return None

    @task
    def something():
        return "something"

    with Flow("f") as flow:
        c = cond()
        with case(c, True):
            a = nothing()
            b = something()
        merge(a, b)
""")

_case("case_on_a_failed_condition", """
    @task
    def cond():
        raise ValueError("no condition")

    @task
    def inside():
        return "inside"

    @task
    def other():
        return "other"

    with Flow("f") as flow:
        c = cond()
        with case(c, True):
            a = inside()
        with case(c, False):
            b = other()
        merge(a, b)
""")

_case("nested_case_blocks", """
    @task
    def first():
        return 1

    @task
    def second():
        return "b"

    @task
    def deep():
        return "deep"

    @task
    def shallow():
        return "shallow"

    with Flow("f") as flow:
        with case(first(), 1):
            s = shallow()
            with case(second(), "a"):
                d = deep()
""")

_case("case_branch_with_a_downstream_outside", """
    @task
    def flag():
        return False

    @task
    def inside():
        return "inside"

    @task
    def outside(x):
        return x

    @task(skip_on_upstream_skip=False)
    def tolerant(x):
        return x

    with Flow("f") as flow:
        with case(flag(), True):
            i = inside()
        outside(i)
        tolerant(i)
""")

# --- mapping ------------------------------------------------------------------------------

_case("map_over_a_list_with_unmapped", """
    @task
    def add(x, y):
        return x + y

    with Flow("f") as flow:
        add.map([1, 2, 3], unmapped(10))
""")

_case("map_with_a_failing_child_fails_the_flow", """
    @task
    def invert(x):
        return 1 / x

    with Flow("f") as flow:
        invert.map([1, 0, 4])
""")

_case("map_downstream_of_a_map", """
    @task
    def numbers():
        return [1, 2, 3]

    @task
    def double(x):
        return 2 * x

    @task
    def check(x):
        if x == 4:
            raise signals.SKIP("four")
        return x + 1

    with Flow("f") as flow:
        check.map(double.map(numbers()))
""")

_case("map_over_an_empty_list", """
    @task
    def nothing():
        return []

    @task
    def double(x):
        return 2 * x

    @task
    def total(xs):
        return sum(xs)

    with Flow("f") as flow:
        total(double.map(nothing()))
""")

_case("map_over_flatten_of_lists", """
    @task
    def nested():
        return [[1, 2], [3], []]

    @task
    def inc(x):
        return x + 1

    with Flow("f") as flow:
        inc.map(flatten(nested()))
""")

_case("reduce_after_map", """
    @task
    def square(x):
        return x * x

    @task
    def total(xs):
        return sum(xs)

    with Flow("f") as flow:
        total(square.map([1, 2, 3, 4]))
""")

_case("map_over_a_failed_upstream", """
    @task
    def items():
        raise ValueError("no items")

    @task
    def double(x):
        return 2 * x

    with Flow("f") as flow:
        double.map(items())
""")

_case("reduce_after_map_with_failed_child", """
    @task
    def invert(x):
        return 1 / x

    @task
    def total(xs):
        return sum(xs)

    @task(trigger=triggers.all_finished)
    def count(xs):
        return len(xs)

    with Flow("f") as flow:
        m = invert.map([1, 0, 2])
        total(m)
        count(m)
""")

_case("map_with_failed_unmapped_upstream", """
    @task
    def bad():
        raise ValueError("x")

    @task
    def add(x, y):
        return x + y

    with Flow("f") as flow:
        add.map([1, 2], unmapped(bad()))
""")

_case("map_over_a_skipped_upstream", """
    @task
    def items():
        raise signals.SKIP("none today")

    @task
    def double(x):
        return 2 * x

    with Flow("f") as flow:
        double.map(items())
""")

_case("map_over_a_non_iterable", """
    @task
    def number():
        return 5

    @task
    def double(x):
        return 2 * x

    with Flow("f") as flow:
        double.map(number())
""")

_case("map_over_lists_of_different_lengths", """
    # One child per element of the shortest list.
    @task
    def add(x, y):
        return x + y

    with Flow("f") as flow:
        add.map([1, 2, 3], [10, 20])
""")

_case("mapped_child_retries", """
    @task(max_retries=1, retry_delay=timedelta(seconds=0))
    def flaky(x):
        if x == 2 and context.task_run_count == 1:
            raise ValueError("first attempt")
        return [x, context.task_run_count]

    with Flow("f") as flow:
        flaky.map([1, 2, 3])
""")

_case("mapped_child_failure_flows_childwise", """
    @task
    def invert(x):
        return 1 / x

    @task
    def double(x):
        return 2 * x

    @task(trigger=triggers.any_failed)
    def on_error(x):
        return "handled"

    with Flow("f") as flow:
        m = invert.map([1, 0, 2])
        double.map(m)
        on_error.map(m)
""")

_case("flatten_of_a_mapped_output", """
    @task
    def split(x):
        return list(range(x))

    @task
    def inc(x):
        return x + 1

    with Flow("f") as flow:
        inc.map(flatten(split.map([1, 2, 3])))
""")

_case("map_over_a_parameter", """
    PARAMS = {"xs": [3, 4]}

    @task
    def square(x):
        return x * x

    with Flow("f") as flow:
        square.map(Parameter("xs"))
""")

_case("not_all_skipped_with_all_mapped_children_skipped", """
    @task
    def skip_all(x):
        raise signals.SKIP("skip")

    @task(trigger=triggers.not_all_skipped, skip_on_upstream_skip=False)
    def after(xs):
        return xs

    with Flow("f") as flow:
        after(skip_all.map([1, 2]))
""")

_case("constant_argument_for_mapped_task_via_unmapped_constant", """
    @task
    def scale(x, factor):
        return x * factor

    with Flow("f") as flow:
        scale.map(x=[1, 2], factor=unmapped(3))
""")

_case("map_downstream_of_an_empty_map", """
    @task
    def nothing():
        return []

    @task
    def double(x):
        return 2 * x

    with Flow("f") as flow:
        double.map(double.map(nothing()))
""")

_case("unmapped_constant_list", """
    @task
    def pick(i, xs):
        return xs[i]

    with Flow("f") as flow:
        pick.map([0, 1], unmapped(["a", "b", "c"]))
""")

_case("mapped_children_skip_downstream_without_skip_check", """
    @task
    def keep_odd(x):
        if x % 2 == 0:
            raise signals.SKIP("even")
        return x

    @task(skip_on_upstream_skip=False)
    def describe(x):
        return type(x).__name__

    with Flow("f") as flow:
        describe.map(keep_odd.map([1, 2, 3]))
""")

_case("mapped_child_retry_signal", """
    @task
    def once(x):
        if x == 1 and context.task_run_count == 1:
            raise signals.RETRY("again")
        return [x, context.task_run_count]

    with Flow("f") as flow:
        once.map([0, 1])
""")

_case("mapped_task_with_a_state_only_upstream", """
    @task
    def bad():
        raise ValueError("x")

    @task
    def double(x):
        return 2 * x

    with Flow("f") as flow:
        double.map([1, 2], upstream_tasks=[unmapped(bad())])
""")

_case("looping_mapped_child", """
    @task
    def countdown(x):
        n = context.get("task_loop_result", x)
        if n > 0:
            raise signals.LOOP(result=n - 1)
        return [x, context.get("task_loop_count")]

    with Flow("f") as flow:
        countdown.map([0, 2])
""")

_case("parameter_of_a_mapped_reduce_with_default_list", """
    @task
    def total(xs):
        return sum(xs)

    @task
    def inc(x):
        return x + 1

    with Flow("f") as flow:
        total(inc.map(Parameter("xs", default=[1, 2, 3])))
""")

_case("map_with_a_failed_mapped_parent_as_mapped_upstream", """
    # inc maps over a list and over double, whose mapping Failed ("unmappable result")
    # and so carries no result at all: Prefect then makes zero children (a mapped edge
    # from a state without a result ends the children at index 0); the flow succeeds.
    @task
    def number():
        return 5

    @task
    def double(x):
        return 2 * x

    @task
    def inc(item):
        return item + 1

    with Flow("f") as flow:
        d = double.map(number())
        inc.map(item=[0, 1], upstream_tasks=[d])
""")

_case("map_with_a_failed_mapped_parent_as_mapped_data", """
    # As above, with a data edge: zero children.
    @task
    def number():
        return 5

    @task
    def double(x):
        return 2 * x

    @task
    def add(item, x):
        return item + x

    with Flow("f") as flow:
        add.map(item=[0, 1], x=double.map(number()))
""")

# --- the imperative API -------------------------------------------------------------------

_case("imperative_add_task_and_set_dependencies", """
    @task
    def a():
        return 2

    @task
    def b():
        return 3

    @task
    def mul(x, y):
        return x * y

    flow = Flow("f")
    flow.add_task(a)
    flow.add_task(b)
    flow.set_dependencies(mul, keyword_tasks=dict(x=a, y=b))
""")

_case("imperative_state_only_upstream", """
    @task
    def bad():
        raise ValueError("x")

    @task
    def after():
        return "after"

    flow = Flow("f")
    flow.set_dependencies(after, upstream_tasks=[bad])
""")

_case("imperative_set_upstream_and_set_downstream", """
    @task
    def a():
        return 4

    @task
    def b(x):
        return x + 1

    @task
    def c():
        return "c"

    flow = Flow("f")
    b.set_upstream(a, flow=flow, key="x")
    b.set_downstream(c, flow=flow)
""")

_case("imperative_add_edge", """
    @task
    def a():
        return "a"

    @task
    def b(value):
        return value * 2

    flow = Flow("f")
    flow.add_edge(a, b, key="value")
""")

_case("set_dependencies_downstream_tasks", """
    @task
    def a():
        return "a"

    @task
    def b():
        return "b"

    @task
    def c():
        return "c"

    flow = Flow("f")
    flow.set_dependencies(a, downstream_tasks=[b, c])
""")

_case("imperative_parameter", """
    PARAMS = {"n": 4}

    @task
    def double(x):
        return 2 * x

    n = Parameter("n")
    flow = Flow("f")
    flow.add_task(n)
    flow.set_dependencies(double, keyword_tasks=dict(x=n))
""")

# --- state handlers -----------------------------------------------------------------------

_case("state_handler_records_transitions", """
    SEEN = []

    def record(task, old_state, new_state):
        SEEN.append([task.name, type(old_state).__name__, type(new_state).__name__])
        return new_state

    @task(state_handlers=[record])
    def ok():
        return 1

    @task(state_handlers=[record])
    def bad(x):
        raise ValueError("x")

    @task(trigger=triggers.always_run)
    def report(x):
        return list(SEEN)

    with Flow("f") as flow:
        report(bad(ok()))
""")

_case("on_failure_called_with_failed_state", """
    CALLS = []

    def note(task, state):
        CALLS.append([task.name, type(state).__name__])

    @task(on_failure=note)
    def bad():
        raise ValueError("x")

    @task(on_failure=note)
    def fine():
        return 1

    @task(on_failure=note)
    def blocked(x):
        return "never"

    @task(trigger=triggers.always_run)
    def report(x, y):
        return sorted(CALLS)

    with Flow("f") as flow:
        b = bad()
        report(blocked(b), fine())
""")

_case("state_handler_replaces_a_failure", """
    def rescue(task, old_state, new_state):
        if new_state.is_failed():
            return state.Success("rescued", result="rescued value")
        return new_state

    @task(state_handlers=[rescue])
    def bad():
        raise ValueError("x")

    @task
    def after(x):
        return x

    with Flow("f") as flow:
        after(bad())
""")

_case("state_handler_raising", """
    # A handler that raises turns the new state into Failed with that exception.
    def broken(task, old_state, new_state):
        if new_state.is_successful():
            raise RuntimeError("handler broke")
        return new_state

    @task(state_handlers=[broken])
    def a():
        return 1

    @task(trigger=triggers.always_run)
    def after(x):
        return x

    with Flow("f") as flow:
        after(a())
""")

_case("state_handler_returning_none_keeps_state", """
    @task(state_handlers=[lambda t, old, new: None])
    def a():
        return 1

    with Flow("f") as flow:
        a()
""")

_case("on_failure_with_retries_called_on_each_failure", """
    CALLS = []

    @task(max_retries=1, retry_delay=timedelta(seconds=0),
          on_failure=lambda t, s: CALLS.append(type(s).__name__))
    def bad():
        raise ValueError("x")

    @task(trigger=triggers.always_run)
    def report(x):
        return list(CALLS)

    with Flow("f") as flow:
        report(bad())
""")

# --- caching ------------------------------------------------------------------------------

_case("cache_for_reuses_the_result_on_the_second_run", """
    RUNS = 2
    CALLS = []

    @task(cache_for=timedelta(minutes=10))
    def diff_cached_value():
        CALLS.append(1)
        return len(CALLS)

    @task
    def diff_cache_after(x):
        return [x, len(CALLS)]

    with Flow("f") as flow:
        diff_cache_after(diff_cached_value())
""")

_case("cache_for_with_a_mapped_task", """
    # Every child takes the first fresh cached state of the task name: both get 1.
    RUNS = 2
    CALLS = []

    @task(cache_for=timedelta(minutes=10))
    def diff_cached_square(x):
        CALLS.append(x)
        return x * x

    @task
    def diff_cache_calls(xs):
        return [xs, len(CALLS)]

    with Flow("f") as flow:
        diff_cache_calls(diff_cached_square.map([1, 2]))
""")

_case("running_twice_without_cache_runs_twice", """
    RUNS = 2
    CALLS = []

    @task
    def counted():
        CALLS.append(1)
        return len(CALLS)

    with Flow("f") as flow:
        counted()
""")

# --- tasks: subclasses, names, lists, state-only edges ------------------------------------

_case("task_subclass_with_run", """
    class Add(Task):
        def run(self, x, y=1):
            return x + y

    add = Add(name="adder")

    with Flow("f") as flow:
        total = add(2, y=5)
        add(total)
""")

_case("task_args_rename_the_copy", """
    @task
    def a():
        return 1

    with Flow("f") as flow:
        a(task_args=dict(name="first"))
        a(task_args=dict(name="second"))
        a()
""")

_case("upstream_tasks_are_state_only_edges", """
    ORDER = []

    @task
    def first():
        ORDER.append("first")
        return "first"

    @task
    def second():
        ORDER.append("second")
        return list(ORDER)

    @task
    def bad():
        raise ValueError("x")

    @task
    def blocked():
        return "never"

    with Flow("f") as flow:
        second(upstream_tasks=[first()])
        blocked(upstream_tasks=[bad()])
""")

_case("list_of_tasks_becomes_a_list_task", """
    @task
    def one():
        return 1

    @task
    def two():
        return 2

    @task
    def total(xs):
        return [sum(xs), len(xs)]

    with Flow("f") as flow:
        total([one(), two(), 3])
""")

_case("same_task_called_twice_makes_two_copies", """
    @task
    def inc(x):
        return x + 1

    with Flow("f") as flow:
        inc(inc(1))
""")

_case("task_returning_objects_and_tuples", """
    @task
    def pair():
        return (1, "two", None)

    @task
    def obj():
        return object()

    @task
    def nested(p):
        return {"pair": p, "ok": True}

    with Flow("f") as flow:
        nested(pair())
        obj()
""")

_case("mapped_reference_task_with_a_skipped_child_succeeds", """
    @task
    def keep_even(x):
        if x % 2:
            raise signals.SKIP("odd")
        return x

    @task
    def after(x):
        return x

    with Flow("f") as flow:
        m = keep_even.map([1, 2, 3])
        after(m)
    flow.set_reference_tasks([m])
""")

_case("task_result_indexing_makes_getitem_tasks", """
    # Indexing a task inside a flow adds a GetItem task named "pair['left']".
    @task
    def pair():
        return {"left": 1, "right": 2}

    @task
    def add(x, y):
        return x + y

    with Flow("f") as flow:
        p = pair()
        add(p["left"], p["right"])
""")

_case("task_subclass_with_init_options", """
    class Flaky(Task):
        def run(self):
            if context.task_run_count < 2:
                raise ValueError("once")
            return context.task_run_count

    with Flow("f") as flow:
        Flaky(name="flaky", max_retries=1, retry_delay=timedelta(seconds=0))()
""")

_case("dict_and_tuple_arguments_become_tasks", """
    @task
    def one():
        return 1

    @task
    def show(d, t):
        return [d, t]

    with Flow("f") as flow:
        o = one()
        show({"a": o, "b": 2}, (o, 3))
""")

_case("task_used_in_two_flows", """
    @task
    def a():
        return 1

    with Flow("first") as other:
        a()

    with Flow("second") as flow:
        a()
        a()
""")

_case("task_subclass_trigger_and_skip_options", """
    class Cleanup(Task):
        def run(self, x):
            return "cleaned"

    @task
    def skipper():
        raise signals.SKIP("skip")

    with Flow("f") as flow:
        Cleanup(name="cleanup", trigger=triggers.all_finished, skip_on_upstream_skip=False)(skipper())
""")


# Cases where flowbook deliberately differs from Prefect 1.4.1, because an issue asks for it.
# name -> (Prefect's summary, flowbook's summary, why). Both sides are asserted, so a change
# in either engine still shows up. The case sources live in CASES like the others.
DIVERGENCES: dict[str, tuple[dict, dict, str]] = {
    "cycle_is_an_error": (
        {"flow": "Failed", "result": "exc:ValueError", "tasks": []},
        {"error": "ValueError"},
        "Prefect returns a Failed flow state saying only 'Cycle found'; the engine issue asks "
        "for an error naming the tasks in the cycle (flowbook raises FlowCycleError, a "
        "ValueError, before anything runs).",
    ),
}


# --- executors ----------------------------------------------------------------------------

EXECUTORS = ("local", "threads", "dask")  # flowbook's executors every case runs on by default

_SHARED_LIST = ("its tasks talk through a module-level list; tasks on a DaskExecutor run in "
                "worker processes, each with its own copy of the list (as under Prefect 1's "
                "DaskExecutor)")

# Cases that hold only on some executors: case name -> (the executors, why).
ONLY_ON: dict[str, tuple[tuple[str, ...], str]] = {
    **{name: (("local", "threads"), _SHARED_LIST) for name in (
        "loop_then_failure_is_retried_from_the_loop", "retries_then_success",
        "retries_exhausted", "retry_on_filters_exceptions", "loop_and_retry_counts",
        "state_handler_records_transitions", "on_failure_called_with_failed_state",
        "on_failure_with_retries_called_on_each_failure",
        "cache_for_reuses_the_result_on_the_second_run", "cache_for_with_a_mapped_task",
        "running_twice_without_cache_runs_twice", "upstream_tasks_are_state_only_edges",
        "retries_at_different_delays",
    )},
}


def runs_on(name: str) -> tuple[str, ...]:
    """The executors case ``name`` is checked on."""
    return ONLY_ON.get(name, (EXECUTORS, ""))[0]
