"""Clocks (flowbook/schedules/clocks.py): the events each clock emits after a given time,
with fixed datetimes only (no test reads the real time)."""

from datetime import datetime, timedelta, timezone
from itertools import islice
from zoneinfo import ZoneInfo

import pendulum
import pytest

from flowbook.engine import clock as clocks
from flowbook.engine.clock import FakeClock
from flowbook.schedules import clocks as clocks_module
from flowbook.schedules.clocks import (ClockEvent, CronClock, DatesClock, IntervalClock,
                                       as_utc)

UTC = timezone.utc
START = datetime(2024, 3, 1, tzinfo=UTC)


def times(clock, after=START, n=3):
    return [e.start_time for e in islice(clock.events(after=after), n)]


# -- ClockEvent -------------------------------------------------------------------------------

def test_events_order_by_start_time():
    early, late = ClockEvent(START), ClockEvent(START + timedelta(1))
    assert early < late and late > early and sorted([late, early]) == [early, late]


def test_event_equals_a_datetime_of_the_same_moment_in_another_zone():
    assert ClockEvent(START) == START.astimezone(ZoneInfo("Europe/Paris"))


def test_events_with_different_parameters_differ():
    assert ClockEvent(START, {"x": 1}) != ClockEvent(START, {"x": 2})


def test_event_refuses_comparison_with_a_number():
    with pytest.raises(TypeError, match="ClockEvent"):
        ClockEvent(START) < 3


def test_naive_datetime_counts_as_utc():
    assert as_utc(datetime(2024, 3, 1)) == START


# -- IntervalClock ----------------------------------------------------------------------------

def test_interval_clock_counts_from_its_start_date():
    clock = IntervalClock(timedelta(hours=1), start_date=START)
    assert times(clock) == [START + timedelta(hours=h) for h in (1, 2, 3)]


def test_interval_clock_skips_to_the_first_time_after():
    clock = IntervalClock(timedelta(hours=1), start_date=START)
    after = START + timedelta(hours=5, minutes=30)
    assert times(clock, after, 1) == [START + timedelta(hours=6)]


def test_interval_clock_excludes_a_time_equal_to_after():
    clock = IntervalClock(timedelta(hours=1), start_date=START)
    assert times(clock, START + timedelta(hours=2), 1) == [START + timedelta(hours=3)]


def test_interval_clock_starts_at_its_start_date_when_after_is_earlier():
    clock = IntervalClock(timedelta(hours=1), start_date=START)
    assert times(clock, START - timedelta(days=3), 1) == [START]


def test_interval_clock_defaults_to_2019_as_start():
    clock = IntervalClock(timedelta(days=1))
    assert times(clock, datetime(2019, 1, 1, 12, tzinfo=UTC), 1) == [
        datetime(2019, 1, 2, tzinfo=UTC)]


def test_interval_clock_stops_at_its_end_date():
    clock = IntervalClock(timedelta(hours=1), start_date=START,
                          end_date=START + timedelta(hours=2))
    assert times(clock, n=10) == [START + timedelta(hours=1), START + timedelta(hours=2)]


def test_daily_interval_keeps_the_wall_clock_across_daylight_saving():
    paris = ZoneInfo("Europe/Paris")  # summer time begins 2024-03-31
    clock = IntervalClock(timedelta(days=1), start_date=datetime(2024, 3, 30, 9, tzinfo=paris))
    after = datetime(2024, 3, 30, 10, tzinfo=paris)
    assert [t.hour for t in times(clock, after, 2)] == [9, 9]


def test_hourly_interval_counts_elapsed_hours_across_daylight_saving():
    paris = ZoneInfo("Europe/Paris")
    clock = IntervalClock(timedelta(hours=1), start_date=datetime(2024, 3, 31, 1, tzinfo=paris))
    first, second = times(clock, datetime(2024, 3, 31, 1, tzinfo=paris), 2)
    assert as_utc(second) - as_utc(first) == timedelta(hours=1)


def test_interval_must_be_a_timedelta():
    with pytest.raises(TypeError, match="timedelta"):
        IntervalClock(60)


def test_interval_must_be_positive():
    with pytest.raises(ValueError, match="greater than 0"):
        IntervalClock(timedelta(0))


def test_interval_clock_reads_now_from_flowbooks_clock():
    clock = IntervalClock(timedelta(hours=1), start_date=START)
    fake = FakeClock(start=(START + timedelta(minutes=90)).timestamp())
    with clocks.using(fake):
        first = next(clock.events())
    assert first.start_time == START + timedelta(hours=2)


def test_interval_clock_events_carry_its_parameter_defaults():
    clock = IntervalClock(timedelta(hours=1), start_date=START, parameter_defaults={"x": 1})
    assert next(clock.events(after=START)).parameter_defaults == {"x": 1}


# -- CronClock --------------------------------------------------------------------------------

def test_cron_clock_gives_the_times_its_string_names():
    clock = CronClock("0 9 * * *")
    assert times(clock, n=2) == [datetime(2024, 3, 1, 9, tzinfo=UTC),
                                 datetime(2024, 3, 2, 9, tzinfo=UTC)]


def test_cron_clock_excludes_a_time_equal_to_after():
    clock = CronClock("0 * * * *")
    assert times(clock, START, 1) == [START + timedelta(hours=1)]


def test_cron_clock_follows_the_wall_clock_of_its_start_date():
    paris = ZoneInfo("Europe/Paris")
    clock = CronClock("0 9 * * *", start_date=datetime(2024, 3, 30, tzinfo=paris))
    found = times(clock, datetime(2024, 3, 30, tzinfo=paris), 2)
    assert [t.astimezone(paris).hour for t in found] == [9, 9]
    assert as_utc(found[1]) - as_utc(found[0]) == timedelta(hours=23)


def test_cron_clock_begins_at_its_start_date():
    clock = CronClock("0 0 * * *", start_date=datetime(2024, 6, 1, tzinfo=UTC))
    assert times(clock, START, 1) == [datetime(2024, 6, 1, tzinfo=UTC)]


def test_cron_clock_stops_at_its_end_date():
    clock = CronClock("0 0 * * *", end_date=datetime(2024, 3, 3, tzinfo=UTC))
    assert len(times(clock, n=10)) == 2


def test_cron_clock_with_day_or_false_needs_both_day_fields():
    clock = CronClock("0 0 1 * 1", day_or=False)  # a 1st of the month that is a Monday
    assert times(clock, n=1) == [datetime(2024, 4, 1, tzinfo=UTC)]


def test_invalid_cron_string_is_named():
    with pytest.raises(ValueError, match="'every tuesday'"):
        CronClock("every tuesday")


# -- DatesClock -------------------------------------------------------------------------------

def test_dates_clock_gives_its_dates_after_in_order():
    dates = [START + timedelta(hours=h) for h in (3, 1, 2)]
    after_first = START + timedelta(hours=1)
    assert times(DatesClock(dates), after_first, 5) == [START + timedelta(hours=2),
                                                        START + timedelta(hours=3)]


def test_dates_clock_hands_back_the_datetime_objects_given():
    date = pendulum.datetime(2024, 3, 2)
    assert next(DatesClock([date]).events(after=START)).start_time is date


def test_dates_clock_spans_its_dates():
    clock = DatesClock([START + timedelta(1), START])
    assert (clock.start_date, clock.end_date) == (START, START + timedelta(1))


def test_dates_clock_needs_a_date():
    with pytest.raises(ValueError, match="at least one date"):
        DatesClock([])


def test_rrule_clock_emits_the_rule_times_strictly_after():
    from dateutil import rrule

    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    rule = clocks_module.RRuleClock(rrule.rrule(freq=rrule.DAILY, dtstart=start))
    events = list(islice(rule.events(after=start), 2))
    assert [e.start_time for e in events] == [start + timedelta(days=1), start + timedelta(days=2)]


def test_rrule_clock_keeps_within_start_and_end_dates_both_included():
    from dateutil import rrule

    dtstart = datetime(2024, 1, 1, tzinfo=timezone.utc)
    rule = clocks_module.RRuleClock(rrule.rrule(freq=rrule.DAILY, dtstart=dtstart),
                                    start_date=dtstart + timedelta(days=3),
                                    end_date=dtstart + timedelta(days=4))
    assert [e.start_time.day for e in rule.events(after=dtstart)] == [4, 5]


def test_rrule_clock_refuses_what_is_not_a_rule():
    with pytest.raises(TypeError, match="rrule"):
        clocks_module.RRuleClock(42)


def test_clock_events_are_pendulum_datetimes():
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    event = next(clocks_module.IntervalClock(timedelta(hours=1), start).events(after=start))
    assert event.start_time.add(hours=1).hour == 2


def test_interval_clock_from_a_pendulum_start_keeps_the_wall_clock_hour_across_dst():
    start = pendulum.datetime(2018, 3, 8, 9, tz="America/New_York")
    days = islice(IntervalClock(timedelta(days=1), start).events(after=start), 4)
    assert [e.start_time.in_tz("America/New_York").hour for e in days] == [9, 9, 9, 9]
