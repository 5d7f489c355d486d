"""Schedule adjustments: functions ``datetime -> datetime`` that move a kept event's time.

Give them to a ``Schedule`` (``adjustments=``); they apply in order, after the filters. As in
Prefect 1's ``prefect.schedules.adjustments``.

>>> from datetime import datetime, timedelta
>>> add(timedelta(hours=3))(datetime(2024, 1, 1, 9)).hour
12
>>> next_weekday(datetime(2024, 1, 6, 9)).strftime("%A %H:%M")  # from a Saturday
'Monday 09:00'
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from flowbook.schedules.filters import is_weekday

__all__ = ["add", "next_weekday"]


def add(interval: timedelta) -> Callable[[datetime], datetime]:
    """Moves each time by ``interval`` (negative moves it earlier)."""
    return lambda dt: dt + interval


def next_weekday(dt: datetime) -> datetime:
    """A weekday stays as it is (the same object); a weekend day moves to Monday, same hour."""
    while not is_weekday(dt):
        dt = dt + timedelta(days=1)
    return dt
