"""Truth tables of triggers (flowbook/teaching/truth_table.py, triggers.truth_table)."""

import re

import pytest

from flowbook import triggers
from flowbook.context import context
from flowbook.errors import UserTypeError, UserValueError
from flowbook.teaching.truth_table import TruthTable, truth_table


@pytest.mark.parametrize("trigger, ups, verdict", [
    ("all_successful", ("Success", "Skipped"), "runs"),
    ("all_successful", ("Success", "Failed"), "TriggerFailed"),
    ("all_failed", ("Failed", "Failed"), "runs"),
    ("all_failed", ("Failed", "Skipped"), "TriggerFailed"),
    ("any_failed", ("Success", "Failed"), "runs"),
    ("any_failed", ("Success", "Skipped"), "TriggerFailed"),
    ("any_successful", ("Failed", "Failed"), "TriggerFailed"),
    ("always_run", ("Failed", "Skipped"), "runs"),
    ("all_finished", ("Failed", "Failed"), "runs"),
    ("manual_only", ("Success", "Success"), "Paused"),
    ("not_all_skipped", ("Skipped", "Skipped"), "Skipped"),
    ("not_all_skipped", ("Skipped", "Success"), "runs"),
    ("not_all_skipped", ("Skipped", "Failed"), "TriggerFailed"),
])
def test_a_row_gives_the_verdict_the_engine_gives(trigger, ups, verdict):
    assert truth_table(trigger).verdict(*ups) == verdict


def test_some_successful_counts_the_successful_upstream_tasks():
    table = truth_table(triggers.some_successful(at_least=2), n=3)
    assert table.trigger_name == "some_successful"
    assert table.verdict("Success", "Skipped", "Failed") == "runs"
    assert table.verdict("Success", "Failed", "Failed") == "TriggerFailed"


def test_a_trigger_function_and_its_name_give_the_same_rows():
    assert truth_table(triggers.any_failed).rows == truth_table("any_failed").rows


def test_rows_hold_every_mix_of_outcomes_once_with_its_verdict():
    table = truth_table("all_successful", n=2)
    assert isinstance(table, TruthTable) and table.trigger_name == "all_successful"
    assert len(table.rows) == 9 == len({ups for ups, _ in table.rows})
    assert table.rows[0] == (("Success", "Success"), "runs")
    assert table.rows[1] == (("Success", "Failed"), "TriggerFailed")


def test_manual_only_pauses_as_in_a_fresh_run_even_inside_a_resumed_context():
    with context(resume=True):
        table = truth_table("manual_only", n=1)
    assert {verdict for _, verdict in table.rows} == {"Paused"}


def test_outcomes_choose_the_columns_states_in_any_case():
    table = truth_table("all_failed", n=1, outcomes=("success", "TimedOut", "TriggerFailed"))
    assert table.rows == [(("Success",), "TriggerFailed"), (("TimedOut",), "runs"),
                          (("TriggerFailed",), "runs")]


def test_skip_on_upstream_skip_true_skips_rows_with_a_skipped_upstream_first():
    table = truth_table("all_failed", skip_on_upstream_skip=True)
    assert table.verdict("Failed", "Skipped") == "Skipped"
    assert table.verdict("Failed", "Failed") == "runs"
    assert "skip_on_upstream_skip=True (the task default)" in str(table)


def test_without_skip_on_upstream_skip_a_footnote_says_what_the_default_does():
    table = truth_table("all_successful")
    note = "with skip_on_upstream_skip=True (the task default), a Skipped upstream task"
    assert note in str(table)
    assert note in table._repr_html_()


def test_no_footnote_when_no_outcome_is_a_skip():
    table = truth_table("all_successful", outcomes=("Success", "Failed"))
    assert "skip_on_upstream_skip" not in str(table) + table._repr_html_()


def test_text_lines_up_the_columns_under_a_title_with_the_rule():
    lines = str(truth_table("any_failed", n=1)).splitlines()
    assert lines[:3] == ["any_failed: runs when at least one upstream task failed",
                         "up1      verdict", "Success  TriggerFailed"]
    assert repr(truth_table("any_failed", n=1)) == str(truth_table("any_failed", n=1))


def test_html_has_a_row_per_mix_with_coloured_verdicts():
    page = truth_table("all_successful", n=3)._repr_html_()
    assert page.count("<tr>") == 1 + 3 ** 3  # the header and 27 rows
    assert "background:#ff5131" in page  # TriggerFailed's fill from the palette
    assert "background:#3d67ff" in page  # "runs" looks like Running


def test_html_escapes_a_custom_triggers_name_and_rule():
    def nasty(upstream_states):
        """<script>alert(1)</script> & runs always"""
        return True

    nasty.__name__ = "<b>nasty</b>"
    page = truth_table(nasty, n=1)._repr_html_()
    assert "<script>" not in page and "<b>nasty</b>" not in page
    assert "&lt;script&gt;" in page and "&amp; runs always" in page


def test_a_custom_trigger_returning_false_fails_its_rows():
    def only_first_failed(upstream_states):
        """runs when up1 failed"""
        first = next(iter(upstream_states.values()))
        return first.is_failed()

    table = truth_table(only_first_failed)
    assert table.verdict("Failed", "Success") == "runs"
    assert table.verdict("Success", "Failed") == "TriggerFailed"
    assert table.rule == "runs when up1 failed"


def test_an_unknown_trigger_name_is_refused_with_a_suggestion_and_the_names():
    with pytest.raises(UserValueError, match=r"did you mean 'all_successful'\?") as err:
        truth_table("all_sucessful")
    assert "any_failed" in str(err.value)


def test_an_uncalled_trigger_factory_is_refused_with_how_to_call_it():
    with pytest.raises(UserTypeError, match=re.escape("some_successful(at_least=1)")):
        truth_table(triggers.some_successful)
    with pytest.raises(UserValueError, match=re.escape("some_failed(at_least=1)")):
        truth_table("some_failed")


def test_something_not_a_trigger_is_refused():
    with pytest.raises(UserTypeError, match="a trigger is a function"):
        truth_table(3)


@pytest.mark.parametrize("n", [0, -1, 7])
def test_n_out_of_range_is_refused_saying_why(n):
    with pytest.raises(UserValueError, match=f"n={n}"):
        truth_table("all_successful", n=n)


def test_n_not_a_whole_number_is_refused():
    with pytest.raises(UserTypeError, match="whole number"):
        truth_table("all_successful", n=2.0)


def test_six_upstream_tasks_make_729_rows():
    assert len(truth_table("any_failed", n=6).rows) == 729


def test_an_unknown_outcome_is_refused_with_a_suggestion():
    with pytest.raises(UserValueError, match=r"did you mean 'Failed'\?"):
        truth_table("all_successful", outcomes=("Success", "Faild"))


def test_an_outcome_no_task_ends_in_is_refused():
    with pytest.raises(UserValueError, match="'Pending' is not an outcome"):
        truth_table("all_successful", outcomes=("Success", "Pending"))


def test_verdict_refuses_the_wrong_number_of_outcomes():
    with pytest.raises(UserValueError, match="give 2 outcomes, not 1"):
        truth_table("all_successful").verdict("Success")


def test_triggers_truth_table_is_the_same_table():
    assert triggers.truth_table("any_failed", n=2).rows == truth_table("any_failed").rows
    assert "truth_table" in triggers.__all__
