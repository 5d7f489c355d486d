"""The engine: states, signals, the task run steps and the flow run loop."""

from flowbook.engine import signals, state

__all__ = ["signals", "state"]
