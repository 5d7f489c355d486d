import pytest

from flowbook.engine import state as st

SUCCESS_KINDS = [st.Success, st.Cached, st.Mapped, st.Skipped]
PENDING_KINDS = [st.Pending, st.Scheduled, st.Paused, st.Resume, st.Retrying]
FAILED_KINDS = [st.Failed, st.TimedOut, st.TriggerFailed, st.ValidationFailed]


@pytest.mark.parametrize("cls", SUCCESS_KINDS)
def test_success_kinds_are_successful_and_finished(cls):
    s = cls()
    assert s.is_successful() and s.is_finished() and not s.is_failed()


@pytest.mark.parametrize("cls", PENDING_KINDS)
def test_pending_kinds_are_pending_not_finished(cls):
    s = cls()
    assert s.is_pending() and not s.is_finished() and not s.is_running()


@pytest.mark.parametrize("cls", FAILED_KINDS)
def test_failed_kinds_are_failed_not_successful(cls):
    s = cls()
    assert s.is_failed() and s.is_finished() and not s.is_successful()


def test_paused_resume_and_retrying_are_scheduled():
    assert all(cls().is_scheduled() for cls in (st.Paused, st.Resume, st.Retrying))


def test_cancelled_is_finished_but_neither_success_nor_failure():
    s = st.Cancelled()
    assert s.is_finished() and not s.is_successful() and not s.is_failed()


def test_looped_is_finished_and_looped():
    assert st.Looped().is_finished() and st.Looped().is_looped()


def test_repr_shows_class_and_message():
    assert repr(st.Success("done")) == '<Success: "done">'
    assert repr(st.Failed()) == "<Failed>"


def test_paused_without_start_time_waits_for_a_person():
    assert st.Paused().start_time is None


def test_scheduled_defaults_to_now():
    s = st.Scheduled()
    assert s.start_time == s.timestamp


def test_states_with_equal_class_and_result_compare_equal():
    assert st.Success("a", result=1) == st.Success("b", result=1)
    assert st.Success(result=1) != st.Success(result=2)
    assert st.Success(result=1) != st.Cached(result=1)


def test_states_hash_by_identity():
    a, b = st.Success(result=1), st.Success(result=1)
    assert len({a, b}) == 2


def test_mapped_starts_with_no_children():
    assert st.Mapped().map_states == []
