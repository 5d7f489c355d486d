"""The static picture of a widget's run: what shows where the live view cannot be.

Displayed, a ``FlowWidget`` is two outputs: a static picture of the run (shown where the
view cannot be live: a notebook reopened without its kernel, nbconvert, GitHub) and the live
view, whose stylesheet hides the picture where it is live (view.css, ``.flowbook-live``). The
picture is of the run when shown, redrawn after the widget's own actions (and a magic's run);
a following widget redraws it whenever the latest run ends or waits. It always shows the run,
never a What-if simulation.
"""

from __future__ import annotations

import base64
import html
from typing import Any

from flowbook.widget import panel
from flowbook.widget.layout import Layout
from flowbook.widget.tracking import Snapshot

__all__ = ["HIDE_PLACEHOLDER", "summary", "static_svg", "bundle", "display", "with_picture"]

# In the picture's output: hides the live view's placeholder ("Loading widget...", "model not
# found") in JupyterLab and Notebook 7 where no view is live; the view's own stylesheet hides
# the picture where it is (view.css, .flowbook-live).
HIDE_PLACEHOLDER = ('<style>.jp-OutputArea-child:has(.flowbook-static) + .jp-OutputArea-child > '
                    '.jp-OutputArea-output:not([data-mime-type]):not(:has(*)){display:none}'
                    '</style>')


def summary(flow_name: str, snap: Snapshot, names: dict) -> str:
    """The status and every task's state, as plain text."""
    return panel.summary_text(flow_name, snap, names, panel.counts(snap, list(names)))


def static_svg(layout: Layout, nodes: dict) -> str:
    """``layout`` coloured from ``nodes``, as a standalone SVG document ("" when it cannot
    be drawn)."""
    if layout.static is None:
        return ""
    return layout.static.render(nodes)


def bundle(text: str, svg: str) -> dict:
    """The picture as a display bundle of an HTML image (which JupyterLab and Notebook 7 show
    in untrusted notebooks too), the SVG and the text summary ``text``."""
    data = {"text/plain": text}
    if svg:
        data["image/svg+xml"] = svg
        source = base64.b64encode(svg.encode("utf-8")).decode("ascii")
        shown = (f'<img alt="{html.escape(text.splitlines()[0])}" '
                 f'src="data:image/svg+xml;base64,{source}" style="max-width:100%">')
    else:
        shown = f"<pre>{html.escape(text)}</pre>"
    data["text/html"] = f'<div class="flowbook-static">{shown}</div>{HIDE_PLACEHOLDER}'
    return data


def display(picture: dict, live: tuple) -> Any:
    """Show ``picture``, then the live view (``live``: its data and metadata); returns the
    DisplayHandle that updates the picture."""
    from IPython.display import display as show

    shown = show(picture, raw=True, display_id=True)
    data, metadata = live
    data["text/plain"] = ""  # the summary is in the picture's output already
    show(data, metadata=metadata, raw=True)
    return shown


def with_picture(live: tuple, picture: dict) -> tuple:
    """The live view's bundle (``live``: data and metadata) with the picture's summary and
    SVG, for a frontend that shows one bundle."""
    data, metadata = live
    data["text/plain"] = picture["text/plain"]
    if "image/svg+xml" in picture:
        data["image/svg+xml"] = picture["image/svg+xml"]
    return data, metadata
