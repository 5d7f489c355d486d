"""flowbook: build, run and see Prefect 1 style workflows inside a Jupyter notebook.

``from flowbook import task, Flow`` runs code written for Prefect 1 Core with the import
swapped. The engine runs in the kernel and never blocks on a person: paused tasks wait for
``flow.resume()`` and failed ones can be run again with ``flow.retry()``.
"""

from flowbook import triggers
from flowbook.context import context
from flowbook.core.edge import flatten, mapped, unmapped
from flowbook.core.flow import Flow, FlowCycleError
from flowbook.core.parameter import Parameter
from flowbook.core.task import Task, task
from flowbook.engine import signals, state
from flowbook.notebook.registry import notebook_flow
from flowbook.tasks.control_flow import case, merge
from flowbook.tasks.core.resource_manager import resource_manager

__all__ = [
    "task", "Task", "Flow", "FlowCycleError", "Parameter", "case", "merge", "unmapped",
    "mapped", "flatten", "resource_manager", "context", "triggers", "signals", "state",
    "notebook_flow", "load_ipython_extension", "show", "simulate", "expect",
]
__version__ = "0.1.0"


def show(what, *, follow: bool = False):  # -> flowbook.widget.FlowWidget, imported when called
    """The live widget of a run: display it, or leave it as a cell's last expression.

    ``what`` is a Flow (its latest run; before any run, or with ``follow=True``, each new run
    as it begins) or a flow State returned by ``flow.run()`` (that run).
    """
    from flowbook.widget.flow_widget import widget_of

    return widget_of(what, follow=follow)


def expect(state_or_flow, expected=None, /, **by_name):  # -> flowbook.teaching.expect.Checklist
    """Check that each named task of a run ended in the state given, with a hint per miss:
    ``expect(flow.run(), load="Success", report="TriggerFailed")`` (or a dict for names
    that are not Python names). Raises AssertionError on a miss; see flowbook.teaching.expect.
    """
    from flowbook.teaching.expect import expect as check

    return check(state_or_flow, expected, **by_name)


def simulate(flow, outcomes=None, default="Success", *, results=None, parameters=None):
    """What-if: the flow State the engine would reach if each task that gets to run ended as
    ``outcomes`` says (task or name -> "Failed", "Skipped", ...; the others ``default``);
    no task body runs (``flowbook.engine.simulate``)."""
    from flowbook.engine.simulate import simulate as what_if

    return what_if(flow, outcomes, default, results=results, parameters=parameters)


def load_ipython_extension(ipython):  # noqa: ANN001 - IPython's extension hook
    """``%load_ext flowbook``: register the ``%%task`` and ``%flow`` magics."""
    from flowbook.notebook.magics import load_ipython_extension as load

    load(ipython)
