"""The widget's text: the status line, the legend, the task panel and a plain-text summary.

Functions of a ``Snapshot`` returning HTML (every piece of task or user text passed through
``html.escape``) or plain text (for frontends without widgets).
"""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

from flowbook.widget import explain
from flowbook.widget.palette import COLOURS, NOT_RUN, NOT_RUN_NAME, colour_of, state_name

__all__ = ["counts", "status_html", "legend_html", "task_html", "summary_text", "NO_TASK"]

OUTPUT_TAIL = 10_000  # characters of a task's stdout/stderr shown (the end of it)
CHILDREN_SHOWN = 50  # mapped children listed in the panel
TASKS_LISTED = 40  # tasks listed in the plain-text summary
NO_TASK = "Choose a task to see its history, result, output and why it ran or not."


def counts(snapshot: Any, tasks: list) -> Counter:
    """State name -> number of ``tasks`` in it (``not run`` for tasks without a state)."""
    return Counter(state_name(snapshot.states.get(task)) for task in tasks)


def _ordered(tally: Counter) -> list:
    rank = {name: i for i, name in enumerate([*COLOURS, NOT_RUN_NAME])}
    return sorted(tally.items(), key=lambda item: rank.get(item[0], len(rank)))


def _swatch(colour: str) -> str:
    return (f'<span style="display:inline-block;width:0.8em;height:0.8em;background:{colour};'
            'border:1px solid #555;vertical-align:middle;margin-right:0.25em"></span>')


def _colour_named(name: str) -> str:
    return NOT_RUN if name == NOT_RUN_NAME else COLOURS.get(name, NOT_RUN)


def status_html(flow_name: str, snapshot: Any, tally: Counter) -> str:
    """``etl · Running: message · ■ 3 Success · ■ 1 Failed · 0.25 s``."""
    flow_state = snapshot.flow_state
    head = f"<b>{html.escape(flow_name)}</b>"
    if flow_state is None:
        state = "not run yet"
    else:
        state = html.escape(state_name(flow_state))
        if flow_state.message:
            state += ": " + html.escape(explain.message_text(flow_state.message))
    parts = [head, state]
    parts += [f"{_swatch(_colour_named(name))}{n} {html.escape(name)}"
              for name, n in _ordered(tally)]
    parts.append(f"{snapshot.elapsed:.2f} s")
    return '<div class="flowbook-status">' + " · ".join(parts) + "</div>"


def legend_html(tally: Counter) -> str:
    """The colours of the states on show, and what borders and lines mean."""
    keys = [f"{_swatch(_colour_named(name))}{html.escape(name)}" for name, _ in _ordered(tally)]
    lines = ("double border: reference task · solid edge: data (labelled with the argument) · "
             "dashed: state only · bold: mapped · bar under a mapped task: its children")
    return (f'<div class="flowbook-legend" style="font-size:0.85em;color:#555">'
            f'{" ".join(keys)}<br>{lines}</div>')


def summary_text(flow_name: str, snapshot: Any, names: dict, tally: Counter) -> str:
    """The status and every task's state, for frontends that show text only."""
    flow_state = snapshot.flow_state
    head = f"Flow {flow_name!r}: " + ("not run yet" if flow_state is None else
                                      f"{state_name(flow_state)}"
                                      + (f": {explain.message_text(flow_state.message)}"
                                         if flow_state.message else ""))
    lines = [head, f"  {explain.counts_text(tally)}; {snapshot.elapsed:.2f} s"]
    width = max((len(n) for n in names.values()), default=0)
    for i, (task, name) in enumerate(names.items()):
        if i == TASKS_LISTED:
            lines.append(f"  ... and {len(names) - TASKS_LISTED} more tasks")
            break
        state = snapshot.states.get(task)
        message = "" if state is None else f"  {explain.message_text(state.message)}"
        lines.append(f"  {name:<{width}}  {state_name(state):<14}{message}".rstrip())
    return "\n".join(lines)


def task_html(snapshot: Any, task: Any, names: dict) -> str:
    """The panel of one task (``names``: Task -> unique name): state, why, history, result,
    output, traceback, children."""
    state = snapshot.states.get(task)
    run = snapshot.run
    history = run.task_history(task) if run is not None else []
    why = _why(history) or _why_it_ran(snapshot, task, names, history)
    sections = [_head(names[task], state), why, _history(history)]
    sections.append(_section("Result", _pre(explain.result_preview(state))))
    sections.append(_output(run, task, None))
    sections.append(_traceback(state))
    children = snapshot.children.get(task)
    if children:
        sections.append(_children(run, task, children))
    return '<div class="flowbook-panel">' + "".join(s for s in sections if s) + "</div>"


def _head(name: str, state: Any) -> str:
    message = "" if state is None else explain.message_text(state.message)
    return (f'<div class="flowbook-task">{_swatch(colour_of(state))}<b>{html.escape(name)}</b>'
            f" · {html.escape(state_name(state))}"
            + (f" · {html.escape(message)}" if message else "") + "</div>")


def _section(title: str, body: str) -> str:
    return f'<div class="flowbook-section"><b>{html.escape(title)}</b>{body}</div>'


def _pre(text: str) -> str:
    return ('<pre style="white-space:pre-wrap;max-height:16em;overflow:auto;margin:0.2em 0">'
            f"{html.escape(text)}</pre>")


def _why(history: list) -> str:
    decision = explain.latest_decision(history)
    if decision is None:
        return ""
    items = "".join(f"<li>{html.escape(line)}</li>" for line in explain.upstream_lines(decision))
    body = (f'<div class="flowbook-why">{html.escape(explain.why_text(decision))}</div>'
            f"<div>Outcome: {html.escape(decision.outcome)}</div>"
            + (f"<div>Upstream states it saw:</div><ul>{items}</ul>" if items else ""))
    return _section("Why", body)


def _why_it_ran(snapshot: Any, task: Any, names: dict, history: list) -> str:
    if not any(s.is_running() for s in history):
        return ""
    upstream = {e.upstream_task: None for e in snapshot.run.plan.edges_to.get(task, ())}
    seen = [(names.get(up, up.name), snapshot.states.get(up)) for up in upstream]
    text = explain.passed_text(task.trigger, seen, history[-1])
    return _section("Why", f'<div class="flowbook-why">{html.escape(text)}</div>')


def _history(history: list) -> str:
    if not history:
        return _section("History", "<div>no state yet in this run</div>")
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
        for row in explain.history_lines(history))
    return _section("History", f'<table class="flowbook-history">{rows}</table>')


def _output(run: Any, task: Any, map_index: int | None, title: str = "Output") -> str:
    out = None if run is None else run.outputs.get((task, map_index))
    if out is None:
        return ""
    parts = []
    for stream, text in (("stdout", out.stdout), ("stderr", out.stderr)):
        if text:
            if len(text) > OUTPUT_TAIL:
                text = f"[… {len(text) - OUTPUT_TAIL} characters before]\n" + text[-OUTPUT_TAIL:]
            parts.append(f"<div>{stream}</div>{_pre(text)}")
    if out.dropped:
        parts.append(f"<div>({out.dropped} more characters were not kept)</div>")
    return _section(title, "".join(parts)) if parts else ""


def _traceback(state: Any) -> str:
    text = explain.traceback_text(state)
    return _section("Traceback", _pre(text)) if text else ""


def _children(run: Any, task: Any, children: list) -> str:
    tally = Counter(state_name(c) for c in children)
    rows = []
    for index, child in enumerate(children[:CHILDREN_SHOWN]):
        message = "" if child is None else explain.message_text(child.message)
        rows.append(f"<tr><td>[{index}]</td><td>{_swatch(colour_of(child))}"
                    f"{html.escape(state_name(child))}</td><td>{html.escape(message)}</td></tr>")
    more = len(children) - CHILDREN_SHOWN
    body = (f"<div>{html.escape(explain.counts_text(tally))}</div><table>{''.join(rows)}</table>"
            + (f"<div>... and {more} more</div>" if more > 0 else ""))
    extras = [_output(run, task, i, f"Output of [{i}]") for i in range(len(children))]
    failed = next((c for c in children if c is not None and explain.traceback_text(c)), None)
    return (_section("Mapped children", body) + "".join(e for e in extras if e)
            + (_traceback(failed) if failed is not None else ""))
