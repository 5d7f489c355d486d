"""Triggers: plain functions that decide, from its upstream states, whether a task runs.

A trigger takes ``upstream_states`` (a dict ``{Edge: State}``) and returns True to run the task;
it fails the task by returning False or raising ``signals.TRIGGERFAIL`` (the task ends
TriggerFailed), and may raise ``PAUSE`` or ``SKIP``. Mapped upstream states count as their
children. Skipped counts as a success and TriggerFailed as a failure. Each built-in trigger
carries its ``rule`` in words, which the widget shows to explain a decision.
"""

from __future__ import annotations

from typing import Callable, Mapping

from flowbook.context import context
from flowbook.engine import signals
from flowbook.errors import UserValueError

__all__ = [
    "all_successful", "all_failed", "any_successful", "any_failed", "all_finished",
    "always_run", "manual_only", "not_all_skipped", "some_successful", "some_failed",
    "upstream_state_list", "describe", "truth_table",
]


def upstream_state_list(upstream_states: dict) -> list:
    """Each upstream state once, with a Mapped state replaced by its children's states."""
    states: list = []
    for st in upstream_states.values():
        states.extend(st.parts())
    if len(states) > 1:
        states = list({id(s): s for s in states}.values())
    return states


def _rule(text: str, reads_context: bool = False) -> Callable:
    def mark(fn: Callable) -> Callable:
        fn.rule = text  # the rule in words, for explanations
        fn.reads_context = reads_context  # False: a function of the upstream states alone
        return fn

    return mark


@_rule("runs when every upstream task succeeded (Skipped counts as success)")
def all_successful(upstream_states: dict) -> bool:
    for st in upstream_states.values():  # (the default trigger: asked once per task run)
        for s in st.parts():
            if not s.is_successful():
                raise signals.TRIGGERFAIL(
                    'trigger "all_successful": some upstream tasks did not succeed')
    return True


@_rule("runs when every upstream task failed (TriggerFailed counts as failure)")
def all_failed(upstream_states: dict) -> bool:
    if not all(s.is_failed() for s in upstream_state_list(upstream_states)):
        raise signals.TRIGGERFAIL('trigger "all_failed": some upstream tasks did not fail')
    return True


@_rule("runs when at least one upstream task succeeded")
def any_successful(upstream_states: dict) -> bool:
    states = upstream_state_list(upstream_states)
    # "No upstream" means no edges: below an empty map there are edges but no states.
    if upstream_states and not any(s.is_successful() for s in states):
        raise signals.TRIGGERFAIL('trigger "any_successful": no upstream task succeeded')
    return True


@_rule("runs when at least one upstream task failed")
def any_failed(upstream_states: dict) -> bool:
    states = upstream_state_list(upstream_states)
    if upstream_states and not any(s.is_failed() for s in states):
        raise signals.TRIGGERFAIL('trigger "any_failed": no upstream task failed')
    return True


@_rule("runs once every upstream task finished, whatever its outcome")
def all_finished(upstream_states: dict) -> bool:
    if not all(s.is_finished() for s in upstream_state_list(upstream_states)):
        raise signals.TRIGGERFAIL('trigger "all_finished": some upstream tasks are not finished')
    return True


always_run = all_finished


@_rule("never runs by itself: pauses until a person resumes it", reads_context=True)
def manual_only(upstream_states: dict) -> bool:
    if context.get("resume"):
        return True
    raise signals.PAUSE('trigger "manual_only": waiting for approval')


@_rule("runs when every upstream task succeeded and not all were skipped; "
       "skips when all were skipped")
def not_all_skipped(upstream_states: dict) -> bool:
    states = upstream_state_list(upstream_states)
    if all(s.is_skipped() for s in states):
        raise signals.SKIP('trigger "not_all_skipped": every upstream task was skipped',
                           result=None)
    if not all(s.is_successful() for s in states):
        raise signals.TRIGGERFAIL('trigger "not_all_skipped": some upstream tasks did not succeed')
    return True


def _bounds_rule(kind: str, at_least, at_most) -> str:
    def bound(b):
        return f"{b:.0%}" if 0 < b < 1 else f"{b:g}"

    parts = []
    if at_least is not None:
        parts.append(f"at least {bound(at_least)}")
    if at_most is not None:
        parts.append(f"at most {bound(at_most)}")
    verb = "succeeded" if kind == "successful" else kind
    return f"runs when {' and '.join(parts) or 'any number'} of the upstream tasks {verb}"


def _some(kind: str, predicate: str, at_least, at_most) -> Callable:
    for value in (at_least, at_most):
        if value is not None and (not isinstance(value, (int, float)) or value < 0):
            raise UserValueError(f"some_{kind}: bounds must be non-negative numbers, got {value!r}")

    def trigger(upstream_states: dict) -> bool:
        if not upstream_states:
            return True
        states = upstream_state_list(upstream_states)
        n = len(states)
        count = sum(1 for s in states if getattr(s, predicate)())
        low = 0 if at_least is None else (n * at_least if at_least < 1 else at_least)
        high = n if at_most is None else (n * at_most if at_most < 1 else at_most)
        if not low <= count <= high:
            raise signals.TRIGGERFAIL(
                f'trigger "some_{kind}": {count} of {n} upstream tasks {kind}, '
                f"outside [{low:g}, {high:g}]")
        return True

    trigger.__name__ = trigger.__qualname__ = f"some_{kind}"
    return _rule(_bounds_rule(kind, at_least, at_most))(trigger)


def _bounded(kind: str, predicate: str, at_least, at_most) -> Callable | bool:
    if isinstance(at_least, Mapping) and at_most is None:
        # Given as ``trigger=some_failed`` without a call: no bounds, any count passes (as in
        # Prefect 1, whose uncalled trigger returned a truthy function).
        return _some(kind, predicate, None, None)(at_least)
    return _some(kind, predicate, at_least, at_most)


def some_successful(at_least: float | None = None, at_most: float | None = None) -> Callable:
    """A trigger passing when the count of successful upstreams is within the bounds.

    A bound below 1 is a fraction of the number of upstream tasks, otherwise a count.
    Given uncalled as a trigger, it has no bounds.
    """
    return _bounded("successful", "is_successful", at_least, at_most)


def some_failed(at_least: float | None = None, at_most: float | None = None) -> Callable:
    """A trigger passing when the count of failed upstreams is within the bounds."""
    return _bounded("failed", "is_failed", at_least, at_most)


def describe(trigger: Callable) -> tuple[str, str]:
    """``(name, rule)`` of a trigger, for explanations; custom triggers use their docstring."""
    name = getattr(trigger, "__name__", type(trigger).__name__)
    rule = getattr(trigger, "rule", None)
    if rule is None:
        doc = (getattr(trigger, "__doc__", None) or "").strip().splitlines()
        rule = doc[0] if doc else "a custom trigger"
    return name, rule


def truth_table(trigger, n: int = 2, *, outcomes=("Success", "Failed", "Skipped"),
                skip_on_upstream_skip: bool = False):  # -> flowbook.teaching.truth_table.TruthTable
    """What ``trigger`` decides for each way ``n`` upstream tasks can end (each one of
    ``outcomes``): a table shown as HTML in a notebook and as text in a terminal.

    ``trigger`` is a trigger, a built-in trigger's name, or a call such as
    ``some_successful(at_least=1)``. The table shows the trigger alone; with
    ``skip_on_upstream_skip=True`` (the task default) a Skipped upstream task skips the
    task first, and those rows say Skipped.

    >>> table = truth_table("not_all_skipped")
    >>> table.verdict("Skipped", "Skipped"), table.verdict("Skipped", "Success")
    ('Skipped', 'runs')
    >>> len(truth_table(all_failed, n=3).rows)
    27
    """
    from flowbook.teaching.truth_table import truth_table as build  # it imports the engine

    return build(trigger, n, outcomes=outcomes, skip_on_upstream_skip=skip_on_upstream_skip)
