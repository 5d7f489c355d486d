"""Flows: a graph of tasks and edges, built with the functional or imperative API, and run.

>>> from flowbook import task, Flow
>>> @task
... def one():
...     return 1
>>> @task
... def inc(x):
...     return x + 1
>>> with Flow("demo") as flow:
...     total = inc(one())
>>> state = flow.run()
>>> state, state.result[total].result
(<Success: "All reference tasks succeeded.">, 2)
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from flowbook.core import building, checks, edge_index, editing, naming, running, unused
from flowbook.core.edge import Edge
from flowbook.core.ordered_set import OrderedSet
from flowbook.core.parameter import Parameter
from flowbook.core.plan import FlowCycleError, Plan, compile_plan, not_in_flow
from flowbook.core.task import Task
from flowbook.engine.events import EventBus
from flowbook.engine.result import checked as result_option
from flowbook.engine.runs import RunHistory
from flowbook.errors import UserValueError

__all__ = ["Flow", "FlowCycleError"]


_TASKS_CORE: Any = None


def _tasks_core() -> Any:
    """``flowbook.tasks.core`` (``as_task``, ``Constant``), imported when first needed:
    flowbook.tasks builds on flowbook.core, which loads without it."""
    global _TASKS_CORE
    if _TASKS_CORE is None:
        from flowbook.tasks import core

        _TASKS_CORE = core
    return _TASKS_CORE


class Flow:
    """A named graph of tasks. Use ``with Flow("name") as flow:`` and call tasks inside it."""

    def __init__(self, name: str, tasks: Iterable[Task] | None = None,
                 edges: Iterable[Edge] | None = None,
                 reference_tasks: Iterable[Task] | None = None,
                 state_handlers: Iterable[Callable] | None = None,
                 result_dir: Any = None, schedule: Any = None, result: Any = None,
                 on_failure: Callable | None = None, validate: bool | None = None,
                 terminal_state_handler: Callable | None = None):
        if not isinstance(name, str) or not name:
            raise UserValueError(f"a flow needs a non-empty name, got {name!r}")
        self.name = name
        # Sets, as in Prefect 1, iterating in the order tasks and edges were added. Changing
        # them directly leaves the indexes behind; validate() says so. flow.tasks is also the
        # index of the edges into and out of each task (core/edge_index): task -> (Edge, ...).
        # The latest plan shares its dicts, entries frozen into tuples; the next change
        # copies them first.
        self.tasks = edge_index.TaskIndex()
        self.edges: OrderedSet = OrderedSet()
        self._slugs = naming.Slugs(name)  # each task's unique slug ("load-1", "load-2")
        self.constants: dict = {}  # Task -> {argument name: plain value}
        self._mapped: set = set()  # tasks with at least one mapped edge into them
        self._reference_tasks: dict = {}  # chosen reference tasks (empty: the terminal tasks)
        self._version = 0  # bumped on every change of the graph or the reference tasks
        self._plan: tuple = (-1, None)  # (version, Plan) of the latest plan made
        self.state_handlers = running.handlers(name, state_handlers, on_failure)
        # (flow, state, reference task states) -> a new final state or None
        self.terminal_state_handler = terminal_state_handler
        self.result_dir = result_dir  # checked by the property below
        # Where tasks without a result of their own keep theirs (engine.checkpoint); a Result
        self.result = result_option(result, None, f"flow {name!r}")
        self.schedule = schedule  # flowbook.schedules.Schedule: when flow.run() runs it
        self.events = EventBus()  # run events of every run of this flow
        self.last_run: Any = None  # the FlowRun of the latest run, or None
        self.runs = RunHistory()  # the latest runs, numbered (engine/runs.py)
        for t in tasks or ():
            self.add_task(t)
        for e in edges or ():
            self.add_edge(e.upstream_task, e.downstream_task, key=e.key, mapped=e.mapped,
                          flattened=e.flattened, validate=validate)
        self.set_reference_tasks(reference_tasks or ())

    @property
    def logger(self) -> Any:  # -> logging.Logger
        """The flow's logger, ``flowbook.<name>`` (``flowbook.utilities.logging``)."""
        from flowbook.utilities.logging import get_logger

        return get_logger(self.name)

    def __repr__(self) -> str:
        return f'<Flow: name="{self.name}">'

    def __eq__(self, other: Any) -> bool:
        """Flows are equal when they have the same name, tasks, edges and reference tasks."""
        if other is self:  # the common case (dict and weak-key lookups): nothing to compare
            return True
        if type(self) is not type(other):
            return False
        return ((self.name, self.tasks, self.edges, self.reference_tasks())
                == (other.name, other.tasks, other.edges, other.reference_tasks()))

    __hash__ = object.__hash__  # a flow is also a key (registries, weak references)

    def __getstate__(self) -> dict:
        """A pickled flow (``save``, cloudpickle) is the flow as built: no runs, no
        listeners."""
        state = dict(self.__dict__)
        for name in ("events", "last_run", "runs", "_plan"):
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict) -> None:
        if "_edges_to" in state:  # pickled by an earlier flowbook: three containers per task
            state = dict(state)
            state["tasks"] = edge_index.from_pickled(
                state["tasks"], state.pop("_edges_to"), state.pop("_edges_from"))
            state.pop("_edges_shared", None)
        self.__dict__.update(state)
        self.events, self.last_run, self.runs = EventBus(), None, RunHistory()
        self._plan = (-1, None)

    @property
    def _edges_to(self) -> dict:
        """Task -> the edges into it (read only: ``core/edge_index`` changes it)."""
        return self.tasks._members

    @property
    def _edges_from(self) -> dict:
        """Task -> the edges out of it (read only: ``core/edge_index`` changes it)."""
        return self.tasks._out

    def __iter__(self) -> Any:
        """The tasks, each after its upstream tasks (``sorted_tasks()``)."""
        return iter(self.sorted_tasks())

    @property
    def slugs(self) -> dict:
        """Task -> its slug in this flow: the task's own ``slug``, else ``name-tags-N``."""
        return self._slugs.of

    @property
    def result_dir(self) -> Any:
        """Folder for checkpoints of successful results (None: none); engine/checkpoint.py.
        It can be set later too: ``flowbook.notebook_flow().result_dir = "results"``."""
        return self._result_dir

    @result_dir.setter
    def result_dir(self, folder: Any) -> None:
        checks.result_dir(self, folder)
        self._result_dir = folder

    def __enter__(self) -> "Flow":
        building.enter_flow(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        building.leave_flow(self, failed=any(exc))

    # -- building -------------------------------------------------------------------------

    def add_task(self, task: Task) -> Task:
        """Add ``task`` (once; adding it again does nothing)."""
        checks.is_task(self, task)
        if task in self.tasks:
            return task
        self._slugs.add(task)  # first: a parameter's slug is its name, as in Prefect 1
        checks.unique_parameter(self, task, self._slugs)
        self.tasks.add(task)
        unused.added(self, task)
        self._version += 1
        building.note_task(self, task)
        return task

    def add_edge(self, upstream_task: Any, downstream_task: Any, key: str | None = None,
                 mapped: bool = False, flattened: bool = False,
                 validate: bool | None = None) -> Edge:
        """Make ``upstream_task`` run first; with ``key``, its result feeds that argument.

        A plain value (not a task) with a key becomes a constant argument. ``validate=True``
        also checks the keys against the task's signature (TypeError) and the flow for
        cycles at once, instead of when it runs."""
        tasks_core = _tasks_core()
        upstream_task, mapped, flattened = checks.edge_options(
            upstream_task, downstream_task, mapped, flattened)
        upstream_task = tasks_core.as_task(upstream_task, flow=self)
        downstream_task = tasks_core.as_task(downstream_task, flow=self)
        if (isinstance(upstream_task, tasks_core.Constant) and key and not mapped
                and not flattened):
            self.add_task(downstream_task)
            self.constants.setdefault(downstream_task, {})[key] = upstream_task.value
            self._version += 1
            return Edge(upstream_task, downstream_task, key)
        tasks = self.tasks
        checks.new_edge(self, upstream_task, downstream_task, key, validate,
                        tasks._members.get(downstream_task, ()))
        if upstream_task not in tasks:
            self.add_task(upstream_task)
        if downstream_task not in tasks:
            self.add_task(downstream_task)
        edge = Edge(upstream_task, downstream_task, key, mapped, flattened)
        self.edges.add(edge)
        edge_index.add_edge(self, edge)
        self._version += 1
        if validate:
            self.validate()
        return edge

    def set_dependencies(self, task: Any, upstream_tasks: Iterable | None = None,
                         downstream_tasks: Iterable | None = None,
                         keyword_tasks: dict | None = None, mapped: bool = False,
                         validate: bool | None = None) -> None:
        """Add ``task`` and its edges: state-only from ``upstream_tasks``, data from
        ``keyword_tasks`` (argument name -> task or value), and to ``downstream_tasks``."""
        task = _tasks_core().as_task(task, flow=self)
        self.add_task(task)
        for up in upstream_tasks or ():
            self.add_edge(up, task, mapped=mapped, validate=False)
        for down in downstream_tasks or ():
            self.add_edge(task, down, validate=False)
        for key, up in (keyword_tasks or {}).items():
            self.add_edge(up, task, key=key, mapped=mapped, validate=False)
        if validate:
            self.validate()

    def chain(self, *tasks: Any, validate: bool | None = None) -> list:
        """Make each task run after the previous one; returns the new edges."""
        return [self.add_edge(up, down, validate=validate) for up, down in zip(tasks, tasks[1:])]

    def remove_task(self, task: Task) -> None:
        """Remove ``task`` and every edge touching it."""
        self._require(task)
        edge_index.remove_task(self, task)  # out of self.tasks too
        for index in (self.constants, self._reference_tasks):
            index.pop(task, None)
        self._slugs.remove(task)
        self._version += 1

    def remove_edge(self, edge: Edge) -> None:
        """Remove one edge (the tasks stay in the flow)."""
        if edge not in self.edges:
            raise UserValueError(f"flow {self.name!r} has no edge {edge!r}")
        self.edges.remove(edge)
        edge_index.remove_edge(self, edge)
        self._version += 1

    def _frozen_edges(self) -> tuple:
        """The edge indexes, frozen for a plan to share (``edge_index.freeze``)."""
        return edge_index.freeze(self)

    # -- reading the graph ----------------------------------------------------------------

    def _require(self, task: Any) -> None:
        if task not in self.tasks:
            raise not_in_flow(task, self.name, f" (Task {task!r} was not found in Flow {self!r})")

    def edges_to(self, task: Task) -> OrderedSet:
        """The edges into ``task`` (from other tasks; constants are in ``constants``)."""
        self._require(task)
        return OrderedSet(self._edges_to[task])

    def edges_from(self, task: Task) -> OrderedSet:
        """The edges out of ``task``."""
        self._require(task)
        return OrderedSet(self._edges_from[task])

    def upstream_tasks(self, task: Task) -> set:
        return {e.upstream_task for e in self.edges_to(task)}

    def downstream_tasks(self, task: Task) -> set:
        return {e.downstream_task for e in self.edges_from(task)}

    def root_tasks(self) -> set:
        return {t for t in self.tasks if not self._edges_to[t]}

    def terminal_tasks(self) -> set:
        return {t for t in self.tasks if not self._edges_from[t]}

    def parameters(self) -> set:
        return {t for t in self.tasks if isinstance(t, Parameter)}

    def get_tasks(self, name: str | None = None, slug: str | None = None,
                  tags: Iterable[str] | None = None, task_type: type | None = None) -> list:
        """The tasks matching every condition given: ``name``, ``slug`` (the flow's slug of
        the task), all of ``tags``, an instance of ``task_type``; all tasks when none is."""
        tags = None if tags is None else set(tags)
        return [t for t in self.tasks
                if (name is None or t.name == name)
                and (slug is None or self.slugs.get(t) == slug)
                and (tags is None or tags <= set(t.tags))
                and (task_type is None or isinstance(t, task_type))]

    def reference_tasks(self) -> set:
        """The tasks whose states decide the flow's state (default: the terminal tasks, with
        a resource's cleanup task left out, and so the tasks it waits for and the resource's
        own tasks; see tasks/core/resource_manager)."""
        if self._reference_tasks:
            return set(self._reference_tasks)
        from flowbook.tasks.core.resource_manager import default_reference_tasks

        return default_reference_tasks(self.tasks, self._edges_from)

    def chosen_reference_tasks(self) -> list:
        """The reference tasks set with ``set_reference_tasks`` (empty: the default, the
        terminal tasks, applies)."""
        return list(self._reference_tasks)

    def set_reference_tasks(self, tasks: Iterable[Task]) -> None:
        """Let ``tasks`` decide the flow's final state; an empty list restores the default."""
        tasks = list(tasks)
        checks.reference_tasks(self, tasks)
        self._reference_tasks = dict.fromkeys(tasks)
        self._version += 1

    def sorted_tasks(self, root_tasks: Iterable[Task] | None = None) -> tuple:
        """The tasks in an order where each comes after its upstream tasks; with
        ``root_tasks``, only those and the tasks below them.

        Raises FlowCycleError (naming the tasks) when the edges form a cycle.
        """
        order = self.plan().order
        if not root_tasks:
            return order
        below = edge_index.below(self, root_tasks)
        return tuple(t for t in order if t in below)

    def plan(self) -> Plan:
        """The frozen plan of the flow as it is now (``flowbook.core.plan``): what a run
        reads. The same Plan object is returned until the flow changes."""
        version, plan = self._plan
        if version != self._version:
            plan = compile_plan(self)
            self._plan = (self._version, plan)
        return plan

    def validate(self) -> None:
        """Check the flow can run: no cycle, reference tasks in the flow, a result_dir for
        tasks that ask for checkpoints."""
        checks.validate(self)

    def copy(self) -> "Flow":
        """A new flow with the same name, tasks, edges, constants and reference tasks (and
        no runs); changing one leaves the other alone."""
        return editing.copy(self)

    def save(self, path: Any = None) -> str:
        """Write the flow as built (not its runs) to ``path`` with cloudpickle; by default
        to ``~/.flowbook/flows/<name>.flowbook``. Returns the path."""
        from flowbook.core import saving

        return saving.save(self, path)

    @classmethod
    def load(cls, where: Any) -> "Flow":
        """A flow saved with ``save``: give its path, or its name when saved by default."""
        from flowbook.core import saving

        return saving.load(where)

    def replace(self, old: Task, new: Any, validate: bool = True) -> None:
        """Put ``new`` (a task, or a value made a constant) where ``old`` is: its edges,
        constants and reference choice move to ``new``."""
        editing.replace(self, old, new, validate)

    def update(self, flow: "Flow", merge_parameters: bool = False,
               validate: bool | None = None, merge_reference_tasks: bool = False) -> None:
        """Add the tasks, edges and constants of ``flow`` to this flow. With
        ``merge_parameters``, this flow's parameters named as one of ``flow``'s are replaced
        by it; with ``merge_reference_tasks``, its reference tasks join this flow's."""
        editing.update(self, flow, merge_parameters, validate, merge_reference_tasks)

    # -- running --------------------------------------------------------------------------

    def run(self, parameters: dict | None = None, task_states: dict | None = None,
            executor: Any = None, context: dict | None = None, *, clock: Any = None,
            breakpoints: Any = None, reuse: bool = False,
            run_on_schedule: bool | None = None, flow_run_name: str | None = None,
            state: Any = None, **parameter_values: Any) -> Any:
        """Run the flow and return its flow State.

        Parameters come in ``parameters`` or as keywords: ``flow.run(x=1)``. A finished
        ``state`` (``Failed("...")``, say) is returned as the run's state without running.

        ``executor`` runs the tasks: ``LocalExecutor()`` (the default, one after another),
        ``LocalDaskExecutor()`` (threads in this process) or ``DaskExecutor()`` (a Dask
        cluster), all from ``flowbook.executors``. ``state.result`` maps every task to its
        final state. The run never blocks on a person: with paused tasks left, the returned
        state is Running; approve them with ``flow.resume()``. Failed tasks can be run again
        with ``flow.retry()``. ``clock`` (``flowbook.engine.clock.FakeClock()``, say) is where
        the run reads the time and sleeps until retries; resume and retry keep it.
        ``breakpoints`` (tasks or task names) stops the run before each of them, Paused:
        ``flow.step()`` runs the next task alone, ``flow.resume()`` continues. With
        ``reuse=True`` a task whose code and inputs are unchanged since it last succeeded in
        this kernel ends Cached with that result instead of running (``engine.reuse``);
        ``%flow run`` in a notebook does that.

        A flow with a ``schedule`` runs at each of its times unless ``run_on_schedule`` is
        False (``engine.scheduled``): outside a notebook this blocks until the schedule ends
        and returns the last run's state; in a notebook the runs go on in the background,
        a Scheduled state is returned at once and ``flow.stop()`` ends them.
        ``flow_run_name`` is the run's ``context.flow_run_name`` (default: a new uuid).
        """
        options = dict(task_states=task_states, executor=executor, context=context,
                       clock=clock, breakpoints=breakpoints, reuse=reuse)
        return running.run(self, parameters, parameter_values, options, run_on_schedule,
                           flow_run_name, state)

    def stop(self) -> bool:
        """End this flow's runs on its schedule going on in the background (a run in
        progress finishes first); False when none were going on."""
        from flowbook.engine import scheduled

        return scheduled.stop(self)

    def step(self, task: Any = None, *, parameters: dict | None = None,
             executor: Any = None, clock: Any = None) -> Any:
        """Run exactly one task, then stop before the next ones (Paused at a breakpoint).

        The run that stands at a breakpoint (``flow.run(breakpoints=...)``, or an earlier
        step) runs ``task`` (a Task or its name; default: the first stopped task in run
        order); without such a run, a new run begins (with ``parameters``, ``executor``,
        ``clock``) and its first task runs. ``flow.resume()`` continues the run to its end.
        """
        return running.step(self, task, parameters, executor, clock)

    def resume(self, *tasks: Any, executor: Any = None) -> Any:
        """Approve paused tasks (all of them when none are named) and continue the last run,
        on its executor unless ``executor`` is given."""
        from flowbook.engine import continuation

        return continuation.resume(self._last_run("resume"), tasks, executor)

    def retry(self, *tasks: Any, executor: Any = None) -> Any:
        """Run failed tasks again (all when none are named), and what did not succeed below
        them, continuing the last run (on its executor unless ``executor`` is given) and
        keeping every other result."""
        from flowbook.engine import continuation

        return continuation.retry(self._last_run("retry"), tasks, executor)

    def retry_from(self, task: Any, executor: Any = None) -> Any:
        """Run ``task`` (a Task or its name) again, and every task below it, successful
        ones too, continuing the last run (on its executor unless ``executor`` is given) and
        keeping every other result: after changing a task's code, say."""
        from flowbook.engine import continuation

        return continuation.retry_from(self._last_run("retry"), task, executor)

    def _last_run(self, action: str) -> Any:
        return running.last_run(self, action)

    def stale(self) -> list:
        """The tasks whose results do not reflect the notebook's code, in run order: a
        ``%%task`` cell edited since its task ran, an ``@task`` function redefined since
        this flow was built, and every task below them (``notebook.stale``)."""
        from flowbook.notebook.stale import stale

        return stale(self)

    @property
    def last_state(self) -> Any:
        """The flow state of the latest run (None before the first run)."""
        return None if self.last_run is None else self.last_run.state

    def subscribe(self, callback: Callable, kinds: Any = None) -> Callable[[], None]:
        """Call ``callback(event)`` on every state change of this flow's runs: a
        ``TaskStateChanged`` or a ``FlowStateChanged`` (flowbook.engine.events); ``kinds``,
        one of them or both, limits the events to those (a view that reads a run's states
        when it redraws needs the flow's changes only, and the tasks' while it has no redraw
        pending).

        Returns a function that unsubscribes.
        """
        return self.events.subscribe(callback, kinds)

    # -- debugging ------------------------------------------------------------------------

    def inputs(self, task: Any, map_index: int | None = None) -> dict:
        """What ``task`` (a Task, its name, or ``"name[3]"`` for a mapped child) was given in
        its latest run: argument name -> value. A mapped task without ``map_index`` stands
        for its first failed child."""
        from flowbook.engine import postmortem

        return postmortem.inputs(self._last_run("look at"), task, map_index)

    def debug(self, task: Any, map_index: int | None = None) -> None:
        """Open pdb post-mortem where ``task``'s latest run failed, in the frame of its code
        with its inputs in scope (``p NAME`` shows one, ``q`` quits). ``%flow load TASK``
        puts its inputs and code in a cell instead, to fix it there."""
        from flowbook.engine import postmortem

        postmortem.debug(self._last_run("debug"), task, map_index)

    # -- seeing ---------------------------------------------------------------------------

    def widget(self, follow: bool = False) -> Any:
        """The live widget of this flow's latest run (same as ``flowbook.show(flow)``): the
        DAG coloured by state, Resume/Retry actions and a panel saying why each task ran or
        not. With ``follow=True`` (or before any run) it shows each new run as it begins."""
        from flowbook.widget.flow_widget import FlowWidget

        return FlowWidget(self, follow=follow)

    def visualize(self, flow_state: Any = None, filename: str | None = None,
                  format: str | None = None, horizontal: bool = False) -> Any:
        """The flow as a ``graphviz.Digraph``, drawn as Prefect 1 draws it: a node per task
        (a box ``"name <map>"`` when mapped), edges labelled with their argument. With
        ``flow_state`` (a State from ``flow.run()``) nodes are filled with their state's
        colour, a mapped task's children drawn one box each. With ``filename`` it is also
        rendered to ``filename.<format>`` ("pdf", "png", "svg", ...); outside a notebook it
        opens in the system's viewer. ``horizontal=True`` lays it out left to right. The live,
        recolouring view is ``flow.widget()``. (``flowbook.core.visualize``)"""
        from flowbook.core.visualize import visualize

        return visualize(self, flow_state, filename=filename, format=format,
                         horizontal=horizontal)

