"""State colours (flowbook/widget/palette.py): the SEMANTICS.md palette."""

import pytest

from flowbook.engine import state
from flowbook.widget.palette import NOT_RUN, colour_of, shares, state_name, text_colour

SEMANTICS = {  # copied from SEMANTICS.md "Display colours"
    "Pending": "#7ebdff", "Scheduled": "#ffab00", "Paused": "#99a8e8", "Resume": "#f58c0c",
    "Retrying": "#f66a0a", "Running": "#3d67ff", "Success": "#28a745", "Cached": "#34d058",
    "Mapped": "#003ccb", "Skipped": "#62757f", "Looped": "#003ccb", "Cancelled": "#bdbdbd",
    "Failed": "#eb0000", "TimedOut": "#ff4e33", "TriggerFailed": "#ff5131",
    "ValidationFailed": "#ff5131",
}


@pytest.mark.parametrize("name", sorted(SEMANTICS))
def test_each_state_has_its_semantics_colour(name):
    assert colour_of(getattr(state, name)()) == SEMANTICS[name]


def test_a_task_without_a_state_is_grey():
    assert colour_of(None) == NOT_RUN and state_name(None) == "not run"


def test_a_state_subclass_takes_its_parents_colour():
    class Approved(state.Resume):
        pass

    assert colour_of(Approved()) == SEMANTICS["Resume"]
    assert colour_of(state.Cancelling()) == SEMANTICS["Running"]


def test_labels_are_white_on_dark_fills_and_black_on_light_ones():
    assert text_colour(SEMANTICS["Failed"]) == "#ffffff"
    assert text_colour(SEMANTICS["Mapped"]) == "#ffffff"
    assert text_colour(SEMANTICS["Success"]) == "#000000"
    assert text_colour(NOT_RUN) == "#000000"


def test_shares_of_children_are_in_palette_order_and_add_up_to_one():
    children = [state.Failed(), state.Success(), state.Success(), state.Running()]
    assert shares(children) == [(SEMANTICS["Running"], 0.25), (SEMANTICS["Success"], 0.5),
                                (SEMANTICS["Failed"], 0.25)]
