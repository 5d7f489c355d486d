"""Parameters: root tasks whose result is a value given to ``flow.run(parameters=...)``."""

from __future__ import annotations

import datetime
from typing import Any, Iterable

from flowbook.context import context
from flowbook.core.task import Task
from flowbook.errors import UserTypeError, UserValueError

__all__ = ["Parameter", "DateTimeParameter", "NO_DEFAULT"]

NO_DEFAULT: Any = type("NoDefault", (), {"__repr__": lambda self: "NO_DEFAULT"})()


class Parameter(Task):
    """A named input of a flow; required when it is given no default (as in Prefect 1,
    ``default=None`` is a default).

    >>> Parameter("x", default=3).run()
    3
    """

    def __init__(self, name: str, default: Any = NO_DEFAULT, required: bool | None = None,
                 tags: Iterable[str] | None = None, **kw: Any):
        super().__init__(name=name, slug=kw.pop("slug", name), tags=tags, **kw)
        if self.result is None:  # as in Prefect 1 (a parameter is never checkpointed)
            from flowbook.engine.results import PrefectResult

            self.result = PrefectResult()
        self.required = default is NO_DEFAULT if required is None else required
        self.default = None if default is NO_DEFAULT else default

    def __repr__(self) -> str:
        return f"<Parameter: {self.name}>"

    def run(self) -> Any:
        params = context.get("parameters") or {}
        if self.required and self.name not in params:
            raise UserValueError(f"parameter {self.name!r} is required; pass it with "
                                 f"flow.run(parameters={{{self.name!r}: ...}})")
        return params.get(self.name, self.default)

    def copy(self, name: str, **task_args: Any) -> "Parameter":  # type: ignore[override]
        """A copy under another name (a flow holds one parameter per name)."""
        return super().copy(name=name, slug=name, **task_args)

    def __call__(self, flow: Any = None) -> "Parameter":  # type: ignore[override]
        """Add this very parameter to ``flow`` (or the flow being built); it takes no inputs."""
        return self.bind(flow=flow)

    def map(self, *args: Any, **kwargs: Any) -> "Task":
        raise UserTypeError(f"parameter {self.name!r} cannot be mapped; map a task over it "
                            "instead")


class DateTimeParameter(Parameter):
    """A parameter whose value, an ISO 8601 string or a datetime, is read as a datetime.

    As in Prefect 1 it is required unless ``required=False``, even with a default.

    >>> DateTimeParameter("at", default="2021-01-02T03:04:05+00:00", required=False).run().day
    2
    """

    def __init__(self, name: str, default: Any = NO_DEFAULT, required: bool = True,
                 tags: Iterable[str] | None = None, **kw: Any):
        super().__init__(name, default=default, required=required, tags=tags, **kw)

    def run(self) -> Any:
        value = super().run()
        if value is None or isinstance(value, datetime.datetime):
            return value
        if not isinstance(value, str):
            raise UserTypeError(f"parameter {self.name!r} takes a datetime or an ISO 8601 "
                                f"string, not {value!r}")
        try:
            import pendulum  # parses more spellings, as Prefect 1 did, when installed
        except ImportError:
            return datetime.datetime.fromisoformat(value)
        return pendulum.parse(value)
