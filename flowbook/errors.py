"""The mistakes a user can make with flowbook, as one family of exceptions.

Everything flowbook refuses because of how it was called (a bad option, an unknown task or
flow, a cycle, a run already in progress, an unreachable scheduler) raises a ``UserError``.
Each also derives from the built-in exception Python code would expect (``ValueError``,
``TypeError``, ...), so ``except ValueError`` keeps working. The magics turn exactly this
family into IPython's ``UsageError`` (a message, no traceback); any other exception coming
out of flowbook is a bug in flowbook and keeps its traceback.

>>> from flowbook import Flow
>>> try:
...     Flow("")
... except UserError as exc:
...     print(type(exc).__name__, isinstance(exc, ValueError))
UserValueError True
"""

from __future__ import annotations

__all__ = ["UserError", "UserValueError", "UserTypeError", "UserLookupError",
           "UserRuntimeError", "UserConnectionError"]


class UserError(Exception):
    """A mistake in how flowbook was used; the message names the object and the way out."""


class UserValueError(UserError, ValueError):
    """A value flowbook cannot use: an unknown name, an option out of range, a cycle, ..."""


class UserTypeError(UserError, TypeError):
    """An argument of the wrong kind (a class where an instance belongs, ...)."""


class UserLookupError(UserError, LookupError):
    """Something asked for by name that does not exist."""


class UserRuntimeError(UserError, RuntimeError):
    """An action that cannot happen now (a run of the flow is in progress, ...)."""


class UserConnectionError(UserError, ConnectionError):
    """A scheduler or cluster the user named cannot be reached."""
