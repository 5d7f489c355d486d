import pytest

from flowbook.engine import signals
from flowbook.engine import state as st


@pytest.mark.parametrize("signal, cls", [
    (signals.SUCCESS, st.Success), (signals.FAIL, st.Failed),
    (signals.TRIGGERFAIL, st.TriggerFailed), (signals.VALIDATIONFAIL, st.ValidationFailed),
    (signals.RETRY, st.Retrying), (signals.SKIP, st.Skipped), (signals.PAUSE, st.Paused),
    (signals.LOOP, st.Looped),
])
def test_each_signal_carries_its_state(signal, cls):
    assert type(signal("why").state) is cls
    assert signals.signal_from_state(cls()) is signal


def test_signals_are_not_exceptions_so_except_exception_lets_them_through():
    with pytest.raises(signals.SKIP):
        try:
            raise signals.SKIP("skip me")
        except Exception:  # a task's own handler must not swallow a signal
            pytest.fail("SKIP was caught by `except Exception`")


def test_signal_result_defaults_to_the_signal_itself():
    sig = signals.FAIL("boom")
    assert sig.state.result is sig and sig.state.message == "boom"


def test_signal_result_can_be_given():
    assert signals.SUCCESS(message="ok", result=7).state.result == 7


def test_bare_loop_loops_on_its_repr_as_prefect_does():
    assert signals.LOOP().state.result == "LOOP()"


def test_signal_from_state_refuses_states_without_signal():
    with pytest.raises(ValueError, match="Pending"):
        signals.signal_from_state(st.Pending())
