"""Schedule filters: functions ``datetime -> bool`` that keep or drop a clock's events.

Give them to a ``Schedule`` (``filters=``, ``or_filters=``, ``not_filters=``). Each function
here makes or is such a filter, as in Prefect 1's ``prefect.schedules.filters``.

>>> from datetime import datetime, time
>>> weekday_mornings = [is_weekday, between_times(time(9), time(12))]
>>> [keep(datetime(2024, 1, 6, 10)) for keep in weekday_mornings]  # a Saturday
[False, True]
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Callable

__all__ = ["on_datetime", "on_date", "at_time", "between_datetimes", "between_times",
           "between_dates", "is_weekday", "is_weekend", "is_month_end"]

Filter = Callable[[datetime], bool]


def on_datetime(moment: datetime) -> Filter:
    """Keeps exactly ``moment``."""
    return lambda dt: dt == moment


def on_date(month: int, day: int) -> Filter:
    """Keeps any time on that day of the year (every year)."""
    return lambda dt: (dt.month, dt.day) == (month, day)


def at_time(at: time) -> Filter:
    """Keeps any day at exactly that time of day (``at`` as a naive ``time``)."""
    return lambda dt: dt.time() == at


def between_datetimes(start: datetime, end: datetime) -> Filter:
    """Keeps the times from ``start`` to ``end``, both included."""
    return lambda dt: start <= dt <= end


def between_times(start: time, end: time) -> Filter:
    """Keeps the times of day from ``start`` to ``end``, both included; when ``end`` is
    before ``start`` the span runs over midnight (``between_times(time(22), time(2))``)."""
    return _within(start, end, lambda dt: dt.time())


def between_dates(start_month: int, start_day: int, end_month: int, end_day: int) -> Filter:
    """Keeps the days of the year from (start_month, start_day) to (end_month, end_day),
    both included; when the end comes first the span runs over new year."""
    return _within((start_month, start_day), (end_month, end_day),
                   lambda dt: (dt.month, dt.day))


def is_weekday(dt: datetime) -> bool:
    """Monday to Friday."""
    return dt.weekday() < 5


def is_weekend(dt: datetime) -> bool:
    """Saturday and Sunday."""
    return dt.weekday() > 4


def is_month_end(dt: datetime) -> bool:
    """The last day of its month."""
    return (dt + timedelta(days=1)).month != dt.month


def _within(start, end, key: Callable) -> Filter:
    """A filter keeping ``key(dt)`` from ``start`` to ``end``, wrapping round when end < start."""
    if start <= end:
        return lambda dt: start <= key(dt) <= end
    return lambda dt: key(dt) >= start or key(dt) <= end
