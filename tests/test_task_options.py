import datetime

import pytest

from flowbook.core import task_options as to


def test_a_duration_in_seconds_becomes_a_timedelta():
    assert to.duration(1.5, "cache_for", "t") == datetime.timedelta(seconds=1.5)


def test_a_negative_duration_is_refused_naming_the_task_and_option():
    with pytest.raises(ValueError, match="task 't': retry_delay must be .* >= 0"):
        to.duration(-1, "retry_delay", "t")


def test_a_duration_of_another_type_is_refused():
    with pytest.raises(TypeError, match="cache_for must be a number of seconds"):
        to.duration("5s", "cache_for", "t")


def test_seconds_reads_a_timedelta_or_a_number():
    assert (to.seconds(datetime.timedelta(minutes=1)), to.seconds(2), to.seconds(None)) == (
        60.0, 2.0, None)


def test_timeout_keeps_fractions_of_a_second():
    assert to.timeout_seconds(0.5, "t") == 0.5
    assert to.timeout_seconds(datetime.timedelta(seconds=3), "t") == 3


def test_retry_on_becomes_a_set_of_classes():
    assert to.retry_on(KeyError, 1, "t") == {KeyError}
    assert to.retry_on([KeyError, OSError], 1, "t") == {KeyError, OSError}
    assert to.retry_on(None, 0, "t") is None


def test_retry_on_instances_are_refused():
    with pytest.raises(TypeError, match="exception type but got an instance of str"):
        to.retry_on({"KeyError"}, 1, "t")


def test_retry_on_without_max_retries_is_refused():
    with pytest.raises(ValueError, match="`max_retries` must be provided"):
        to.retry_on(KeyError, 0, "t")


def test_max_retries_must_be_a_non_negative_int():
    with pytest.raises(ValueError, match="max_retries must be an int"):
        to.check_retries(-1, None, "t")


def test_a_string_of_tags_is_refused_rather_than_split():
    with pytest.raises(TypeError, match=r"tags=\['etl'\]"):
        to.tags("etl", "t")


def test_state_handlers_must_be_a_list_of_callables():
    with pytest.raises(TypeError, match="should be iterable"):
        to.state_handlers(lambda *a: None, "t")
    with pytest.raises(TypeError, match="not callable"):
        to.state_handlers([1], "t")


def test_normalise_puts_options_set_later_in_the_kept_form():
    assert to.normalise("retry_delay", 3, "t") == datetime.timedelta(seconds=3)
    assert to.normalise("tags", ["a"], "t") == frozenset({"a"})
    assert to.normalise("name", "x", "t") == "x"
