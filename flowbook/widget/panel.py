"""The widget's text: the status line, the legend, the task panel and a plain-text summary.

Functions of a ``Snapshot`` (``tracking``) returning HTML or plain text (for frontends
without widgets). Every piece of task or user text goes through ``html.escape``. The HTML is
one line (no blank lines in a container that keeps white space) of elements with ``fb-*``
classes; ``CSS`` styles them compactly, and the only inline styles are state colours and a
``<pre>``'s margin.
"""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

from flowbook.engine.breakpoints import BREAKPOINT
from flowbook.widget import explain, staleness, timeline, what_if
from flowbook.widget.palette import (COLOURS, NOT_RUN, NOT_RUN_NAME, STALE_OUTLINE, colour_of,
                                     state_name)

__all__ = ["counts", "task_html", "what_if_html", "summary_text", "CSS"]

OUTPUT_TAIL = 10_000  # characters of a task's stdout/stderr/log shown (the end of it)
HISTORY_SHOWN = 60  # latest states listed in a task's history (a LOOP can make thousands)
CHILD_CELLS = 2000  # mapped children drawn as cells; the counts cover them all
CELL_TITLE = 200  # characters of a child's message in its cell's tooltip
TASKS_LISTED = 40  # tasks listed in the plain-text summary
FOLLOWS_LISTED = 12  # tasks below a what-if task listed as changed

CSS = """\
.fb-panel{line-height:1.35}
.fb-panel .fb-section{margin:0.4em 0 0}
.fb-panel .fb-title{font-weight:bold}
.fb-panel .fb-note{opacity:0.75}
.fb-panel .fb-pre{white-space:pre-wrap;max-height:16em;overflow:auto;padding:0.15em 0.4em;\
background:rgba(127,127,127,0.12)}
.fb-panel .fb-history{border-collapse:collapse}
.fb-panel .fb-history th,.fb-panel .fb-history td{padding:0 0.8em 0 0;text-align:left;\
vertical-align:top}
.fb-panel .fb-history th{font-weight:normal;opacity:0.75}
.fb-panel .fb-why ul{margin:0.1em 0 0 1.2em;padding:0}
.fb-swatch{display:inline-block;width:0.8em;height:0.8em;border:1px solid #767676;\
vertical-align:middle;margin-right:0.25em}
.fb-panel .fb-children{display:flex;flex-wrap:wrap;gap:2px;margin:0.2em 0}
.fb-panel .fb-child{width:0.9em;height:0.9em;padding:0;border:1px solid #767676;\
cursor:pointer}
.fb-panel .fb-child.fb-chosen{outline:2px solid currentColor;outline-offset:1px}
.fb-panel .fb-child-details{border-left:3px solid #767676;padding-left:0.5em}
.fb-panel .fb-simulated{border-left:3px dashed #767676;padding-left:0.5em}
.fb-panel .fb-follows ul{margin:0.1em 0 0 1.2em;padding:0}
""" + f".fb-panel .fb-stale-note{{border-left:3px dashed {STALE_OUTLINE};padding-left:0.5em}}\n"


# -- the status line, the legend, the counts ---------------------------------------------

def counts(snapshot: Any, tasks: list) -> Counter:
    """State name -> how many ``tasks`` are in it (``not run``: no state yet); a mapped task
    counts as its children (a map of 100 with 8 failures adds 92 Success and 8 Failed)."""
    tally: Counter = Counter()
    for task in tasks:
        children = snapshot.children.get(task)
        if children:
            tally.update(state_name(child) for child in children)
        else:
            tally[state_name(snapshot.states.get(task))] += 1
    return tally


def _swatch(colour: str) -> str:
    return f'<span class="fb-swatch" style="background:{colour}"></span>'


def _colour_named(name: str) -> str:
    return NOT_RUN if name == NOT_RUN_NAME else COLOURS.get(name, NOT_RUN)


def _elapsed(snapshot: Any) -> float:
    """Seconds the run shown was advancing (waits for a person left out)."""
    return 0.0 if snapshot.run is None else snapshot.run.elapsed()


def _flow_text(flow_state: Any) -> str:
    if flow_state is None:
        return "not run yet"
    said = explain.message_text(flow_state.message)
    return state_name(flow_state) + (f": {said}" if said else "")


def summary_text(flow_name: str, snapshot: Any, names: dict, tally: Counter) -> str:
    """The status and every task's state, for frontends that show text only."""
    elapsed = explain.duration_text(_elapsed(snapshot))
    lines = [f"Flow {flow_name!r}: {_flow_text(snapshot.flow_state)}",
             f"  {explain.counts_text(tally)}; {elapsed}"]
    width = max((len(n) for n in names.values()), default=0)
    for i, (task, name) in enumerate(names.items()):
        if i == TASKS_LISTED:
            lines.append(f"  ... and {len(names) - TASKS_LISTED} more tasks")
            break
        state, children = snapshot.states.get(task), snapshot.children.get(task)
        said = (explain.children_text(children) if children else
                "" if state is None else explain.message_text(state.message))
        stale = snapshot.stale.get(task)
        said += "" if stale is None else f"{' ' if said else ''}[stale: {stale.why}]"
        lines.append(f"  {name:<{width}}  {state_name(state):<14}  {said}".rstrip())
    return "\n".join(lines)


# -- the task panel -----------------------------------------------------------------------

def task_html(snapshot: Any, task: Any, names: dict, child: int | None = None) -> str:
    """The panel of one task (``names``: Task -> unique name): its state and how long it
    ran, why, history, result, output and traceback; for a mapped task, a grid of its
    children (``data-child`` cells) and the details of the ``child`` chosen, if any."""
    return _panel(_task_sections(snapshot, task, names, child))


def _panel(sections: list) -> str:
    return '<div class="fb-panel">' + "".join(s for s in sections if s) + "</div>"


def _task_sections(snapshot: Any, task: Any, names: dict, child: int | None) -> list:
    """A simulation (``run.simulated``) ran nothing: its panel has no time, history,
    result or output, only states and why."""
    run, state = snapshot.run, snapshot.states.get(task)
    history = [] if run is None else run.task_history(task)
    simulated = getattr(run, "simulated", False)
    now = None if run is None or simulated else run.clock.now()
    ran = None if now is None else timeline.duration_of(run, task, now)
    sections = [_head(html.escape(names[task]), state, ran), _stale(snapshot, task),
                _why(snapshot, task, names, history)]
    if not simulated:
        sections += [_history(history), *_details(run, task, None, state)]
    children = snapshot.children.get(task)
    if children:
        sections.append(_children(children, child))
        if child is not None:
            sections.append(_child(snapshot, task, names, children, child, now))
    return sections


def _head(title: str, state: Any, ran: float | None) -> str:
    """``■ name · Failed · message · ran 1.20 s`` (``title`` is HTML already)."""
    parts = [f"{_swatch(colour_of(state))}<b>{title}</b>", html.escape(state_name(state))]
    said = "" if state is None else explain.message_text(state.message)
    if said:
        parts.append(html.escape(said))
    if ran is not None:
        parts.append(f'<span class="fb-duration">ran {explain.duration_text(ran)}</span>')
    return '<div class="fb-head">' + " · ".join(parts) + "</div>"


def _stale(snapshot: Any, task: Any) -> str:
    """That the task's result is older than the notebook's code, and what to do about it."""
    stale = snapshot.stale.get(task)
    if stale is None:
        return ""
    said = html.escape(staleness.text(stale, snapshot.stale))
    return _section("Stale", f"<div>{said}</div>", "fb-stale-note")


def _section(title: str, body: str, kind: str = "") -> str:
    return (f'<div class="fb-section{" " + kind if kind else ""}">'
            f'<div class="fb-title">{html.escape(title)}</div>{body}</div>')


def _pre(text: str) -> str:
    return f'<pre class="fb-pre" style="margin:0">{html.escape(text)}</pre>'


def _why(snapshot: Any, task: Any, names: dict, history: list) -> str:
    """Why the task is in its state now: the rule that decided it, why it was let run, or
    what it waits for; from its latest state only, so an approval or retry since shows."""
    if snapshot.run is None:
        return ""
    decision = explain.current_decision(history)
    if decision is not None:
        return _decision(decision)
    latest = history[-1] if history else None
    upstream = list(dict.fromkeys(e.upstream_task
                                  for e in snapshot.run.plan.edges_to.get(task, ())))
    if any(s.is_running() for s in explain.current_attempt(history)):
        seen = [(names.get(up, up.name), snapshot.states.get(up)) for up in upstream]
        text = explain.passed_text(task.trigger, seen, latest,
                                   getattr(snapshot.run, "simulated", False))
    elif latest is None or latest.is_pending() and not latest.is_scheduled():
        unfinished = [names.get(up, up.name) for up in upstream
                      if not _finished(snapshot.states.get(up))]
        text = explain.waiting_text(latest, unfinished)
    else:
        return ""
    return _section("Why", f"<div>{html.escape(text)}</div>", "fb-why")


def _decision(decision: Any) -> str:
    items = "".join(f"<li>{html.escape(line)}</li>" for line in explain.upstream_lines(decision))
    said = (explain.breakpoint_text(decision) if decision.trigger == BREAKPOINT
            else explain.why_text(decision))
    body = (f"<div>{html.escape(said)}</div>"
            f"<div>Outcome: {html.escape(decision.outcome)}</div>"
            + (f"<div>Upstream states it saw:</div><ul>{items}</ul>" if items else ""))
    return _section("Why", body, "fb-why")


def _finished(state: Any) -> bool:
    return state is not None and all(part.is_finished() for part in (state, *state.parts()))


def _history(history: list) -> str:
    """A table of the states, latest HISTORY_SHOWN: time (with the offset as its tooltip),
    state with its colour, message."""
    if not history:
        return _section("History", '<div class="fb-note">no state yet in this run</div>')
    lines = explain.history_lines(history)
    shown = list(zip(history, lines))[-HISTORY_SHOWN:]
    rows = "".join(
        f'<tr><td title="{html.escape(offset)} after its first state">{html.escape(clock)}</td>'
        f"<td>{_swatch(colour_of(state))}{html.escape(name)}</td>"
        f"<td>{html.escape(message)}</td></tr>"
        for state, (clock, offset, name, message) in shown)
    earlier = len(history) - len(shown)
    note = f'<div class="fb-note">{earlier} earlier states not shown</div>' if earlier else ""
    return _section("History", note + '<table class="fb-history"><thead><tr><th>time</th>'
                    f"<th>state</th><th>message</th></tr></thead><tbody>{rows}</tbody></table>")


def _details(run: Any, task: Any, index: int | None, state: Any) -> list:
    """The result (when the state has one), what the body printed, the traceback."""
    result = (_section("Result", _pre(explain.result_preview(state)))
              if explain.shows_result(state) else "")
    return [result, _output(run, task, index), _traceback(state)]


def _output(run: Any, task: Any, map_index: int | None) -> str:
    out = None if run is None else run.outputs.get((task, map_index))
    if out is None:
        return ""
    parts = []
    for stream, text in (("stdout", out.stdout), ("stderr", out.stderr), ("log", out.log)):
        if text:
            if len(text) > OUTPUT_TAIL:
                text = f"[… {len(text) - OUTPUT_TAIL} characters before]\n" + text[-OUTPUT_TAIL:]
            parts.append(f'<div class="fb-note">{stream}</div>{_pre(text)}')
    if out.dropped:
        parts.append(f'<div class="fb-note">({out.dropped} more characters were not kept)</div>')
    return _section("Output", "".join(parts)) if parts else ""


def _traceback(state: Any) -> str:
    text = explain.traceback_text(state)
    return _section("Traceback", _pre(text)) if text else ""


# -- a mapped task's children -------------------------------------------------------------

def _children(children: list, chosen: int | None) -> str:
    """Counts per state, then one small coloured cell per child (a button the page wires
    by its ``data-child``)."""
    tally = Counter(state_name(child) for child in children).most_common()
    noun = "child" if len(children) == 1 else "children"
    head = f"{len(children)} {noun}: " + ", ".join(
        f"{_swatch(_colour_named(name))}{n} {html.escape(name)}" for name, n in tally)
    cells = "".join(_cell(i, c, i == chosen) for i, c in enumerate(children[:CHILD_CELLS]))
    more = len(children) - CHILD_CELLS
    notes = (f'<div class="fb-note">the first {CHILD_CELLS} are shown</div>' if more > 0 else
             '<div class="fb-note">choose a child to see its details</div>'
             if chosen is None else "")
    return _section("Mapped children", f'<div class="fb-counts">{head}</div>'
                    f'<div class="fb-children">{cells}</div>{notes}')


def _cell(index: int, child: Any, chosen: bool) -> str:
    said = "" if child is None else explain.message_text(child.message)[:CELL_TITLE]
    title = f"[{index}] {state_name(child)}" + (f": {said}" if said else "")
    kind = "fb-child fb-chosen" if chosen else "fb-child"
    return (f'<button type="button" class="{kind}" data-child="{index}" '
            f'title="{html.escape(title)}" style="background:{colour_of(child)}"></button>')


def _child(snapshot: Any, task: Any, names: dict, children: list, index: int,
           now: float | None) -> str:
    """The chosen child's own panel: head, why, history, result, output, traceback."""
    if not 0 <= index < len(children):
        return _section(f"Child [{index}]", f'<div class="fb-note">{html.escape(names[task])} '
                        f"has no child [{index}] in this run ({len(children)} children)</div>")
    run, state = snapshot.run, children[index]
    history = [] if run is None else run.task_history(task, index)
    ran = None if now is None else timeline.task_duration(history, now)
    parts = [_head(f"{html.escape(names[task])}[{index}]", state, ran),
             _why(snapshot, task, names, history)]
    if not getattr(run, "simulated", False):
        parts += [_history(history), *_details(run, task, index, state)]
    return (f'<div class="fb-section fb-child-details" data-child="{index}">'
            + "".join(p for p in parts if p) + "</div>")


# -- a what-if simulation -----------------------------------------------------------------

def what_if_html(sim: Any, task: Any, names: dict, child: int | None = None) -> str:
    """The panel of one task in a what-if simulation (``what_if.Simulation``): that it is
    one and how the task was set to end, its simulated state and why, and what changes
    below it compared with the flow's latest run."""
    return _panel([_what_if_note(sim, task), *_task_sections(sim.snapshot, task, names, child),
                   _follows(sim, task, names)])


def _what_if_note(sim: Any, task: Any) -> str:
    chosen, base = sim.chosen.get(task), sim.base.get(task)
    ran_as = ("a success" if base is None else _outcome_text(base)) + (
        " (the flow has not run)" if sim.latest is None else " as in the run")
    after = what_if.next_outcome(chosen, base)
    lines = [f"You set it to end {_outcome_text(chosen)}." if chosen is not None
             else f"It ends {ran_as}.",
             f"A click sets {_outcome_text(after) if after else 'it back to ' + ran_as}."]
    state = sim.snapshot.states.get(task)
    if chosen is not None and state is not None and state.why is not None:
        lines.append("In this simulation it does not get to run, so how it would end does "
                     "not matter: see Why.")
    lines.append("Nothing ran: the states are what the engine would decide.")
    body = "".join(f"<div>{html.escape(line)}</div>" for line in lines)
    return _section("What if (a simulation)", body, "fb-simulated")


def _outcome_text(outcome: Any) -> str:
    if isinstance(outcome, list):
        return "as listed per child: " + ", ".join(outcome)
    return str(outcome)


def _follows(sim: Any, task: Any, names: dict) -> str:
    """The tasks below ``task`` whose simulated state differs from their state in the
    flow's latest run, each with why."""
    plan, states = sim.snapshot.run.plan, sim.snapshot.states
    real = {} if sim.latest is None else dict(sim.latest.states)
    below = {task}
    changed = []
    for t in plan.order:
        if t is task or not any(e.upstream_task in below for e in plan.edges_to[t]):
            continue
        below.add(t)
        state = states.get(t)
        if state_name(state) != state_name(real.get(t)):
            changed.append((t, state, real.get(t)))
    if len(below) == 1:
        return ""
    if not changed:
        return _section("What follows", '<div class="fb-note">nothing below it changes</div>',
                        "fb-follows")
    items = "".join(_follow_line(names.get(t, t.name), state, before)
                    for t, state, before in changed[:FOLLOWS_LISTED])
    more = len(changed) - FOLLOWS_LISTED
    note = f'<div class="fb-note">and {more} more</div>' if more > 0 else ""
    return _section("What follows", f"<ul>{items}</ul>{note}", "fb-follows")


def _follow_line(name: str, state: Any, before: Any) -> str:
    why = getattr(state, "why", None)
    said = ("" if state is None else explain.why_text(why) if why is not None
            else "it gets to run")
    return (f"<li>{_swatch(colour_of(state))}<b>{html.escape(name)}</b> "
            f"{html.escape(state_name(state))} (real run: {html.escape(state_name(before))})"
            + (f": {html.escape(said)}" if said else "") + "</li>")
