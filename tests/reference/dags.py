"""Random flows for the property-based differential test: a DAG spec, a strategy, a renderer.

`dags()` draws a `DagSpec` (2-12 tasks, each wired to earlier tasks by data or state-only
edges, with a random built-in trigger, behaviour, retry budget and skip setting, and an
optional reference-task subset); `render(spec)` turns it into case source in the
convention of `runner.py`, so both engines run exactly the same text.
"""
from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

__all__ = ["TaskSpec", "DagSpec", "dags", "render", "BEHAVIOURS", "TRIGGERS"]

# What a task does when it runs (see PRELUDE's `behave`).
BEHAVIOURS = (
    "return",      # return a value naming the task and its inputs
    "raise",       # raise ValueError
    "skip",        # raise SKIP
    "fail",        # raise FAIL
    "success",     # raise SUCCESS(result=value)
    "retry_once",  # raise RETRY on the first run, return on the next
    "fail_first",  # raise ValueError on the first k runs, then return
)

# Built-in triggers without bounds; manual_only is left out (it pauses every run).
TRIGGERS = (
    "all_successful", "all_failed", "any_successful", "any_failed",
    "all_finished", "always_run", "not_all_skipped",
)
BOUNDED_TRIGGERS = ("some_successful", "some_failed")
BOUNDS = (None, 0, 1, 2, 3, 0.25, 0.5, 0.75)

PRELUDE = '''\
def short(x):
    """How a task's input appears in its result: the upstream's name, else a type."""
    return x["task"] if isinstance(x, dict) else type(x).__name__


def behave(name, behaviour, k, inputs):
    value = {"task": name, "inputs": [short(x) for x in inputs]}
    run = context.get("task_run_count") or 1
    if behaviour == "raise":
        raise ValueError(name)
    if behaviour == "skip":
        raise signals.SKIP(name)
    if behaviour == "fail":
        raise signals.FAIL(name)
    if behaviour == "success":
        raise signals.SUCCESS(name, result=value)
    if behaviour == "retry_once" and run == 1:
        raise signals.RETRY(name)
    if behaviour == "fail_first" and run <= k:
        raise ValueError(f"{name} attempt {run}")
    value["run"] = run
    return value
'''


@dataclass(frozen=True)
class TaskSpec:
    upstream: tuple[tuple[int, bool], ...]  # (index of an earlier task, is a data edge)
    constant: bool        # also passes the constant 1 as an argument
    trigger: str          # source of the trigger expression, e.g. "triggers.any_failed"
    behaviour: str        # one of BEHAVIOURS
    fail_attempts: int    # k for "fail_first"
    max_retries: int      # 0 = no retries
    skip_on_upstream_skip: bool


@dataclass(frozen=True)
class DagSpec:
    tasks: tuple[TaskSpec, ...]
    reference: tuple[int, ...] | None  # indices for set_reference_tasks, None = not called


# --- the strategy -------------------------------------------------------------------------


@st.composite
def trigger_sources(draw) -> str:
    """Source of a built-in trigger, bounded ones with random counts or fractions."""
    name = draw(st.sampled_from(TRIGGERS + BOUNDED_TRIGGERS))
    if name not in BOUNDED_TRIGGERS:
        return f"triggers.{name}"
    at_least, at_most = draw(st.sampled_from(BOUNDS)), draw(st.sampled_from(BOUNDS))
    bounds = [f"at_least={at_least}"] * (at_least is not None)
    bounds += [f"at_most={at_most}"] * (at_most is not None)
    return f"triggers.{name}({', '.join(bounds)})"


@st.composite
def task_specs(draw, index: int) -> TaskSpec:
    """One task that may depend on tasks 0..index-1."""
    earlier = st.integers(0, index - 1) if index else st.nothing()
    ups = draw(st.lists(earlier, unique=True, max_size=min(index, 4)))
    edges = tuple((u, draw(st.booleans())) for u in sorted(ups))
    behaviour = draw(st.sampled_from(("return",) * 5 + BEHAVIOURS[1:]))
    return TaskSpec(
        upstream=edges,
        constant=draw(st.integers(0, 5)) == 0,
        trigger=draw(st.sampled_from(["triggers.all_successful"]) | trigger_sources()),
        behaviour=behaviour,
        fail_attempts=draw(st.integers(1, 3)),
        max_retries=draw(st.sampled_from((0, 0, 0, 1, 2, 3))),
        skip_on_upstream_skip=draw(st.booleans()),
    )


@st.composite
def dags(draw, min_tasks: int = 2, max_tasks: int = 12) -> DagSpec:
    """A random flow of `min_tasks` to `max_tasks` tasks."""
    n = draw(st.integers(min_tasks, max_tasks))
    tasks = tuple(draw(task_specs(i)) for i in range(n))
    some_tasks = st.lists(st.integers(0, n - 1), unique=True, max_size=3).map(tuple)
    reference = draw(st.none() | some_tasks)
    return DagSpec(tasks=tasks, reference=reference)


# --- rendering ----------------------------------------------------------------------------


def render(dag: DagSpec) -> str:
    """Case source for `dag`: the prelude, one @task per spec, then the flow."""
    parts = [PRELUDE]
    parts += [_render_task(i, spec) for i, spec in enumerate(dag.tasks)]
    parts.append(_render_flow(dag))
    return "\n\n".join(parts) + "\n"


def _render_task(i: int, spec: TaskSpec) -> str:
    params = [f"x{u}" for u, data in spec.upstream if data] + ["c"] * spec.constant
    options = [f'name="t{i}"', f"trigger={spec.trigger}"]
    if not spec.skip_on_upstream_skip:
        options.append("skip_on_upstream_skip=False")
    if spec.max_retries:
        options.append(f"max_retries={spec.max_retries}, retry_delay=timedelta(seconds=0)")
    return (
        f"@task({', '.join(options)})\n"
        f"def t{i}({', '.join(params)}):\n"
        f"    return behave(\"t{i}\", \"{spec.behaviour}\", {spec.fail_attempts}, "
        f"[{', '.join(params)}])"
    )


def _render_flow(dag: DagSpec) -> str:
    lines = ['with Flow("random") as flow:']
    for i, spec in enumerate(dag.tasks):
        args = [f"x{u}=r{u}" for u, data in spec.upstream if data] + ["c=1"] * spec.constant
        state_only = [f"r{u}" for u, data in spec.upstream if not data]
        if state_only:
            args.append(f"upstream_tasks=[{', '.join(state_only)}]")
        lines.append(f"    r{i} = t{i}({', '.join(args)})")
    if dag.reference is not None:
        refs = ", ".join(f"r{i}" for i in dag.reference)
        lines.append(f"flow.set_reference_tasks([{refs}])")
    return "\n".join(lines)
