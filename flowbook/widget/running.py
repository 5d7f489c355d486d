"""A widget's actions, run in the background so the kernel stays free, and what goes wrong
on the widget's threads.

An action (``actions.Action``: resume, retry, continue the run, ...) continues the run it was
offered for on a thread of its own; what the run's task bodies print is kept for the page
(the end of it) rather than shown under whichever cell runs now. A refused action (a
``UserError``) or a task body's interrupt is a red line with its message. Any other exception
is a bug in flowbook: it is logged with its traceback on the ``flowbook.widget`` logger and
the red line says so (``bug_message``), since no one else sees these threads.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from flowbook.engine import capture
from flowbook.errors import UserError

__all__ = ["OUTPUT_KEPT", "Runner", "bug_message", "kept", "log"]

OUTPUT_KEPT = 10_000  # characters of an action's printed output shown (the end of it)

log = logging.getLogger("flowbook.widget")  # no handler added: Python's last resort prints it


class Runner:
    """Runs the actions of the widget of flow ``flow_name``, each on a thread of its own;
    ``done(problem)`` is called on that thread when one ends ("": it worked)."""

    def __init__(self, flow_name: str, done: Callable[[str], None]):
        self._flow_name = flow_name
        self._done = done
        self._thread: threading.Thread | None = None  # the latest action's thread
        self._printed: list = []  # text an action's run printed, not sent to the page yet

    def start(self, action: Any, run: Any) -> None:
        """Do ``action`` on ``run`` (the run it was offered for) in a background thread."""
        self._thread = threading.Thread(target=self._act, args=(action, run),
                                        name=f"flowbook {action.label}", daemon=True)
        self._thread.start()

    def _act(self, action: Any, run: Any) -> None:
        """Runs in the background thread: continue the run, then say how it went."""
        problem = ""
        try:
            with capture.diverted(run.outputs, self._print):
                action.do(run)
        except (UserError, KeyboardInterrupt) as exc:
            # Refused (nothing paused, a run in progress), or a task body's interrupt, which
            # left the run Cancelled with "Continue the run" on offer.
            problem = f"{action.label} did not work: {str(exc) or repr(exc)}"
        except BaseException as exc:  # no one else would see it in this thread
            log.exception("flowbook: %s (flow %r) failed because of a bug in flowbook",
                          action.label, self._flow_name)
            problem = bug_message(action.label, exc)
        self._done(problem)

    def _print(self, stream: str, text: str) -> None:
        """What the bodies of a run continued by an action print: shown in the widget (the
        end of it) with its next redraw, not under whichever cell runs now."""
        self._printed.append(text)  # list.append is atomic: no lock on the task's thread

    def take_printed(self) -> str:
        """What the actions' runs printed since the last call."""
        text, self._printed[:] = "".join(self._printed), []
        return text

    def wait(self, timeout: float | None = None) -> None:
        """Wait until the latest action's thread ends (at most ``timeout`` seconds)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)


def kept(output: str) -> str:
    """The end of an action's printed ``output`` that the page shows."""
    return output[-OUTPUT_KEPT:]


def bug_message(what: str, exc: BaseException) -> str:
    """The red line for a bug of flowbook's, whose traceback went to the log."""
    return (f"{what} failed because of a bug in flowbook ({exc!r}); see the log (logger "
            f"{log.name!r}) for its traceback, and please report it.")
