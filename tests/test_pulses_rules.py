"""The trend beside an impact figure: said only when both figures can be reported."""

from __future__ import annotations

from bot.domain.pulses import MIN_ANSWERS, Share, trend

ENOUGH = MIN_ANSWERS + 6


def test_a_trend_compares_with_last_time_in_words():
    assert trend(Share(9, ENOUGH), Share(5, ENOUGH)).startswith(" — up from ")
    assert trend(Share(5, ENOUGH), Share(9, ENOUGH)).startswith(" — down from ")
    same = Share(5, ENOUGH)
    assert trend(same, same) == f" — the same as last time ({same.pct}%)"


def test_no_trend_when_either_figure_is_too_small_to_report():
    too_few = Share(1, MIN_ANSWERS - 1)
    assert trend(Share(5, ENOUGH), None) == ""
    assert trend(Share(5, ENOUGH), too_few) == ""
    assert trend(too_few, Share(5, ENOUGH)) == ""
