"""Schedules: the times a flow runs on, from one or more clocks, filtered and adjusted.

A ``Schedule`` merges its clocks' events in time order (an event two clocks both emit comes
once), keeps those its filters accept and moves them with its adjustments. ``Flow(schedule=)``
makes ``flow.run()`` run at each time (``flowbook.engine.scheduled``).

>>> from datetime import datetime, timedelta, timezone
>>> start = datetime(2024, 1, 1, tzinfo=timezone.utc)
>>> schedule = IntervalSchedule(start_date=start, interval=timedelta(days=1))
>>> [d.day for d in schedule.next(3, after=start)]
[2, 3, 4]
"""

from __future__ import annotations

import heapq
from datetime import datetime, timedelta
from typing import Iterable, Iterator

from flowbook.schedules import clocks as _clocks
from flowbook.schedules.clocks import ClockEvent, as_utc

__all__ = ["Schedule", "IntervalSchedule", "CronSchedule"]

LOOKED_AT = 10_000  # events a call of next() looks at at most: clocks may be endless

class Schedule:
    """Times from ``clocks``; an event passes when every one of ``filters``, at least one
    of ``or_filters`` (if any) and none of ``not_filters`` accept its time (each a function
    ``datetime -> bool``); then each of ``adjustments`` (``datetime -> datetime``) moves it."""

    def __init__(self, clocks: Iterable, filters: list | None = None,
                 or_filters: list | None = None, not_filters: list | None = None,
                 adjustments: list | None = None):
        if not isinstance(clocks, Iterable):
            raise TypeError(f"Schedule's clocks must be a list of clocks, not "
                            f"{type(clocks).__name__}: Schedule(clocks=[IntervalClock(...)])")
        self.clocks = list(clocks)  # flowbook.schedules.clocks.Clock instances
        self.filters: list = list(filters or ())  # all must accept a time
        self.or_filters: list = list(or_filters or ())  # one must accept it (if any are given)
        self.not_filters: list = list(not_filters or ())  # none may accept it
        self.adjustments: list = list(adjustments or ())  # applied in order to a kept time

    def __repr__(self) -> str:
        return f"<Schedule: {len(self.clocks)} clock(s)>"

    @property
    def start_date(self) -> datetime | None:
        """The earliest start date of its clocks (None when none has one)."""
        return min((c.start_date for c in self.clocks if c.start_date), key=as_utc,
                   default=None)

    @property
    def end_date(self) -> datetime | None:
        """The latest end date of its clocks (None when none has one)."""
        return max((c.end_date for c in self.clocks if c.end_date), key=as_utc, default=None)

    def next(self, n: int, after: datetime | None = None,
             return_events: bool = False) -> list:
        """The next ``n`` times strictly after ``after`` (default: now on flowbook's clock),
        as datetimes, or as ``ClockEvent``s with ``return_events=True``. Fewer when the
        clocks end, or when the first 10,000 events held fewer that pass the filters."""
        found: list = []
        for looked, event in enumerate(self._events(after), start=1):
            if self._passes(event.start_time):
                event.start_time = self._adjusted(event.start_time)
                found.append(event if return_events else event.start_time)
            if len(found) >= n or looked >= LOOKED_AT:
                break
        return found

    def _events(self, after: datetime | None) -> Iterator[ClockEvent]:
        """Every clock's events in time order, each distinct event once."""
        merged = heapq.merge(*(clock.events(after=after) for clock in self.clocks),
                             key=lambda event: as_utc(event.start_time))
        previous = None
        for event in merged:
            if previous is None or event != previous:
                yield event
            previous = event

    def _passes(self, moment: datetime) -> bool:
        return (all(accepts(moment) for accepts in self.filters)
                and (not self.or_filters or any(accepts(moment) for accepts in self.or_filters))
                and not any(accepts(moment) for accepts in self.not_filters))

    def _adjusted(self, moment: datetime) -> datetime:
        for adjust in self.adjustments:
            moment = adjust(moment)
        return moment

def IntervalSchedule(start_date: datetime | None = None, interval: timedelta | None = None,
                     end_date: datetime | None = None) -> Schedule:
    """A schedule of one ``IntervalClock``: every ``interval`` from ``start_date``."""
    if interval is None:
        raise TypeError("IntervalSchedule needs an interval: "
                        "IntervalSchedule(interval=timedelta(hours=1))")
    return Schedule(clocks=[_clocks.IntervalClock(interval, start_date, end_date)])

def CronSchedule(cron: str, start_date: datetime | None = None,
                 end_date: datetime | None = None, day_or: bool | None = None) -> Schedule:
    """A schedule of one ``CronClock``: the times ``cron`` names (needs croniter)."""
    return Schedule(clocks=[_clocks.CronClock(cron, start_date, end_date, day_or=day_or)])
