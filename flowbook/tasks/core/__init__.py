"""The tasks flowbook puts in flows itself: constants, collections, functions, operators.

The layout is Prefect 1's ``prefect.tasks.core``: ``constants.Constant``,
``collections.List``/``Tuple``/``Set``/``Dict``, ``function.FunctionTask`` and the operator
tasks of ``operators``; ``resource_manager``; ``wrapping.as_task`` turns a plain value
into one of them.
"""

from flowbook.tasks.core import (collections, constants, function, operators,
                                 resource_manager, wrapping)
from flowbook.tasks.core.collections import Dict, List, Set, Tuple
from flowbook.tasks.core.constants import Constant
from flowbook.tasks.core.function import FunctionTask
from flowbook.tasks.core.operators import GetItem
from flowbook.tasks.core.wrapping import as_task

__all__ = [
    "Constant", "List", "Tuple", "Set", "Dict", "FunctionTask", "GetItem", "as_task",
    "collections", "constants", "function", "operators", "resource_manager", "wrapping",
]
