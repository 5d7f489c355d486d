"""Following one run of a flow (or its latest run) from its events, for a view that redraws
now and then.

A tracker shows one run: the run it was given, the next run to begin (``NEXT``: a magic shows
its widget before it starts the run), or, with ``follow``, whichever run is the latest. Events
of other runs cost it one check; when another run begins or ends, ``on_other_run`` lets a view
update its list of runs without a redraw. Events come from whatever thread runs a task (the
kernel's, an executor's, a widget action's). The subscriber notes only what the run's own
states do not hold yet (a new run, the state of a mapped child) and asks for a redraw:
``on_change`` runs on a timer thread at most every ``interval`` seconds, ``delay`` after the
first change, so a run is never slowed down by drawing; a change of the flow's state (a run
began, ended, waits) is drawn ``delay`` after it. ``snapshot()`` reads the latest run's
states at that moment. The tracker hears every change of the flow's state, but a task's only
while no redraw is pending: the redraw reads the states as they are by then, and meanwhile
the engine makes no event for it (an event per state change was a tenth of a trivial task's
run time).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from collections.abc import Callable
from typing import Any

from flowbook.engine.events import FlowStateChanged, TaskStateChanged

__all__ = ["RunTracker", "Snapshot", "NEXT"]

NEXT = "next"  # the run a tracker shows: the next run of the flow to begin


@dataclass
class Snapshot:
    """The latest run as one redraw sees it."""

    run: Any = None  # the FlowRun shown (None: the flow has not run)
    states: dict = field(default_factory=dict)  # Task -> latest State
    children: dict = field(default_factory=dict)  # mapped Task -> [child State or None]
    flow_state: Any = None  # the run's flow State
    # Task -> staleness.Stale: its result is older than the notebook's code (filled by the
    # view, for the flow's latest run only: an older run's results are all older)
    stale: dict = field(default_factory=dict)


class RunTracker:
    """Subscribes to ``flow``'s run events until ``close()``; holds no run but the one shown.

    ``run``: the FlowRun to show, ``NEXT`` (the next run to begin) or None (the latest run,
    and each later one: ``following`` is then True).
    """

    def __init__(self, flow: Any, on_change: Callable[[], Any], run: Any = None,
                 delay: float = 0.05, interval: float = 0.25,
                 on_other_run: Callable[[], Any] | None = None):
        self.flow = flow  # the Flow whose runs are shown
        self.on_other_run = on_other_run  # called when a run not shown begins or ends
        self.following = run is None  # shows each new run as it begins
        self._waiting = run is NEXT  # pinned to the next run to begin, none seen yet
        self.on_change = on_change  # called on the timer thread after changes
        self.delay = delay  # seconds between a first change and its redraw
        self.interval = interval  # least seconds between two redraws
        self._lock = threading.Lock()  # guards every field below
        self._run: Any = None  # the latest FlowRun seen
        self._children: dict = {}  # mapped Task -> {map index: State} from its events
        self._timer: threading.Timer | None = None  # the pending redraw, if any
        self._due = 0.0  # time.monotonic() when the pending redraw fires
        self._last_redraw = 0.0  # time.monotonic() of the latest redraw
        self._closed = False
        shown = flow.last_run if run is None else None if run is NEXT else run
        if shown is not None:
            self._follow(shown)
        # The flow's changes always; the tasks' only while no redraw is pending (_mute): the
        # redraw reads the run's states as they are then, so a change meanwhile adds nothing
        # to it, and a run is not slowed down by an event per state change
        self._unsubscribe = flow.subscribe(self._on_event, FlowStateChanged)
        self._stop_tasks: Callable[[], None] | None = flow.subscribe(self._on_event,
                                                                     TaskStateChanged)

    @property
    def run(self) -> Any:
        """The FlowRun shown (None: none yet)."""
        return self._run

    def stop_waiting(self) -> None:
        """A tracker of the next run that saw none begin (the run was refused) shows the
        flow's latest run instead, and no later one."""
        with self._lock:
            waiting, self._waiting = self._waiting, False
        if waiting and self.flow.last_run is not None:
            self.show(self.flow.last_run)

    def show(self, run: Any) -> None:
        """Show ``run`` from now on (None: follow the latest run), and redraw soon."""
        with self._lock:
            self.following, self._waiting = run is None, False
            shown = self.flow.last_run if run is None else run
            if shown is not self._run:
                self._follow(shown)
        self._schedule(soon=True)

    def _on_event(self, event: Any) -> None:
        # The engine's hot path: two checks when the change is an ordinary task's.
        if event.__class__ is TaskStateChanged:
            if event.run is not self._run:
                if not self.following:
                    return  # another run's task: nothing this view shows
                self._note(event)
            elif event.map_index is not None:
                self._note(event)
            if self._timer is None:
                self._schedule()
            self._mute()
        elif (event.run is not self._run and not self.following and not self._waiting
              and self.on_other_run is not None):
            self.on_other_run()  # another run began or ended: only the list of runs changes
        else:  # the flow's state: a run began, ended or waits for a person; show it soon
            self._note(event)
            self._schedule(soon=True)

    def _note(self, event: Any) -> None:
        with self._lock:
            if event.run is not self._run and (
                    self.following and event.run is self.flow.last_run
                    or self._waiting and event.__class__ is not TaskStateChanged
                    and event.old is None):
                self._waiting = False  # a run began: the one a NEXT tracker shows
                self._follow(event.run)
            if (event.__class__ is TaskStateChanged and event.map_index is not None
                    and event.run is self._run):
                self._children.setdefault(event.task, {})[event.map_index] = event.new

    def _mute(self) -> None:
        """Stop hearing task changes while a redraw is pending (``_fire`` listens again)."""
        with self._lock:
            if self._timer is None:
                return
            stop, self._stop_tasks = self._stop_tasks, None
        if stop is not None:
            stop()

    def _listen(self) -> None:
        """Hear task changes again (the caller holds the lock), unless closed."""
        if self._stop_tasks is None and not self._closed:
            self._stop_tasks = self.flow.subscribe(self._on_event, TaskStateChanged)

    def _follow(self, run: Any) -> None:
        self._run, self._children = run, {}

    def _schedule(self, soon: bool = False) -> None:
        """Ask for a redraw: ``delay`` from now if ``soon``, else also ``interval`` after the
        last one."""
        with self._lock:
            if self._closed:
                return
            now = time.monotonic()
            due = now + self.delay if soon else max(now + self.delay,
                                                     self._last_redraw + self.interval)
            if self._timer is not None:
                if self._due <= due:
                    return
                self._timer.cancel()
            self._due = due
            self._timer = threading.Timer(due - now, self._fire)
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if self._timer is not threading.current_thread():
                return  # replaced by a sooner redraw, or closed
            self._timer = None  # changes from now on ask for another redraw
            self._last_redraw = time.monotonic()
            self._listen()  # before the redraw reads the states: no change falls between
        self.on_change()

    def snapshot(self) -> Snapshot:
        """The latest run's states now (copied, so the run may go on meanwhile)."""
        with self._lock:
            run = self._run
            seen = {task: dict(children) for task, children in self._children.items()}
        if run is None:
            return Snapshot()
        states = dict(run.states)  # one C-level copy: safe while other threads record
        children = {task: _merged(state, seen.get(task, {}))
                    for task, state in states.items() if state.is_mapped() or task in seen}
        return Snapshot(run, states, children, run.state)

    def close(self) -> None:
        """Stop following: unsubscribe, cancel a pending redraw, forget the run."""
        with self._lock:
            self._closed = True
            timer, self._timer = self._timer, None
            self._follow(None)
        if timer is not None:
            timer.cancel()
            if timer is not threading.current_thread():
                timer.join()  # its thread holds this tracker until it ends; it ends at once
        self._unsubscribe()
        with self._lock:
            stop, self._stop_tasks = self._stop_tasks, None
        if stop is not None:
            stop()


def _merged(state: Any, seen: dict) -> list:
    """A mapped task's children: the parent's ``map_states``, with newer states from events
    for children still being run (the parent's list is filled in once they all ran)."""
    known = list(state.map_states) if state.is_mapped() else []
    for index, child in seen.items():
        if index >= len(known):
            known.extend([None] * (index + 1 - len(known)))
        # the parent's own entry is the state applied last when both have the same time (a
        # child's state seen before the tracker stopped hearing task changes may be older)
        if known[index] is None or child.timestamp > known[index].timestamp:
            known[index] = child
    return known
