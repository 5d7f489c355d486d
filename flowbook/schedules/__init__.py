"""Schedules for flows: ``Flow("etl", schedule=IntervalSchedule(interval=timedelta(hours=1)))``.

``clocks`` makes the times (``IntervalClock``, ``CronClock``, ``DatesClock``), ``schedules``
merges them, keeps those ``filters`` accept and moves them with ``adjustments``.
``flow.run()`` on a flow with a schedule runs it at each time (``flowbook.engine.scheduled``).
"""

from flowbook.schedules import adjustments, clocks, filters, schedules
from flowbook.schedules.schedules import CronSchedule, IntervalSchedule, Schedule

__all__ = ["Schedule", "IntervalSchedule", "CronSchedule", "adjustments", "clocks", "filters",
           "schedules"]
