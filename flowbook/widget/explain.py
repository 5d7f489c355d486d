"""Plain-text explanations of a task's run: why it ran or not, its history, result and errors.

Everything here returns text (the panel escapes it) and survives whatever a task produced: a
result whose ``repr`` raises or runs to megabytes, an exception without a traceback.

>>> from flowbook.engine.state import Decision, Failed, Success
>>> why = Decision("all_successful", "runs when every upstream task succeeded",
...                (("extract", Success()), ("run_job", Failed())), "it did not run")
>>> why_text(why)
'all_successful runs when every upstream task succeeded; run_job is Failed'
"""

from __future__ import annotations

import os
import reprlib
import time
import traceback
from collections import Counter
from collections.abc import Callable
from typing import Any

from flowbook.widget.palette import state_name

__all__ = [
    "why_text", "breakpoint_text", "passed_text", "waiting_text", "upstream_lines",
    "history_lines", "result_preview", "shows_result", "traceback_text", "current_attempt",
    "current_decision", "counts_text", "children_text", "duration_text", "message_text",
    "safe_repr",
]

# For the built-in rules, which upstream states decided against the task. A rule not listed
# here (a custom trigger, any_successful, ...) is explained by every upstream state.
_AGAINST: dict = {
    "all_successful": lambda s: not s.is_successful(),
    "not_all_skipped": lambda s: not s.is_successful(),
    "all_failed": lambda s: not s.is_failed(),
    "all_finished": lambda s: not s.is_finished(),
    "skip_on_upstream_skip": lambda s: s.is_skipped(),
}
_FLOWBOOK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def why_text(decision: Any) -> str:
    """One sentence: the rule that decided and the upstream states that made it decide so."""
    against = _AGAINST.get(decision.trigger)
    upstream = [(name, state) for name, state in decision.upstream
                if against is None or _matches(state, against)]
    if against is not None and not upstream and decision.trigger == "not_all_skipped":
        upstream = list(decision.upstream)  # every upstream was skipped
    if not decision.upstream:
        facts = "it has no upstream tasks"
    else:
        facts = ", ".join(_upstream_fact(name, state, against) for name, state in upstream)
    # "all_successful runs when ...", but "skip_on_upstream_skip: a task is skipped when ..."
    joiner = " " if decision.rule.startswith(("runs ", "never runs")) else ": "
    return (f"{decision.trigger}{joiner}{decision.rule}; "
            f"{facts or 'no upstream state decided'}")


def breakpoint_text(decision: Any) -> str:
    """Why a task stopped at a breakpoint (``decision.trigger == "breakpoint"``) waits: not
    for an approval, for someone to step or continue the run."""
    facts = ", ".join(_upstream_fact(name, state, None) for name, state in decision.upstream)
    ready = f"its upstream tasks finished ({facts})" if facts else "it has no upstream tasks"
    return (f"The run stopped before it started, at a breakpoint: {ready}, so it is ready "
            "to run. Step runs it (flow.step()); Continue goes on with the run "
            "(flow.resume()).")


def passed_text(trigger: Any, upstream: list, outcome: Any = None,
                simulated: bool = False) -> str:
    """Why a task that ran was let run: its trigger, and the upstream states it passed on
    (``upstream``: ``[(name, State), ...]``); with ``outcome`` (its latest state), what its
    own code then decided when that was not a plain success (a SKIP, PAUSE, failure, ...).
    ``simulated``: in a what-if simulation, where nothing ran."""
    from flowbook import triggers

    name, rule = triggers.describe(trigger)
    facts = ", ".join(_upstream_fact(n, s, None) for n, s in upstream if s is not None)
    text = f"{name} {rule}; it passed ({facts or 'no upstream tasks'})"
    if outcome is not None and _decided_by_its_code(outcome):
        said = message_text(outcome.message)
        text += (f", so the task would run and end {state_name(outcome)}" if simulated else
                 f", so the task ran; then it ended {state_name(outcome)}"
                 + (f": {said}" if said else ""))
    return text


def _decided_by_its_code(state: Any) -> bool:
    """The run ended in something other than a plain success: a SKIP, PAUSE, LOOP, error."""
    settled = state.is_finished() or state.is_paused() or state.is_looped()
    return settled and (state.is_skipped() or not state.is_successful())


def upstream_lines(decision: Any) -> list:
    """``["extract: Success", ...]``: every upstream state the decision saw."""
    return [f"{name}: {_state_fact(state, None)}" for name, state in decision.upstream]


def _matches(state: Any, predicate: Callable) -> bool:
    if state.is_mapped() and state.map_states:
        return any(predicate(child) for child in state.map_states)
    return predicate(state)


def _upstream_fact(name: str, state: Any, against: Callable | None) -> str:
    return f"{name} is {_state_fact(state, against)}"


def _state_fact(state: Any, against: Callable | None) -> str:
    """``Failed``; for a mapped state its children (those ``against`` picks, if given)."""
    if not (state.is_mapped() and state.map_states):
        return state_name(state)
    children = state.map_states
    chosen = [c for c in children if against is None or against(c)]
    return (f"{state_name(state)} ({counts_text(Counter(map(state_name, chosen)))} "
            f"of {len(children)} children)")


def counts_text(counts: Counter) -> str:
    """``"3 Success, 1 Failed"`` (most frequent first)."""
    return ", ".join(f"{n} {name}" for name, n in counts.most_common())


def waiting_text(state: Any, unfinished: list) -> str:
    """Why a task not run yet (``state`` None or Pending) waits: the upstream tasks that
    have not finished (``unfinished``: their names)."""
    if unfinished:
        verb = "has" if len(unfinished) == 1 else "have"
        return f"it runs once {', '.join(unfinished)} {verb} finished"
    said = "" if state is None else message_text(state.message)
    return "it waits for its turn" + (f" ({said})" if said else "")


def children_text(children: list) -> str:
    """``"100 children: 92 Success, 8 Failed"`` (None for a child not started: ``not run``)."""
    counts = Counter(state_name(child) for child in children)
    noun = "child" if len(children) == 1 else "children"
    return f"{len(children)} {noun}: {counts_text(counts)}" if children else f"0 {noun}"


def current_attempt(history: list) -> list:
    """The states since the task was last made Pending (a retry starts a new attempt)."""
    for i in range(len(history) - 1, -1, -1):
        state = history[i]
        if state.is_pending() and not state.is_scheduled():
            return history[i:]
    return history


def current_decision(history: list) -> Any:
    """The Decision behind the task's state now (None when its latest state has none: a
    pause approved since, a TriggerFailed retried since, no longer hold)."""
    return history[-1].why if history else None


def history_lines(history: list) -> list:
    """``[(clock time, "+seconds", state name, message), ...]`` oldest first."""
    if not history:
        return []
    start = history[0].timestamp
    return [(_clock(s.timestamp), f"+{s.timestamp - start:.3f} s", state_name(s),
             message_text(s.message)) for s in history]


def _clock(stamp: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(stamp)) + f".{int(stamp % 1 * 1000):03d}"


MESSAGE_LIMIT = 2000  # characters of a state's message shown


def message_text(message: Any) -> str:
    """A state's message as text (a non-str message, such as an exception, by its repr),
    shortened to MESSAGE_LIMIT characters."""
    if message is None:
        return ""
    if not isinstance(message, str):
        return safe_repr(message, 500)
    if len(message) > MESSAGE_LIMIT:
        return message[:MESSAGE_LIMIT] + f"… ({len(message) - MESSAGE_LIMIT} more characters)"
    return message


class _ShortRepr(reprlib.Repr):
    """reprlib's short reprs, bytes included: a 300 MB result must not become a 1.2 GB repr
    before it is cut."""

    repr_bytes = repr_bytearray = reprlib.Repr.repr_str


_REPR = _ShortRepr()
_REPR.maxstring = _REPR.maxother = 400
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 20


def safe_repr(value: Any, limit: int = 400) -> str:
    """``repr(value)``, shortened to ``limit`` characters; never raises."""
    try:
        text = _REPR.repr(value)
    except Exception as exc:
        try:
            text = f"<{type(value).__name__} object: its repr() raised {exc!r}>"
        except Exception:
            text = "<an object whose repr() raised>"
    if len(text) > limit:
        text = text[:limit] + f"… ({len(text) - limit} more characters)"
    return text


def shows_result(state: Any) -> bool:
    """Whether the state holds a result worth showing: what a successful task returned, or
    a ``result=`` a failed one was given (not a signal, an exception or a pause)."""
    from flowbook.engine.signals import PrefectStateSignal

    if state is None or not state.has_result or isinstance(state.result, PrefectStateSignal):
        return False
    if state.is_successful():
        return True
    return state.is_failed() and not isinstance(state.result, BaseException)


def duration_text(seconds: float | None) -> str:
    """``< 0.1 ms``, ``0.4 ms``, ``25 ms``, ``1.42 s``, ``12 s``, ``1 min 3 s``,
    ``2 h 5 min``; "" for None."""
    if seconds is None:
        return ""
    if seconds < 0.00005:
        return "< 0.1 ms"
    if seconds < 0.01:
        return f"{seconds * 1000:.1f} ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def result_preview(state: Any, limit: int = 400) -> str:
    """The state's result as a short repr, or why there is none."""
    if state is None:
        return "(not run yet)"
    if not state.has_result:
        return "(no result)"
    return safe_repr(state.result, limit)


def traceback_text(state: Any) -> str | None:
    """The traceback of a failed state's exception, without flowbook's own frames; None when
    there is no exception or every frame is flowbook's (a built-in trigger's signal)."""
    exc = state.result if state is not None and state.is_failed() else None
    if not isinstance(exc, BaseException) or exc.__traceback__ is None:
        return None
    try:  # only the user's exception is guarded: a bug in _drop_flowbook_frames propagates
        report = traceback.TracebackException.from_exception(exc)
    except Exception as err:  # a broken __str__ or __notes__ on the exception, say
        return _unformattable(err)
    if not _drop_flowbook_frames(report):
        return None
    try:
        return "".join(report.format())
    except Exception as err:
        return _unformattable(err)


def _unformattable(err: Exception) -> str:
    return f"(the traceback could not be formatted: {err!r})"


def _drop_flowbook_frames(report: traceback.TracebackException) -> bool:
    """Keep only the user's frames in the report and its causes; False when the exception
    itself was raised by flowbook alone."""
    seen: set = set()
    kept = None
    while report is not None and id(report) not in seen:
        seen.add(id(report))
        frames = [f for f in report.stack if not f.filename.startswith(_FLOWBOOK_DIR)]
        kept = bool(frames) if kept is None else kept
        report.stack = traceback.StackSummary.from_list(frames)
        report = report.__cause__ or report.__context__
    return bool(kept)
