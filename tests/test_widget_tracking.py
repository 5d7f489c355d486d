"""Following one run of a flow, or its latest run, from its events (flowbook/widget/tracking.py)."""

import threading
import time

import pytest

from flowbook import Flow, task, triggers
from flowbook.engine.events import FlowStateChanged, TaskStateChanged
from flowbook.engine.state import Running, Success
from flowbook.widget.tracking import NEXT, RunTracker


def chain(n=3):
    @task
    def inc(x=0):
        return x + 1

    with Flow("chain") as flow:
        last = inc()
        for _ in range(n - 1):
            last = inc(last)
    return flow


class Calls:
    """An on_change that counts its calls and lets a test wait for them."""

    def __init__(self):
        self.count = 0
        self.called = threading.Event()

    def __call__(self):
        self.count += 1
        self.called.set()


@pytest.fixture
def tracker():
    made = []

    def make(flow, **options):
        made.append(RunTracker(flow, Calls(), **options))
        return made[-1]

    yield make
    for t in made:
        t.close()


def test_snapshot_is_empty_before_the_first_run(tracker):
    snap = tracker(chain()).snapshot()
    assert snap.run is None and snap.states == {} and snap.flow_state is None


def test_snapshot_follows_the_latest_run(tracker):
    flow = chain()
    follow = tracker(flow)
    flow.run()
    first = follow.snapshot()
    assert first.run is flow.last_run and first.flow_state.is_successful()
    assert all(s.is_successful() for s in first.states.values()) and len(first.states) == 3
    flow.run()
    assert follow.snapshot().run is flow.last_run is not first.run


def test_task_changes_wait_for_the_interval_and_a_flow_state_change_is_drawn_soon(tracker):
    flow = chain(1)
    flow.run()  # before the tracker: no redraw of the run's own changes can come late
    follow = tracker(flow, delay=0.01, interval=3600)
    run, inc = flow.last_run, flow.get_tasks("inc")[0]
    follow._on_event(FlowStateChanged(run, None, Success()))  # a first redraw, soon
    assert follow.on_change.called.wait(30)
    calls = follow.on_change.count
    assert calls == 1
    follow.on_change.called.clear()
    for _ in range(100):  # a burst of task changes: one redraw, an interval after the last
        follow._on_event(TaskStateChanged(run, inc, None, None, Success()))
    assert follow._timer is not None and follow.on_change.count == calls
    assert follow._due > time.monotonic() + 60  # due an interval after the last redraw
    follow._on_event(FlowStateChanged(run, None, Success()))
    assert follow.on_change.called.wait(30) and follow.on_change.count == calls + 1


def test_close_unsubscribes_and_cancels_a_pending_redraw(tracker):
    flow = chain()
    follow = tracker(flow, delay=3600)
    flow.run()
    assert follow._timer is not None
    follow.close()
    assert not flow.events and follow._timer is None and follow.snapshot().run is None
    assert follow.on_change.count == 0


def test_mapped_children_show_while_they_run(tracker):
    @task
    def numbers():
        return [1, 2, 3]

    @task(trigger=triggers.manual_only)
    def check(x):
        return x

    with Flow("map") as flow:
        check.map(numbers())
    follow = tracker(flow)
    flow.run()
    snap = follow.snapshot()
    children = snap.children[flow.get_tasks("check")[0]]
    assert [type(c).__name__ for c in children] == ["Paused"] * 3


def test_changes_from_many_threads_end_in_the_latest_states(tracker):
    flow = chain(1)
    follow = tracker(flow, delay=0.001, interval=0.001)
    flow.run()
    run, inc = flow.last_run, flow.get_tasks("inc")[0]

    def publish(index):
        for i in range(200):
            state = Running() if i % 2 == 0 else Success(result=i)
            follow._on_event(TaskStateChanged(run, inc, index, None, state))
            time.sleep(0)

    threads = [threading.Thread(target=publish, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        follow.snapshot()  # reading while others write
    for t in threads:
        t.join()
    children = follow.snapshot().children[inc]
    assert [type(c).__name__ for c in children] == ["Success"] * 4
    assert [c.result for c in children] == [199] * 4


def paused_flow():
    @task
    def extract():
        return 1

    @task(trigger=triggers.manual_only)
    def approve(x):
        return x

    with Flow("approval") as flow:
        approve(extract())
    return flow


def test_a_tracker_given_a_run_keeps_showing_it_when_later_runs_begin(tracker):
    flow = chain()
    flow.run()
    first = flow.last_run
    pinned = tracker(flow, run=first)
    flow.run()
    assert pinned.snapshot().run is first is not flow.last_run
    assert not pinned.following


def test_a_tracker_of_the_next_run_waits_for_a_run_to_begin_and_keeps_it(tracker):
    flow = paused_flow()
    flow.run()
    earlier = flow.last_run
    nxt = tracker(flow, run=NEXT)
    assert nxt.snapshot().run is None
    flow.resume()  # continues the earlier run: not a run that begins
    assert nxt.snapshot().run is None
    flow.run()
    later = flow.last_run
    flow.run()
    assert nxt.snapshot().run is later is not earlier


def test_resume_and_retry_of_the_run_shown_show_in_it(tracker):
    flow = paused_flow()
    flow.run()
    pinned = tracker(flow, run=flow.last_run)
    assert pinned.snapshot().flow_state.is_running()
    flow.resume()
    assert pinned.snapshot().flow_state.is_successful()


def test_show_switches_to_another_run_or_back_to_following(tracker):
    flow = chain()
    flow.run()
    first = flow.last_run
    follow = tracker(flow)
    flow.run()
    assert follow.following and follow.snapshot().run is flow.last_run
    follow.show(first)
    flow.run()
    assert not follow.following and follow.snapshot().run is first
    follow.show(None)
    assert follow.following and follow.snapshot().run is flow.last_run


def test_task_changes_go_unheard_while_a_redraw_is_pending_and_are_heard_again_after_it(tracker):
    flow = chain(3)
    follow = tracker(flow, delay=3600, interval=3600)  # the redraw a run asks for stays pending
    assert follow._on_event in flow.events.for_tasks
    flow.run()
    assert follow._timer is not None  # the run's first flow state asked for a redraw
    # The engine made no event for the tasks' later changes: nobody hears them now
    assert follow._on_event not in flow.events.for_tasks and not flow.events.for_tasks
    assert follow._on_event in flow.events.for_flows  # a run beginning or ending is heard
    follow.delay = 0
    follow._schedule(soon=True)  # the pending redraw, now
    assert follow.on_change.called.wait(30)
    assert follow._on_event in flow.events.for_tasks  # heard again, for the next redraw
    snap = follow.snapshot()  # and the redraw saw every change made meanwhile
    assert [type(s).__name__ for s in snap.states.values()] == ["Success"] * 3
    follow.close()
    assert not flow.events


def test_a_mapped_childs_state_seen_in_an_event_gives_way_to_the_parents_entry_of_the_same_time():
    from flowbook.engine.state import Mapped
    from flowbook.widget.tracking import _merged

    seen_running, applied = Running(), Success(result=1)
    applied.timestamp = seen_running.timestamp  # (the same instant, as on a fake clock)
    parent = Mapped(map_states=[applied, None])
    later = Success(result=2)
    later.timestamp = seen_running.timestamp + 1
    assert _merged(parent, {0: seen_running, 1: later}) == [applied, later]
