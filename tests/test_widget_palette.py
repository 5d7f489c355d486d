"""How states look (flowbook/widget/palette.py): SEMANTICS.md fills, borders, icons, contrast."""

import pytest

from flowbook.engine import state
from flowbook.widget.palette import (
    BORDER, COLOURS, ICON, LINE, NOT_RUN, colour_of, contrast, cue, cue_named, is_failure,
    is_finished, legend, shares, state_name, text_colour, text_colour_on,
)

SEMANTICS = {  # copied from SEMANTICS.md "Display colours"
    "Pending": "#7ebdff", "Scheduled": "#ffab00", "Paused": "#99a8e8", "Resume": "#f58c0c",
    "Retrying": "#f66a0a", "Running": "#3d67ff", "Success": "#28a745", "Cached": "#34d058",
    "Mapped": "#003ccb", "Skipped": "#62757f", "Looped": "#003ccb", "Cancelled": "#bdbdbd",
    "Failed": "#eb0000", "TimedOut": "#ff4e33", "TriggerFailed": "#ff5131",
    "ValidationFailed": "#ff5131",
}
WHITE, BLACK = "#ffffff", "#000000"


def looks(name):
    """(icon, border) of the state called ``name``."""
    entry = cue(getattr(state, name)())
    return entry["icon"], entry["border"]


@pytest.mark.parametrize("name", sorted(SEMANTICS))
def test_each_state_has_its_semantics_colour(name):
    assert colour_of(getattr(state, name)()) == SEMANTICS[name]


def test_a_task_without_a_state_is_grey():
    assert colour_of(None) == NOT_RUN and state_name(None) == "not run"


def test_a_state_subclass_takes_its_parents_colour_and_cue():
    class Approved(state.Resume):
        pass

    assert colour_of(Approved()) == SEMANTICS["Resume"]
    assert colour_of(state.Cancelling()) == SEMANTICS["Running"]
    assert cue(Approved()) == {**cue(state.Resume()), "state": "Approved"}


def test_failed_trigger_failed_timed_out_and_cancelled_differ_in_icon_and_in_border():
    names = ["Failed", "TriggerFailed", "TimedOut", "Cancelled"]
    assert len({looks(n)[0] for n in names}) == 4
    assert len({looks(n)[1] for n in names}) == 4


def test_mapped_and_looped_share_their_fill_but_differ_in_icon_and_in_border():
    assert colour_of(state.Mapped()) == colour_of(state.Looped())
    (mapped_icon, mapped_border), (looped_icon, looped_border) = looks("Mapped"), looks("Looped")
    assert mapped_icon != looped_icon and mapped_border != looped_border


def test_every_state_has_its_own_one_glyph_icon_and_a_known_border():
    assert set(ICON) == set(BORDER) == set(COLOURS)
    assert all(len(icon) == 1 for icon in ICON.values())
    assert len(set(ICON.values())) == len(ICON)
    assert set(BORDER.values()) <= {"solid", "dashed", "dotted", "bold"}


@pytest.mark.parametrize("fill", sorted({*SEMANTICS.values(), NOT_RUN}))
def test_text_on_every_fill_contrasts_at_least_4_5_to_1(fill):
    assert contrast(fill, text_colour(fill)) >= 4.5


def test_labels_are_white_on_dark_fills_and_black_on_light_ones():
    assert text_colour(SEMANTICS["Failed"]) == WHITE
    assert text_colour(SEMANTICS["Mapped"]) == WHITE
    assert text_colour(SEMANTICS["Success"]) == BLACK
    assert text_colour(SEMANTICS["TimedOut"]) == BLACK  # white reads at only 3.3:1 there
    assert text_colour(NOT_RUN) == BLACK


def test_text_on_stripes_reads_on_the_worst_stripe():
    assert text_colour_on([SEMANTICS["Success"], SEMANTICS["Failed"]]) == BLACK
    assert text_colour_on([SEMANTICS["Mapped"]]) == WHITE


def test_lines_on_the_page_contrast_with_white_and_black_pages():
    # edges, edge labels and node borders of a static picture: 3:1 needed, 4.5:1 reached
    assert round(contrast(LINE, WHITE), 2) == 4.54 and round(contrast(LINE, BLACK), 2) == 4.62


def test_contrast_is_the_wcag_ratio():
    assert contrast(WHITE, BLACK) == pytest.approx(21.0)
    assert contrast(BLACK, WHITE) == contrast(WHITE, BLACK)
    assert contrast("#777777", "#777777") == 1.0


def test_cue_gives_what_the_widget_sends_for_a_node():
    assert cue(state.Failed("boom")) == {"state": "Failed", "fill": "#eb0000", "text": WHITE,
                                         "border": "bold", "icon": "✗"}
    assert cue(None) == {"state": "not run", "fill": NOT_RUN, "text": BLACK,
                         "border": "solid", "icon": ""}


def test_cue_returns_a_new_dict_each_time():
    first = cue(state.Success())
    first["message"] = "changed"
    assert "message" not in cue(state.Success())


def test_cue_named_reads_a_state_by_name_and_an_unknown_name_as_not_run():
    assert cue_named("TimedOut") == cue(state.TimedOut())
    assert cue_named("Cancelling")["fill"] == NOT_RUN  # by name only, no class tree


def test_legend_lists_each_state_on_show_once_in_palette_order_not_run_last():
    assert legend(["not run", "Failed", "Success", "Failed"]) == [
        ["Success", SEMANTICS["Success"], "solid", "✓"],
        ["Failed", SEMANTICS["Failed"], "bold", "✗"],
        ["not run", NOT_RUN, "solid", ""],
    ]


def test_failures_are_failed_and_its_kinds_and_finished_states_include_them():
    assert all(is_failure(n) for n in ("Failed", "TimedOut", "TriggerFailed", "ValidationFailed"))
    assert not any(is_failure(n) for n in ("Success", "Cancelled", "not run", "Running"))
    assert is_finished("Cancelled") and is_finished("TimedOut") and is_finished("Mapped")
    assert not is_finished("Retrying") and not is_finished("not run")


def test_shares_of_children_are_in_palette_order_and_add_up_to_one():
    children = [state.Failed(), state.Success(), state.Success(), state.Running()]
    assert shares(children) == [(SEMANTICS["Running"], 0.25), (SEMANTICS["Success"], 0.5),
                                (SEMANTICS["Failed"], 0.25)]
