"""What Prefect 1 code imports from ``prefect.utilities.edges``: the edge annotations."""

from flowbook.core.edge import flatten, mapped, unmapped

__all__ = ["unmapped", "mapped", "flatten"]
