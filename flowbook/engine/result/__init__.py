"""Results: a task's value with where it is kept (``Result``), and ``NoResult``, no value at all.

``base`` holds them (as Prefect 1's ``prefect.engine.result.base``); the Results that store
values are in ``flowbook.engine.results``. Both names import from here.
"""

from flowbook.engine.result.base import (
    NoResult,
    NoResultType,
    Result,
    ResultNotImplementedError,
    checked,
)

__all__ = ["Result", "NoResult", "NoResultType", "ResultNotImplementedError", "checked"]
