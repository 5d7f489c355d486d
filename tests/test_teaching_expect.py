"""Self-checking exercises (flowbook/teaching/expect.py and hints.py)."""

import uuid

import pytest

import flowbook
from builders import raises, returns
from flowbook import Flow, case, signals, task, triggers
from flowbook.engine.clock import FakeClock
from flowbook.engine.state import Decision, Failed, Success, TriggerFailed
from flowbook.errors import UserTypeError, UserValueError
from flowbook.teaching.expect import Checklist, expect


def job_flow(trigger=triggers.all_successful):
    """run_job (fails: disk full) -> tear_down (``trigger``)."""
    with Flow("job") as flow:
        tear = passthrough_named("tear_down", trigger=trigger)(
            x=raises(ValueError("disk full"), name="run_job")())
    return flow, tear


def passthrough_named(name, **options):
    return task(lambda x=None: x, name=name, **options)


def missed(*args, **kwargs):
    """The AssertionError message of an ``expect`` that misses."""
    with pytest.raises(AssertionError) as err:
        expect(*args, **kwargs)
    return str(err.value)


# -- matching -----------------------------------------------------------------------------

def test_a_run_that_matches_returns_a_passed_checklist():
    flow, _ = job_flow()
    checklist = expect(flow.run(), run_job="Failed", tear_down="TriggerFailed")
    assert isinstance(checklist, Checklist) and checklist.passed and checklist.misses == []
    assert [c.task for c in checklist.checks] == ["run_job", "tear_down"]


def test_flowbook_expect_is_the_same_check():
    flow, _ = job_flow()
    assert flowbook.expect(flow.run(), run_job="Failed").passed
    assert "expect" in flowbook.__all__


def test_a_kind_of_the_expected_state_matches():
    flow, _ = job_flow()
    assert expect(flow.run(), tear_down="Failed").passed  # TriggerFailed is a Failed


def test_state_names_are_case_insensitive_and_classes_are_accepted():
    flow, _ = job_flow()
    assert expect(flow.run(), run_job="failed", tear_down=TriggerFailed).passed


def test_a_skipped_task_does_not_count_as_success():
    skip = task(lambda: (_ for _ in ()).throw(signals.SKIP("not today")), name="maybe")
    flow = Flow("skip", tasks=[skip])
    state = flow.run()
    assert expect(state, maybe="Skipped").passed
    assert "It skipped itself: not today." in missed(state, maybe="Success")


def test_a_cached_task_counts_as_success():
    key = f"expect-{uuid.uuid4()}"
    flow = Flow("cache", tasks=[returns(1, name="load", cache_for=60, cache_key=key)])
    flow.run()
    state = flow.run()
    assert expect(state, load="Cached").passed and expect(state, load="Success").passed


def test_a_miss_raises_with_the_expectation_and_the_hint(capsys):
    flow, _ = job_flow()
    message = missed(flow.run(), run_job="Failed", tear_down="Success")
    assert message.startswith("1 of 2 expectations missed:\n"
                              "- tear_down is TriggerFailed, expected Success.\n")
    printed = capsys.readouterr().out
    assert "✓ run_job is Failed" in printed and "✗ tear_down is TriggerFailed" in printed


def test_a_flow_is_checked_by_its_latest_run():
    calls = []

    @task
    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first time")
        return "ok"

    flow = Flow("flaky", tasks=[flaky])
    flow.run()
    assert expect(flow, flaky="Failed").passed
    flow.run()
    assert expect(flow, flaky="Success").passed


def test_a_flow_that_has_not_run_is_refused_saying_to_run_it():
    flow, _ = job_flow()
    with pytest.raises(UserValueError, match=r"has not run yet.*flow\.run\(\)"):
        expect(flow, run_job="Failed")


def test_something_not_a_run_is_refused():
    with pytest.raises(UserTypeError, match="the flow State that flow.run"):
        expect(Success(result=3), load="Success")


def test_an_unknown_task_name_is_refused_with_a_suggestion_and_the_names():
    flow, _ = job_flow()
    with pytest.raises(UserValueError, match=r"did you mean 'tear_down'\?") as err:
        expect(flow.run(), teardown="Success")
    assert "flow 'job'" in str(err.value) and "run_job, tear_down" in str(err.value)


def test_an_unknown_state_name_is_refused_listing_the_states():
    flow, _ = job_flow()
    with pytest.raises(UserValueError, match=r"did you mean 'TriggerFailed'\?") as err:
        expect(flow.run(), tear_down="TrigerFailed")
    assert "Skipped" in str(err.value) and "TimedOut" in str(err.value)


def test_a_state_instance_is_refused_for_its_name():
    flow, _ = job_flow()
    with pytest.raises(UserTypeError, match="give its name \\('Failed'\\)"):
        expect(flow.run(), run_job=Failed())


def test_no_expectation_is_refused():
    flow, _ = job_flow()
    with pytest.raises(UserValueError, match="name at least one task"):
        expect(flow.run())


def test_a_dict_names_tasks_that_are_not_python_names():
    flow = Flow("dashes", tasks=[raises(name="my-task"), returns(1, name="state_or_flow")])
    state = flow.run()
    assert expect(state, {"my-task": "Failed"}, state_or_flow="Success").passed


def test_a_task_given_twice_is_refused():
    flow, _ = job_flow()
    with pytest.raises(UserValueError, match="given twice"):
        expect(flow.run(), {"run_job": "Failed"}, run_job="Failed")


def test_a_task_object_can_name_itself_in_the_dict():
    flow, tear = job_flow()
    assert expect(flow.run(), {tear: "TriggerFailed"}).passed


def test_duplicate_task_names_are_told_apart_as_the_widget_does():
    with Flow("two") as flow:
        returns(1, name="load")()
        raises(name="load")()
    assert expect(flow.run(), {"load": "Success", "load-2": "Failed"}).passed


# -- mapped tasks ---------------------------------------------------------------------------

def mapped_flow(bad=None):
    @task
    def numbers():
        return [1, 2, 3]

    @task
    def inc(x):
        if x == bad:
            raise ValueError(f"{x} is bad")
        return x + 1

    with Flow("map") as flow:
        inc.map(numbers())
    return flow


def test_a_mapped_task_whose_children_succeeded_is_success_and_mapped():
    assert expect(mapped_flow().run(), inc="Success", numbers="Success").passed
    assert expect(mapped_flow().run(), inc="Mapped").passed


def test_a_mapped_task_with_a_failed_child_is_not_success_and_says_which():
    message = missed(mapped_flow(bad=2).run(), inc="Success")
    assert "inc is Mapped (3 children: 2 Success, 1 Failed), expected Success" in message
    assert "inc[1] is Failed: Error during execution of task: ValueError('2 is bad')" in message
    assert "flow.retry()" in message


# -- hints ----------------------------------------------------------------------------------

def test_a_trigger_failed_task_expected_to_run_gets_a_trigger_that_would_run_it():
    flow, _ = job_flow()
    message = missed(flow.run(), tear_down="Success")
    assert ("all_successful runs when every upstream task succeeded (Skipped counts as "
            "success); run_job is Failed.") in message
    assert ("Fix run_job (it failed: Error during execution of task: ValueError('disk full')) "
            "and flow.retry() runs it and tear_down again.") in message
    assert ("If tear_down should run anyway (a clean-up, an alert), try "
            "trigger=triggers.always_run (any_failed would also run it here).") in message


def test_a_task_without_upstream_tasks_gets_no_trigger_suggestion():
    @task
    def no_orders():
        raise ValueError("no orders today")

    with Flow("orders") as flow:
        no_orders()
    message = missed(flow.run(), no_orders="Skipped")
    assert "signals.SKIP" in message and "trigger=" not in message


def test_a_suggestion_is_never_the_tasks_own_trigger():
    flow = Flow("alert")
    with flow:
        passthrough_named("alert", trigger=triggers.any_failed)(x=returns(1, name="ok")())
    message = missed(flow.run(), alert="Success")
    assert "any_failed runs when at least one upstream task failed; ok is Success." in message
    assert "Try trigger=triggers.always_run (any_successful would also" in message


def test_a_task_skipped_by_an_upstream_skip_is_told_to_set_skip_on_upstream_skip():
    skipper = task(lambda: (_ for _ in ()).throw(signals.SKIP("nothing new")), name="check")
    with Flow("skips") as flow:
        passthrough_named("publish")(x=skipper())
    message = missed(flow.run(), publish="Success")
    assert "publish is Skipped, expected Success" in message
    assert ("Set skip_on_upstream_skip=False on publish to let its trigger decide: "
            "all_successful would then run it.") in message


def test_a_task_in_a_case_branch_not_taken_is_told_so():
    with Flow("branch") as flow:
        with case(returns("b", name="choice")(), "a"):
            passthrough_named("only_a")(x=returns(1, name="a_input")())
    message = missed(flow.run(), only_a="Success")
    assert "It is in a case branch that was not taken (branch not taken: 'b' is not 'a')" \
        in message
    assert "skip_on_upstream_skip=False" not in message


def test_a_task_that_failed_shows_its_error_and_flow_retry():
    flow, _ = job_flow()
    message = missed(flow.run(), run_job="Success")
    assert "It failed: Error during execution of task: ValueError('disk full')." in message
    assert "flow.retry() runs it again" in message


def test_a_task_that_failed_after_its_retries_shows_its_last_error():
    attempts = []

    @task(max_retries=2, retry_delay=10)
    def fetch():
        attempts.append(1)
        raise ConnectionError(f"attempt {len(attempts)} refused")

    flow = Flow("retries", tasks=[fetch])
    message = missed(flow.run(clock=FakeClock()), fetch="Success")
    assert "ConnectionError('attempt 3 refused')" in message and "flow.retry()" in message


def test_a_paused_task_is_told_to_resume():
    with Flow("approval") as flow:
        passthrough_named("deploy", trigger=triggers.manual_only)(x=returns(1, name="build")())
    message = missed(flow.run(), deploy="Success")
    assert "manual_only never runs by itself" in message
    assert "Approve it with flow.resume()" in message
    assert expect(flow.run(), deploy="Paused").passed


def test_a_task_stopped_at_a_breakpoint_is_told_to_step_or_resume():
    with Flow("stops") as flow:
        passthrough_named("report")(x=returns(1, name="load")())
    message = missed(flow.run(breakpoints=["report"]), report="Success")
    assert "breakpoint: the run stops before a task with a breakpoint" in message
    assert "flow.step() runs it alone, flow.resume() continues the run" in message


def test_a_task_not_run_names_the_task_that_held_it_back():
    with Flow("held") as flow:
        gate = passthrough_named("deploy", trigger=triggers.manual_only)(
            x=returns(1, name="build")())
        notify = passthrough_named("notify")(x=gate)
        passthrough_named("archive")(x=notify)
    message = missed(flow.run(), archive="Success")
    assert "archive is Pending, expected Success" in message
    assert ("It did not run: it runs once notify has finished; deploy is Paused: resume it "
            "with flow.resume().") in message


def test_a_task_that_ran_when_trigger_failed_was_expected_says_what_let_it_pass():
    with Flow("ran") as flow:
        passthrough_named("cleanup")(x=returns(1, name="load")())
    message = missed(flow.run(), cleanup="TriggerFailed")
    assert "It ran: all_successful runs when every upstream task succeeded" in message
    assert "it passed (load is Success)" in message
    assert "Try trigger=triggers.any_failed." in message


def test_a_task_that_succeeded_when_a_failure_was_expected_shows_what_it_returned():
    flow = Flow("fine", tasks=[returns(42, name="answer")])
    assert "it returned 42 without raising an error" in missed(flow.run(), answer="Failed")


def test_a_run_no_longer_kept_still_gets_the_hint_from_the_decision():
    run_job, tear = returns(None, name="run_job"), returns(None, name="tear_down")
    failed = Failed("boom")
    why = Decision("all_successful", triggers.all_successful.rule, (("run_job", failed),),
                   "some upstream tasks did not succeed")
    state = Failed(result={run_job: failed, tear: TriggerFailed("no", why=why)})
    message = missed(state, tear_down="Success")
    assert "run_job is Failed. Try trigger=triggers.always_run" in message


# -- showing --------------------------------------------------------------------------------

def test_the_checklist_html_escapes_task_names_and_colours_the_marks():
    flow = Flow("hostile", tasks=[returns(1, name="<img src=x onerror=alert(1)>")])
    page = expect(flow.run(), {"<img src=x onerror=alert(1)>": "Success"})._repr_html_()
    assert "<img" not in page and "&lt;img src=x" in page
    assert "background:#28a745" in page and "✓" in page


def test_in_a_notebook_a_miss_is_displayed_as_html(monkeypatch):
    import IPython
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", shown.append)
    flow, _ = job_flow()
    with pytest.raises(AssertionError):
        expect(flow.run(), tear_down="Success")
    assert len(shown) == 1 and "✗" in shown[0]._repr_html_()


def test_the_flows_own_state_is_checked_with_what_decides_it():
    flow, _ = job_flow()
    state = flow.run()
    assert flowbook.expect(state, flow_state="Failed").passed
    message = missed(state, flow_state="Success", run_job="Failed")
    assert "flow 'job' is Failed, expected Success" in message
    assert "follows its reference tasks (tear_down is TriggerFailed)" in message
    assert "flow.set_reference_tasks" in message


def test_a_flow_still_running_is_said_so():
    @task(trigger=triggers.manual_only)
    def approve():
        return 1

    with Flow("gate") as flow:
        approve()
    flow.run()
    message = missed(flow, flow_state="Success")
    assert "flow 'gate' is Running, expected Success" in message
    assert "The run has not finished: Waiting for approval of approve" in message
