"""The building blocks of a flow: ``Task``, ``Flow``, ``Parameter`` and ``Edge``."""

from flowbook.core.edge import Edge
from flowbook.core.flow import Flow
from flowbook.core.parameter import Parameter
from flowbook.core.task import Task

__all__ = ["Edge", "Flow", "Parameter", "Task"]
