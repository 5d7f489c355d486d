"""FlowWidget: the live view of one run of a flow in a notebook (anywidget).

The page (``static/view.js``, given inline: no build step, no extension to install) shows the
flow laid out once by Graphviz and recolours its nodes from the ``nodes`` trait; a click
selects a task, whose panel and actions come from here. Python decides every word and colour
(``view_model``, ``panel``, ``palette``); the engine decides what can be resumed or retried
(``engine.offers``). The widget holds no engine logic: it reads states, and its actions
continue *its* run (``flowbook.engine.continuation``) in a background thread, so the kernel
stays free.

One run per picture: a widget shows the run it was made for (``run=``), the run that was the
flow's latest when it was made, or, made before any run or with ``follow=True``, the latest
run as runs begin. Resume and retry continue a run, so they show in its picture.

Displayed, it is two outputs: a static picture of the run (``picture``), for where the view
cannot be live, and the live view. The page is drawn from a ``layout`` of the plan made once
per shape, which the picture shares.

A task whose result is older than the notebook's code (``notebook.stale``: its ``%%task``
cell run again with other code, its ``@task`` function redefined since the flow was built,
or a task below one) is drawn *stale*: a dashed ring around its node, words in its tooltip
and panel (``staleness``), for the flow's latest run. No run event tells of a cell run
again, so inside IPython the widget also looks after each cell (``post_run_cell``) and
redraws when what is stale changed.

In the What-if mode (``what_if``) a click on a task sets how it ends (``outcomes``, see
``what_if``): the page then shows the flow as ``engine.simulate`` says it would end, drawn
by the same ``view_model`` and ``panel`` as a run, with no action on offer; leaving the mode
shows the run again. The static picture always shows the run.

What goes wrong is shown in red (``problem``): a drawing that cannot be made (no Graphviz), a
refused action or a task body's interrupt (``running``, where actions run), as its message.
Any other exception is a bug in flowbook: logged, and the red line says so (``running``).
"""

from __future__ import annotations

import contextlib
import sys
import threading
from importlib import resources
from typing import Any

import anywidget
import traitlets

from flowbook.engine import runs, scheduled
from flowbook.errors import UserError, UserTypeError, UserValueError
from flowbook.widget import actions as offers
from flowbook.widget import panel, picture, running, staleness, timeline, view_model, what_if
from flowbook.widget.layout import Layout, lay_out
from flowbook.widget.running import bug_message, log
from flowbook.widget.tracking import NEXT, RunTracker, Snapshot

__all__ = ["FlowWidget", "MAX_DRAWN", "NEXT"]

MAX_DRAWN = 2000  # tasks; a bigger flow is not drawn (dot takes seconds, the SVG megabytes)
BYTES_PER_SECOND = 2_000_000  # a big view is redrawn less often, to keep this rate


def _static(name: str) -> str:
    return resources.files("flowbook.widget").joinpath("static", name).read_text("utf-8")


class FlowWidget(anywidget.AnyWidget):
    """The live DAG of one run of ``flow``: display it (or leave it as a cell's last
    expression). ``run``: a FlowRun to show; ``follow=True``: show each new run."""

    _esm = traitlets.Unicode(_static("view.js")).tag(sync=True)
    _css = traitlets.Unicode(_static("view.css") + panel.CSS).tag(sync=True)
    svg = traitlets.Unicode("", help="the flow laid out by dot; sent when its shape changes"
                            ).tag(sync=True)
    nodes = traitlets.Dict(help="unique task name -> its state cue, message, duration and "
                                "mapped children's counts").tag(sync=True)
    status = traitlets.Dict(help="the status line: flow, state, counts, elapsed, run number"
                            ).tag(sync=True)
    runs = traitlets.List(help="the run picker: the flow's kept runs, oldest first"
                          ).tag(sync=True)
    run = traitlets.Int(0, help="number of the run shown (0: none yet)").tag(sync=True)
    follow = traitlets.Bool(False, help="show each new run of the flow as it begins"
                            ).tag(sync=True)
    selected = traitlets.Unicode("", help="unique name of the task shown in the panel"
                                 ).tag(sync=True)
    panel = traitlets.Unicode("", help="the selected task's panel (HTML)").tag(sync=True)
    child = traitlets.Int(-1, help="the mapped child shown in the panel (-1: none)"
                          ).tag(sync=True)
    actions = traitlets.List(help="the buttons on offer: the selected task's and at most two "
                                  "global ones").tag(sync=True)
    timeline = traitlets.Dict(help="each task run as bars over time (while view is "
                                   "'timeline')").tag(sync=True)
    view = traitlets.Enum(["graph", "timeline"], "graph", help="what the page shows"
                          ).tag(sync=True)
    legend = traitlets.List(help="[state, fill, border, icon] of the states on show"
                            ).tag(sync=True)
    busy = traitlets.Bool(False, help="an action runs in a background thread").tag(sync=True)
    problem = traitlets.Unicode("", help="why the drawing or the last action did not work"
                                ).tag(sync=True)
    output = traitlets.Unicode("", help="what the latest action's run printed").tag(sync=True)
    what_if = traitlets.Bool(False, help="What-if mode: a click on a task sets how it ends and "
                             "the page shows the simulated run").tag(sync=True)
    outcomes = traitlets.Dict(help="What-if: unique task name -> the outcome set by hand "
                              "(Success, Failed, Skipped, TimedOut, ...)").tag(sync=True)
    redraw_interval = traitlets.Float(0.25, help="least seconds between two redraws")

    def __init__(self, flow: Any, run: Any = None, follow: bool = False, **kwargs: Any):
        self.flow = flow  # the Flow shown
        self._lock = threading.RLock()  # one redraw or action bookkeeping at a time
        self._closed = False
        self._layout = Layout()  # the plan drawn in the page
        self._real = Layout()  # the plan of the run shown, for the static picture
        self._names: dict = {}  # Task -> unique name, of the plan drawn in the page
        self._tasks: dict = {}  # unique name -> Task
        self._problems = {"drawing": "", "action": "", "redraw": "", "what_if": ""}
        self._snapshot = Snapshot()  # the run as the latest redraw saw it
        self._real_nodes: dict = {}  # the nodes of that run, for the static picture
        self._simulator = what_if.Simulator(flow)  # the What-if mode's simulations
        self._simulation: Any = None  # the simulation shown (None: the run is shown)
        self._targets: dict = {}  # action id -> offers.Action
        self._runner = running.Runner(flow.name, self._action_done)  # the actions' threads
        self._shown: Any = None  # the DisplayHandle of the static picture shown with the view
        self._flow_state: Any = None  # the flow state the picture was last updated for
        self._tracker: Any = None  # made below, once the traits are set
        self._syncing = False  # the widget itself sets run/follow: not a pick in the page
        self._stop_watching: Any = None  # stops the look after each cell (None: not IPython)
        self._stop_schedule: Any = None  # stops hearing of the flow's next scheduled run
        _check_run(flow, run)
        follow = follow or (run is None and flow.last_run is None)  # nothing else to show
        super().__init__(follow=follow, **kwargs)
        shown = None if follow else (run if run is not None else flow.last_run)
        self._tracker = RunTracker(flow, self.refresh, run=shown,
                                   interval=self.redraw_interval,
                                   on_other_run=self._list_runs)
        self.on_msg(self._on_message)
        self._stop_watching = _after_each_cell(self._after_cell)
        self._stop_schedule = scheduled.watch(flow, self.refresh)  # the next run's time
        self.refresh()

    def __repr__(self) -> str:
        return f"<FlowWidget of flow {self.flow.name!r}>"

    # -- redrawing ----------------------------------------------------------------------

    def refresh(self) -> None:
        """Redraw from the run shown now (changes also redraw by themselves, throttled)."""
        with self._lock:
            if self._closed:
                return
            try:
                self._redraw(self._tracker.snapshot())
                self._problems["redraw"] = ""
            except Exception as exc:  # a bug: _layout_of handles the drawing's failures
                # It must not break the run: shown, and logged once while it repeats.
                problem = bug_message("Redrawing the widget", exc)
                if problem != self._problems["redraw"]:
                    log.exception("flowbook could not redraw the widget of flow %r (a bug in "
                                  "flowbook)", self.flow.name)
                self._problems["redraw"] = problem
            self.problem = "\n".join(p for p in self._problems.values() if p)

    def _redraw(self, snap: Snapshot) -> None:
        snap.stale = self._stale_of(snap.run)
        self._real = self._layout_of(snap.run.plan if snap.run is not None else
                                     self.flow.plan())
        self._snapshot = snap
        self._real_nodes = view_model.nodes(snap, self._real.names)
        sim = self._simulation = self._simulate() if self.what_if else None
        self._use(self._real if sim is None else self._layout_of(sim.snapshot.run.plan))
        names = self._names
        with self.hold_sync():
            if sim is None:
                self.nodes = nodes = self._real_nodes
                self.status = {**view_model.status(self.flow.name, snap, names),
                               "next_run": scheduled.next_run_text(self.flow)}
            else:
                self.nodes = nodes = view_model.nodes(sim.snapshot, names, sim.chosen)
                self.status = {**view_model.status(self.flow.name, sim.snapshot, names),
                               "what_if": what_if.status_text(sim, names, snap.run),
                               "hint": what_if.HINT}
            self.legend = view_model.legend(nodes)
            self.runs = view_model.runs(list(self.flow.runs), snap.run)
            self._syncing = True
            try:
                self.run = 0 if snap.run is None else snap.run.number
                self.follow = self._tracker.following
            finally:
                self._syncing = False
            self._flush_printed()
            if self.view == "timeline":
                self.timeline = timeline.rows(snap.run, names) if snap.run else {}
            self._offer_actions(snap if sim is None else Snapshot())
            self._show_panel()
        if self.follow and self._shown is not None and snap.flow_state is not self._flow_state:
            # A following widget's picture shows the latest run as it ends or waits. A
            # widget of one run keeps the picture of when it was shown (and of its own
            # actions): the saved notebook keeps a record of the failure a later cell fixed.
            self._flow_state = snap.flow_state
            self._shown.update(self.picture(), raw=True)
        self._tracker.interval = max(self.redraw_interval,
                                     (len(self.svg) + 200 * len(nodes)) / BYTES_PER_SECOND)

    def _stale_of(self, run: Any) -> dict:
        """Task -> ``staleness.Stale`` of the flow's tasks whose results are older than the
        notebook's code, when ``run`` is the flow's latest (or no run: an outdated ``@task``
        is stale before it ever ran); an older run's results are all older: no mark."""
        if run is not None and run is not self.flow.last_run:
            return {}
        return staleness.reasons(self.flow)

    def _after_cell(self, *_: Any) -> None:
        """After each notebook cell: a cell run again may have edited a task or redefined an
        ``@task`` function (no run event says so), or, before any run, changed the plan
        drawn. Redraw if so."""
        with self._lock:
            if self._closed:
                return
            shown = self._snapshot
            if shown.run is not None and shown.run is not self.flow.last_run and not shown.stale:
                return  # an older run: never marked stale
            now = self._stale_of(shown.run)
            changed = ({t: s.why for t, s in now.items()}
                       != {t: s.why for t, s in shown.stale.items()}
                       or shown.run is None and self.flow.plan() is not self._real.plan)
        if changed:
            self.refresh()

    def _layout_of(self, plan: Any) -> Layout:
        """The plan laid out by dot (one already made, if it is of that plan)."""
        for made in (self._layout, self._real):
            if made.plan is plan:
                return made
        return lay_out(plan, MAX_DRAWN)

    def _use(self, layout: Layout) -> None:
        """Draw ``layout`` in the page; its SVG is sent only when it is another plan's."""
        if layout is self._layout:
            return
        self._layout = layout
        self._names = dict(layout.names)
        self._tasks = {name: task for task, name in self._names.items()}
        if self.selected not in self._tasks:
            self.selected = ""
        self._problems["drawing"] = layout.problem
        self.svg = "" if layout.static is None else layout.static.layout()

    def _simulate(self) -> Any:
        """The flow simulated with the outcomes set (None, and a red line, if it cannot
        be: a flow that cannot run, say)."""
        tasks = {name: task for task, name in self.flow.plan().names.items()}
        chosen = {tasks[name]: outcome for name, outcome in self.outcomes.items()
                  if name in tasks}
        try:
            sim = self._simulator.simulation(chosen)
        except UserError as exc:
            self._problems["what_if"] = f"What if did not work: {exc}"
            return None
        self._problems["what_if"] = ""
        return sim

    # -- the run shown, the task selected ---------------------------------------------------

    def _list_runs(self) -> None:
        """Another run began or ended: only the run picker changes."""
        with self._lock:
            if not self._closed:
                self.runs = view_model.runs(list(self.flow.runs), self._tracker.run)

    @traitlets.observe("follow")
    def _on_follow(self, change: dict) -> None:
        tracker = self._tracker  # None while __init__ sets traits
        if tracker is None or self._syncing or change["new"] == tracker.following:
            return
        tracker.show(None if change["new"] else tracker.run)  # the page's "follow latest"

    @traitlets.observe("run")
    def _on_run(self, change: dict) -> None:
        tracker = self._tracker
        if tracker is None or self._syncing:
            return
        shown = tracker.run
        if change["new"] == 0 or shown is not None and change["new"] == shown.number:
            return
        chosen = self.flow.runs.numbered(change["new"])  # the page's run picker
        if chosen is None:
            kept = ", ".join(str(r.number) for r in self.flow.runs)
            self._problems["action"] = (
                f"run {change['new']} of flow {self.flow.name!r} is no longer kept (a flow "
                f"keeps its latest {runs.KEPT} runs); choose one of: {kept}")
            self.refresh()
            return
        self._problems["action"] = ""
        tracker.show(chosen)

    @traitlets.validate("selected")
    def _valid_selection(self, proposal: dict) -> Any:
        name = proposal["value"]
        if name and name not in self._tasks:
            raise traitlets.TraitError(
                f"flow {self.flow.name!r} has no task named {name!r}; choose one of: "
                f"{', '.join(self._tasks)}")
        return name

    @traitlets.observe("selected")
    def _on_other_task(self, change: dict) -> None:
        self.child = -1

    @traitlets.observe("selected", "view", "child")
    def _on_selected(self, change: dict) -> None:
        if self._tracker is not None:
            self.refresh()  # the panel and actions show the task as it is now

    def _show_panel(self) -> None:
        task = self._tasks.get(self.selected)
        child = self.child if self.child >= 0 else None
        sim = self._simulation
        if task is None:
            self.panel = ""
        elif sim is not None:
            self.panel = panel.what_if_html(sim, task, self._names, child)
        else:
            self.panel = panel.task_html(self._snapshot, task, self._names, child)

    # -- what if ----------------------------------------------------------------------------

    @traitlets.validate("outcomes")
    def _valid_outcomes(self, proposal: dict) -> dict:
        try:
            return what_if.checked(self.flow, proposal["value"])
        except UserError as exc:
            raise traitlets.TraitError(str(exc)) from exc

    @traitlets.observe("what_if", "outcomes")
    def _on_what_if(self, change: dict) -> None:
        if change["name"] == "what_if":
            if change["new"]:
                self.view = "graph"  # a simulation has no time: nothing to show over time
            else:
                self._simulator = what_if.Simulator(self.flow)  # holds no run while off
                self._problems["what_if"] = ""
        if self._tracker is not None:
            self.refresh()

    def cycle_outcome(self, name: str) -> Any:
        """What-if: set how task ``name`` ends to the next of Success, Failed, Skipped,
        TimedOut (without how it ended in the latest run), then back to how it ended there;
        select it. Returns the outcome set (None: as in the run)."""
        with self._lock:
            if not self.what_if:
                raise UserValueError(
                    f"the widget of flow {self.flow.name!r} is not in What-if mode; turn it "
                    "on first (the What if button, or widget.what_if = True)")
            task = what_if.task_named(self.flow, name)
            sim = self._simulation
            after = what_if.next_outcome(self.outcomes.get(name),
                                         None if sim is None else sim.base.get(task))
            outcomes = {n: o for n, o in self.outcomes.items() if n != name}
            self.outcomes = outcomes if after is None else {**outcomes, name: after}
            if name in self._tasks:
                self.selected = name
            return after

    # -- actions ----------------------------------------------------------------------------

    def _offer_actions(self, snap: Snapshot) -> None:
        chosen = self._tasks.get(self.selected)
        targets = offers.offered(snap.run, chosen, self._names)
        self._targets = {action.id: action for action in targets}
        listed = [action.entry() for action in targets]
        if listed != self.actions:
            self.actions = listed

    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        if content.get("type") == "hello":  # the page asks whether a kernel listens
            self.send({"type": "hello"})
        elif content.get("type") in ("action", "what_if"):
            try:
                if content["type"] == "action":
                    self.act(str(content.get("id", "")))
                else:
                    self.cycle_outcome(str(content.get("task", "")))
            except UserError as exc:  # a click on an action no longer offered, a late click
                self._problems["action"] = str(exc)
                self.refresh()

    def act(self, action_id: str) -> None:
        """Do the action ``action_id`` (an id of ``actions``) in a background thread."""
        with self._lock:
            action = self._targets.get(action_id)
            if action is None:
                raise UserValueError(
                    f"the widget of flow {self.flow.name!r} offers no action {action_id!r} "
                    f"now; it offers: {', '.join(self._targets) or 'none'}")
            if self.busy or self._closed:
                return
            self.busy, self.output = True, ""
            run = self._snapshot.run  # the run the action was offered for
        self._runner.start(action, run)

    def _action_done(self, problem: str) -> None:
        """In the action's thread, once it ended: show where the run got."""
        with self._lock:
            self._problems["action"] = problem
            self.busy = False
        self.update_picture()  # refreshes too

    def _flush_printed(self) -> None:
        printed = self._runner.take_printed()
        if printed:
            self.output = running.kept(self.output + printed)

    def wait_for_action(self, timeout: float | None = None) -> bool:
        """Wait until the latest action finished; False if it still runs."""
        self._runner.wait(timeout)
        return not self.busy

    # -- outside a widget frontend --------------------------------------------------------

    def stop_waiting(self) -> None:
        """A widget of the next run that saw none begin (``%flow run`` refused it) shows the
        flow's latest run instead, and no later one."""
        self._tracker.stop_waiting()

    def summary(self) -> str:
        """The status and every task's state, as plain text (of the run, never a
        simulation)."""
        with self._lock:
            return picture.summary(self.flow.name, self._snapshot, self._real.names)

    def static_svg(self) -> str:
        """The run as drawn now, as a standalone SVG document ("" when it cannot be drawn);
        never a simulation."""
        with self._lock:
            return picture.static_svg(self._real, self._real_nodes)

    def picture(self) -> dict:
        """The run as a static picture: a display bundle of an HTML image, the SVG and a
        text summary (``picture.bundle``)."""
        with self._lock:
            summary, svg = self.summary(), self.static_svg()
        return picture.bundle(summary, svg)

    def _ipython_display_(self, **kwargs: Any) -> None:
        """Two outputs: the static picture, then the live view. Where the view is live its
        stylesheet hides the picture; where it cannot be (a notebook reopened without its
        kernel, nbconvert, GitHub) the picture shows and the view's placeholder is hidden."""
        self.refresh()  # a display right after a run shows its end, not the last redraw
        self._shown = picture.display(self.picture(), super()._repr_mimebundle_(**kwargs))

    def update_picture(self) -> None:
        """Redraw the static picture shown with the view (its final states, for nbconvert
        and for the notebook once saved); nothing if it was not displayed."""
        if self._closed:
            return  # closed during its action: the picture keeps what it showed
        self.refresh()
        shown = self._shown
        if shown is not None:
            shown.update(self.picture(), raw=True)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        self.refresh()
        return picture.with_picture(super()._repr_mimebundle_(**kwargs), self.picture())

    def close(self) -> None:
        """Stop following the flow and close the view (the run itself goes on)."""
        with self._lock:
            self._closed = True
            if self._tracker is not None:
                self._tracker.close()
            if self._stop_watching is not None:
                self._stop_watching()
            if self._stop_schedule is not None:
                self._stop_schedule()
            self._snapshot, self._simulation = Snapshot(), None
            self._layout = self._real = Layout()
            self._simulator = what_if.Simulator(self.flow)
            self._targets.clear()
        layout = getattr(self, "layout", None)  # ipywidgets registers it as a widget of its own
        if layout is not None:
            layout.close()
        super().close()


def widget_of(what: Any, follow: bool = False) -> FlowWidget:
    """``flowbook.show``: the widget of a Flow's latest run (each new run with ``follow`` or
    before any run) or of the run a flow State came from."""
    from flowbook.core.flow import Flow
    from flowbook.engine.runs import run_of
    from flowbook.engine.state import State

    if isinstance(what, Flow):
        return FlowWidget(what, follow=follow)
    if isinstance(what, State):
        run = run_of(what)
        if run is None and str(what.message).startswith("What-if:"):
            raise UserValueError(
                f"{what!r} comes from flowbook.simulate, which runs nothing to show live; "
                "draw it with flow.visualize(state), or show the flow and press its What if "
                "button: flowbook.show(flow)")
        if run is None:
            raise UserValueError(
                f"{what!r} is not the state of a flow run flowbook still holds; show the "
                "flow instead: flowbook.show(flow)")
        return FlowWidget(run.flow, run=run, follow=follow)
    raise UserTypeError(f"flowbook.show takes a Flow or the State flow.run() returned, not "
                        f"{type(what).__name__}")


def _after_each_cell(callback: Any) -> Any:
    """Call ``callback`` after each cell the notebook runs (IPython's ``post_run_cell``)
    when inside IPython; returns what stops it (None outside IPython)."""
    ipython = sys.modules.get("IPython")  # never imported here: only if already loaded
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return None
    shell.events.register("post_run_cell", callback)

    def stop() -> None:
        with contextlib.suppress(ValueError):  # stopped already
            shell.events.unregister("post_run_cell", callback)

    return stop


def _check_run(flow: Any, run: Any) -> None:
    """A FlowWidget shows a FlowRun of its own flow (or NEXT, or None: the latest)."""
    from flowbook.engine.flow_run import FlowRun

    if run is None or run is NEXT:
        return
    if not isinstance(run, FlowRun):
        raise UserTypeError(f"FlowWidget(flow, run=...) takes a run of flow {flow.name!r} "
                            f"(flow.runs[-1]), not {type(run).__name__}; for the state "
                            "flow.run() returned use flowbook.show(state)")
    if run.flow is not flow:
        raise UserValueError(f"that run is of flow {run.flow.name!r}, not {flow.name!r}; "
                             f"show it with flowbook.show({run.flow.name!r} flow) instead")
