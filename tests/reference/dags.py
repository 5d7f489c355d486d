"""Random flows for the property-based differential test: a DAG spec, a strategy, a renderer.

`dags()` draws a `DagSpec` (2-12 tasks, each wired to earlier tasks by data or state-only
edges, with a random built-in trigger, behaviour, retry budget and skip setting, and an
optional reference-task subset); `render(spec)` turns it into case source in the
convention of `runner.py`, so both engines run exactly the same text.

With ``dags(mapping=True)`` some tasks are mapped over ``ITEMS``: edges from mapped tasks
stay mapped (child by child), edges from other tasks are ``unmapped``, and a mapped task's
behaviour may hit only the child for one item.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

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
MAX_TASKS = 12

ITEMS = [0, 1, 2]  # what every mapped task maps over

PRELUDE = '''\
def short(x):
    """How a task's input appears in its result: the upstream's name, else a type."""
    return x["task"] if isinstance(x, dict) else type(x).__name__


def behave(name, behaviour, k, inputs, item=None, only_item=None):
    value = {"task": name, "inputs": [short(x) for x in inputs], "item": item}
    if only_item is not None and item != only_item:
        behaviour = "return"
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
    mapped: bool = False               # mapped over ITEMS
    only_item: int | None = None       # a mapped task's behaviour hits only this item


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
def task_specs(draw, mapping: bool = False) -> TaskSpec:
    """One task whose upstream edges are still raw links (see `_resolve_edges`)."""
    links = draw(st.lists(st.tuples(st.integers(0, MAX_TASKS), st.booleans()), max_size=4))
    behaviour = draw(st.sampled_from(("return",) * 5 + BEHAVIOURS[1:]))
    mapped = mapping and draw(st.booleans())
    return TaskSpec(
        upstream=tuple(links),
        constant=draw(st.integers(0, 5)) == 5,  # rare; shrinks to no constant
        trigger=draw(st.sampled_from(["triggers.all_successful"]) | trigger_sources()),
        behaviour=behaviour,
        fail_attempts=draw(st.integers(1, 3)),
        max_retries=draw(st.sampled_from((0, 0, 0, 1, 2, 3))),
        skip_on_upstream_skip=draw(st.booleans()),
        mapped=mapped,
        only_item=draw(st.none() | st.sampled_from(ITEMS)) if mapped else None,
    )


@st.composite
def dags(draw, min_tasks: int = 2, max_tasks: int = MAX_TASKS, mapping: bool = False) -> DagSpec:
    """A random flow of `min_tasks` to `max_tasks` tasks, some mapped if `mapping`.

    Tasks are drawn as a list and wired by index modulo position, so Hypothesis shrinks a
    failing flow by deleting the tasks that do not matter.
    """
    drafts = draw(st.lists(task_specs(mapping), min_size=min_tasks, max_size=max_tasks))
    tasks = tuple(
        replace(spec, upstream=_resolve_edges(i, spec.upstream)) for i, spec in enumerate(drafts)
    )
    indices = st.integers(0, MAX_TASKS).map(lambda k: k % len(tasks))
    reference = draw(st.none() | st.lists(indices, max_size=3).map(lambda r: tuple(dict.fromkeys(r))))
    return DagSpec(tasks=tasks, reference=reference)


def _resolve_edges(index: int, links) -> tuple[tuple[int, bool], ...]:
    """Links to earlier task indices: link k joins task `index` to task `k % index`
    (stable when tasks after that one are deleted); the first link to a task decides
    its edge kind."""
    if index == 0:
        return ()
    edges = {}
    for k, data in links:
        edges.setdefault(k % index, data)
    return tuple(sorted(edges.items()))


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
    inputs = f"[{', '.join(params)}]"
    call = f'behave("t{i}", "{spec.behaviour}", {spec.fail_attempts}, {inputs}'
    if spec.mapped:
        params.append("item")
        call += f", item, {spec.only_item}"
    return (
        f"@task({', '.join(options)})\n"
        f"def t{i}({', '.join(params)}):\n"
        f"    return {call})"
    )


def _render_flow(dag: DagSpec) -> str:
    lines = ['with Flow("random") as flow:']
    for i, spec in enumerate(dag.tasks):
        lines.append(f"    r{i} = {_render_call(i, spec, dag)}")
    if dag.reference is not None:
        refs = ", ".join(f"r{i}" for i in dag.reference)
        lines.append(f"flow.set_reference_tasks([{refs}])")
    return "\n".join(lines)


def _render_call(i: int, spec: TaskSpec, dag: DagSpec) -> str:
    """`t3(x0=r0, upstream_tasks=[r1])`, or for a mapped task `t3.map(...)` with every
    edge from a task that is not mapped wrapped in `unmapped`."""
    def ref(u: int) -> str:
        return f"r{u}" if not spec.mapped or dag.tasks[u].mapped else f"unmapped(r{u})"

    args = [f"x{u}={ref(u)}" for u, data in spec.upstream if data]
    args += [("c=unmapped(1)" if spec.mapped else "c=1")] * spec.constant
    if spec.mapped:
        args.append(f"item={ITEMS}")
    state_only = [ref(u) for u, data in spec.upstream if not data]
    if state_only:
        args.append(f"upstream_tasks=[{', '.join(state_only)}]")
    return f"t{i}{'.map' if spec.mapped else ''}({', '.join(args)})"
