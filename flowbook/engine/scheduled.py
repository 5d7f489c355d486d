"""Running a flow on its schedule: one run at each time its ``Schedule`` gives.

``flow.run()`` on a flow with a schedule runs it at each scheduled time, as Prefect 1 does:
it waits (on the run's clock, ``engine.clock``) until the next time, runs the flow with the
clock event's parameter values over those given, and asks the schedule for the time after;
each run's ``context.scheduled_start_time`` is its time. Outside a notebook this blocks and
returns the state of the last run once the schedule has no more times. In a kernel the
runs go on in a background thread (``ScheduledRuns``): ``flow.run()`` returns a Scheduled
state at once, each run appears in ``flow.runs`` and the widget, and ``flow.stop()``
(``%flow stop``) ends them.
"""

from __future__ import annotations

import sys
import threading
import weakref
from datetime import datetime, timezone
from typing import Any, Callable

from flowbook.engine.events import EventBus
from flowbook.engine.state import Scheduled, State
from flowbook.errors import UserRuntimeError, UserValueError

__all__ = ["run", "ScheduledRuns", "run_on_schedule", "in_background", "scheduled_runs",
           "next_run_text", "watch", "stop"]

_ACTIVE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # Flow -> ScheduledRuns
_WATCHERS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # Flow -> EventBus
_LOCK = threading.Lock()  # guards _ACTIVE and _WATCHERS


def in_background() -> bool:
    """True in a Jupyter kernel, where a cell must return while the schedule goes on."""
    ipython = sys.modules.get("IPython")  # never imported here: only if already loaded
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def _moment(clock: Any) -> datetime:
    return datetime.fromtimestamp(clock.now(), timezone.utc)


def _next_event(schedule: Any, clock: Any) -> Any:
    """The schedule's next ClockEvent after now on ``clock``; None when it has no more."""
    events = schedule.next(1, after=_moment(clock), return_events=True)
    return events[0] if events else None


def first_event(flow: Any, clock: Any) -> Any:
    """The first event of ``flow``'s schedule; a schedule without one more is an error."""
    event = _next_event(flow.schedule, clock)
    if event is None:
        raise UserValueError(f"flow {flow.name!r} has no more scheduled runs: every time of "
                             "its schedule is past. Run it once with "
                             "flow.run(run_on_schedule=False), or give it a schedule with "
                             "times ahead")
    return event


def run_on_schedule(flow: Any, parameters: dict, run_once: Callable, clock: Any,
                    event: Any, stopped: threading.Event | None = None,
                    on_next: Callable | None = None) -> State | None:
    """Run ``flow`` at ``event``'s time and each next time of its schedule; return the last
    run's state (None if stopped before the first). ``run_once(parameters, start_time)``
    runs the flow once. Without ``stopped`` the waits are the clock's sleeps; with it, a
    wait ends early when it is set, and no run begins after. ``on_next(time or None)`` hears
    of each next time."""
    state = None
    while event is not None:
        if on_next is not None:
            on_next(event.start_time)
        deadline = event.start_time.timestamp()
        if stopped is None:
            clock.sleep(deadline - clock.now())
        elif clock.wait_until(stopped, deadline) or stopped.is_set():
            break
        state = run_once({**parameters, **event.parameter_defaults}, event.start_time)
        event = _next_event(flow.schedule, clock)
    if on_next is not None:
        on_next(None)
    return state


def run(flow: Any, parameters: dict | None, options: dict) -> State:
    """``flow.run()`` of a flow with a schedule: run it at each time (in the background in
    a notebook). ``options`` are ``flow_run.start``'s; ``task_states`` go to the first run."""
    from flowbook.engine import clock as clocks
    from flowbook.engine import flow_run

    clock = options.get("clock") or clocks.REAL
    event = first_event(flow, clock)
    options = dict(options)

    def run_once(values: dict, when: datetime) -> State:
        state = flow_run.start(flow, parameters=values, scheduled_start_time=when, **options)
        options["task_states"] = None  # Prefect 1 gives them to the first run only
        return state

    base = dict(parameters or {})
    if in_background():
        return begin(flow, base, run_once, clock, event)
    return run_on_schedule(flow, base, run_once, clock, event)


class ScheduledRuns:
    """A flow's runs on its schedule in a background thread (in a notebook)."""

    def __init__(self, flow: Any, parameters: dict, run_once: Callable, clock: Any,
                 event: Any):
        self.flow = flow  # the Flow run on its schedule
        self.next_time: datetime | None = event.start_time  # when the next run is due
        self.stopped = threading.Event()  # set by stop(): no run begins after
        self.error: BaseException | None = None  # what ended the runs, if not the schedule
        self._thread = threading.Thread(
            target=self._work, args=(parameters, run_once, clock, event), daemon=True,
            name=f"flowbook schedule of {flow.name!r}")

    def __repr__(self) -> str:
        return f"<ScheduledRuns of {self.flow.name!r}: {next_run_text(self.flow) or 'ended'}>"

    def start(self) -> None:
        self._thread.start()

    def _work(self, parameters: dict, run_once: Callable, clock: Any, event: Any) -> None:
        try:
            run_on_schedule(self.flow, parameters, run_once, clock, event, self.stopped,
                            self._moved)
        except BaseException as exc:  # shown in the widget and by flow.stop(); never lost
            self.error = exc
            self._moved(None)
        finally:
            with _LOCK:
                if _ACTIVE.get(self.flow) is self:
                    del _ACTIVE[self.flow]
            _tell(self.flow)

    def _moved(self, when: datetime | None) -> None:
        self.next_time = when
        _tell(self.flow)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def wait(self) -> None:
        """Return once the runs have ended (the schedule ended, stop(), or an error)."""
        if self._thread is not threading.current_thread():
            self._thread.join()

    def stop(self, wait: bool = True) -> None:
        """No run begins after this; with ``wait``, return once a run in progress ends."""
        self.stopped.set()
        if wait:
            self.wait()


def begin(flow: Any, parameters: dict, run_once: Callable, clock: Any, event: Any) -> State:
    """Start ``flow``'s runs on its schedule in the background; a Scheduled state of the
    first time. A flow already running on its schedule is refused."""
    runs = ScheduledRuns(flow, parameters, run_once, clock, event)
    with _LOCK:
        active = _ACTIVE.get(flow)
        if active is not None and active.alive:
            raise UserRuntimeError(f"flow {flow.name!r} already runs on its schedule; stop "
                                   "it first with flow.stop() (or %flow stop)")
        _ACTIVE[flow] = runs
    runs.start()
    return Scheduled(f"runs on its schedule in the background, first at "
                     f"{_text(event.start_time)}; flow.stop() ends them",
                     start_time=event.start_time)


def scheduled_runs(flow: Any) -> ScheduledRuns | None:
    """The runs of ``flow`` going on in the background on its schedule, or None."""
    with _LOCK:
        return _ACTIVE.get(flow)


def stop(flow: Any, wait: bool = True) -> bool:
    """End ``flow``'s runs on its schedule; False when none were going on."""
    runs = scheduled_runs(flow)
    if runs is None:
        return False
    runs.stop(wait)
    return True


def _text(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def next_run_text(flow: Any) -> str:
    """``"next run at 2024-01-01 12:00:00 UTC"`` while ``flow`` runs on its schedule in the
    background, else ``""`` (what the widget's status line shows)."""
    runs = scheduled_runs(flow)
    when = None if runs is None or runs.stopped.is_set() else runs.next_time
    return "" if when is None else f"next run at {_text(when)}"


def watch(flow: Any, callback: Callable[[], Any]) -> Callable[[], None]:
    """Call ``callback()`` whenever ``flow``'s next scheduled time changes; returns a
    function that stops it."""
    with _LOCK:
        watchers = _WATCHERS.get(flow)
        if watchers is None:
            watchers = _WATCHERS[flow] = EventBus()
    # The returned function takes no lock of this module: a widget's finalizer calls it, and
    # a collection may start inside this module's own locked sections.
    return watchers.subscribe(lambda _change: callback())


def _tell(flow: Any) -> None:
    with _LOCK:
        watchers = _WATCHERS.get(flow)
    if watchers is not None:
        watchers.publish(None)
