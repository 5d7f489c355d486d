"""Control flow in a flow: ``case`` blocks, ``ifelse``, ``switch``, ``merge``, ``FilterTask``.

The layout is Prefect 1's ``prefect.tasks.control_flow``: ``case.case``,
``conditional.CompareValue``/``ifelse``/``switch``/``merge`` and ``filter.FilterTask``.
"""

from flowbook.tasks.control_flow.case import case
from flowbook.tasks.control_flow.conditional import (CompareValue, Merge, ifelse, merge,
                                                     switch)
from flowbook.tasks.control_flow.filter import FilterTask

__all__ = ["case", "merge", "ifelse", "switch", "FilterTask", "CompareValue", "Merge"]
