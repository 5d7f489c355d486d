"""Clocks: where a schedule's times come from, as ``ClockEvent``s in time order.

A clock's ``events(after)`` yields the events strictly after ``after`` (default: now on
flowbook's clock, ``flowbook.engine.clock``), earliest first, each with the parameter values
the run at that time gets. Times are timezone-aware ``datetime``s; a naive one given by a user
is taken as UTC, and pendulum datetimes are accepted as they are (a ``DatesClock`` hands back
the very objects it was given).

>>> from datetime import datetime, timedelta, timezone
>>> from itertools import islice
>>> start = datetime(2024, 1, 1, tzinfo=timezone.utc)
>>> clock = IntervalClock(timedelta(hours=6), start_date=start)
>>> [e.start_time.hour for e in islice(clock.events(after=start), 3)]
[6, 12, 18]
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

__all__ = ["ClockEvent", "Clock", "IntervalClock", "CronClock", "DatesClock", "RRuleClock",
           "as_utc", "utc_now"]

DEFAULT_START = datetime(2019, 1, 1, tzinfo=timezone.utc)  # IntervalClock's, as Prefect 1's


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC (a naive one is taken to be UTC already): what comparisons use,
    since Python compares two datetimes of the same tzinfo by their wall clocks."""
    if not isinstance(moment, datetime):
        raise TypeError(f"a schedule's times are datetimes, not {type(moment).__name__}: "
                        f"use datetime(2024, 1, 1, tzinfo=timezone.utc), say")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return datetime.fromtimestamp(moment.timestamp(), timezone.utc)


def utc_now() -> datetime:
    """Now on the clock of the run working in this thread (``flowbook.engine.clock``)."""
    from flowbook.engine import clock

    return datetime.fromtimestamp(clock.now(), timezone.utc)


def _aware(moment: datetime | None) -> datetime | None:
    """``moment`` with a timezone: a naive one becomes UTC, an aware one stays as it is."""
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        raise TypeError(f"a clock's start_date and end_date are datetimes, not "
                        f"{type(moment).__name__}")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


class ClockEvent:
    """One time a flow is to run, with the parameter values (and labels) that run gets.

    Events compare by ``start_time`` (with a datetime, too); equal events also share their
    parameter values and labels.
    """

    def __init__(self, start_time: datetime, parameter_defaults: dict | None = None,
                 labels: list | None = None):
        self.start_time = start_time  # when the run is due; a Schedule's adjustments move it
        self.parameter_defaults = dict(parameter_defaults or {})  # parameter name -> value
        self.labels = labels  # labels of the run (kept for Prefect 1 code; unused here)

    def _time(self, other: Any, op: str) -> datetime:
        if isinstance(other, ClockEvent):
            return as_utc(other.start_time)
        if isinstance(other, datetime):
            return as_utc(other)
        raise TypeError(f"'{op}' is not supported between a ClockEvent and "
                        f"{type(other).__name__}")

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, datetime):
            return as_utc(self.start_time) == as_utc(other)
        if not isinstance(other, ClockEvent):
            return False
        return (as_utc(self.start_time) == as_utc(other.start_time)
                and self.parameter_defaults == other.parameter_defaults
                and self.labels == other.labels)

    __hash__ = None  # mutable (adjustments move start_time): not a dict key

    def __lt__(self, other: Any) -> bool:
        return as_utc(self.start_time) < self._time(other, "<")

    def __gt__(self, other: Any) -> bool:
        return as_utc(self.start_time) > self._time(other, ">")

    def __repr__(self) -> str:
        return f"<ClockEvent: {self.start_time.isoformat()} {self.parameter_defaults or ''}>"


class Clock:
    """What every clock has: an optional window (``start_date``, ``end_date``) and the
    parameter values and labels of the runs it makes. Subclasses define ``events``."""

    def __init__(self, start_date: datetime | None = None, end_date: datetime | None = None,
                 parameter_defaults: dict | None = None, labels: list | None = None):
        self.start_date = _aware(start_date)  # no event before it (None: no bound)
        self.end_date = _aware(end_date)  # no event after it (None: no bound)
        self.parameter_defaults = dict(parameter_defaults or {})  # given to each event
        self.labels = labels  # given to each event

    def events(self, after: datetime | None = None) -> Iterator[ClockEvent]:
        """The events strictly after ``after`` (default: now), earliest first."""
        raise NotImplementedError(f"{type(self).__name__} must define events(after)")

    def _event(self, start_time: datetime) -> ClockEvent:
        # A pendulum DateTime in the same timezone, as Prefect 1's clocks give
        # (event.start_time.in_tz("UTC"), .add(days=1)); pendulum is loaded with the events.
        import pendulum

        return ClockEvent(pendulum.instance(start_time), self.parameter_defaults, self.labels)

    def _past_end(self, moment: datetime) -> bool:
        return self.end_date is not None and as_utc(moment) > as_utc(self.end_date)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class IntervalClock(Clock):
    """Every ``interval`` from ``start_date`` (default 2019-01-01 00:00 UTC).

    Whole days are added on the wall clock of ``start_date``'s timezone (a daily 9:00 stays
    9:00 across daylight saving), the rest in elapsed time, as Prefect 1 does.
    """

    def __init__(self, interval: timedelta, start_date: datetime | None = None,
                 end_date: datetime | None = None, parameter_defaults: dict | None = None,
                 labels: list | None = None):
        if not isinstance(interval, timedelta):
            raise TypeError(f"IntervalClock's interval must be a timedelta, not "
                            f"{type(interval).__name__}: use timedelta(minutes=5), say")
        if interval.total_seconds() <= 0:
            raise ValueError(f"IntervalClock's interval must be greater than 0, got {interval}")
        self.interval = interval  # the time between two events
        super().__init__(start_date, end_date, parameter_defaults, labels)

    def events(self, after: datetime | None = None) -> Iterator[ClockEvent]:
        after = as_utc(after) if after is not None else utc_now()
        start = self.start_date or DEFAULT_START
        elapsed = (after - as_utc(start)) / self.interval  # intervals from start to after
        steps = 0 if elapsed < 0 else int(elapsed) + 1
        while True:
            moment = self._nth(start, steps)
            steps += 1
            if as_utc(moment) <= after:
                continue
            if self._past_end(moment):
                return
            yield self._event(moment)

    def _nth(self, start: datetime, steps: int) -> datetime:
        """``start`` plus ``steps`` intervals: days on the wall clock, seconds elapsed."""
        total = self.interval * steps
        rest = total - timedelta(days=total.days)
        # a plain datetime adds days on the wall clock (a pendulum DateTime would add 24h)
        plain = datetime(*start.timetuple()[:6], start.microsecond, start.tzinfo,
                         fold=start.fold)
        moment = plain + timedelta(days=total.days)
        return (as_utc(moment) + rest).astimezone(start.tzinfo)


class CronClock(Clock):
    """The times a cron string (``"0 9 * * 1-5"``) names, on the wall clock of
    ``start_date``'s timezone (UTC without one). Needs the ``croniter`` package
    (``pip install 'flowbook[schedules]'``). ``day_or=False`` makes day-of-month and
    day-of-week both have to match (as fcron), instead of either (as cron)."""

    def __init__(self, cron: str, start_date: datetime | None = None,
                 end_date: datetime | None = None, parameter_defaults: dict | None = None,
                 labels: list | None = None, day_or: bool | None = None):
        if not _croniter().is_valid(cron):
            raise ValueError(f"invalid cron string {cron!r}: five fields, minute hour "
                             "day-of-month month day-of-week, such as '0 9 * * 1-5'")
        self.cron = cron  # the cron string
        self.day_or = True if day_or is None else day_or  # day fields joined by OR (cron)
        super().__init__(start_date, end_date, parameter_defaults, labels)

    def events(self, after: datetime | None = None) -> Iterator[ClockEvent]:
        after = as_utc(after) if after is not None else utc_now()
        if self.start_date is not None:
            after = max(after, as_utc(self.start_date) - timedelta(seconds=1))
        zone = self.start_date.tzinfo if self.start_date is not None else timezone.utc
        local = after.astimezone(zone)
        if local.microsecond:  # cron times are whole seconds: start from the next one
            local = local.replace(microsecond=0) + timedelta(seconds=1)
        times = _croniter()(self.cron, local, day_or=self.day_or)
        previous = after
        for _ in range(10_000):  # a cron string matching nothing ends here
            moment = times.get_next(datetime)
            if as_utc(moment) <= previous:  # croniter repeats a time around DST changes
                continue
            if self._past_end(moment):
                return
            previous = as_utc(moment)
            yield self._event(moment)

    def __repr__(self) -> str:
        return f"<CronClock: {self.cron!r}>"


def _croniter() -> Any:
    """The ``croniter`` class, imported when a CronClock is made."""
    try:
        from croniter import croniter
    except ImportError as exc:
        raise ImportError("CronClock and CronSchedule need the croniter package: "
                          "pip install 'flowbook[schedules]' (or pip install croniter)") from exc
    return croniter


class DatesClock(Clock):
    """Exactly the ``dates`` given (datetimes), in time order."""

    def __init__(self, dates: list, parameter_defaults: dict | None = None,
                 labels: list | None = None):
        dates = list(dates)
        if not dates:
            raise ValueError("DatesClock needs at least one date: DatesClock([datetime(...)])")
        ordered = sorted(dates, key=as_utc)
        super().__init__(ordered[0], ordered[-1], parameter_defaults, labels)
        self.dates = dates  # the datetimes given, as given

    def events(self, after: datetime | None = None) -> Iterator[ClockEvent]:
        after = as_utc(after) if after is not None else utc_now()
        for moment in sorted(self.dates, key=as_utc):
            if as_utc(moment) > after:
                yield self._event(moment)


class RRuleClock(Clock):
    """The times a ``dateutil.rrule.rrule`` (or ``rruleset``) gives, within
    ``start_date``..``end_date`` (both included) when given."""

    def __init__(self, rrule_obj: Any, start_date: datetime | None = None,
                 end_date: datetime | None = None, parameter_defaults: dict | None = None,
                 labels: list | None = None):
        from dateutil import rrule

        if not isinstance(rrule_obj, (rrule.rrule, rrule.rruleset)):
            raise TypeError(f"RRuleClock needs a dateutil rrule, not {type(rrule_obj).__name__}"
                            ": RRuleClock(rrule.rrule(freq=rrule.DAILY))")
        self.rrule = rrule_obj  # the recurrence rule
        super().__init__(start_date, end_date, parameter_defaults, labels)

    def events(self, after: datetime | None = None) -> Iterator[ClockEvent]:
        cursor = as_utc(after) if after is not None else utc_now()
        included = False  # the rule's time equal to the cursor: only start_date's itself
        if self.start_date is not None and as_utc(self.start_date) > cursor:
            cursor, included = as_utc(self.start_date), True
        while True:
            moment = self.rrule.after(self._in_rule_zone(cursor), inc=included)
            if moment is None or self._past_end(moment):
                return
            yield self._event(moment)
            cursor, included = as_utc(moment), False

    def _in_rule_zone(self, moment: datetime) -> datetime:
        """``moment`` as the rule compares it: naive when the rule's dtstart is naive."""
        start = getattr(self.rrule, "_dtstart", None)
        if start is not None and start.tzinfo is None:
            return moment.replace(tzinfo=None)
        return moment
