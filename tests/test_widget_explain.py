"""Explanations shown in the task panel (flowbook/widget/explain.py)."""

import pytest

from flowbook import Flow, task, triggers
from flowbook.engine import signals
from flowbook.engine.state import (
    Decision, Failed, Mapped, Paused, Pending, Resume, Running, Skipped, Success,
)
from flowbook.widget import explain
from flowbook.widget.explain import (
    history_lines, passed_text, result_preview, safe_repr, traceback_text, upstream_lines,
    why_text,
)


def run_flow(*tasks_below):
    """A flow: ``up`` (failing) -> each of ``tasks_below``; returns the run's states by name."""
    @task
    def up():
        raise RuntimeError("no data")

    with Flow("f") as flow:
        first = up()
        for below in tasks_below:
            below(upstream_tasks=[first])
    flow.run()
    return {t.name: s for t, s in flow.last_run.states.items()}


def test_why_names_the_rule_and_the_upstream_state_that_decided():
    @task
    def report():
        return 1

    why = run_flow(report)["report"].why
    assert why_text(why) == ("all_successful runs when every upstream task succeeded "
                             "(Skipped counts as success); up is Failed")


def test_why_lists_every_upstream_state_for_rules_about_any_of_them():
    why = Decision("any_successful", "runs when at least one upstream task succeeded",
                   (("a", Failed()), ("b", Failed())), "no upstream task succeeded")
    assert why_text(why).endswith("; a is Failed, b is Failed")
    assert upstream_lines(why) == ["a: Failed", "b: Failed"]


def test_why_counts_the_children_of_a_mapped_upstream_that_decided():
    children = [Success(), Failed(), Failed()]
    why = Decision("all_successful", "runs when every upstream task succeeded",
                   (("square", Mapped(map_states=children)),), "did not run")
    assert why_text(why).endswith("; square is Mapped (2 Failed of 3 children)")


def test_why_of_a_skip_and_of_a_manual_only_pause():
    skipped = Decision("skip_on_upstream_skip", "a task is skipped when an upstream task was "
                       "skipped", (("a", Success()), ("b", Skipped())), "b was skipped")
    assert why_text(skipped).endswith("; b is Skipped")
    paused = Decision("manual_only", "never runs by itself: pauses until a person resumes it",
                      (), "waiting for approval")
    assert why_text(paused).endswith("; it has no upstream tasks")


def test_passed_text_says_a_trigger_let_the_task_run():
    assert passed_text(triggers.any_failed, [("a", Failed())]) == (
        "any_failed runs when at least one upstream task failed; it passed (a is Failed)")


def test_result_preview_survives_a_repr_that_raises_or_is_huge():
    class Hostile:
        def __repr__(self):
            raise ValueError("no repr for you")

    class Huge:
        def __repr__(self):
            return "x" * 10_000_000

    assert result_preview(Success(result=Hostile())).startswith("<Hostile instance at 0x")
    preview = result_preview(Success(result=Huge()), limit=100)
    assert len(preview) < 200
    assert result_preview(Success(result=list(range(10_000)))).endswith("...]")
    assert result_preview(Paused()) == "(no result)" and result_preview(None) == "(not run yet)"
    assert safe_repr("<b>") == "'<b>'"  # the panel escapes it


def test_traceback_keeps_the_users_frames_only():
    @task
    def broken():
        return {}["missing"]

    with Flow("f") as flow:
        added = broken()
    state = flow.run().result[added]
    text = traceback_text(state)
    assert "in broken" in text and "KeyError: 'missing'" in text
    assert "flowbook" not in text.replace("test_widget_explain", "")


def test_no_traceback_for_a_signal_raised_by_flowbook_itself_or_a_success():
    @task
    def report():
        return 1

    assert traceback_text(run_flow(report)["report"]) is None  # TRIGGERFAIL from all_successful
    assert traceback_text(Success(result=1)) is None
    assert traceback_text(Failed(result=signals.FAIL("no traceback yet"))) is None


def failed_with_traceback():
    try:
        {}["missing"]
    except KeyError as exc:
        return Failed(result=exc)


def test_an_exception_whose_str_raises_still_gets_a_line():
    class Broken(Exception):
        def __str__(self):
            raise RuntimeError("str exploded")

    try:
        raise Broken()
    except Broken as exc:
        text = traceback_text(Failed(result=exc))
    assert "Broken" in text  # the rest of the traceback, not a crash of the panel


def test_a_bug_in_the_frame_filter_propagates_instead_of_reading_as_unformattable(
        monkeypatch):
    def broken_filter(report):
        raise TypeError("unsupported operand")

    monkeypatch.setattr(explain, "_drop_flowbook_frames", broken_filter)
    with pytest.raises(TypeError, match="unsupported operand"):
        traceback_text(failed_with_traceback())


def test_history_lines_give_clock_time_offset_state_and_message():
    first, second = Success("done"), Failed(ValueError("bad"))
    second.timestamp = first.timestamp + 1.5
    lines = history_lines([first, second])
    assert [line[1:] for line in lines] == [("+0.000 s", "Success", "done"),
                                            ("+1.500 s", "Failed", "ValueError('bad')")]


def test_a_task_that_skipped_itself_says_so_after_its_trigger_passed():
    text = passed_text(triggers.all_successful, [("check", Success())],
                               Skipped("branch not taken: False is not True"))
    assert text.endswith("it passed (check is Success), so the task ran; then it ended "
                         "Skipped: branch not taken: False is not True")


def test_a_task_that_paused_itself_says_so():
    text = passed_text(triggers.all_successful, [], Paused("please confirm"))
    assert "then it ended Paused: please confirm" in text


def test_a_plain_success_adds_nothing_after_it_passed():
    text = passed_text(triggers.all_successful, [], Success("Task run succeeded."))
    assert text.endswith("it passed (no upstream tasks)")


def test_the_decision_shown_is_the_latest_states_only():
    paused = Paused("waiting", why=Decision("manual_only", "pauses", (), "waiting"))
    approved = [paused, Resume(), Running(), Success("done")]
    assert explain.current_decision([paused]) is paused.why
    assert explain.current_decision(approved) is None  # approved since: no longer waiting


def test_the_current_attempt_starts_at_the_latest_reset_to_pending():
    first = [Pending(), Running(), Failed("bad")]
    again = [Pending("Retry requested."), Running()]
    assert explain.current_attempt(first + again) == again
    assert explain.current_attempt(first) == first


def test_a_result_is_shown_only_when_the_state_really_has_one():
    assert explain.shows_result(Success(result=None))
    assert explain.shows_result(Mapped(result=[1, 2]))
    assert not explain.shows_result(Success())  # nothing produced a result
    assert not explain.shows_result(signals.PAUSE("check first").state)
    assert not explain.shows_result(signals.SKIP("not today").state)
    assert not explain.shows_result(Failed(result=ValueError("bad")))  # the traceback says it
    assert explain.shows_result(signals.FAIL("bad", result={"rows": 0}).state)
    assert not explain.shows_result(None)


def test_children_text_counts_children_per_state():
    children = [Success()] * 92 + [Failed()] * 8
    assert explain.children_text(children) == "100 children: 92 Success, 8 Failed"
    assert explain.children_text([None]) == "1 child: 1 not run"


def test_waiting_text_names_the_upstream_tasks_not_finished():
    assert explain.waiting_text(None, ["load"]) == "it runs once load has finished"
    assert explain.waiting_text(None, ["a", "b"]) == "it runs once a, b have finished"


def test_duration_text_reads_at_a_glance():
    assert [explain.duration_text(s) for s in (0.00001, 0.00042, 0.423, 1.234, 12.4, 63, 7500,
                                               None)] == [
        "< 0.1 ms", "0.4 ms", "423 ms", "1.23 s", "12 s", "1 min 3 s", "2 h 5 min", ""]
