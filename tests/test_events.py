"""Run events (flowbook/engine/events.py, published by FlowRun.apply): a subscriber sees
exactly one event per state change, in order, on every path a state can change by (a run,
a resume, a retry, mapped children, an interrupt), on every executor; and mapped children
resumed or retried run their state handlers and publish events like any other change.

The check is by identity: for every task and mapped child of a run, the first event's
``old`` followed by every event's ``new`` is ``run.task_history(task, map_index)``.
Task bodies live in ``dask_tasks`` and ``rough_tasks`` so that they travel to Dask workers.
"""

from collections import defaultdict

import dask_tasks
import pytest
import rough_tasks

from flowbook import Flow, context, task, triggers, unmapped
from flowbook.engine import state as st
from flowbook.engine.events import TaskStateChanged

EXECUTORS = ["local", "threads", "dask"]


@pytest.fixture(params=EXECUTORS)
def executor(request, make_executor):
    return make_executor(request.param)


def recorded(flow):
    """The list every TaskStateChanged of ``flow``'s runs is appended to, from now on."""
    events = []
    flow.subscribe(lambda e: events.append(e) if isinstance(e, TaskStateChanged) else None)
    return events


def keys_of(run):
    """(task, map_index) of every task with a state in ``run``, and of every mapped child."""
    keys = []
    for t in run.plan.tasks:
        state = run.states.get(t)
        if state is None:
            continue
        keys.append((t, None))
        if state.is_mapped():
            keys.extend((t, i) for i in range(len(state.map_states)))
    return keys


def assert_one_event_per_change(run, events):
    """Every state change of every task and child in ``run`` was published once, in order."""
    by_key = defaultdict(list)
    for event in events:
        assert event.run is run
        by_key[(event.task, event.map_index)].append(event)
    keys = keys_of(run)
    assert set(by_key) == set(keys), "events for tasks without a state, or states without events"
    for key in keys:
        mine = by_key[key]
        for before, after in zip(mine, mine[1:]):
            assert after.old is before.new, f"{key}: an event's old is not the previous new"
        published = [mine[0].old] + [e.new for e in mine]
        history = run.task_history(*key)
        assert len(published) == len(history), f"{key}: {published} != {history}"
        assert all(p is h for p, h in zip(published, history)), f"{key}: not the same states"


def kinds(states):
    return [type(s).__name__ for s in states]


# -- one event per change, on every path -------------------------------------------------

def test_a_plain_run_publishes_one_event_per_change(executor, tmp_path):
    with Flow("plain") as flow:
        sq = task(dask_tasks.square)(3)
        task(dask_tasks.total)([sq, 1])
        missing = task(dask_tasks.needs_file)(str(tmp_path / "never"))
        task(dask_tasks.square, name="after_missing")(missing)
        task(dask_tasks.fail_first_run, max_retries=1, retry_delay=0)()
    events = recorded(flow)
    flow.run(executor=executor)
    assert_one_event_per_change(flow.last_run, events)


def test_a_run_that_retries_a_task_publishes_its_retrying_and_second_attempt(executor):
    with Flow("retrying") as flow:
        t = task(dask_tasks.fail_first_run, max_retries=1, retry_delay=0)()
    events = recorded(flow)
    flow.run(executor=executor)
    assert kinds(e.new for e in events) == ["Running", "Failed", "Retrying", "Running",
                                            "Success"]
    assert_one_event_per_change(flow.last_run, events)
    assert flow.last_run.states[t].result == 2


def test_resuming_paused_tasks_publishes_one_event_per_change(executor):
    with Flow("resume") as flow:
        paused = task(dask_tasks.pause_until_resumed, name="paused")(5)
        task(dask_tasks.square)(paused)
        task(dask_tasks.square, name="approved", trigger=triggers.manual_only)(4)
    events = recorded(flow)
    flow.run(executor=executor)
    assert_one_event_per_change(flow.last_run, events)
    assert flow.resume().is_successful()
    assert_one_event_per_change(flow.last_run, events)


def test_retrying_a_failed_task_publishes_one_event_per_change(executor, tmp_path):
    path = tmp_path / "ready"
    with Flow("retry") as flow:
        found = task(dask_tasks.needs_file)(str(path))
        task(dask_tasks.shout)(found)
        task(dask_tasks.square)(2)
    events = recorded(flow)
    assert flow.run(executor=executor).is_failed()
    assert_one_event_per_change(flow.last_run, events)
    path.touch()
    assert flow.retry().is_successful()
    assert_one_event_per_change(flow.last_run, events)


def test_mapped_children_run_retried_and_resumed_publish_one_event_per_change(
        executor, tmp_path):
    path = tmp_path / "ready"
    with Flow("mapped") as flow:
        failing = task(dask_tasks.odd_needs_file).map([1, 2, 3], path=unmapped(str(path)))
        task(dask_tasks.total)(failing)
        task(dask_tasks.odd_pauses).map([1, 2, 3])
    events = recorded(flow)
    flow.run(executor=executor)
    assert_one_event_per_change(flow.last_run, events)
    path.touch()
    flow.retry()
    assert_one_event_per_change(flow.last_run, events)
    assert flow.resume().is_successful()
    assert_one_event_per_change(flow.last_run, events)


def test_an_interrupt_and_the_retry_after_it_publish_one_event_per_change(executor, tmp_path):
    with Flow("interrupted") as flow:
        first = task(dask_tasks.square)(2)
        stop = task(rough_tasks.interrupt_first_time)(str(tmp_path / "calls"), first)
        task(dask_tasks.square, name="after")(3, upstream_tasks=[stop])
    events = recorded(flow)
    with pytest.raises(KeyboardInterrupt):
        flow.run(executor=executor)
    assert type(flow.last_run.states[stop]) is st.Cancelled
    assert_one_event_per_change(flow.last_run, events)
    assert flow.retry().is_successful()
    assert_one_event_per_change(flow.last_run, events)


# -- mapped children resumed or retried are changes like any other ----------------------

def recording_handler(seen):
    """A state handler appending (map_index, old kind, new kind) to ``seen``.

    Made in a function so that cloudpickle sends it by value to Dask workers (with a copy
    of ``seen``); handlers run where the loop is, so only the kernel's ``seen`` grows."""
    def handler(t, old, new):
        seen.append((context.get("map_index"), type(old).__name__, type(new).__name__))
    return handler


def by_child(seen):
    """``seen`` split per map_index, each in order (children run concurrently)."""
    split = defaultdict(list)
    for index, old, new in seen:
        split[index].append((old, new))
    return dict(split)


def child_events(events, t):
    split = defaultdict(list)
    for e in events:
        if e.task is t and e.map_index is not None:
            split[e.map_index].append((type(e.old).__name__, type(e.new).__name__))
    return dict(split)


def test_retried_mapped_children_run_their_state_handlers_and_publish_events(
        executor, tmp_path):
    path, seen = tmp_path / "ready", []
    with Flow("retry children") as flow:
        kids = task(dask_tasks.odd_needs_file, state_handlers=[recording_handler(seen)]).map(
            [1, 2, 3], path=unmapped(str(path)))
    events = recorded(flow)
    flow.run(executor=executor)
    assert by_child(seen)[0] == [("Pending", "Running"), ("Running", "Failed")]
    path.touch()
    seen.clear()
    before = len(events)
    assert flow.retry().is_successful()
    again = [("Failed", "Pending"), ("Pending", "Running"), ("Running", "Success")]
    assert by_child(seen) == {0: again, 2: again}
    assert child_events(events[before:], kids) == {0: again, 2: again}
    assert_one_event_per_change(flow.last_run, events)


def test_resumed_mapped_children_run_their_state_handlers_and_publish_events(executor):
    seen = []
    with Flow("resume children") as flow:
        kids = task(dask_tasks.odd_pauses, state_handlers=[recording_handler(seen)]).map(
            [1, 2, 3])
    events = recorded(flow)
    flow.run(executor=executor)
    assert by_child(seen)[0] == [("Pending", "Running"), ("Running", "Paused")]
    seen.clear()
    before = len(events)
    assert flow.resume().is_successful()
    again = [("Paused", "Resume"), ("Resume", "Running"), ("Running", "Success")]
    assert by_child(seen) == {0: again, 2: again}
    assert child_events(events[before:], kids) == {0: again, 2: again}
    assert_one_event_per_change(flow.last_run, events)
    assert flow.last_run.states[kids].result == [1, 2, 3]
