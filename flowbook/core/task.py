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
from typing import Any, Callable, Iterable

from flowbook.core import building
from flowbook.engine.result import checked as result_option
from flowbook.errors import UserTypeError, UserValueError

__all__ = ["Task", "FunctionTask", "GetItem", "task"]

_RESERVED = ("upstream_tasks", "mapped", "task_args", "flow")
_SIGNATURES: dict = {}  # Task subclass -> signature of its run() without self


def _seconds(value: Any, option: str, owner: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime.timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise UserValueError(f"task {owner!r}: {option} must be a number of seconds or a "
                         f"datetime.timedelta >= 0, not {value!r}")
    return float(value)


def _exception_types(retry_on: Any, owner: str) -> tuple:
    if retry_on is None:
        return ()
    types = (retry_on,) if isinstance(retry_on, type) else tuple(retry_on)
    for t in types:
        if not (isinstance(t, type) and issubclass(t, BaseException)):
            raise UserTypeError(f"task {owner!r}: retry_on takes exception classes, got {t!r}")
    return types


def _on_failure_handler(on_failure: Callable) -> Callable:
    def call_on_failure(task: "Task", old: Any, new: Any) -> None:
        if new.is_failed():
            on_failure(task, new)

    return call_on_failure


class Task:
    """A unit of work. Subclass it and define ``run()``, or decorate a function with ``@task``.

    Calling a task inside ``with Flow(...)`` adds a copy of it to that flow, its arguments
    becoming edges; ``task.map(...)`` adds a mapped copy.
    """

    # A %%task cell run again with other code since the task last ran (notebook.stale).
    edited = False

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
    ):
        from flowbook import triggers
        from flowbook.engine import cache

        self.name = type(self).__name__ if name is None else name
        if not isinstance(self.name, str):
            raise UserTypeError(f"a task name must be a str, not {type(self.name).__name__}")
        self.slug = slug
        self.tags = frozenset(tags or ())
        self.max_retries = max_retries or 0
        self.retry_delay = _seconds(retry_delay, "retry_delay", self.name)
        if self.max_retries and self.retry_delay is None:
            raise UserValueError(f"task {self.name!r}: max_retries={max_retries} needs a "
                                 "retry_delay "
                             "(for example retry_delay=datetime.timedelta(seconds=5))")
        if self.retry_delay is not None and not self.max_retries:
            raise UserValueError(f"task {self.name!r}: retry_delay needs max_retries > 0")
        if not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise UserValueError(f"task {self.name!r}: max_retries must be an int >= 0")
        self.retry_on = _exception_types(retry_on, self.name)
        self.timeout = _seconds(timeout, "timeout", self.name)
        self.trigger = triggers.all_successful if trigger is None else trigger
        if not callable(self.trigger):
            raise UserTypeError(f"task {self.name!r}: trigger {self.trigger!r} is not "
                                "callable; use "
                            "one of flowbook.triggers (e.g. triggers.always_run) or a function "
                            "of the upstream states")
        self.skip_on_upstream_skip = skip_on_upstream_skip
        self.cache_for = _seconds(cache_for, "cache_for", self.name)
        self.cache_validator = cache_validator or cache.duration_only
        self.cache_key = cache_key
        self.checkpoint = checkpoint  # False: never stored; None/True: when a result is set
        self.target = target  # where its result is kept and looked for (engine.checkpoint)
        self.result = result_option(result, target, f"task {self.name!r}")  # a Result, or None
        # Immutable, so the many tasks of a large flow share one empty tuple/frozenset.
        self.state_handlers = tuple(state_handlers or ())
        for handler in self.state_handlers:
            if not callable(handler):
                raise UserTypeError(f"task {self.name!r}: state handler {handler!r} is not "
                                    "callable")
        if on_failure is not None:
            if not callable(on_failure):
                raise UserTypeError(f"task {self.name!r}: on_failure {on_failure!r} is not "
                                    "callable")
            self.state_handlers += (_on_failure_handler(on_failure),)
        self.log_stdout = log_stdout
        self.nout = nout
        self.auto_generated = False

    def __repr__(self) -> str:
        return f"<Task: {self.name}>"

    def run(self) -> Any:
        """The task's work; subclasses override it."""

    def __getitem__(self, key: Any) -> "Task":
        """Inside a flow, ``task[key]`` is a new task giving that item of the result."""
        label = key.name if isinstance(key, Task) else repr(key)
        return GetItem(name=f"{self.name}[{label}]").bind(self, key)

    def __iter__(self) -> Any:
        if self.nout is None:
            raise UserTypeError(f"task {self.name!r} is not iterable; to unpack several results "
                            "give the task nout=N (e.g. @task(nout=2))")
        return (self[i] for i in range(self.nout))

    @property
    def signature(self) -> inspect.Signature:
        """The signature of ``run`` (without ``self``), computed once per class or function."""
        cls = type(self)
        sig = _SIGNATURES.get(cls)
        if sig is None:
            sig = _SIGNATURES[cls] = inspect.signature(self.run)
        return sig

    # -- building flows -------------------------------------------------------------------

    def copy(self, **task_args: Any) -> "Task":
        """A copy of this task with some attributes (``name``, ``trigger``, ...) replaced."""
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        for key, value in task_args.items():
            if not hasattr(self, key):
                raise AttributeError(f"task {self.name!r} has no attribute {key!r} to set "
                                     "through task_args")
            setattr(new, key, value)
        if "result" in task_args or "target" in task_args:
            new.result = result_option(new.result, new.target, f"task {new.name!r}")
        return new

    def __call__(self, *args: Any, mapped: bool = False, task_args: dict | None = None,
                 upstream_tasks: Iterable | None = None, flow: Any = None,
                 **kwargs: Any) -> "Task":
        new = self.copy(**(task_args or {}))
        return new.bind(*args, mapped=mapped, upstream_tasks=upstream_tasks, flow=flow, **kwargs)

    def map(self, *args: Any, upstream_tasks: Iterable | None = None, flow: Any = None,
            task_args: dict | None = None, **kwargs: Any) -> "Task":
        """Add a copy that runs once per element of its mapped arguments."""
        new = self.copy(**(task_args or {}))
        return new.bind(*args, mapped=True, upstream_tasks=upstream_tasks, flow=flow, **kwargs)

    def bind(self, *args: Any, mapped: bool = False, upstream_tasks: Iterable | None = None,
             flow: Any = None, **kwargs: Any) -> "Task":
        """Add this very task to the flow with these arguments as its inputs."""
        try:
            callargs = self.signature.bind(*args, **kwargs).arguments
        except TypeError as exc:
            raise UserTypeError(f"task {self.name!r}: {exc}") from None
        for param in self.signature.parameters.values():
            if param.kind is inspect.Parameter.VAR_KEYWORD and param.name in callargs:
                callargs.update(callargs.pop(param.name))
        flow = flow or building.active_flow()
        if flow is None:
            raise UserValueError(f"task {self.name!r} was called outside a flow: call it inside "
                             f"`with Flow(...):`, or call {self.name}.run(...) to run the "
                             "function directly")
        flow.set_dependencies(self, upstream_tasks=upstream_tasks, keyword_tasks=callargs,
                              mapped=mapped)
        return self

    def set_dependencies(self, flow: Any = None, upstream_tasks: Iterable | None = None,
                         downstream_tasks: Iterable | None = None,
                         keyword_tasks: dict | None = None, mapped: bool = False) -> None:
        flow = flow or building.active_flow()
        if flow is None:
            raise UserValueError(f"task {self.name!r}: no flow given and none is being built; "
                             "pass flow=...")
        flow.set_dependencies(self, upstream_tasks=upstream_tasks,
                              downstream_tasks=downstream_tasks, keyword_tasks=keyword_tasks,
                              mapped=mapped)

    def set_upstream(self, task: Any, flow: Any = None, key: str | None = None,
                     mapped: bool = False) -> None:
        """Make ``task`` run before this one (and feed argument ``key`` if given)."""
        if key is None:
            self.set_dependencies(flow=flow, upstream_tasks=[task], mapped=mapped)
        else:
            self.set_dependencies(flow=flow, keyword_tasks={key: task}, mapped=mapped)

    def set_downstream(self, task: "Task", flow: Any = None, key: str | None = None,
                       mapped: bool = False) -> None:
        """Make ``task`` run after this one (fed through its argument ``key`` if given)."""
        if key is None:
            task.set_dependencies(flow=flow, upstream_tasks=[self], mapped=mapped)
        else:
            task.set_dependencies(flow=flow, keyword_tasks={key: self}, mapped=mapped)


class GetItem(Task):
    """``task[key]`` inside a flow: the item ``key`` of the task's result."""

    def run(self, task_result: Any, key: Any) -> Any:
        return task_result[key]


class FunctionTask(Task):
    """A task whose ``run`` is a plain function."""

    def __init__(self, fn: Callable, name: str | None = None, **task_options: Any):
        if not callable(fn):
            raise UserTypeError(f"@task needs a function, got {fn!r}")
        sig = inspect.signature(fn)
        for param in sig.parameters.values():
            if param.kind is inspect.Parameter.VAR_POSITIONAL:
                raise UserValueError(f"task {fn.__name__!r}: *{param.name} is not supported; "
                                 "tasks take named arguments")
            if param.name in _RESERVED:
                raise UserValueError(f"task {fn.__name__!r}: argument name {param.name!r} is "
                                 f"reserved by flowbook ({', '.join(_RESERVED)}); rename it")
        self.run = fn
        self._signature = sig
        super().__init__(name=getattr(fn, "__name__", None) if name is None else name,
                         **task_options)
        self.__doc__ = getattr(fn, "__doc__", None)

    @property
    def signature(self) -> inspect.Signature:
        return self._signature


def task(fn: Callable | None = None, **task_options: Any) -> Any:
    """Turn a function into a Task: ``@task`` or ``@task(name=..., max_retries=..., ...)``."""
    if fn is None:
        return lambda f: FunctionTask(f, **task_options)
    return FunctionTask(fn, **task_options)
