"""The run event bus (flowbook/engine/events.py): subscribing, publishing, and a failing
subscriber logged on ``flowbook.events`` while the run goes on."""

import logging
import weakref

import pytest

from flowbook import Flow, task
from flowbook.engine.events import EventBus
from flowbook.errors import UserTypeError, UserValueError


def broken_view(event):
    raise RuntimeError("view exploded")


def events_logged(caplog):
    return [r for r in caplog.records if r.name == "flowbook.events"]


def test_a_bus_is_true_only_while_someone_listens():
    bus = EventBus()
    assert not bus
    unsubscribe = bus.subscribe(print)
    assert bus
    unsubscribe()
    assert not bus


def test_subscribe_refuses_what_cannot_be_called():
    with pytest.raises(UserTypeError, match="subscribe\\(\\) takes a callable, got 42"):
        EventBus().subscribe(42)


def test_a_failing_subscriber_is_logged_with_its_name_and_traceback(caplog):
    bus = EventBus()
    bus.subscribe(broken_view)
    bus.publish("event")
    (record,) = events_logged(caplog)
    assert record.levelno == logging.ERROR and "broken_view" in record.getMessage()
    assert record.exc_info[0] is RuntimeError and "view exploded" in caplog.text
    assert "Traceback" in caplog.text


def test_the_subscribers_after_a_failing_one_still_get_the_event(caplog):
    bus, seen = EventBus(), []
    bus.subscribe(broken_view)
    bus.subscribe(seen.append)
    bus.publish("event")
    assert seen == ["event"]


def test_a_subscriber_failing_again_the_same_way_is_logged_once(caplog):
    bus = EventBus()
    bus.subscribe(broken_view)
    for _ in range(100):
        bus.publish("event")
    assert len(events_logged(caplog)) == 1


def test_another_kind_of_error_of_the_same_subscriber_is_logged_too(caplog):
    errors = iter([RuntimeError("one"), RuntimeError("two"), KeyError("three")])

    def flaky_view(event):
        raise next(errors)

    bus = EventBus()
    bus.subscribe(flaky_view)
    for _ in range(3):
        bus.publish("event")
    assert [r.exc_info[0] for r in events_logged(caplog)] == [RuntimeError, KeyError]


def test_a_subscriber_subscribed_again_is_logged_afresh(caplog):
    bus = EventBus()
    unsubscribe = bus.subscribe(broken_view)
    bus.publish("event")
    unsubscribe()
    bus.subscribe(broken_view)
    bus.publish("event")
    assert len(events_logged(caplog)) == 2


def test_a_failing_subscriber_never_stops_the_run(caplog):
    @task
    def answer():
        return 42

    with Flow("events") as flow:
        out = answer()
    flow.subscribe(broken_view)
    state = flow.run()
    assert state.is_successful() and state.result[out].result == 42
    assert len(events_logged(caplog)) == 1  # one traceback for the whole run


class Closer:
    """A view that unsubscribes when it is collected, as a garbage widget's ``__del__``
    closes it; the cycle means only the cyclic collector frees it."""

    def __init__(self, bus):
        me = weakref.ref(self)  # the bus must not keep it alive, as a widget's tracker
        self.unsubscribe = bus.subscribe(lambda event: me())
        self.me = self

    def __del__(self):
        self.unsubscribe()


def test_an_unsubscribe_while_this_thread_holds_the_lock_neither_blocks_nor_is_lost():
    bus = EventBus()
    unsubscribe = bus.subscribe(print)
    with bus._lock:  # where a collection inside subscribe() calls a finalizer
        unsubscribe()
    assert not bus


def test_finalizers_unsubscribing_during_subscribes_lose_no_change():
    import gc

    bus = EventBus()
    kept = [lambda event, i=i: None for i in range(100)]
    threshold = gc.get_threshold()
    gc.collect()
    gc.set_threshold(1)  # a collection at nearly every allocation, subscribe()'s included
    try:
        for callback in kept:
            Closer(bus)  # garbage at once: its finalizer runs in a later collection
            bus.subscribe(callback)
    finally:
        gc.set_threshold(*threshold)
    gc.collect()
    assert bus.for_tasks == bus.for_flows == tuple(kept)


def test_each_kind_of_event_goes_to_its_subscribers_and_the_engine_can_ask_who_hears_it():
    from flowbook.engine.events import FlowStateChanged, TaskStateChanged

    bus = EventBus()
    assert not bus and bus.for_tasks == () and bus.for_flows == ()
    everything, flows, tasks = [], [], []
    stop_all = bus.subscribe(everything.append)
    stop_flows = bus.subscribe(flows.append, FlowStateChanged)
    bus.subscribe(tasks.append, kinds=[TaskStateChanged])
    task_event, flow_event = TaskStateChanged(1, 2, None, 3, 4), FlowStateChanged(1, None, 4)
    bus.publish(task_event)
    bus.publish(flow_event)
    assert (everything, flows, tasks) == ([task_event, flow_event], [flow_event], [task_event])
    stop_all()
    stop_flows()
    assert bus and bus.for_tasks == (tasks.append,) and bus.for_flows == ()


def test_the_same_callback_subscribed_twice_is_unsubscribed_once_each_time():
    bus, seen = EventBus(), []
    first, second = bus.subscribe(seen.append), bus.subscribe(seen.append)
    first()
    bus.publish(Flow("f"))  # (any object stands for an event of the flow here)
    assert len(seen) == 1
    second()
    assert not bus


def test_subscribing_to_something_that_is_no_kind_of_event_is_refused_naming_the_kinds():
    with pytest.raises(UserValueError, match="TaskStateChanged and/or FlowStateChanged"):
        EventBus().subscribe(print, kinds=(str,))
