"""``FunctionTask``: a task whose ``run`` is a plain function, what ``@task`` makes (Prefect 1).

It lives in ``flowbook.core.task`` beside the ``task`` decorator, so that building a flow
needs no import of ``flowbook.tasks``; this module gives it Prefect 1's import path.

>>> double = FunctionTask(lambda x: 2 * x, name="double")
>>> double.name, double.run(4)
('double', 8)
"""

from flowbook.core.task import FunctionTask

__all__ = ["FunctionTask"]
