"""FlowWidget: the live view of a flow's runs in a notebook, built from ipywidgets.

It shows the DAG coloured by state, a status line, ``Resume <task>`` / ``Retry <task>``
buttons and a panel explaining the chosen task. It follows the flow's latest run, including
runs started after it was created, and holds no engine logic: it reads states, and its
buttons call ``flow.resume`` / ``flow.retry`` in a background thread so the kernel stays free.

What goes wrong is shown in red above the drawing: a drawing that cannot be made (no
Graphviz), a refused button (a ``UserError``) or a task body's interrupt, as its message. Any
other exception is a bug in flowbook: it is logged with its traceback on the
``flowbook.widget`` logger and the red line says so, since no one else sees these threads.
"""

from __future__ import annotations

import html
import logging
import threading
from typing import Any

import ipywidgets as widgets
import traitlets

from flowbook.errors import UserError
from flowbook.widget import panel
from flowbook.widget.drawing import DrawingError, draw, render_svg
from flowbook.widget.palette import colour_of, shares, state_name
from flowbook.widget.svg import ColourableSvg
from flowbook.widget.tracking import RunTracker, Snapshot

__all__ = ["FlowWidget", "MAX_DRAWN"]

CONTINUE = "Continue the run"  # the button offered once a run was interrupted
MAX_DRAWN = 2000  # tasks; a bigger flow is not drawn (dot takes seconds, the SVG megabytes)
SVG_BYTES_PER_SECOND = 2_000_000  # a big drawing is redrawn less often, to keep this rate

log = logging.getLogger("flowbook.widget")  # no handler added: Python's last resort prints it


class FlowWidget(widgets.VBox):
    """The live DAG of ``flow``: display it (or leave it as a cell's last expression)."""

    fills = traitlets.Dict(help="unique task name -> the fill colour it is drawn with")
    states = traitlets.Dict(help="unique task name -> its state's name ('not run' if none)")
    counts = traitlets.Dict(help="state name -> how many tasks are in it")
    actions = traitlets.List(help="the buttons on offer: 'Resume <name>', 'Retry <name>'")
    selected = traitlets.Unicode(None, allow_none=True,
                                 help="unique name of the task shown in the panel")
    problem = traitlets.Unicode("", help="why the drawing or the last button did not work")
    busy = traitlets.Bool(False, help="a Resume or Retry is running in a background thread")
    redraw_interval = traitlets.Float(0.25, help="least seconds between two redraws")

    def __init__(self, flow: Any, **kwargs: Any):
        self.flow = flow  # the Flow shown
        self._lock = threading.RLock()  # one redraw or action bookkeeping at a time
        self._closed = False
        self._redrawing = False  # inside _ensure_layout (which may change the selection)
        self._shape: Any = None  # the graph shape the layout below was made for
        self._names: dict = {}  # Task -> unique name, for that shape
        self._tasks: dict = {}  # unique name -> Task
        self._svg: ColourableSvg | None = None  # the layout; None when not drawn
        self._svg_text = ""  # the latest coloured SVG
        self._problems = {"drawing": "", "action": "", "redraw": ""}  # source -> message
        self._snapshot = Snapshot()  # what the latest redraw showed
        self._buttons: dict = {}  # button label -> Button, kept across redraws
        self._targets: dict = {}  # button label -> (verb, Task)
        self._action: threading.Thread | None = None  # the latest Resume/Retry thread
        self.status, self.notice = widgets.HTML(), widgets.HTML()
        self.drawing, self.legend = widgets.HTML(), widgets.HTML()
        self.button_box = widgets.HBox(layout=widgets.Layout(flex_flow="row wrap"))
        self.selector = widgets.Dropdown(description="Task", options=[], value=None)
        self.panel = widgets.HTML(html.escape(panel.NO_TASK))
        super().__init__(children=[self.status, self.notice, self.drawing, self.legend,
                                   self.button_box, self.selector, self.panel], **kwargs)
        self.add_class("flowbook-widget")
        self.selector.observe(self._on_selector, names="value")
        self._tracker = RunTracker(flow, self.refresh, interval=self.redraw_interval)
        self.refresh()

    def __repr__(self) -> str:
        return f"<FlowWidget of flow {self.flow.name!r}>"

    # -- redrawing ----------------------------------------------------------------------

    def refresh(self) -> None:
        """Redraw from the latest run now (changes also redraw by themselves, throttled)."""
        with self._lock:
            if self._closed:
                return
            try:
                self._redraw(self._tracker.snapshot())
                self._problems["redraw"] = ""
            except Exception as exc:  # a bug: _ensure_layout handles the drawing's failures
                # It must not break the run: shown, and logged once while it repeats.
                problem = _bug_message("Redrawing the widget", exc)
                if problem != self._problems["redraw"]:
                    log.exception("flowbook could not redraw the widget of flow %r (a bug in "
                                  "flowbook)", self.flow.name)
                self._problems["redraw"] = problem
            self._show_problems()

    def _redraw(self, snap: Snapshot) -> None:
        self._redrawing = True  # a selection changed by the layout needs no redraw of its own
        try:
            self._ensure_layout()
        finally:
            self._redrawing = False
        names = self._names
        self._snapshot = snap
        fills = {name: colour_of(snap.states.get(task)) for task, name in names.items()}
        self.fills = fills
        self.states = {name: state_name(snap.states.get(task)) for task, name in names.items()}
        tally = panel.counts(snap, list(names))
        self.counts = dict(tally)
        self.status.value = panel.status_html(self.flow.name, snap, tally)
        self.legend.value = panel.legend_html(tally)
        if self._svg is not None:
            bars = {i: shares([c for c in snap.children[t] if c is not None] or [None])
                    for i, t in enumerate(names) if snap.children.get(t)}
            self._svg_text = self._svg.render(list(fills.values()), bars)
            markup = f'<div class="flowbook-dag" style="overflow:auto;max-height:36em">' \
                     f"{self._svg_text}</div>"
            if self.drawing.value != markup:
                self.drawing.value = markup
        self._offer_actions(snap)
        self._show_panel()

    def _ensure_layout(self) -> None:
        """Lay the flow out with dot when its shape (tasks, edges, reference tasks) changed."""
        flow = self.flow
        plan = flow.plan()  # the same Plan object until the flow changes
        if plan is self._shape:
            return
        self._shape = plan
        self._names = dict(plan.names)
        self._tasks = {name: task for task, name in self._names.items()}
        chosen = self.selected
        self.selector.options = list(self._tasks)  # ipywidgets then picks the first option
        self.selector.value = chosen if chosen in self._tasks else None
        self._svg, self._problems["drawing"] = None, ""
        try:
            if len(self._names) > MAX_DRAWN:
                raise DrawingError(
                    f"The flow has {len(self._names)} tasks; flowbook draws flows of up to "
                    f"{MAX_DRAWN}. The status line and the task panel still work.")
            svg = render_svg(draw(flow, names=self._names))
        except DrawingError as exc:
            self._problems["drawing"] = str(exc)
            self._svg_text = self.drawing.value = ""
            return
        self._svg = ColourableSvg(svg, list(self._tasks))
        self._tracker.interval = max(self.redraw_interval, len(svg) / SVG_BYTES_PER_SECOND)

    def _show_problems(self) -> None:
        self.problem = "\n".join(p for p in self._problems.values() if p)
        self.notice.value = "".join(
            f'<div class="flowbook-problem" style="color:#b00020">{html.escape(p)}</div>'
            for p in self._problems.values() if p)

    @traitlets.observe("redraw_interval")
    def _on_interval(self, change: dict) -> None:
        tracker = getattr(self, "_tracker", None)  # None while __init__ sets traits
        if tracker is not None:
            tracker.interval = change["new"]

    # -- the task panel -------------------------------------------------------------------

    def _on_selector(self, change: dict) -> None:
        self.selected = change["new"]

    @traitlets.validate("selected")
    def _valid_selection(self, proposal: dict) -> Any:
        name = proposal["value"]
        if name is not None and name not in self._tasks:
            raise traitlets.TraitError(
                f"flow {self.flow.name!r} has no task named {name!r}; choose one of: "
                f"{', '.join(self._tasks)}")
        return name

    @traitlets.observe("selected")
    def _on_selected(self, change: dict) -> None:
        with self._lock:
            if self.selector.value != change["new"]:
                self.selector.value = change["new"]
            if not self._redrawing:
                self.refresh()  # the panel shows the task as it is now

    def _show_panel(self) -> None:
        task = self._tasks.get(self.selected)
        self.panel.value = (html.escape(panel.NO_TASK) if task is None else
                            panel.task_html(self._snapshot, task, self._names))

    # -- Resume and Retry -----------------------------------------------------------------

    def _offer_actions(self, snap: Snapshot) -> None:
        """One button per paused task (Resume) and per failed or cancelled task (Retry),
        and ``Continue the run`` (``flow.retry()``) once a run was interrupted."""
        targets = {}
        if snap.flow_state is not None and snap.flow_state.is_cancelled():
            targets[CONTINUE] = ("Retry", None)
        for task, name in self._names.items():
            parts = snap.children.get(task) or [snap.states.get(task)]
            parts = [p for p in parts if p is not None]
            if any(p.is_paused() for p in parts):
                targets[f"Resume {name}"] = ("Resume", task)
            elif any(p.is_failed() or p.is_cancelled() for p in parts):
                targets[f"Retry {name}"] = ("Retry", task)
        if list(targets) == self.actions:
            return
        for label in set(self._buttons) - set(targets):
            _close(self._buttons.pop(label))
        for label, (verb, _) in targets.items():
            if label not in self._buttons:
                button = widgets.Button(description=label, disabled=self.busy,
                                        button_style="primary" if verb == "Resume" else "warning",
                                        layout=widgets.Layout(width="auto"))
                button.on_click(self._on_click)
                self._buttons[label] = button
        self._targets = targets
        self.button_box.children = [self._buttons[label] for label in targets]
        self.actions = list(targets)

    def _on_click(self, button: Any) -> None:
        with self._lock:
            target = self._targets.get(button.description)
            if target is None or self.busy or self._closed:
                return
            self.busy = True
            verb, task = target
            self._action = threading.Thread(target=self._act, args=(verb, task),
                                            name=f"flowbook {button.description}", daemon=True)
        self._action.start()

    def _act(self, verb: str, task: Any) -> None:
        """Runs in the background thread: continue the run, then show where it got."""
        what = CONTINUE if task is None else f"{verb} {self._names.get(task, task.name)}"
        problem = ""
        try:
            (self.flow.resume if verb == "Resume" else self.flow.retry)(
                *([] if task is None else [task]))
        except (UserError, KeyboardInterrupt) as exc:
            # Refused (nothing paused, a run in progress), or a task body's interrupt, which
            # left the run Cancelled with the Continue button on offer.
            problem = f"{what} did not work: {str(exc) or repr(exc)}"
        except BaseException as exc:  # no one else would see it in this thread
            log.exception("flowbook: %s (flow %r) failed because of a bug in flowbook", what,
                          self.flow.name)
            problem = _bug_message(what, exc)
        with self._lock:
            self._problems["action"] = problem
            self.busy = False
        self.refresh()

    @traitlets.observe("busy")
    def _on_busy(self, change: dict) -> None:
        for button in list(self._buttons.values()):
            button.disabled = change["new"]

    def wait_for_action(self, timeout: float | None = None) -> bool:
        """Wait until the latest Resume/Retry finished; False if it still runs."""
        thread = self._action
        if thread is not None:
            thread.join(timeout)
        return not self.busy

    # -- outside a widget frontend --------------------------------------------------------

    def summary(self) -> str:
        """The status and every task's state, as plain text."""
        with self._lock:
            snap = self._snapshot
            return panel.summary_text(self.flow.name, snap, self._names,
                                      panel.counts(snap, list(self._names)))

    def svg(self) -> str:
        """The DAG as drawn now (an SVG document; empty when it cannot be drawn)."""
        return self._svg_text

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        self.refresh()  # a display right after a run shows its end, not the last throttled redraw
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = self.summary()
        if self._svg_text:
            bundle["image/svg+xml"] = self._svg_text
        return bundle

    def close(self) -> None:
        """Stop following the flow and close the view (the run itself goes on)."""
        with self._lock:
            self._closed = True
            self._tracker.close()
            self._snapshot, self._svg, self._svg_text = Snapshot(), None, ""
            for child in [*self.children, *self._buttons.values()]:
                _close(child)
            self._buttons.clear()
            self._targets.clear()
        _close_parts(self)
        super().close()


def _bug_message(what: str, exc: BaseException) -> str:
    """The red line for a bug of flowbook's, whose traceback went to the log."""
    return (f"{what} failed because of a bug in flowbook ({exc!r}); see the log (logger "
            f"{log.name!r}) for its traceback, and please report it.")


def _close(widget: Any) -> None:
    _close_parts(widget)
    widget.close()


def _close_parts(widget: Any) -> None:
    """Close a widget's layout and style: ipywidgets keeps them registered otherwise."""
    for part in (getattr(widget, "layout", None), getattr(widget, "style", None)):
        if isinstance(part, widgets.Widget):
            part.close()
