"""Tasks: a unit of work with its run options, and the ``@task`` decorator.

>>> @task(max_retries=2, retry_delay=0)
... def double(x):
...     return 2 * x
>>> double, double.run(4)
(<Task: double>, 8)
"""

from __future__ import annotations

import datetime
import inspect
import warnings
from typing import Any, Callable, Iterable

from flowbook import triggers
from flowbook.context import context
from flowbook.core import building, task_options, task_signature, unused
from flowbook.core.task_signature import TaskMeta
from flowbook.engine import cache_validators
from flowbook.engine.result import checked as result_option
from flowbook.errors import UserTypeError, UserValueError

__all__ = ["Task", "FunctionTask", "GetItem", "task"]

_SIGNATURES: dict = {}  # Task subclass -> signature of its run() without self


def _on_failure_handler(on_failure: Callable) -> Callable:
    def call_on_failure(task: "Task", old: Any, new: Any) -> None:
        if new.is_failed():
            on_failure(task, new)

    return call_on_failure


def _plus_context_tags(tags: frozenset) -> frozenset:
    """``tags`` with those of the context's ``tags(...)`` blocks; ``tags`` itself when there
    are none (a call or copy of a task makes no new set: memory per task)."""
    extra = context.get("tags")
    return tags | frozenset(extra) if extra else tags


class _InstanceOnly:
    """A property of instances only: on the class it is absent (``inspect.signature(Task)``
    then reads ``__init__``)."""

    def __init__(self, fn: Callable):
        self.fn = fn

    def __get__(self, obj: Any, cls: Any) -> Any:
        if obj is None:
            raise AttributeError(self.fn.__name__)
        return self.fn(obj)


class Task(metaclass=TaskMeta):
    """A unit of work. Subclass it and define ``run()``, or decorate a function with ``@task``.

    Calling a task inside ``with Flow(...)`` adds a copy of it to that flow, its arguments
    becoming edges; ``task.map(...)`` adds a mapped copy.
    """

    # A %%task cell run again with other code since the task last ran (notebook.stale).
    edited = False

    # The options at their defaults, read from the class: a task keeps in its own __dict__
    # only the options set otherwise, and so does each copy (one per call in a flow), which
    # is most of a big flow's memory (issue 16). Setting one on a task sets it there.
    slug: str | None = None
    tags: frozenset = task_options.NO_TAGS
    max_retries = 0
    retry_delay: datetime.timedelta | None = None
    retry_on: set | None = None
    timeout: float | None = None
    trigger = staticmethod(triggers.all_successful)
    skip_on_upstream_skip = True
    cache_for: datetime.timedelta | None = None
    cache_validator = staticmethod(cache_validators.never_use)
    cache_key: str | None = None
    checkpoint: bool | None = None  # False: never stored; None/True: when a result is set
    target: Any = None  # where its result is kept and looked for (engine.checkpoint)
    result: Any = None  # a Result, or None
    log_stdout = False
    nout: int | None = None
    task_run_name: Any = None  # a str template or a function naming each run
    auto_generated = False

    def __init__(
        self,
        name: str | None = None,
        slug: str | None = None,
        tags: Iterable[str] | None = None,
        max_retries: int | None = None,
        retry_delay: datetime.timedelta | float | None = None,
        retry_on: type | Iterable[type] | None = None,
        timeout: datetime.timedelta | float | None = None,
        trigger: Callable | None = None,
        skip_on_upstream_skip: bool = True,
        cache_for: datetime.timedelta | float | None = None,
        cache_validator: Callable | None = None,
        cache_key: str | None = None,
        checkpoint: bool | None = None,
        result: Any = None,
        target: str | Callable | None = None,
        state_handlers: Iterable[Callable] | None = None,
        on_failure: Callable | None = None,
        log_stdout: bool = False,
        nout: int | None = None,
        task_run_name: str | Callable | None = None,
    ):
        # (a class without an __init__ of its own set nothing before: not looked at, which
        # would make its instance dict in full, +64 bytes per task)
        preset = (() if type(self).__init__ is Task.__init__
                  else _warn_of_reserved_attributes(self))
        name = type(self).__name__ if name is None else name
        if not isinstance(name, str):
            raise UserTypeError(f"a task name must be a str, not {type(name).__name__}")
        tags = _plus_context_tags(task_options.tags(tags, name))
        max_retries = max_retries or 0
        task_options.check_retries(max_retries, retry_delay, name)
        retry_delay = task_options.duration(retry_delay, "retry_delay", name)
        retry_on = task_options.retry_on(retry_on, max_retries, name)
        timeout = task_options.timeout_seconds(timeout, name)
        trigger = triggers.all_successful if trigger is None else trigger
        if not callable(trigger):
            raise UserTypeError(f"task {name!r}: trigger {trigger!r} is not "
                                "callable; use one of flowbook.triggers (e.g. "
                                "triggers.always_run) or a function of the upstream states")
        duration = task_options.duration(cache_for, "cache_for", name)
        if cache_for is None and cache_validator not in (None, cache_validators.never_use):
            warnings.warn(f"task {name!r}: a cache_validator without cache_for does "
                          "nothing; this Task will not be cached (give it cache_for=...)",
                          UserWarning, stacklevel=2)
        cache_validator = cache_validator or (
            cache_validators.never_use if cache_for is None else cache_validators.duration_only)
        result = result_option(result, target, f"task {name!r}")
        handlers = task_options.state_handlers(state_handlers, name)
        if on_failure is not None:
            if not callable(on_failure):
                raise UserTypeError(f"task {name!r}: on_failure {on_failure!r} is not "
                                    "callable")
            handlers.append(_on_failure_handler(on_failure))
        self.name = name
        _keep_options(self, preset, (
            ("slug", slug), ("tags", tags), ("max_retries", max_retries),
            ("retry_delay", retry_delay), ("retry_on", retry_on), ("timeout", timeout),
            ("trigger", trigger), ("skip_on_upstream_skip", skip_on_upstream_skip),
            ("cache_for", duration), ("cache_validator", cache_validator),
            ("cache_key", cache_key), ("checkpoint", checkpoint), ("target", target),
            ("result", result), ("log_stdout", log_stdout),
            ("nout", task_signature.infer_nout(self.run) if nout is None else nout),
            ("task_run_name", task_run_name), ("auto_generated", False)))
        self.state_handlers = handlers
        unused.created(self)  # warned of if a `with Flow` block ends without it

    @property
    def logger(self) -> Any:  # -> logging.Logger
        """The task's logger, ``flowbook.<name>`` (``flowbook.utilities.logging``)."""
        from flowbook.utilities.logging import get_logger

        return get_logger(self.name)

    def __repr__(self) -> str:
        return f"<Task: {self.name}>"

    def run(self) -> Any:
        """The task's work; subclasses override it."""

    def __getitem__(self, key: Any) -> "Task":
        """Inside a flow, ``task[key]`` is a new task giving that item of the result; it is
        kept as the task's result is (its ``checkpoint`` and ``result``, as in Prefect 1)."""
        label = key.name if isinstance(key, Task) else repr(key)
        return GetItem(name=f"{self.name}[{label}]", checkpoint=self.checkpoint,
                       result=self.result).bind(self, key)

    def __iter__(self) -> Any:
        if self.nout is None:
            raise UserTypeError(f"Task is not iterable: task {self.name!r} has no nout; to "
                                "unpack several results give it nout=N (e.g. @task(nout=2)) "
                                "or a Tuple[...] return annotation")
        return (self[i] for i in range(self.nout))

    @property
    def signature(self) -> inspect.Signature:
        """The signature of ``run`` (without ``self``), computed once per class or function."""
        cls = type(self)
        sig = _SIGNATURES.get(cls)
        if sig is None:
            sig = _SIGNATURES[cls] = inspect.signature(self.run)
        return sig

    @_InstanceOnly
    def __signature__(self) -> inspect.Signature:
        """Calling the task: ``run``'s arguments and ``mapped``, ``task_args``, ... ."""
        return task_signature.call_signature(self.run)

    def inputs(self) -> dict:
        """Argument name -> ``{"type", "required", "default"}``, read from ``run``."""
        return task_signature.inputs_of(self.run)

    def outputs(self) -> Any:
        """The return annotation of ``run`` (``typing.Any`` when it has none)."""
        return task_signature.outputs_of(self.run)

    # -- building flows -------------------------------------------------------------------

    def copy(self, **task_args: Any) -> "Task":
        """A copy of this task with some attributes (``name``, ``trigger``, ...) replaced.

        Its tags are this task's, those given and those of ``context.tags``.
        """
        flow = building.active_flow()
        if flow is not None and self in flow.tasks and (flow.edges_to(self)
                                                        or flow.edges_from(self)):
            warnings.warn(f"You are making a copy of task {self.name!r}, which has "
                          f"dependencies in flow {flow.name!r}: the copy has none of them",
                          UserWarning, stacklevel=2)
        new = object.__new__(type(self))
        for key, value in self.__dict__.items():  # not new.__dict__.update: that would make
            object.__setattr__(new, key, value)  # the copy's dict in full (+64 bytes)
        if self.slug and "slug" not in task_args:
            task_args["slug"] = f"{self.slug}-copy"
        for key, value in task_args.items():
            if not hasattr(self, key):
                raise AttributeError(f"{self} does not have {key} as an attribute, so "
                                     "task_args cannot set it")
            setattr(new, key, task_options.normalise(key, value, self.name))
        if "result" in task_args or "target" in task_args:
            new.result = result_option(new.result, new.target, f"task {new.name!r}")
        tags = _plus_context_tags(new.tags if new.tags is self.tags else self.tags | new.tags)
        if tags is not new.tags:  # left at the class's default unless it changed
            new.tags = tags
        unused.copied(self, new)  # the original counts as used: the copy is what the flow gets
        return new

    def pipe(_flowbook_self, _flowbook_task: Any, **kwargs: Any) -> Any:
        """``t.pipe(other, y=1)`` is ``other(t, y=1)``; ``t.pipe(unmapped)`` is
        ``unmapped(t)``: for chains that read left to right."""
        if "self" in kwargs:
            raise UserValueError("pipe: the keyword argument 'self' cannot be passed on; "
                                 "pass the task positionally")
        from flowbook.core.edge import EdgeAnnotation

        if isinstance(_flowbook_task, type) and issubclass(_flowbook_task, EdgeAnnotation):
            return _flowbook_task(_flowbook_self)
        return _flowbook_task(_flowbook_self, **kwargs)

    def __call__(self, *args: Any, mapped: bool = False, task_args: dict | None = None,
                 upstream_tasks: Iterable | None = None, flow: Any = None,
                 **kwargs: Any) -> "Task":
        new = self.copy(**(task_args or {}))
        try:
            return new.bind(*args, mapped=mapped, upstream_tasks=upstream_tasks, flow=flow,
                            **kwargs)
        except BaseException:
            unused.forget(new)
            raise

    def map(self, *args: Any, upstream_tasks: Iterable | None = None, flow: Any = None,
            task_args: dict | None = None, **kwargs: Any) -> "Task":
        """Add a copy that runs once per element of its mapped arguments."""
        from flowbook.core.edge import EdgeAnnotation

        for arg in args:
            if not hasattr(arg, "__getitem__") and not isinstance(arg, EdgeAnnotation):
                raise UserTypeError(f"task {self.name!r}: cannot map over {arg!r}, which is "
                                    "not subscriptable; map over a list or a task")
        new = self.copy(**{"nout": None, **(task_args or {})})
        try:
            return new.bind(*args, mapped=True, upstream_tasks=upstream_tasks, flow=flow,
                            **kwargs)
        except BaseException:
            unused.forget(new)
            raise

    def bind(self, *args: Any, mapped: bool = False, upstream_tasks: Iterable | None = None,
             flow: Any = None, **kwargs: Any) -> "Task":
        """Add this very task to the flow with these arguments as its inputs."""
        try:
            callargs = task_signature.bind(self.signature, args, kwargs)
        except TypeError as exc:
            raise UserTypeError(f"task {self.name!r}: {exc}") from None
        flow = flow or building.active_flow()
        if flow is None:
            run = self.name if isinstance(self, FunctionTask) else f"{type(self).__name__}(...)"
            raise UserValueError(f"Could not infer an active Flow context while creating edge "
                                 f"to {self}: it was called outside a `with Flow(...):` "
                                 "block. If you're trying to run this task outside of a Flow "
                                 f"context, you need to call `{run}.run(...)`")
        flow.set_dependencies(self, upstream_tasks=upstream_tasks, keyword_tasks=callargs,
                              mapped=mapped)
        tags = _plus_context_tags(self.tags)
        if tags is not self.tags:
            self.tags = tags
        return self

    def set_dependencies(self, flow: Any = None, upstream_tasks: Iterable | None = None,
                         downstream_tasks: Iterable | None = None,
                         keyword_tasks: dict | None = None, mapped: bool = False) -> "Task":
        """Add edges to and from this task in ``flow`` (or the flow being built)."""
        flow = flow or building.active_flow()
        if flow is None:
            raise UserValueError(f"No Flow was passed for task {self.name!r}, and none is "
                                 "being built: pass flow=..., or call this inside "
                                 "`with Flow(...):`")
        flow.set_dependencies(self, upstream_tasks=upstream_tasks,
                              downstream_tasks=downstream_tasks, keyword_tasks=keyword_tasks,
                              mapped=mapped)
        return self

    def set_upstream(self, task: Any, flow: Any = None, key: str | None = None,
                     mapped: bool = False) -> "Task":
        """Make ``task`` run before this one (and feed argument ``key`` if given)."""
        if key is None:
            return self.set_dependencies(flow=flow, upstream_tasks=[task], mapped=mapped)
        return self.set_dependencies(flow=flow, keyword_tasks={key: task}, mapped=mapped)

    def set_downstream(self, task: "Task", flow: Any = None, key: str | None = None,
                       mapped: bool = False) -> "Task":
        """Make ``task`` run after this one (fed through its argument ``key`` if given)."""
        if key is None:
            task.set_dependencies(flow=flow, upstream_tasks=[self], mapped=mapped)
        else:
            task.set_dependencies(flow=flow, keyword_tasks={key: self}, mapped=mapped)
        return self

    # -- operators, as in Prefect 1: each binds a task of flowbook.tasks.core.operators -----
    # ``==`` and ``!=`` stay identity comparisons (tasks are kept in sets and dicts): use
    # ``is_equal``/``is_not_equal``. ``a | b`` is an edge a -> b, not ``or``: use ``or_``.

    def _operator(self, name: str, *operands: Any) -> "Task":
        from flowbook.tasks.core import operators

        return getattr(operators, name)().bind(*operands)

    def is_equal(self, other: Any) -> "Task":
        """A task giving ``self == other``."""
        return self._operator("Equal", self, other)

    def is_not_equal(self, other: Any) -> "Task":
        """A task giving ``self != other``."""
        return self._operator("NotEqual", self, other)

    def not_(self) -> "Task":
        """A task giving ``not self``."""
        return self._operator("Not", self)

    def or_(self, other: Any) -> "Task":
        """A task giving ``self or other``."""
        return self._operator("Or", self, other)

    def __or__(self, other: Any) -> Any:
        self.set_dependencies(downstream_tasks=[other])
        return other

    def __ror__(self, other: Any) -> "Task":
        self.set_dependencies(upstream_tasks=[other])
        return self

    def __add__(self, other: Any) -> "Task":
        return self._operator("Add", self, other)

    def __sub__(self, other: Any) -> "Task":
        return self._operator("Sub", self, other)

    def __mul__(self, other: Any) -> "Task":
        return self._operator("Mul", self, other)

    def __truediv__(self, other: Any) -> "Task":
        return self._operator("Div", self, other)

    def __floordiv__(self, other: Any) -> "Task":
        return self._operator("FloorDiv", self, other)

    def __mod__(self, other: Any) -> "Task":
        return self._operator("Mod", self, other)

    def __pow__(self, other: Any) -> "Task":
        return self._operator("Pow", self, other)

    def __and__(self, other: Any) -> "Task":
        return self._operator("And", self, other)

    def __radd__(self, other: Any) -> "Task":
        return self._operator("Add", other, self)

    def __rsub__(self, other: Any) -> "Task":
        return self._operator("Sub", other, self)

    def __rmul__(self, other: Any) -> "Task":
        return self._operator("Mul", other, self)

    def __rtruediv__(self, other: Any) -> "Task":
        return self._operator("Div", other, self)

    def __rfloordiv__(self, other: Any) -> "Task":
        return self._operator("FloorDiv", other, self)

    def __rmod__(self, other: Any) -> "Task":
        return self._operator("Mod", other, self)

    def __rpow__(self, other: Any) -> "Task":
        return self._operator("Pow", other, self)

    def __rand__(self, other: Any) -> "Task":
        return self._operator("And", other, self)

    def __gt__(self, other: Any) -> "Task":
        return self._operator("GreaterThan", self, other)

    def __ge__(self, other: Any) -> "Task":
        return self._operator("GreaterThanOrEqual", self, other)

    def __lt__(self, other: Any) -> "Task":
        return self._operator("LessThan", self, other)

    def __le__(self, other: Any) -> "Task":
        return self._operator("LessThanOrEqual", self, other)


class GetItem(Task):
    """``task[key]`` inside a flow: the item ``key`` of the task's result."""

    def run(self, task_result: Any, key: Any) -> Any:
        return task_result[key]


class FunctionTask(Task):
    """``FunctionTask``: a task whose ``run`` is a plain function (what ``@task`` makes)."""

    def __init__(self, fn: Callable, name: str | None = None, **options: Any):
        if not callable(fn):
            raise UserTypeError(f"@task needs a function, got {fn!r}")
        name = getattr(fn, "__name__", None) if name is None else name
        self._signature = task_signature.check_run(fn, f"task {name!r}")
        self.run = fn
        super().__init__(name=name, **options)

    @property
    def signature(self) -> inspect.Signature:
        return self._signature

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.__doc__ = _RunDoc(cls.__dict__.get("__doc__"))  # a subclass's docs the function's

    @_InstanceOnly
    def __wrapped__(self) -> Callable:
        """The function, for inspect.unwrap and doc tools, as functools.wraps would set."""
        return self.run


class _RunDoc:
    """A FunctionTask's ``__doc__``: its function's (read from ``run``: not kept per task,
    nor per copy); the class's own docstring on the class."""

    def __init__(self, doc: str | None):
        self.doc = doc

    def __get__(self, obj: Any, cls: Any) -> str | None:
        return self.doc if obj is None else getattr(obj.run, "__doc__", None)


FunctionTask.__doc__ = _RunDoc(FunctionTask.__dict__["__doc__"])


def task(fn: Callable | None = None, **options: Any) -> Any:
    """Turn a function into a Task: ``@task`` or ``@task(name=..., max_retries=..., ...)``."""
    if fn is None:
        return lambda f: FunctionTask(f, **options)
    return FunctionTask(fn, **options)


# The attributes Task.__init__ sets (the options kept only when not at their defaults)
_RESERVED_ATTRIBUTES = sorted(("name", "state_handlers", *task_options.OPTIONS))


def _warn_of_reserved_attributes(task: Task) -> tuple:
    """Warn when a subclass sets, before ``Task.__init__``, an attribute it will overwrite;
    returns those attributes."""
    preset = tuple(attr for attr in _RESERVED_ATTRIBUTES if attr in vars(task))
    for attr in preset:
        warnings.warn(f"`{type(task).__name__}` sets a `{attr}` attribute, which "
                      "Task.__init__ overwrites; rename the attribute", UserWarning,
                      stacklevel=3)
    return preset


def _keep_options(task: Task, preset: tuple, options: tuple) -> None:
    """Set each ``(name, value)`` of ``options`` on ``task`` unless the class gives that very
    value (the default): the task's __dict__ holds only what differs. One ``preset`` before
    ``Task.__init__`` (warned of) is overwritten all the same."""
    cls = type(task)
    for attr, value in options:
        if value is not getattr(cls, attr):
            setattr(task, attr, value)
        elif attr in preset:
            delattr(task, attr)
