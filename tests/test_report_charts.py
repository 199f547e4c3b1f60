"""The report's charts, read back as drawings: every bar's size follows its figure, bars sit
on the axis inside the plot in the order given, each carries its number, axes are ticked and
labelled, and nothing typed can break the picture."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import pytest

from bot.domain.report_charts import bar_chart, column_chart

SVG = "{http://www.w3.org/2000/svg}"
BAR, MUTED = "#3f7aba", "#e8983e"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(root: ET.Element, **attributes: str) -> list[ET.Element]:
    return [
        t
        for t in root.iter(f"{SVG}text")
        if all(t.get(k.replace("_", "-")) == v for k, v in attributes.items())
    ]


def bars(root: ET.Element) -> list[ET.Element]:
    return list(root.iter(f"{SVG}rect"))


def num(element: ET.Element, name: str) -> float:
    return float(element.get(name, "nan"))


def column(labels: list[str], values: list[int]) -> ET.Element:
    return parse(column_chart("Replies by week", labels, values, x_axis="Week", y_axis="Replies"))


def test_a_column_chart_has_a_title_and_labelled_axes():
    root = column(["W1", "W2"], [2, 5])
    assert root.get("width") == "640" and root.get("height") == "280"
    assert root.get("viewBox") == "0 0 640 280"
    assert root.find(f"{SVG}title").text == "Replies by week"
    first = root.find(f"{SVG}text")
    assert first.text == "Replies by week" and first.get("font-weight") == "bold"
    assert [t.text for t in texts(root, **{"class": "x-axis"})] == ["Week"]
    assert [t.text for t in texts(root, **{"class": "y-axis"})] == ["Replies"]


@pytest.mark.parametrize(
    ("highest", "ticks"),
    [
        (0, ["0", "1"]),
        (5, ["0", "1", "2", "3", "4", "5"]),
        (7, ["0", "1", "2", "3", "4", "5", "6", "7", "8"]),
        (23, ["0", "5", "10", "15", "20", "25"]),
        (1234, ["0", "250", "500", "750", "1000", "1250"]),
        (6001, ["0", "1200", "2400", "3600", "4800", "6000"]),
    ],
)
def test_the_value_axis_is_ticked_in_round_steps_up_to_at_least_the_highest_bar(highest, ticks):
    root = column(["a", "b"], [0, highest])
    shown = [t.text for t in texts(root, text_anchor="end")]
    assert shown == ticks


def test_columns_stand_on_the_axis_with_heights_in_proportion_in_the_order_given():
    root = column(["W1", "W2", "W3", "W4"], [2, 5, 0, 4])
    rects = bars(root)
    assert [r.find(f"{SVG}title").text for r in rects] == ["W1: 2", "W2: 5", "W3: 0", "W4: 4"]
    bottoms = {round(num(r, "y") + num(r, "height"), 1) for r in rects}
    assert len(bottoms) == 1
    [axis_y] = bottoms
    grid_tops = sorted(
        num(line, "y1") for line in root.iter(f"{SVG}line") if line.get("stroke") == "#d9dee2"
    )
    assert num(rects[1], "y") == pytest.approx(grid_tops[0])  # the tallest reaches the top tick
    assert max(grid_tops) == pytest.approx(axis_y)
    heights = [num(r, "height") for r in rects]
    assert heights[2] == 0
    assert heights[0] / heights[1] == pytest.approx(2 / 5, abs=0.01)
    assert heights[3] / heights[1] == pytest.approx(4 / 5, abs=0.01)
    xs = [num(r, "x") for r in rects]
    widths = {num(r, "width") for r in rects}
    assert xs == sorted(xs) and len(widths) == 1
    [width] = widths
    assert all(b - a > width for a, b in itertools.pairwise(xs))  # gaps between bars
    assert xs[0] > 56 and xs[-1] + width < 640 - 16  # inside the plot


def test_each_column_carries_its_number_above_it_and_its_label_below_the_axis():
    root = column(["W1", "W2"], [3, 5])
    for rect, value, label in zip(bars(root), ("3", "5"), ("W1", "W2"), strict=True):
        centre = num(rect, "x") + num(rect, "width") / 2
        [number] = [t for t in texts(root, text_anchor="middle") if t.text == value]
        assert num(number, "x") == pytest.approx(centre, abs=0.1)
        assert num(number, "y") < num(rect, "y")
        [under] = [t for t in texts(root, text_anchor="middle") if t.text == label]
        assert num(under, "x") == pytest.approx(centre, abs=0.1)
        assert num(under, "y") > num(rect, "y") + num(rect, "height")


def test_at_most_twelve_labels_sit_under_a_long_run_of_columns():
    labels = [f"W{n}" for n in range(1, 31)]
    root = column(labels, list(range(30)))
    under = [t.text for t in texts(root, text_anchor="middle") if t.text in labels]
    assert under == labels[::3]
    assert len(bars(root)) == 30
    few = column(labels[:12], [1] * 12)
    assert [t.text for t in texts(few, text_anchor="middle") if t.text in labels] == labels[:12]


def test_typed_words_are_drawn_as_words():
    svg = column_chart("<Ours> & co", ["<b>", "a&b"], [1, 2], x_axis="<x>", y_axis="y&")
    root = parse(svg)
    assert root.find(f"{SVG}title").text == "<Ours> & co"
    assert [r.find(f"{SVG}title").text for r in bars(root)] == ["<b>: 1", "a&b: 2"]
    assert "<b>" not in svg.replace("&lt;b&gt;", "")


def test_a_label_for_every_figure():
    with pytest.raises(ValueError) as refused:
        column_chart("t", ["a"], [1, 2], x_axis="x", y_axis="y")
    assert str(refused.value) == "one label per value"
    with pytest.raises(ValueError) as refused:
        bar_chart("t", ["a", "b"], [1], x_axis="x", y_axis="y")
    assert str(refused.value) == "one label per value"


def rows(labels: list[str], values: list[float], **options: object) -> ET.Element:
    return parse(
        bar_chart("Who took part", labels, values, x_axis="Share", y_axis="Group", **options)
    )


def test_a_bar_chart_grows_with_its_rows_and_labels_its_axes():
    root = rows(["a", "b", "c"], [1, 2, 3])
    assert root.get("height") == str(36 + 28 * 3 + 48)
    assert rows([], []).get("height") == str(36 + 28 + 48)
    assert [t.text for t in texts(root, **{"class": "x-axis"})] == ["Share"]
    [y_axis] = texts(root, **{"class": "y-axis"})
    assert y_axis.text == "Group" and y_axis.get("font-style") == "italic"


def test_bars_start_at_the_axis_with_lengths_in_proportion_to_a_fixed_top():
    root = rows(["Nurses", "Pharmacists", "Others"], [50, 100, 12.5], top=100, suffix="%")
    rects = bars(root)
    assert {r.get("x") for r in rects} == {"230"}
    lengths = [num(r, "width") for r in rects]
    plot = 640 - 230 - 60
    assert lengths == pytest.approx([plot / 2, plot, plot / 8], abs=0.1)
    ticks = [t.text for t in texts(root, text_anchor="middle") if t.get("class") is None]
    assert ticks == ["0%", "20%", "40%", "60%", "80%", "100%"]
    labels = [t.text for t in texts(root, text_anchor="end") if t.get("class") is None]
    assert labels == ["Nurses", "Pharmacists", "Others"]
    ys = [num(r, "y") for r in rects]
    assert ys == sorted(ys) and ys[1] - ys[0] == 28
    numbers = [t for t in texts(root) if t.get("text-anchor") is None and t.get("class") is None]
    numbers = numbers[1:]  # after the title
    assert [t.text for t in numbers] == ["50%", "100%", "12.5%"]
    for rect, number in zip(rects, numbers, strict=True):
        assert num(number, "x") > num(rect, "x") + num(rect, "width")  # just after the bar


def test_without_a_top_the_axis_rounds_up_from_the_longest_bar():
    root = rows(["a", "b"], [7, 3])
    ticks = [t.text for t in texts(root, text_anchor="middle") if t.get("class") is None]
    assert ticks == ["0", "1", "2", "3", "4", "5", "6", "7", "8"]


def test_notes_replace_numbers_and_muted_bars_take_the_second_colour():
    root = rows(
        ["a", "b"],
        [0, 4],
        top=5,
        notes=["too few to report", ""],
        muted=[True, False],
    )
    rects = bars(root)
    assert [r.get("fill") for r in rects] == [MUTED, BAR]
    assert [r.find(f"{SVG}title").text for r in rects] == ["a: too few to report", "b: 4"]
    plot = 640 - 230 - 170  # room on the right for the notes
    assert num(rects[1], "width") == pytest.approx(plot * 4 / 5, abs=0.1)
    assert [r.get("fill") for r in bars(rows(["a"], [1]))] == [BAR]


def everything_drawn(root: ET.Element) -> list[tuple[str, float, float]]:
    """Every point the drawing places: line ends, text anchors, rectangle corners."""
    points: list[tuple[str, float, float]] = []
    for line in root.iter(f"{SVG}line"):
        points += [("line", num(line, "x1"), num(line, "y1"))]
        points += [("line", num(line, "x2"), num(line, "y2"))]
    for text in root.iter(f"{SVG}text"):
        points.append((text.text or "", num(text, "x"), num(text, "y")))
    for rect in bars(root):
        x, y = num(rect, "x"), num(rect, "y")
        points += [("bar", x, y), ("bar", x + num(rect, "width"), y + num(rect, "height"))]
    return points


@pytest.mark.parametrize("count", [1, 4, 30])
def test_everything_is_drawn_inside_the_picture(count):
    labels = [f"Label {n}" for n in range(count)]
    values = [n * 7 for n in range(count)]
    for root in (
        column(labels, values),
        rows(labels, values),
        rows(labels, values, notes=["a note"] * count),
    ):
        width, height = float(root.get("width")), float(root.get("height"))
        for what, x, y in everything_drawn(root):
            assert 0 <= x <= width and 0 <= y <= height, (what, x, y)
        assert not (root.text or "").strip()
        assert all(not (child.tail or "").strip() for child in root.iter())


def test_axis_titles_sit_at_the_middle_of_their_axis():
    root = column(["a", "b"], [1, 2])
    [x_title] = texts(root, **{"class": "x-axis"})
    assert num(x_title, "x") == pytest.approx(56 + (640 - 56 - 16) / 2)
    [y_title] = texts(root, **{"class": "y-axis"})
    middle = 36 + (280 - 36 - 64) / 2
    assert num(y_title, "y") == pytest.approx(middle)
    assert y_title.get("transform") == f"rotate(-90 14 {middle:.1f})"  # turned about itself
    ticks = texts(root, text_anchor="end")
    assert all(num(t, "x") < 56 for t in ticks)  # left of the axis

    root = rows(["a"], [1])
    [x_title] = texts(root, **{"class": "x-axis"})
    assert num(x_title, "x") == pytest.approx(230 + (640 - 230 - 60) / 2)


def test_each_row_keeps_its_label_bar_and_number_within_the_row():
    root = rows(["first", "second", "third"], [3, 1, 2], notes=["3 of 5", "", ""])
    labels = [t for t in texts(root, text_anchor="end") if t.get("class") is None]
    numbers = [t for t in texts(root) if t.get("text-anchor") is None][1:]
    for index, (label, rect, number) in enumerate(zip(labels, bars(root), numbers, strict=True)):
        row_top, row_bottom = 36 + 28 * index, 36 + 28 * (index + 1)
        assert row_top <= num(rect, "y") and num(rect, "y") + num(rect, "height") <= row_bottom
        for text in (label, number):
            assert row_top < num(text, "y") < row_bottom, text.text
        assert num(label, "x") < num(rect, "x")  # the label ends before the bar begins
    base = 36 + 28 * 3
    ticks = [t for t in texts(root, text_anchor="middle") if t.get("class") is None]
    assert ticks and all(base < num(t, "y") < base + 24 for t in ticks)  # under the last row


@pytest.mark.parametrize("step", [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000])
def test_the_axis_top_is_the_next_round_figure(step):
    root = column(["a"], [4 * step + 1])
    assert [t.text for t in texts(root, text_anchor="end")] == [str(step * n) for n in range(6)]


def test_a_small_figure_gets_a_small_axis():
    root = column(["a"], [11])
    assert [t.text for t in texts(root, text_anchor="end")] == ["0", "3", "6", "9", "12", "15"]


def test_an_empty_chart_still_draws_its_axes_and_a_lone_column_stands_in_the_middle():
    root = parse(column_chart("Nothing yet", [], [], x_axis="Week", y_axis="Replies"))
    assert bars(root) == [] and [t.text for t in texts(root, text_anchor="end")] == ["0", "1"]
    [rect] = bars(column(["only"], [3]))
    assert num(rect, "x") + num(rect, "width") / 2 == pytest.approx(56 + (640 - 56 - 16) / 2)


def test_thirteen_columns_are_labelled_every_other_one():
    labels = [f"W{n}" for n in range(13)]
    root = column(labels, [1] * 13)
    assert [t.text for t in texts(root, text_anchor="middle") if t.text in labels] == labels[::2]
