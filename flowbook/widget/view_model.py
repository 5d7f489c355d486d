"""What the widget's page shows, as plain data: one function per synced trait.

Each function reads a ``Snapshot`` (``tracking``) and returns dicts and lists of str, numbers
and None, ready to be sent to the page as JSON. The page (``static/view.js``) only applies
them: colours, borders and icons come from ``palette``, words from ``explain``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from flowbook.widget import explain, panel, palette, staleness, timeline
from flowbook.widget.palette import COLOURS, NOT_RUN, cue, state_name

__all__ = ["nodes", "status", "runs", "legend"]


def nodes(snap: Any, names: dict, chosen: dict | None = None) -> dict:
    """Unique name -> what its node shows: state cue, message, duration, children,
    ``set``: the outcome set by hand in a what-if simulation (``chosen``: Task -> outcome)
    or None, and ``stale``: ``palette.stale_cue`` of a task whose result is older than the
    notebook's code (``snap.stale``), or None. A simulation's tasks took no time: no
    duration."""
    run = snap.run
    timed = run is not None and not getattr(run, "simulated", False)
    now = run.clock.now() if timed else None
    chosen = chosen or {}
    out = {}
    for task, name in names.items():
        state = snap.states.get(task)
        entry = cue(state)
        entry["message"] = "" if state is None else explain.message_text(state.message)
        entry["duration"] = (timeline.duration_of(run, task, now)
                             if timed and state is not None else None)
        children = snap.children.get(task)
        entry["children"] = None if not children else _children(children)
        entry["set"] = chosen.get(task)
        stale = snap.stale.get(task)
        entry["stale"] = (None if stale is None else
                          palette.stale_cue(stale.why, staleness.text(stale, snap.stale)))
        out[name] = entry
    return out


def _children(children: list) -> dict:
    counts = Counter(state_name(child) for child in children)
    return {"total": len(children), "counts": _ordered(counts)}


def _ordered(counts: Counter) -> list:
    """``[[state name, count, fill], ...]`` in palette order (the same mix draws the same)."""
    return [[name, counts[name], COLOURS.get(name, NOT_RUN)]
            for name in sorted(counts, key=palette.palette_order)]


def status(flow_name: str, snap: Any, names: dict) -> dict:
    """The status line: the flow, its state and message, counts per state, elapsed time."""
    flow_state, run = snap.flow_state, snap.run
    if getattr(run, "simulated", False):
        run = None  # a simulation is no run of the flow's: no number, no time
    return {
        "flow": flow_name,
        "state": "not run yet" if flow_state is None else state_name(flow_state),
        "message": "" if flow_state is None else explain.message_text(flow_state.message),
        "fill": cue(flow_state)["fill"],
        "counts": _ordered(panel.counts(snap, list(names))),
        "elapsed": "" if run is None else explain.duration_text(run.elapsed()),
        "run": None if run is None else run.number,
    }


def runs(kept: list, shown: Any) -> list:
    """The run picker's entries: the flow's kept runs, and the run shown if it is older."""
    listed = list(kept)
    if shown is not None and all(run is not shown for run in listed):
        listed.insert(0, shown)
    return [{"number": run.number, "state": state_name(run.state),
             "fill": cue(run.state)["fill"],
             "label": f"run {run.number} · {state_name(run.state)}"} for run in listed]


def legend(entries: dict) -> list:
    """``[[state, fill, border, icon], ...]`` of the states on show (mapped children's too),
    in palette order, then the stale ring's entry if a task on show is stale."""
    shown = [entry["state"] for entry in entries.values()]
    shown += [name for entry in entries.values()
              for name, _, _ in (entry["children"] or {}).get("counts", ())]
    return palette.legend(shown, stale=any(entry.get("stale") for entry in entries.values()))
