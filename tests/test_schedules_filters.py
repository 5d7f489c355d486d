"""Schedule filters (flowbook/schedules/filters.py): which times each keeps."""

from datetime import datetime, time

import pytest

from flowbook.schedules import filters


def test_between_times_keeps_both_ends():
    keep = filters.between_times(time(9), time(10))
    assert [keep(datetime(2024, 1, 1, h)) for h in (8, 9, 10, 11)] == [False, True, True, False]


def test_between_times_runs_over_midnight_when_the_end_comes_first():
    keep = filters.between_times(time(22), time(2))
    assert keep(datetime(2024, 1, 1, 23)) and keep(datetime(2024, 1, 1, 1))
    assert not keep(datetime(2024, 1, 1, 12))


def test_between_dates_runs_over_new_year_when_the_end_comes_first():
    keep = filters.between_dates(12, 1, 1, 31)
    assert keep(datetime(2024, 12, 25)) and keep(datetime(2024, 1, 2))
    assert not keep(datetime(2024, 6, 1))


@pytest.mark.parametrize("day, weekday", [(5, True), (6, False), (7, False), (8, True)])
def test_is_weekday_and_is_weekend_split_the_week(day, weekday):
    moment = datetime(2024, 1, day)  # the 6th of January 2024 was a Saturday
    assert filters.is_weekday(moment) is weekday and filters.is_weekend(moment) is not weekday


def test_is_month_end_knows_leap_years():
    assert filters.is_month_end(datetime(2024, 2, 29))
    assert not filters.is_month_end(datetime(2023, 2, 27))


def test_on_date_and_at_time_match_exactly():
    assert filters.on_date(3, 4)(datetime(2030, 3, 4, 5))
    assert not filters.at_time(time(3, 30))(datetime(2024, 1, 1, 3, 30, 1))
