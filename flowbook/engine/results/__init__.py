"""Results that store values: files on this machine, JSON in the location, constants.

``LocalResult(dir=...)`` writes cloudpickle files; ``PrefectResult`` keeps a JSON value in its
``location`` string; ``ConstantResult`` holds a value and stores nothing. Give one to a task
(``@task(result=..., target=...)``) or to a flow (``Flow(..., result=...)``). As in Prefect
1's ``prefect.engine.results``.
"""

from flowbook.engine.results.constant_result import ConstantResult
from flowbook.engine.results.local_result import LocalResult
from flowbook.engine.results.prefect_result import PrefectResult

__all__ = ["ConstantResult", "LocalResult", "PrefectResult"]
