import pytest

from flowbook import Flow, context, resource_manager, task
from flowbook.core.edge import Edge
from flowbook.engine import signals
from flowbook.engine.state import Failed, Pending, Skipped, Success
from flowbook.tasks.core.resource_manager import resource_cleanup_trigger


class Log:
    """A resource that notes what happens to it."""

    events: list = []

    def __init__(self, fail_in=None):
        self.fail_in = fail_in

    def setup(self):
        Log.events.append("setup")
        if self.fail_in == "setup":
            raise RuntimeError("setup failed")
        return "handle"

    def cleanup(self, handle):
        Log.events.append(f"cleanup {handle}")
        if self.fail_in == "cleanup":
            raise RuntimeError("cleanup failed")


@pytest.fixture(autouse=True)
def no_events():
    Log.events = []


@task
def use(handle):
    Log.events.append(f"use {handle}")
    return handle


@task
def inc(x):
    return x + 1


def test_the_manager_names_its_three_tasks_after_the_class():
    manager = resource_manager(Log)
    with Flow("names"):
        block = manager()
    names = [block.init_task.name, block.setup_task.name, block.cleanup_task.name]
    assert names == ["Log", "Log.setup", "Log.cleanup"]
    assert block.cleanup_task.trigger is resource_cleanup_trigger
    assert block.cleanup_task.skip_on_upstream_skip is False


def test_the_decorator_takes_a_name_and_task_options():
    manager = resource_manager(name="Res", setup_task_kwargs={"tags": ["db"]})(Log)
    assert manager.setup_task_kwargs == {"name": "Res.setup", "checkpoint": False,
                                         "tags": ["db"]}


def test_setup_runs_before_and_cleanup_after_the_tasks_of_the_block():
    with Flow("ordered") as flow:
        with resource_manager(Log)() as handle:
            use(handle)
    assert flow.run().is_successful()
    assert Log.events == ["setup", "use handle", "cleanup handle"]


def test_tasks_of_the_block_without_upstream_tasks_wait_for_the_setup():
    with Flow("gated") as flow:
        block = resource_manager(Log)()
        with block:
            free = inc(1)
        after = inc(free)
    assert flow.upstream_tasks(free) == {block.setup_task}
    assert block.cleanup_task in flow.downstream_tasks(free)
    assert flow.upstream_tasks(after) == {free}


def test_a_failed_cleanup_does_not_fail_the_flow():
    with Flow("cleanup fails") as flow:
        block = resource_manager(Log)(fail_in="cleanup")
        with block as handle:
            use(handle)
    state = flow.run()
    assert state.is_successful() and state.result[block.cleanup_task].is_failed()


def test_a_failed_setup_skips_the_cleanup():
    with Flow("setup fails") as flow:
        block = resource_manager(Log)(fail_in="setup")
        with block as handle:
            use(handle)
    state = flow.run()
    assert state.is_failed() and state.result[block.cleanup_task].is_skipped()


def test_a_class_without_setup_gives_no_resource_and_cleanup_gets_none():
    class NoSetup:
        def cleanup(self, value):
            Log.events.append(f"cleanup {value}")

    with Flow("no setup") as flow:
        block = resource_manager(NoSetup)()
        with block as resource:
            inc(1)
    assert resource is None and block.setup_task is None
    assert flow.run().is_successful() and Log.events == ["cleanup None"]


def test_the_block_is_the_context_resource_while_open():
    with Flow("context"):
        block = resource_manager(Log)()
        with block:
            assert context["resource"] is block
        assert "resource" not in context


def test_the_cleanup_task_is_not_a_reference_task_nor_are_the_tasks_it_waits_for_alone():
    with Flow("reference") as flow:
        with resource_manager(Log)() as handle:
            inside = use(handle)
        outside = inc(1)
    assert flow.reference_tasks() == {inside, outside}


def test_a_resource_needs_a_flow():
    with pytest.raises(ValueError, match="Could not infer an active Flow"):
        resource_manager(Log)()


def test_a_task_added_to_another_flow_in_the_block_is_refused():
    flow, other = Flow("one"), Flow("two")
    with pytest.raises(ValueError, match="Multiple flows cannot be used"):
        with resource_manager(Log)(flow=flow):
            inc(1, flow=other)


def states(init, setup, other):
    from flowbook import Task

    return {Edge(Task(), Task(), key="mgr"): init, Edge(Task(), Task(), key="resource"): setup,
            Edge(Task(), Task()): other}


def test_the_cleanup_trigger_runs_whatever_the_tasks_of_the_block_did():
    assert resource_cleanup_trigger(states(Success(), Success(), Failed()))


def test_the_cleanup_trigger_waits_for_every_upstream_task():
    with pytest.raises(signals.TRIGGERFAIL):
        resource_cleanup_trigger(states(Success(), Success(), Pending()))


@pytest.mark.parametrize("init, setup, words", [(Failed(), Success(), "init failed"),
                                                (Success(), Skipped(), "setup skipped")])
def test_the_cleanup_trigger_skips_when_the_resource_was_not_made(init, setup, words):
    with pytest.raises(signals.SKIP, match=words):
        resource_cleanup_trigger(states(init, setup, Success()))
