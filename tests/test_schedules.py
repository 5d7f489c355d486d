"""Schedules (flowbook/schedules/schedules.py): clocks merged in time order, filtered and
adjusted, and the IntervalSchedule/CronSchedule shortcuts."""

from datetime import datetime, timedelta, timezone

import pytest

from flowbook.engine import clock as clocks
from flowbook.engine.clock import FakeClock
from flowbook.schedules import CronSchedule, IntervalSchedule, Schedule
from flowbook.schedules.clocks import ClockEvent, CronClock, DatesClock, IntervalClock

UTC = timezone.utc
START = datetime(2024, 3, 1, tzinfo=UTC)


def hours(*hs):
    return [START + timedelta(hours=h) for h in hs]


def test_next_merges_clocks_in_time_order():
    schedule = Schedule(clocks=[DatesClock(hours(1, 4)), DatesClock(hours(2, 3))])
    assert schedule.next(4, after=START) == hours(1, 2, 3, 4)


def test_an_event_two_clocks_emit_comes_once():
    schedule = Schedule(clocks=[DatesClock(hours(1, 2)), DatesClock(hours(2))])
    assert schedule.next(5, after=START) == hours(1, 2)


def test_same_time_with_other_parameters_comes_twice():
    schedule = Schedule(clocks=[DatesClock(hours(1), parameter_defaults={"x": 1}),
                                DatesClock(hours(1), parameter_defaults={"x": 2})])
    assert len(schedule.next(5, after=START)) == 2


def test_next_returns_events_with_their_parameters():
    schedule = Schedule(clocks=[DatesClock(hours(1), parameter_defaults={"x": 1})])
    [event] = schedule.next(1, after=START, return_events=True)
    assert isinstance(event, ClockEvent) and event.parameter_defaults == {"x": 1}


def test_next_returns_fewer_when_the_clocks_end():
    assert Schedule(clocks=[DatesClock(hours(1))]).next(3, after=START) == hours(1)


def test_next_after_defaults_to_now_on_flowbooks_clock():
    schedule = Schedule(clocks=[DatesClock(hours(1, 2, 3))])
    with clocks.using(FakeClock(start=hours(1)[0].timestamp())):
        assert schedule.next(5) == hours(2, 3)


def test_filters_must_all_accept_a_time():
    schedule = Schedule(clocks=[IntervalClock(timedelta(hours=1), START)],
                        filters=[lambda t: t.hour % 2 == 0, lambda t: t.hour > 2])
    assert schedule.next(2, after=START) == hours(4, 6)


def test_one_or_filter_must_accept_a_time():
    schedule = Schedule(clocks=[IntervalClock(timedelta(hours=1), START)],
                        or_filters=[lambda t: t.hour == 3, lambda t: t.hour == 5])
    assert schedule.next(2, after=START) == hours(3, 5)


def test_no_not_filter_may_accept_a_time():
    schedule = Schedule(clocks=[IntervalClock(timedelta(hours=1), START)],
                        not_filters=[lambda t: t.hour < 10])
    assert schedule.next(1, after=START) == hours(10)


def test_adjustments_move_the_kept_times_in_order():
    schedule = Schedule(clocks=[DatesClock(hours(1))],
                        adjustments=[lambda t: t + timedelta(minutes=5),
                                     lambda t: t.replace(second=7)])
    assert schedule.next(1, after=START) == [hours(1)[0].replace(minute=5, second=7)]


def test_next_gives_up_after_ten_thousand_refused_events():
    schedule = Schedule(clocks=[IntervalClock(timedelta(minutes=1), START)],
                        filters=[lambda t: False])
    assert schedule.next(1, after=START) == []


def test_start_and_end_dates_span_the_clocks():
    schedule = Schedule(clocks=[DatesClock(hours(2, 3)), DatesClock(hours(1, 2))])
    assert (schedule.start_date, schedule.end_date) == (hours(1)[0], hours(3)[0])


def test_clocks_must_be_a_list():
    with pytest.raises(TypeError, match="list of clocks"):
        Schedule(clocks=5)


def test_interval_schedule_is_one_interval_clock():
    schedule = IntervalSchedule(start_date=START, interval=timedelta(hours=2))
    assert isinstance(schedule.clocks[0], IntervalClock)
    assert schedule.next(2, after=START) == hours(2, 4)


def test_interval_schedule_needs_an_interval():
    with pytest.raises(TypeError, match="interval"):
        IntervalSchedule(start_date=START)


def test_cron_schedule_is_one_cron_clock():
    schedule = CronSchedule("30 * * * *")
    assert isinstance(schedule.clocks[0], CronClock)
    assert schedule.next(1, after=START) == [START + timedelta(minutes=30)]
