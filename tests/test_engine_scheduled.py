"""Running a flow on its schedule (flowbook/engine/scheduled.py): blocking as Prefect 1 does
outside a notebook, in the background in a kernel. Every test runs on a FakeClock: the
waits for scheduled times take no real time, and nothing depends on thread timing (the
background tests wait for run events)."""

import threading
from datetime import datetime, timedelta, timezone

import pytest

from flowbook import Flow, Parameter, context, task
from flowbook.engine import scheduled
from flowbook.engine.clock import FakeClock
from flowbook.engine.events import FlowStateChanged
from flowbook.errors import UserRuntimeError, UserValueError
from flowbook.schedules import Schedule
from flowbook.schedules.clocks import DatesClock

UTC = timezone.utc
NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)  # the fake time every test starts at


@pytest.fixture
def clock():
    return FakeClock(start=NOW.timestamp())


def later(*minutes):
    return [NOW + timedelta(minutes=m) for m in minutes]


def dates(*minutes, **parameter_defaults):
    return DatesClock(later(*minutes), parameter_defaults=parameter_defaults)


def recording_flow(schedule, seen):
    """A flow whose one task appends (scheduled_start_time, x) to ``seen``."""
    @task
    def record(x):
        seen.append((context.scheduled_start_time, x))
        return x

    with Flow("scheduled", schedule=schedule) as flow:
        record(Parameter("x", default=0))
    return flow


# -- blocking, outside a notebook -------------------------------------------------------------

def test_flow_runs_once_at_each_scheduled_time(clock):
    seen = []
    recording_flow(Schedule([dates(1, 2, 3)]), seen).run(clock=clock)
    assert [when for when, _ in seen] == later(1, 2, 3)


def test_waits_on_the_runs_clock_until_each_time(clock):
    recording_flow(Schedule([dates(1, 3)]), []).run(clock=clock)
    assert clock.now() == later(3)[0].timestamp()


def test_returns_the_state_of_the_last_run(clock):
    flow = recording_flow(Schedule([dates(1, 2)]), [])
    state = flow.run(clock=clock)
    assert state.is_successful() and state is flow.runs[-1].state and len(flow.runs) == 2


def test_scheduled_start_time_is_the_events_own_datetime(clock):
    when = later(1)[0]
    seen = []
    recording_flow(Schedule([DatesClock([when])]), seen).run(clock=clock)
    assert seen[0][0] == when  # (as a pendulum.DateTime, as Prefect 1 gives it)


def test_clock_parameter_defaults_override_the_parameters_given(clock):
    seen = []
    flow = recording_flow(Schedule([dates(1, x=1), dates(2, x=2)]), seen)
    flow.run(parameters={"x": 9}, clock=clock)
    assert [x for _, x in seen] == [1, 2]


def test_a_clock_without_defaults_gets_the_parameters_given(clock):
    seen = []
    flow = recording_flow(Schedule([dates(1, x=1), dates(2)]), seen)
    flow.run(parameters={"x": 9}, clock=clock)
    assert [x for _, x in seen] == [1, 9]


def test_a_schedule_with_no_time_ahead_is_refused(clock):
    flow = recording_flow(Schedule([DatesClock([NOW - timedelta(days=1)])]), [])
    with pytest.raises(UserValueError, match="'scheduled' has no more scheduled runs"):
        flow.run(clock=clock)


def test_run_on_schedule_false_runs_once_now(clock):
    seen = []
    recording_flow(Schedule([dates(1, 2)]), seen).run(run_on_schedule=False, clock=clock)
    assert seen == [(NOW, 0)]


def test_a_run_without_schedule_gets_now_as_scheduled_start_time(clock):
    seen = []
    recording_flow(None, seen).run(clock=clock)
    assert seen == [(NOW, 0)]


def test_scheduled_start_time_given_in_context_is_replaced(clock):
    seen = []
    recording_flow(None, seen).run(context={"scheduled_start_time": 42}, clock=clock)
    assert seen[0][0] == NOW


def test_retries_of_a_scheduled_run_keep_its_scheduled_start_time(clock):
    attempts = []

    @task(max_retries=1, retry_delay=timedelta(seconds=30))
    def flaky():
        attempts.append(context.scheduled_start_time)
        if len(attempts) == 1:
            raise ValueError("first attempt fails")

    flow = Flow("retrying", tasks=[flaky], schedule=Schedule([dates(1)]))
    assert flow.run(clock=clock).is_successful()
    assert attempts == later(1, 1)


def test_task_states_given_go_to_the_first_run_only(clock):
    from flowbook.engine.state import Success

    seen = []
    flow = recording_flow(Schedule([dates(1, 2)]), seen)
    record = next(t for t in flow.tasks if t.name == "record")
    flow.run(task_states={record: Success(result="given")}, clock=clock)
    assert [when for when, _ in seen] == later(2)


# -- in the background, in a notebook ---------------------------------------------------------

@pytest.fixture
def background(monkeypatch):
    monkeypatch.setattr(scheduled, "in_background", lambda: True)


def finished_runs(flow):
    """A function waiting until the flow has finished ``n`` runs (events, not sleeps)."""
    done, count = threading.Condition(), [0]

    def on_event(event):
        if isinstance(event, FlowStateChanged) and event.new.is_finished():
            with done:
                count[0] += 1
                done.notify_all()

    flow.subscribe(on_event)

    def wait_for(n):
        with done:
            assert done.wait_for(lambda: count[0] >= n, timeout=30)
    return wait_for


def test_in_a_notebook_run_returns_a_scheduled_state_at_once(clock, background):
    flow = recording_flow(Schedule([dates(5)]), [])
    state = flow.run(clock=clock)
    assert state.is_scheduled() and state.start_time == later(5)[0]
    assert len(flow.runs) == 0
    assert flow.stop()


def test_background_runs_happen_when_the_clock_reaches_each_time(clock, background):
    seen = []
    flow = recording_flow(Schedule([dates(5, 10)]), seen)
    wait_for = finished_runs(flow)
    flow.run(clock=clock)
    clock.advance(5 * 60)
    wait_for(1)
    assert [when for when, _ in seen] == later(5) and len(flow.runs) == 1
    flow.stop()


def test_next_run_text_names_the_next_time(clock, background):
    flow = recording_flow(Schedule([dates(5)]), [])
    flow.run(clock=clock)
    assert scheduled.next_run_text(flow) == "next run at 2024-03-01 12:05:00 UTC"
    flow.stop()
    assert scheduled.next_run_text(flow) == ""


def test_stop_ends_the_runs_before_the_next_time(clock, background):
    seen = []
    flow = recording_flow(Schedule([dates(5)]), seen)
    flow.run(clock=clock)
    flow.stop()
    clock.advance(10 * 60)
    assert seen == [] and scheduled.scheduled_runs(flow) is None


def test_stop_without_scheduled_runs_says_so():
    assert Flow("idle").stop() is False


def test_a_second_run_on_schedule_is_refused_while_one_goes_on(clock, background):
    flow = recording_flow(Schedule([dates(5)]), [])
    flow.run(clock=clock)
    with pytest.raises(UserRuntimeError, match="already runs on its schedule"):
        flow.run(clock=clock)
    flow.stop()


def test_watchers_hear_when_the_next_time_moves(clock, background):
    flow = recording_flow(Schedule([dates(5, 10)]), [])
    texts = []
    unwatch = scheduled.watch(flow, lambda: texts.append(scheduled.next_run_text(flow)))
    wait_for = finished_runs(flow)
    flow.run(clock=clock)
    clock.advance(5 * 60)
    wait_for(1)
    flow.stop()
    unwatch()
    assert "next run at 2024-03-01 12:10:00 UTC" in texts and texts[-1] == ""


def test_the_schedule_ending_ends_the_background_runs(clock, background):
    flow = recording_flow(Schedule([dates(5)]), [])
    wait_for = finished_runs(flow)
    flow.run(clock=clock)
    runs = scheduled.scheduled_runs(flow)
    clock.advance(5 * 60)
    wait_for(1)
    runs.stop()  # returns once its thread has ended
    assert scheduled.scheduled_runs(flow) is None and runs.error is None


def test_an_error_in_a_background_run_is_kept(clock, background):
    flow = recording_flow(Schedule([dates(5, x="not wanted")]), [])
    flow.tasks.clear()  # the flow has no parameter x any more: the run is refused
    flow._version += 1
    flow.run(clock=clock)
    runs = scheduled.scheduled_runs(flow)
    clock.advance(5 * 60)
    runs.wait()
    assert isinstance(runs.error, UserValueError)


# -- in a real kernel -------------------------------------------------------------------------

KERNEL_CELLS = [
    "%load_ext flowbook",
    "import threading\n"
    "from datetime import datetime, timedelta, timezone\n"
    "from flowbook import Flow, task\n"
    "from flowbook.engine.clock import FakeClock\n"
    "from flowbook.schedules import Schedule\n"
    "from flowbook.schedules.clocks import DatesClock\n"
    "NOW = datetime(2024, 3, 1, 12, tzinfo=timezone.utc)\n"
    "clock = FakeClock(start=NOW.timestamp())\n"
    "done = threading.Event()\n"
    "times = [NOW + timedelta(minutes=m) for m in (5, 10)]\n"
    "nightly = Flow('nightly', tasks=[task(lambda: 1, name='one')],\n"
    "               schedule=Schedule([DatesClock(times)]))\n"
    "from flowbook.engine.events import FlowStateChanged\n"
    "nightly.subscribe(lambda e: isinstance(e, FlowStateChanged) and e.new.is_finished()\n"
    "                  and done.set())",
    "state = nightly.run(clock=clock)\n"
    "print('returned', type(state).__name__, len(nightly.runs))",
    "clock.advance(5 * 60)\n"
    "print('finished', done.wait(60), len(nightly.runs), nightly.runs[-1].state)",
    "%flow stop nightly",
]


def test_in_a_kernel_the_runs_go_on_in_the_background(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in KERNEL_CELLS])
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = ["".join(out.get("text", "") for out in cell.outputs) for cell in nb.cells]
    assert printed[2] == "returned Scheduled 0\n"
    assert printed[3] == 'finished True 1 <Success: "All reference tasks succeeded.">\n'
    assert printed[4] == "flow 'nightly' no longer runs on its schedule\n"


def test_a_watcher_stopped_while_this_module_holds_its_lock_neither_blocks_nor_stays():
    """A garbage widget's finalizer stops its watch; a collection can start while this
    thread holds the module's lock (an allocation inside watch())."""
    flow = Flow("watched")
    heard = []
    unwatch = scheduled.watch(flow, lambda: heard.append("moved"))
    with scheduled._LOCK:
        unwatch()
    scheduled._tell(flow)
    assert heard == []
