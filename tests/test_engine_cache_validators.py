"""Cache validators (flowbook/engine/cache_validators.py): when a Cached state stands."""

from datetime import datetime, timedelta, timezone

from flowbook.engine.cache_validators import (all_inputs, duration_only, partial_inputs_only,
                                              partial_parameters_only)
from flowbook.engine.clock import FakeClock, using
from flowbook.engine.result import Result
from flowbook.engine.state import Cached


def test_duration_only_reads_a_datetime_expiration_on_the_run_clock():
    now = datetime.fromtimestamp(FakeClock().now(), timezone.utc)
    with using(FakeClock()):
        assert duration_only(Cached(cached_result_expiration=now + timedelta(days=1)), {}, {})
        assert not duration_only(Cached(cached_result_expiration=now - timedelta(days=1)), {}, {})


def test_all_inputs_compares_the_values_of_cached_results():
    state = Cached(cached_inputs={"x": Result(1)})
    assert all_inputs(state, {"x": 1}, None) and not all_inputs(state, {"x": 2}, None)


def test_all_inputs_compares_hashed_inputs_when_kept():
    from dask.base import tokenize

    state = Cached(hashed_inputs={"x": tokenize(1)})
    assert all_inputs(state, {"x": 1}, None) and not all_inputs(state, {"x": 2}, None)


def test_partial_validators_without_names_accept_any_inputs():
    state = Cached(cached_inputs={"x": 1}, cached_parameters={"p": 1})
    assert partial_inputs_only()(state, {"x": 2}, None)
    assert partial_parameters_only()(state, None, {"p": 2})


def test_partial_validators_refuse_when_nothing_was_kept():
    assert not partial_inputs_only(["x"])(Cached(), {"x": 1}, None)
    assert not partial_parameters_only(["p"])(Cached(cached_parameters={"p": 1}), None, None)
