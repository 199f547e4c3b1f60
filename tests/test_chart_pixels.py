"""The keepers' PNG charts, read back pixel by pixel: each bar's height follows its figure,
bars stand on the axis in the order given, stacked anonymous parts sit on the named ones,
numbers and labels are drawn where a reader looks for them."""

from __future__ import annotations

import io
import itertools

import pytest
from PIL import Image, ImageFont

from bot.domain.chart import (
    DIGEST_SIZE,
    HEIGHT,
    WIDTH,
    Week,
    digest_chart_png,
    participation_png,
)

BLUE, ORANGE, GREY = (63, 122, 186), (232, 152, 62), (120, 120, 150)
WHITE = (255, 255, 255)


def image_of(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def bars(
    image: Image.Image, colour: tuple[int, int, int], box: tuple[int, int, int, int]
) -> list[tuple[int, int, int, int]]:
    """Each run of columns holding `colour` inside `box`: (x0, x1, top, bottom), inclusive."""
    left, top, right, bottom = box
    pixels = image.load()
    runs: list[tuple[int, int, int, int]] = []
    current: list[int] | None = None
    for x in range(left, right):
        ys = [y for y in range(top, bottom) if pixels[x, y] == colour]
        if ys and current is None:
            current = [x, x, min(ys), max(ys)]
        elif ys and current is not None:
            current[1], current[2], current[3] = x, min(current[2], *ys), max(current[3], *ys)
        elif not ys and current is not None:
            runs.append((current[0], current[1], current[2], current[3]))
            current = None
    if current is not None:
        runs.append((current[0], current[1], current[2], current[3]))
    return runs


def colours(image: Image.Image) -> list[tuple[int, ...]]:
    """Every pixel's colour, row by row."""
    raw = image.tobytes()
    return [tuple(raw[i : i + 3]) for i in range(0, len(raw), 3)]


def inked(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    """How many pixels inside `box` are not white."""
    return sum(1 for pixel in colours(image.crop(box)) if pixel != WHITE)


# ---- the participation sparkline ------------------------------------------------------


def test_participation_bars_follow_their_figures_on_one_axis():
    image = image_of(participation_png([2, 5, 0, 4], ["W1", "W2", "W3", "W4"], "Replies"))
    assert image.size == (WIDTH, HEIGHT)
    base = HEIGHT - 34
    found = bars(image, BLUE, (0, 0, WIDTH, HEIGHT))
    assert len(found) == 3  # the empty week has no bar
    assert {bottom for *_rest, bottom in found} == {base - 1}  # on the axis line
    heights = [base - top for _x0, _x1, top, _bottom in found]
    assert heights[1] == pytest.approx(base - 28 - 14, abs=1)  # the tallest: full height
    assert heights[0] / heights[1] == pytest.approx(2 / 5, abs=0.02)
    assert heights[2] / heights[1] == pytest.approx(4 / 5, abs=0.02)
    slot = (WIDTH - 32) / 4
    assert found[2][0] - found[1][0] == pytest.approx(2 * slot, abs=1)  # the empty week between
    widths = {x1 - x0 for x0, x1, _t, _b in found}
    assert max(widths) - min(widths) <= 1
    lefts = [x0 for x0, *_ in found]
    assert lefts == sorted(lefts) and lefts[0] > 16 and found[-1][1] < WIDTH - 16
    for (x0, *_r), (next_x0, *_s) in itertools.pairwise(found):
        assert next_x0 - x0 > max(widths)  # gaps between bars


def test_participation_numbers_sit_on_their_bars_and_labels_under_the_axis():
    image = image_of(participation_png([3, 6], ["Mon 1", "Mon 8"]))
    base = HEIGHT - 34
    for x0, x1, top, _bottom in bars(image, BLUE, (0, 0, WIDTH, base + 1)):
        assert inked(image, (x0, top - 14, x1, top - 1)) > 5  # the bar's number
        assert inked(image, (x0, base + 5, x1, base + 18)) > 5  # its label
    assert inked(image, (0, 0, WIDTH, 20)) == 0  # no title asked for
    titled = image_of(participation_png([3, 6], ["Mon 1", "Mon 8"], "Last 2 weeks"))
    assert inked(titled, (16, 4, 200, 20)) > 10
    axis = [x for x in range(WIDTH) if titled.getpixel((x, base)) == (40, 40, 40)]
    assert min(axis) <= 17 and max(axis) >= WIDTH - 17


def test_a_label_for_every_participation_figure():
    for values, labels in (([1], []), ([], [])):
        with pytest.raises(ValueError) as refused:
            participation_png(values, labels)
        assert str(refused.value) == "one label per value, at least one value"
    only = image_of(participation_png([0], ["W1"]))  # all zero: no division by zero
    assert bars(only, BLUE, (0, 0, WIDTH, HEIGHT)) == []
    assert inked(only, (16, HEIGHT - 34, 40, HEIGHT - 33)) > 0  # the axis is drawn


# ---- the digest chart ----------------------------------------------------------------

WEEKS_BOX = (24 + 44, 128, 600, 472 + 1)  # from the axis to the panel's right, plot to base


def test_digest_weeks_stack_anonymous_on_named_in_proportion_oldest_first():
    weeks = [
        Week("5 Oct", people=3, named=4, anonymous=2),
        Week("12 Oct", people=0, named=0, anonymous=0),
        Week("19 Oct", people=5, named=8, anonymous=0),
        Week("26 Oct", people=1, named=1, anonymous=3),
    ]
    image = image_of(digest_chart_png(weeks, {}, "Digest"))
    assert image.size == DIGEST_SIZE
    named = bars(image, BLUE, WEEKS_BOX)
    anonymous = bars(image, ORANGE, WEEKS_BOX)
    assert len(named) == 3 and len(anonymous) == 2  # none for the empty week
    base = 472
    assert {bottom for *_rest, bottom in named} == {base - 1}  # on the axis line
    plot = base - 128  # the ceiling (8, in steps of 2) reaches the plot's top
    tall = named[1]
    assert base - tall[2] == pytest.approx(plot, abs=1)
    assert base - named[0][2] == pytest.approx(plot * 4 / 8, abs=1)
    assert base - named[2][2] == pytest.approx(plot * 1 / 8, abs=1)
    # anonymous parts stand on their named parts, in the same columns
    for anon, under in ((anonymous[0], named[0]), (anonymous[1], named[2])):
        assert (anon[0], anon[1]) == (under[0], under[1])
        assert anon[3] == pytest.approx(under[2], abs=1)
    assert anonymous[0][3] - anonymous[0][2] == pytest.approx(plot * 2 / 8, abs=1)
    assert anonymous[1][3] - anonymous[1][2] == pytest.approx(plot * 3 / 8, abs=1)
    lefts = [x0 for x0, *_ in named]
    assert lefts == sorted(lefts)
    slot = (600 - 68) / 4
    assert named[1][0] - named[0][0] == pytest.approx(2 * slot, abs=1)  # the empty week between


def test_digest_weeks_show_people_totals_and_labels():
    weeks = [Week("5 Oct", people=3, named=4, anonymous=2), Week("12 Oct", 7, 9, 1)]
    image = image_of(digest_chart_png(weeks, {}, "Digest"))
    for x0, x1, top, _bottom in bars(image, BLUE, WEEKS_BOX):
        anon_tops = [t for a0, _a1, t, _b in bars(image, ORANGE, WEEKS_BOX) if a0 == x0]
        highest = min([top, *anon_tops])
        assert inked(image, (x0, highest - 18, x1, highest - 2)) > 5  # the total on top
        assert inked(image, (x0, 472 + 6, x1, 472 + 22)) > 5  # the week's label
        people = colours(image.crop((x0, 472 + 20, x1 + 1, 472 + 42)))
        assert any(g > r + 40 and g > b + 20 for r, g, b in people), "the people under it"
    legend = image.crop((24, 84, 200, 100))
    assert BLUE in colours(legend) and ORANGE in colours(legend)
    name = colours(image.crop((24, 492, 68, 512)))  # the "people" row's name
    assert any(g > r + 40 and g > b + 20 for r, g, b in name)


@pytest.mark.parametrize(
    ("highest", "ticks"), [(1, 2), (6, 7), (7, 5), (12, 7), (13, 4), (30, 7), (31, 5), (60, 7)]
)
def test_digest_value_axis_has_about_five_round_ticks(highest, ticks):
    image = image_of(digest_chart_png([Week("w", 1, highest, 0)], {}, "t"))
    grid = (225, 225, 225)
    rows = [y for y in range(128, 473) if image.getpixel((590, y)) == grid]
    # the base line is drawn over the lowest grid line
    assert len(rows) + 1 == ticks


def test_digest_kinds_are_longest_first_in_proportion_at_most_twelve():
    kinds = {"wins": 2, "check-in replies": 8, "votes": 0, "pledges": 4, "cheers": 4}
    image = image_of(digest_chart_png([Week("w", 1, 1, 0)], kinds, "t"))
    found = [b for b in bars_rows(image)]
    assert len(found) == 4  # "votes" (none) is left out
    lengths = [right - 630 for right, _y in found]
    assert lengths[0] == pytest.approx(900 - 24 - 30 - 630, abs=1)
    assert lengths[1] / lengths[0] == pytest.approx(4 / 8, abs=0.02)
    assert lengths[2] == lengths[1]  # cheers and pledges: 4 each, by name
    assert lengths[3] / lengths[0] == pytest.approx(2 / 8, abs=0.02)
    many = {f"kind {n:02}": n + 1 for n in range(15)}
    assert len(bars_rows(image_of(digest_chart_png([Week("w", 1, 1, 0)], many, "t")))) == 12
    empty = image_of(digest_chart_png([Week("w", 1, 1, 0)], {"votes": 0}, "t"))
    assert bars_rows(empty) == []
    assert inked(empty, (630, 100, 876, 116)) > 10  # "Nothing shared this week."


def bars_rows(image: Image.Image) -> list[tuple[int, int]]:
    """The kinds panel's bars, top to bottom: (right edge, top row)."""
    pixels = image.load()
    found: list[tuple[int, int]] = []
    y = 100
    while y < 536:
        xs = [x for x in range(630, 876) if pixels[x, y] == GREY]
        if xs:
            found.append((max(xs), y))
            while y < 536 and any(pixels[x, y] == GREY for x in range(630, 876)):
                y += 1
        y += 1
    return found


def test_digest_needs_a_week():
    with pytest.raises(ValueError) as refused:
        digest_chart_png([], {}, "t")
    assert str(refused.value) == "at least one week"


# ---- the words on the charts ------------------------------------------------------------


def ink_box(image: Image.Image, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """The smallest box (left, top, right, bottom) holding every non-white pixel in `box`."""
    left, top, right, bottom = box
    pixels = image.load()
    xs, ys = [], []
    for y in range(top, bottom):
        for x in range(left, right):
            if pixels[x, y] != WHITE:
                xs.append(x)
                ys.append(y)
    assert xs, f"nothing drawn in {box}"
    return min(xs), min(ys), max(xs) + 1, max(ys) + 1


def width_of(text: str, size: int | None) -> int:
    font = ImageFont.load_default() if size is None else ImageFont.load_default(size=size)
    left, _top, right, _bottom = font.getbbox(text)
    return int(right - left)


def assert_words(
    image: Image.Image,
    box: tuple[int, int, int, int],
    text: str,
    size: int | None,
    *,
    starts: int | None = None,
    centre: float | None = None,
) -> None:
    """`text` is drawn (in ink, not white) inside `box` at the width of those words, from
    `starts` or around `centre` when given."""
    left, _top, right, _bottom = ink_box(image, box)
    assert abs((right - left) - width_of(text, size)) <= 1, (text, right - left)
    if starts is not None:
        assert abs(left - starts) <= 2, (text, left)
    if centre is not None:
        assert abs((left + right) / 2 - centre) <= 2, (text, (left + right) / 2)


def test_the_digest_chart_says_what_it_shows_in_plain_words():
    weeks = [Week("5 Oct", 3, 4, 2), Week("12 Oct", 7, 9, 1)]
    image = image_of(digest_chart_png(weeks, {"wins": 3}, "Ward 7 community: last 2 weeks"))
    assert image.getpixel((0, 0)) == WHITE and image.getpixel((899, 559)) == WHITE
    assert_words(image, (0, 0, 900, 50), "Ward 7 community: last 2 weeks", 20, starts=24)
    assert_words(image, (24, 56, 620, 80), "Contributions each week", 14, starts=24)
    assert_words(image, (40, 82, 170, 100), "with a name", 12, starts=40)
    assert_words(image, (190, 82, 300, 100), "anonymous", 12, starts=190)
    assert_words(image, (20, 100, 140, 121), "contributions", 12, starts=24)
    assert_words(
        image,
        (68, 515, 600, 540),
        "week beginning (Monday) · people: how many took part with their name",
        12,
        centre=(68 + 600) / 2,
    )
    assert_words(image, (630, 56, 900, 78), "The digest's week, by kind", 14, starts=630)
    assert_words(image, (630, 79, 900, 98), "(named and anonymous together)", 12, starts=630)
    assert_words(image, (630, 103, 800, 118), "wins", 12, starts=630)
    length = 900 - 24 - 30 - 630
    assert_words(image, (630 + length + 2, 112, 900, 132), "3", 12, starts=630 + length + 6)


def test_a_quiet_week_says_nothing_was_shared():
    image = image_of(digest_chart_png([Week("5 Oct", 0, 0, 0)], {}, "Quiet"))
    assert_words(image, (630, 99, 900, 118), "Nothing shared this week.", 12, starts=630)


def test_the_sparkline_has_its_title_numbers_and_labels():
    image = image_of(participation_png([3, 6], ["Mon 1 Dec", "Mon 8"], "Replies per week"))
    assert image.getpixel((0, 0)) == WHITE and image.getpixel((WIDTH - 1, HEIGHT - 1)) == WHITE
    assert_words(image, (0, 0, WIDTH, 20), "Replies per week", None, starts=16)
    base = HEIGHT - 34
    first, second = bars(image, BLUE, (0, 0, WIDTH, base))
    assert_words(image, (first[0], base + 3, first[1] + 40, HEIGHT), "Mon 1 De", None)
    assert_words(image, (first[0], first[2] - 16, first[1], first[2] - 1), "3", None)
    assert_words(image, (second[0], second[2] - 16, second[1], second[2] - 1), "6", None)
    axis = [x for x in range(WIDTH) if image.getpixel((x, base)) == (40, 40, 40)]
    assert max(axis) == WIDTH - 16 and min(axis) == 16
    assert image.getpixel((WIDTH // 2, base + 1)) == WHITE  # a one-pixel line


def test_each_week_shows_its_total_its_label_and_its_people_centred_on_the_bar():
    weeks = [Week("5 Oct", people=7, named=9, anonymous=1), Week("12 Oct", 12, 2, 0)]
    image = image_of(digest_chart_png(weeks, {}, "t"))
    (x0, x1, _named_top, _b), _second = bars(image, BLUE, WEEKS_BOX)
    [(_a0, _a1, anon_top, _ab)] = bars(image, ORANGE, WEEKS_BOX)
    centre = (x0 + x1 + 1) / 2
    assert_words(image, (x0, anon_top - 22, x1, anon_top - 1), "10", 12, centre=centre)
    assert_words(image, (x0, 472 + 4, x1, 472 + 20), "5 Oct", 12, centre=centre)
    assert_words(image, (x0, 472 + 21, x1, 472 + 40), "7", 12, centre=centre)
    assert_words(image, (24, 492, 68, 512), "people", 12, starts=24)
    # the value axis: numbers end just left of it, the lowest (0) on the base line
    assert_words(image, (24, 462, 66, 480), "0", 12)
    _left, _top, right, _bottom = ink_box(image, (24, 462, 66, 480))
    assert right == pytest.approx(68 - 8, abs=2)
