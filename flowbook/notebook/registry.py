"""The notebook's flows: ``notebook_flow(name)`` and finding a flow the user named.

>>> notebook_flow() is notebook_flow("notebook")
True
>>> find_flow("notebook", {}).name
'notebook'
"""

from __future__ import annotations

from flowbook.core.flow import Flow

__all__ = ["DEFAULT_FLOW", "notebook_flow", "find_flow", "flow_names"]

DEFAULT_FLOW = "notebook"
_FLOWS: dict = {}  # flow name -> Flow made by notebook_flow(); lives as long as the kernel


def notebook_flow(name: str = DEFAULT_FLOW) -> Flow:
    """The notebook's flow called ``name``, made on first use; ``%%task`` cells add to it."""
    flow = _FLOWS.get(name)
    if flow is None:
        flow = _FLOWS[name] = Flow(name)
    return flow


def find_flow(name: str | None, namespace: dict, create: bool = False) -> Flow:
    """The flow ``name`` means: a Flow variable of the notebook, else a notebook flow of that
    name (made when ``create``); the default notebook flow when ``name`` is None."""
    if name is None:
        return notebook_flow()
    value = namespace.get(name)
    if isinstance(value, Flow):
        return value
    if name in _FLOWS or create:
        return notebook_flow(name)
    raise LookupError(f"no flow named {name!r}: the notebook's flows are "
                      f"{', '.join(flow_names(namespace)) or 'none yet'}; add a task to a new "
                      f"one with `%%task NAME --flow {name}`")


def flow_names(namespace: dict) -> list:
    """The notebook flows' names and the names of the notebook's Flow variables."""
    variables = [k for k, v in namespace.items() if isinstance(v, Flow) and not k.startswith("_")]
    return sorted(set(_FLOWS) | set(variables))
