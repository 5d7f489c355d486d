import copy
import pickle
import threading
from datetime import datetime, timezone

import pytest

from flowbook.context import context
from flowbook.engine import state as st
from flowbook.engine.result import Result

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
    assert s.start_at == s.timestamp


def test_start_time_reads_as_a_utc_datetime():
    s = st.Scheduled(start_time=86400.0)
    assert s.start_time == datetime(1970, 1, 2, tzinfo=timezone.utc)


def test_start_time_given_as_a_datetime_is_kept_and_counted_in_seconds():
    when = datetime(2019, 1, 1, tzinfo=timezone.utc)
    s = st.Retrying(start_time=when)
    assert s.start_time is when and s.start_at == when.timestamp()


def test_naive_start_time_is_utc():
    s = st.Scheduled(start_time=datetime(1970, 1, 2))
    assert s.start_at == 86400.0 and s.start_time.tzinfo is timezone.utc


def test_start_time_of_another_type_is_refused():
    with pytest.raises(TypeError, match="start_time"):
        st.Scheduled(start_time="tomorrow")


def test_retrying_run_count_defaults_to_one_outside_a_task():
    assert st.Retrying().run_count == 1


def test_retrying_run_count_defaults_to_the_task_run_count_in_context():
    with context(task_run_count=5):
        assert st.Retrying().run_count == 5


def test_looped_loop_count_defaults_to_the_task_loop_count_in_context():
    assert st.Looped().loop_count == 1
    with context(task_loop_count=3):
        assert st.Looped().loop_count == 3


def test_states_with_equal_class_and_result_compare_equal():
    assert st.Success("a", result=1) == st.Success("b", result=1)
    assert st.Success(result=1) != st.Success(result=2)
    assert st.Success(result=1) != st.Cached(result=1)


def test_states_hash_by_identity():
    a, b = st.Success(result=1), st.Success(result=1)
    assert len({a, b}) == 2


def test_mapped_starts_with_no_children():
    assert st.Mapped().map_states == []


def test_a_state_made_in_a_task_carries_its_tags_in_its_context():
    with context(task_tags={"etl"}):
        assert st.Success().context == {"tags": ["etl"]}
    assert st.Success().context == {} and st.Success().cached_inputs == {}


def test_only_scheduled_states_carry_the_run_count_in_their_context():
    with context(task_run_count=3):
        assert st.Retrying().context["task_run_count"] == 3
        assert "task_run_count" not in st.Failed().context


def test_states_with_different_cached_inputs_differ():
    assert st.Pending(cached_inputs={"x": 1}) == st.Pending(cached_inputs={"x": 1})
    assert st.Pending(cached_inputs={"x": 1}) != st.Pending(cached_inputs={"x": 2})


class _Reader(Result):
    """A Result that reads the location itself as the value."""

    def read(self, location):
        new = self.copy()
        new.value, new.location = f"read {location}", location
        return new


def test_load_result_reads_a_value_known_only_by_location():
    state = st.Success(result=_Reader(location="here"))
    assert state.load_result().result == "read here"
    assert state._result.location == "here"


def test_load_result_does_not_read_a_value_already_there():
    state = st.Success(result=_Reader(5, location="here"))
    assert state.load_result().result == 5


def test_load_result_of_a_mapped_state_loads_its_children():
    children = [st.Success(result=_Reader(location=name)) for name in ("a", "b")]
    assert st.Mapped(map_states=children).load_result().result == ["read a", "read b"]


def test_load_cached_results_reads_with_the_reader_given():
    state = st.Pending(cached_inputs={"x": Result()})
    state.load_cached_results({"x": _Reader(location="there")})
    assert state.cached_inputs["x"].value == "read there"


def test_children_and_parents_walk_the_class_tree():
    assert set(st.Success.children()) == {st.Cached, st.Mapped, st.Skipped}
    assert st.TriggerFailed.parents(names_only=True) == ["Failed", "Finished", "State"]


def test_meta_states_do_not_nest():
    assert st.Queued(state=st.Submitted(state=st.Pending())).state.is_pending()
    assert st.Queued().is_meta_state() and st.Queued().is_scheduled()


def test_a_state_pickles_an_unpicklable_exception_as_a_message():
    class Locked(Exception):
        def __init__(self):
            super().__init__()
            self.lock = threading.RLock()

    state = st.Failed(result=Locked())
    copied = pickle.loads(pickle.dumps(state))
    assert "could not be pickled" in copied.result and isinstance(state.result, Locked)
    assert copy.copy(state).result is state.result  # a copy keeps the exception itself


def test_a_state_whose_result_is_the_signal_holding_it_pickles():
    from flowbook.engine import signals

    state = signals.TRIGGERFAIL("upstream failed").state
    copied = pickle.loads(pickle.dumps(state))
    assert copied.is_failed() and isinstance(copied.result, signals.TRIGGERFAIL)


def test_a_state_made_by_the_engine_is_the_state_the_constructor_makes_without_tags():
    with context(task_tags=frozenset({"db"})):
        by_user = st.Success("done", result=3)
        by_engine = st.Success.by_engine("done", 3)
    assert by_user.context == {"tags": ["db"]}
    assert by_engine.context == {}
    assert by_engine == by_user and type(by_engine) is st.Success
    assert (by_engine.message, by_engine.result, by_engine.has_result) == ("done", 3, True)
    assert by_engine.previous is None and by_engine.why is None


def test_a_state_made_by_the_engine_unwraps_a_result_as_the_constructor_does():
    kept = Result(7, location="here")
    state = st.Success.by_engine("done", kept)
    assert state.result == 7 and state._result is kept
    assert st.Pending.by_engine().has_result is False
