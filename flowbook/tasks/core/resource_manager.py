"""``resource_manager``: a temporary resource (a cluster, a connection) set up before the tasks
of a ``with`` block and cleaned up after them, as three tasks of the flow (Prefect 1).

>>> from flowbook import Flow, task
>>> @resource_manager
... class Connection:
...     def __init__(self, url):
...         self.url = url
...     def setup(self):
...         return f"open {self.url}"
...     def cleanup(self, conn):
...         pass
>>> @task
... def query(conn):
...     return conn.upper()
>>> with Flow("db") as flow:
...     with Connection("db://x") as conn:
...         rows = query(conn)
>>> flow.run().result[rows].result
'OPEN DB://X'
"""

from __future__ import annotations

from typing import Any, Callable

from flowbook.context import context
from flowbook.core import building
from flowbook.core.task import Task, task
from flowbook.engine import signals
from flowbook.errors import UserValueError

__all__ = ["resource_manager", "ResourceManager", "ResourceContext", "ResourceSetupTask",
           "ResourceCleanupTask", "resource_cleanup_trigger", "default_reference_tasks"]


class ResourceSetupTask(Task):
    """Calls the resource manager object's ``setup()``; its result is the resource."""

    def run(self, mgr: Any) -> Any:
        return mgr.setup()


class ResourceCleanupTask(Task):
    """Calls the resource manager object's ``cleanup(resource)``. Not a reference task by
    default: a flow whose tasks succeeded succeeds even if the cleanup fails."""

    def run(self, mgr: Any, resource: Any) -> None:
        mgr.cleanup(resource)


def resource_cleanup_trigger(upstream_states: dict) -> bool:
    """Run the cleanup once every upstream task has finished, however it ended, provided the
    manager was made (edge ``mgr``) and the resource set up (edge ``resource``); else SKIP."""
    for edge, state in upstream_states.items():
        if not state.is_finished():
            raise signals.TRIGGERFAIL("Trigger was 'resource_cleanup_trigger' but some of the "
                                      "upstream tasks were not finished.")
        step = {"mgr": "init", "resource": "setup"}.get(edge.key)
        if step and state.is_skipped():
            raise signals.SKIP(f"Resource manager {step} skipped")
        if step and not state.is_successful():
            raise signals.SKIP(f"Resource manager {step} failed")
    return True


def default_reference_tasks(tasks: Any, edges_from: Any) -> set:
    """A flow's reference tasks by default (``Flow.reference_tasks``): of ``tasks``, those
    whose ``edges_from[task]`` all go to a cleanup task without a key (the tasks it waits
    for); a cleanup task and the resource's own tasks are left out, so a failed cleanup
    does not fail the flow."""

    return {t for t in tasks if not isinstance(t, ResourceCleanupTask)
            and _waits_only_for_cleanup(edges_from[t])}


def _waits_only_for_cleanup(edges: Any) -> bool:
    """Whether every edge of ``edges`` (none too: a terminal task) goes to a cleanup task
    without a key. (Asked once per task of a flow each run.)"""
    for e in edges:
        if e.key is not None or not isinstance(e.downstream_task, ResourceCleanupTask):
            return False
    return True


class ResourceContext:
    """One use of a resource in a flow: its init, setup and cleanup tasks, and a ``with``
    block. Tasks added in the block with no upstream task of the block run after the setup;
    those with no downstream task of the block run before the cleanup."""

    def __init__(self, init_task: Task, setup_task: Task | None, cleanup_task: Task,
                 flow: Any):
        self.init_task = init_task
        self.setup_task = setup_task  # None when the resource class has no setup()
        self.cleanup_task = cleanup_task
        self._flow = flow
        self._tasks: set = set()  # the tasks added to the flow inside the block
        self._saved: list = []  # what context.leave needs, one per open block

    def add_task(self, task: Task, flow: Any) -> None:
        """Note ``task``, just added to ``flow`` inside the block (``Flow.add_task`` calls)."""
        if flow is not self._flow:
            raise UserValueError(f"Multiple flows cannot be used with the same resource block: "
                                 f"task {task.name!r} goes to flow {flow.name!r} but resource "
                                 f"{self.init_task.name!r} is in flow {self._flow.name!r}; "
                                 "open one resource block per flow")
        self._tasks.add(task)

    def __enter__(self) -> Task | None:
        self._saved.append(context.enter(resource=self))
        return self.setup_task

    def __exit__(self, *exc: Any) -> None:
        context.leave(self._saved.pop())
        if any(exc):
            return
        block = self._tasks
        for child in block:
            upstream = self._flow.upstream_tasks(child)
            if self.setup_task is not None and not (block & upstream) \
                    and self.setup_task not in upstream:
                child.set_upstream(self.setup_task, flow=self._flow)
            downstream = self._flow.downstream_tasks(child)
            if not (block & downstream) and self.cleanup_task not in downstream:
                child.set_downstream(self.cleanup_task, flow=self._flow)


class ResourceManager:
    """Makes a ``ResourceContext`` each time it is called, with the arguments of the resource
    class; ``resource_manager`` builds one from a class with ``setup`` and ``cleanup``."""

    def __init__(self, resource_class: Callable, name: str | None = None,
                 init_task_kwargs: dict | None = None, setup_task_kwargs: dict | None = None,
                 cleanup_task_kwargs: dict | None = None):
        self.resource_class = resource_class
        self.name = getattr(resource_class, "__name__", "resource") if name is None else name
        self.init_task_kwargs = {"name": self.name, **(init_task_kwargs or {})}
        self.setup_task_kwargs = {"name": f"{self.name}.setup", "checkpoint": False,
                                  **(setup_task_kwargs or {})}
        self.cleanup_task_kwargs = {
            "name": f"{self.name}.cleanup", "trigger": resource_cleanup_trigger,
            "skip_on_upstream_skip": False, "checkpoint": False, **(cleanup_task_kwargs or {})}

    def __call__(self, *args: Any, flow: Any = None, **kwargs: Any) -> ResourceContext:
        flow = flow or building.active_flow()
        if flow is None:
            raise UserValueError(f"Could not infer an active Flow context for resource "
                                 f"{self.name!r}: use it inside `with Flow(...):`, or pass "
                                 "flow=...")
        init_task = task(self.resource_class, **self.init_task_kwargs)(*args, flow=flow,
                                                                        **kwargs)
        setup_task = None
        if callable(getattr(self.resource_class, "setup", None)):
            setup_task = ResourceSetupTask(**self.setup_task_kwargs)(init_task, flow=flow)
        cleanup_task = ResourceCleanupTask(**self.cleanup_task_kwargs)(
            init_task, setup_task, flow=flow)
        return ResourceContext(init_task, setup_task, cleanup_task, flow)


def resource_manager(resource_class: Callable | None = None, *, name: str | None = None,
                     init_task_kwargs: dict | None = None,
                     setup_task_kwargs: dict | None = None,
                     cleanup_task_kwargs: dict | None = None) -> Any:
    """Decorate a class with ``setup(self) -> resource`` and ``cleanup(self, resource)``:
    ``@resource_manager`` or ``@resource_manager(name=..., setup_task_kwargs=...)``."""

    def make(cls: Callable) -> ResourceManager:
        return ResourceManager(cls, name=name, init_task_kwargs=init_task_kwargs,
                               setup_task_kwargs=setup_task_kwargs,
                               cleanup_task_kwargs=cleanup_task_kwargs)

    return make if resource_class is None else make(resource_class)
