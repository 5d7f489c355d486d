"""``FilterTask``: keep the results of a list that pass a test (as in Prefect 1).

Made for the results of a mapped task: by default it drops None and exceptions (the results
of children that were skipped or failed), and it runs even when some of them failed.

>>> FilterTask().run([1, None, ValueError("bad"), 0])
[1, 0]
"""

from __future__ import annotations

from typing import Any, Callable

from flowbook import triggers
from flowbook.core.task import Task

__all__ = ["FilterTask"]


def _is_result(value: Any) -> bool:
    return not isinstance(value, (type(None), Exception))


class FilterTask(Task):
    """Returns the items of its ``task_results`` for which ``filter_func`` is true.

    ``log_func``, if given, turns the kept items into a message logged at INFO level.
    Defaults: trigger ``all_finished`` and ``skip_on_upstream_skip=False``.
    """

    def __init__(self, filter_func: Callable[[Any], bool] | None = None,
                 log_func: Callable[[list], str] | None = None, **task_options: Any):
        task_options.setdefault("skip_on_upstream_skip", False)
        task_options.setdefault("trigger", triggers.all_finished)
        self.filter_func = filter_func or _is_result
        self.log_func = log_func
        super().__init__(**task_options)

    def run(self, task_results: list) -> list:
        kept = [r for r in task_results if self.filter_func(r)]
        if self.log_func is not None:
            self.logger.info(self.log_func(kept))
        return kept
