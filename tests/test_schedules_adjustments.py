"""Schedule adjustments (flowbook/schedules/adjustments.py): how each moves a time."""

from datetime import datetime, timedelta

from flowbook.schedules import adjustments


def test_add_moves_by_the_interval():
    assert adjustments.add(timedelta(hours=-1))(datetime(2024, 1, 1, 9)) == datetime(2024, 1, 1, 8)


def test_next_weekday_keeps_a_weekday_as_it_is():
    friday = datetime(2024, 1, 5, 9)
    assert adjustments.next_weekday(friday) is friday


def test_next_weekday_moves_a_weekend_day_to_monday_at_the_same_hour():
    assert adjustments.next_weekday(datetime(2024, 1, 7, 9)) == datetime(2024, 1, 8, 9)
