import pytest

from builders import upstream_states
from flowbook import triggers
from flowbook.context import context
from flowbook.engine import signals
from flowbook.engine import state as st

OK, BAD, SKIP, TRIG = st.Success(), st.Failed(), st.Skipped(), st.TriggerFailed()


def ok():
    return st.Success()


def bad():
    return st.Failed()


def passes(trigger, *states):
    try:
        return bool(trigger(upstream_states(*states)))
    except signals.TRIGGERFAIL:
        return False


def test_all_successful_passes_when_all_succeeded_and_skipped_counts():
    assert passes(triggers.all_successful, OK, SKIP)


def test_all_successful_fails_when_one_upstream_failed():
    assert not passes(triggers.all_successful, OK, BAD)


def test_all_failed_counts_trigger_failed_as_failure():
    assert passes(triggers.all_failed, BAD, TRIG)
    assert not passes(triggers.all_failed, BAD, OK)


def test_any_successful_passes_when_one_upstream_succeeded():
    assert passes(triggers.any_successful, BAD, OK)
    assert not passes(triggers.any_successful, BAD, TRIG)


def test_any_failed_passes_when_one_upstream_failed():
    assert passes(triggers.any_failed, OK, BAD)
    assert not passes(triggers.any_failed, OK, SKIP)


def test_all_finished_passes_whatever_the_outcome():
    assert passes(triggers.all_finished, OK, BAD, SKIP, st.Cancelled())
    assert triggers.always_run is triggers.all_finished


def test_all_finished_fails_with_an_unfinished_upstream():
    assert not passes(triggers.all_finished, OK, st.Pending())


@pytest.mark.parametrize("trigger", [
    triggers.all_successful, triggers.all_failed, triggers.any_successful,
    triggers.any_failed, triggers.all_finished, triggers.some_successful(at_least=3),
    triggers.some_failed(at_least=1),
])
def test_triggers_pass_with_zero_upstreams(trigger):
    assert passes(trigger)


def test_manual_only_pauses_unless_resuming():
    with pytest.raises(signals.PAUSE):
        triggers.manual_only(upstream_states(OK))
    with context(resume=True):
        assert triggers.manual_only(upstream_states(OK))


def test_manual_only_pauses_with_zero_upstreams():
    with pytest.raises(signals.PAUSE):
        triggers.manual_only({})


def test_not_all_skipped_skips_when_all_skipped():
    with pytest.raises(signals.SKIP):
        triggers.not_all_skipped(upstream_states(SKIP, SKIP))


def test_not_all_skipped_skips_with_zero_upstreams():
    with pytest.raises(signals.SKIP):
        triggers.not_all_skipped({})


def test_not_all_skipped_runs_when_one_ran_and_fails_on_failure():
    assert passes(triggers.not_all_skipped, SKIP, OK)
    assert not passes(triggers.not_all_skipped, SKIP, BAD)


def test_some_successful_counts_within_bounds():
    assert passes(triggers.some_successful(at_least=2, at_most=2), ok(), ok(), bad())
    assert not passes(triggers.some_successful(at_least=3), ok(), ok(), bad())
    assert not passes(triggers.some_successful(at_most=1), ok(), ok(), bad())


def test_some_failed_bounds_below_one_are_fractions():
    assert passes(triggers.some_failed(at_least=0.5), bad(), bad(), ok(), ok())
    assert not passes(triggers.some_failed(at_least=0.75), bad(), bad(), ok(), ok())


def test_some_bounds_must_be_numbers():
    with pytest.raises(ValueError, match="bounds"):
        triggers.some_successful(at_least="two")


def test_some_failed_given_uncalled_as_a_trigger_has_no_bounds():
    assert passes(triggers.some_failed, bad(), ok(), ok())
    assert passes(triggers.some_failed)


def test_some_successful_given_uncalled_as_a_trigger_has_no_bounds():
    assert passes(triggers.some_successful, bad(), bad())


def test_mapped_upstream_counts_as_its_children():
    mapped = st.Mapped(map_states=[st.Success(), st.Failed()])
    assert not passes(triggers.all_successful, mapped)
    assert passes(triggers.some_failed(at_least=1, at_most=1), mapped)


def test_the_same_state_counts_once():
    from flowbook.core.edge import Edge
    from builders import returns

    up, down, shared = returns(1), returns(2), st.Failed()
    ups = {Edge(up, down, key="a"): shared, Edge(up, down, key="b"): shared}
    assert passes(triggers.some_failed(at_most=1), *ups.values())
    assert triggers.upstream_state_list(ups) == [shared]


def test_builtin_triggers_explain_their_rule():
    name, rule = triggers.describe(triggers.all_successful)
    assert name == "all_successful" and "every upstream task succeeded" in rule
    name, rule = triggers.describe(triggers.some_failed(at_least=2))
    assert name == "some_failed" and "at least 2" in rule


def test_custom_trigger_is_described_by_its_docstring():
    def only_on_mondays(upstream_states):
        """runs only on Mondays"""
        return False

    assert triggers.describe(only_on_mondays) == ("only_on_mondays", "runs only on Mondays")
