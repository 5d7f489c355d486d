"""Truth tables of triggers: what a trigger decides for every way its upstream tasks can end.

Each row is asked of the engine's own ``trigger_verdict``, on real edges from throwaway
upstream tasks ``up1``, ``up2``, ...; a trigger reading ``flowbook.context`` (``manual_only``)
sees it as in a fresh run, not resumed. The table shows as HTML in a notebook and as text
in a terminal, and holds its data in ``rows``.

>>> table = truth_table("all_successful")
>>> table.verdict("Success", "Failed"), table.verdict("Skipped", "Success")
('TriggerFailed', 'runs')
>>> print(truth_table("any_failed", n=1))
any_failed: runs when at least one upstream task failed
up1      verdict
Success  TriggerFailed
Failed   runs
Skipped  TriggerFailed
Note: with skip_on_upstream_skip=True (the task default), a Skipped upstream task
skips the task before its trigger is asked.
"""

from __future__ import annotations

import difflib
import html
import itertools
from typing import Any, Callable, Iterable

from flowbook import triggers
from flowbook.context import context
from flowbook.core.edge import Edge
from flowbook.core.task import Task
from flowbook.engine import state as states
from flowbook.engine.task_run import trigger_verdict
from flowbook.errors import UserTypeError, UserValueError
from flowbook.widget.palette import LINE, cue_named

__all__ = ["TruthTable", "truth_table", "BUILT_IN", "OUTCOMES", "RUNS", "MAX_UPSTREAM", "ask",
           "verdict_name", "throwaway_upstream", "as_trigger", "outcome_name",
           "fresh_run_context"]

BUILT_IN = ("all_successful", "all_failed", "any_successful", "any_failed", "all_finished",
            "always_run", "manual_only", "not_all_skipped")  # triggers known by name
_FACTORIES = ("some_successful", "some_failed")  # called with bounds to make a trigger
OUTCOMES = ("Success", "Failed", "Skipped")  # the columns' states unless chosen
RUNS = "runs"  # the verdict of a trigger that lets the task run
MAX_UPSTREAM = 6  # 3 ** 6 = 729 rows: more is not read, and triggers do not change with n
MAX_ROWS = 3 ** MAX_UPSTREAM
# Outcomes a table may use: how a task ends (a trigger is only asked once its upstream
# tasks have finished), except Mapped and Looped: a mapped upstream counts as its
# children's states, and a looping task ends in something else.
_ENDINGS = {name: getattr(states, name) for name in states.__all__
            if isinstance(getattr(states, name), type)
            and issubclass(getattr(states, name), states.Finished)
            and name not in ("Finished", "Mapped", "Looped")}
_FOOTNOTE = ("Note: with skip_on_upstream_skip=True (the task default), a Skipped upstream "
             "task\nskips the task before its trigger is asked.")
_SKIPPING = ("skip_on_upstream_skip=True (the task default): a Skipped upstream task skips "
             "the task\nbefore its trigger is asked.")


class TruthTable:
    """What one trigger decides for each mix of outcomes of ``n`` upstream tasks."""

    def __init__(self, trigger_name: str, rule: str, outcomes: tuple, rows: list,
                 skip_on_upstream_skip: bool):
        self.trigger_name = trigger_name  # e.g. "all_successful"
        self.rule = rule  # the trigger's rule in words (triggers.describe)
        self.outcomes = outcomes  # the state names each upstream task takes in turn
        # [((outcome of up1, of up2, ...), verdict), ...]: every mix once, in
        # itertools.product order; a verdict is RUNS or the name of the state the task gets
        self.rows = rows
        self.skip_on_upstream_skip = skip_on_upstream_skip  # whether upstream skips skip first

    @property
    def n(self) -> int:
        """The number of upstream tasks."""
        return len(self.rows[0][0])

    def verdict(self, *outcomes: Any) -> str:
        """The verdict for one row, given as the upstream outcomes (names or state classes)."""
        if len(outcomes) != self.n:
            raise UserValueError(f"this truth table of {self.trigger_name} has {self.n} "
                                 f"upstream tasks; give {self.n} outcomes, not {len(outcomes)}")
        key = tuple(outcome_name(o, self.outcomes) for o in outcomes)
        return dict(self.rows)[key]

    def _headers(self) -> list:
        return [f"up{i}" for i in range(1, self.n + 1)] + ["verdict"]

    def _note(self) -> str | None:
        if not any(_ENDINGS[o]().is_skipped() for o in self.outcomes):
            return None
        return _SKIPPING if self.skip_on_upstream_skip else _FOOTNOTE

    def __str__(self) -> str:
        table = [self._headers()] + [[*ups, verdict] for ups, verdict in self.rows]
        widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
        lines = [f"{self.trigger_name}: {self.rule}"]
        lines += ["  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip()
                  for line in table]
        note = self._note()
        return "\n".join(lines + ([note] if note else []))

    __repr__ = __str__

    def _repr_html_(self) -> str:
        cell = "padding:1px 8px"
        head = "".join(f'<th style="{cell};text-align:left;border-bottom:1px solid {LINE}">'
                       f"{h}</th>" for h in self._headers())
        body = "".join(
            "<tr>" + "".join(_cell_html(name, cell) for name in (*ups, verdict)) + "</tr>"
            for ups, verdict in self.rows)
        note = self._note()
        foot = ("" if note is None else
                f'<div style="opacity:0.75;margin-top:0.3em">{html.escape(note)}</div>')
        return ('<div class="fb-truth-table">'
                f"<div><b>{html.escape(self.trigger_name)}</b>: {html.escape(self.rule)}</div>"
                f'<table style="border-collapse:collapse;margin-top:0.3em"><thead><tr>{head}'
                f"</tr></thead><tbody>{body}</tbody></table>{foot}</div>")


def _cell_html(name: str, style: str) -> str:
    """A cell coloured as the state ``name`` is in the widget (RUNS as Running), with its
    icon, so it reads in light and dark themes and without colour."""
    cue = cue_named("Running" if name == RUNS else name)
    icon = "" if name == RUNS else cue["icon"] + " "
    return (f'<td style="{style};background:{cue["fill"]};color:{cue["text"]}">'
            f"{html.escape(icon + name)}</td>")


def truth_table(trigger: Any, n: int = 2, *, outcomes: Iterable = OUTCOMES,
                skip_on_upstream_skip: bool = False) -> TruthTable:
    """The truth table of ``trigger`` (a trigger function, a built-in trigger's name, or a
    call such as ``some_successful(at_least=1)``) over ``n`` upstream tasks, each ending in
    one of ``outcomes`` (state names or classes). With ``skip_on_upstream_skip=True`` a
    row with a Skipped upstream task says Skipped, as for a task with that default."""
    fn, name = as_trigger(trigger)
    chosen = _outcomes(outcomes)
    _check_size(n, len(chosen))
    rule = triggers.describe(fn)[1]
    rows = []
    for ups in itertools.product(chosen, repeat=n):
        ended = [_ENDINGS[o]() for o in ups]
        if skip_on_upstream_skip and any(s.is_skipped() for s in ended):
            rows.append((ups, "Skipped"))
            continue
        rows.append((ups, verdict_name(ask(fn, throwaway_upstream(ended)))))
    return TruthTable(name, rule, chosen, rows, skip_on_upstream_skip)


def ask(trigger: Callable, upstream: dict) -> states.State | None:
    """``trigger_verdict`` with ``flowbook.context`` as a fresh run sets it for a trigger
    reading it, as the engine does (``manual_only`` pauses)."""
    if not getattr(trigger, "reads_context", True):
        return trigger_verdict(trigger, upstream)
    with context(fresh_run_context()):
        return trigger_verdict(trigger, upstream)


def fresh_run_context() -> dict:
    """What a task's trigger reads of ``flowbook.context`` in a first run, not resumed."""
    return {"flow_name": "truth table", "parameters": {}, "task_name": "task",
            "task_full_name": "task", "task_run_count": 1, "map_index": None, "resume": False}


def verdict_name(verdict: states.State | None) -> str:
    """RUNS for None (the trigger passes), else the state's class name."""
    return RUNS if verdict is None else type(verdict).__name__


def throwaway_upstream(upstream: list, names: list | None = None) -> dict:
    """``{Edge: State}`` from tasks ``up1``, ``up2``, ... (or ``names``) to a task
    ``task``, one per state of ``upstream``: a trigger's input outside a flow."""
    down = Task(name="task")
    names = names or [f"up{i}" for i in range(1, len(upstream) + 1)]
    return {Edge(Task(name=name), down): st for name, st in zip(names, upstream)}


def as_trigger(trigger: Any) -> tuple:
    """``(trigger function, its name)`` for a trigger or a built-in trigger's name."""
    if isinstance(trigger, str):
        name = trigger.strip()
        if name in BUILT_IN:
            return getattr(triggers, name), name
        if name in _FACTORIES:
            raise UserValueError(_factory_message(name))
        raise UserValueError(f"there is no built-in trigger called {name!r}"
                             f"{_did_you_mean(name, BUILT_IN + _FACTORIES)}; the triggers "
                             f"are {', '.join(BUILT_IN + _FACTORIES)}")
    if trigger in (triggers.some_successful, triggers.some_failed):
        raise UserTypeError(_factory_message(trigger.__name__))
    if isinstance(trigger, (Task, type)) or not callable(trigger):
        raise UserTypeError(f"a trigger is a function of the upstream states (such as "
                            f"triggers.all_successful) or its name as a string, not "
                            f"{trigger!r}")
    return trigger, triggers.describe(trigger)[0]


def _factory_message(name: str) -> str:
    return (f"{name} makes a trigger from bounds; call it, as in "
            f"truth_table({name}(at_least=1))")


def _did_you_mean(name: str, choices: Iterable) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    if not close:
        close = [c for c in choices if c.lower() == name.lower()]
    return f" (did you mean {close[0]!r}?)" if close else ""


def outcome_name(outcome: Any, allowed: Iterable = tuple(_ENDINGS)) -> str:
    """The state name of ``outcome`` (a name in any case, or a state class) among
    ``allowed``; UserValueError naming those otherwise."""
    allowed = tuple(allowed)
    if isinstance(outcome, type) and issubclass(outcome, states.State):
        name = outcome.__name__
    elif isinstance(outcome, str):
        name = next((a for a in allowed if a.lower() == outcome.strip().lower()), outcome)
    else:
        raise UserTypeError(f"an outcome is a state name such as 'Failed' or a state class, "
                            f"not {outcome!r}")
    if name not in allowed:
        raise UserValueError(f"{name!r} is not an outcome here{_did_you_mean(name, allowed)}; "
                             f"choose from {', '.join(allowed)}")
    return name


def _outcomes(outcomes: Iterable) -> tuple:
    if isinstance(outcomes, str):
        outcomes = (outcomes,)
    chosen = tuple(outcome_name(o) for o in outcomes)
    if not chosen or len(set(chosen)) != len(chosen):
        raise UserValueError(f"outcomes must name at least one state, each once, not "
                             f"{chosen!r}; for instance outcomes={OUTCOMES!r}")
    return chosen


def _check_size(n: Any, kinds: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise UserTypeError(f"n is the number of upstream tasks, a whole number, not {n!r}")
    if n < 1:
        raise UserValueError(f"n={n}: a truth table shows how a trigger decides on upstream "
                             "tasks; give n=1 or more")
    if n > MAX_UPSTREAM or kinds ** n > MAX_ROWS:
        raise UserValueError(f"n={n} makes {kinds ** n} rows, too many to read; give "
                             f"n <= {MAX_UPSTREAM} (at most {MAX_ROWS} rows): the built-in "
                             "triggers decide alike for 2 or 3 upstream tasks as for more")
