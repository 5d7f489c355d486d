"""Small builders for tests: tasks with a fixed behaviour, and flows from them."""

from __future__ import annotations

from flowbook import Flow, task, triggers
from flowbook.engine import signals, state


# Two trivial tasks, as source for a script run in a fresh process (the memory tests)
TRIVIAL_TASKS_SOURCE = """
from flowbook import Flow, task

@task
def one():
    return 0

@task
def inc(x):
    return x + 1
"""


def returns(value, name="returns", **options):
    """A task that returns ``value``."""
    return task(lambda: value, name=name, **options)


def raises(exc=None, name="raises", **options):
    """A task that raises ``exc`` (a ValueError by default)."""

    def body(x=None):
        raise exc if exc is not None else ValueError(f"{name} failed")

    return task(body, name=name, **options)


def passthrough(name="passthrough", **options):
    """A task taking ``x`` and returning it."""
    return task(lambda x=None: x, name=name, **options)


def chain_flow(*tasks, name="chain"):
    """A flow where each task feeds the next one's ``x``; returns (flow, [added tasks])."""
    with Flow(name) as flow:
        added = [tasks[0]()]
        for t in tasks[1:]:
            added.append(t(x=added[-1]))
    return flow, added


def upstream_states(*states_):
    """A trigger's input: {Edge: State} for the given states."""
    from flowbook.core.edge import Edge

    down = returns(None, name="down")
    return {Edge(returns(None, name=f"up{i}"), down, key=None): s for i, s in enumerate(states_)}


S, F, SK, TF, P = (state.Success, state.Failed, state.Skipped, state.TriggerFailed,
                   state.Pending)
__all__ = ["returns", "raises", "passthrough", "chain_flow", "upstream_states", "signals"]


def approval_flow(clock):
    """work (2 s on ``clock``, returns "rows") -> gate (manual_only, 3 s once approved)."""
    @task
    def work():
        clock.advance(2)
        return "rows"

    @task(trigger=triggers.manual_only)
    def gate(x):
        clock.advance(3)
        return x

    with Flow("approval") as flow:
        gate(work())
    return flow


def cell_flow(run: bool = True):
    """raw -> cleaned -> report, and other, as %%task cells (run once unless ``run`` is
    False); returns (flow, notebook namespace)."""
    from flowbook.notebook.authoring import define_task

    flow, ns = Flow("cells"), {}
    define_task(flow, "raw", "[3, 1, 2]", ns)
    define_task(flow, "cleaned", "sorted(raw)", ns)
    define_task(flow, "report", "len(cleaned)", ns)
    define_task(flow, "other", "'independent'", ns)
    if run:
        flow.run()
    return flow, ns
