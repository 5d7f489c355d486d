"""Schedules for flows: ``Flow("etl", schedule=IntervalSchedule(interval=timedelta(hours=1)))``.

``clocks`` makes the times (``IntervalClock``, ``CronClock``, ``DatesClock``), ``schedules``
merges, filters and adjusts them. ``flow.run()`` on a flow with a schedule runs it at each
time (``flowbook.engine.scheduled``).
"""

from flowbook.schedules import clocks, schedules
from flowbook.schedules.schedules import CronSchedule, IntervalSchedule, Schedule

__all__ = ["Schedule", "IntervalSchedule", "CronSchedule", "clocks", "schedules"]
