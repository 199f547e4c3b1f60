"""The keeper's weekly digest carries its chart as a PNG file: contributions per week (named
and anonymous), people taking part, the digest's week by kind."""

from __future__ import annotations

import io
import os
from pathlib import Path

from PIL import Image

from adapters.console.platform import ButtonBoard, ConsolePlatform
from adapters.console.workspace import ConsoleWorkspace
from bot.bootstrap import build_app
from bot.clock import ManualClock
from bot.domain.chart import DIGEST_SIZE, Week, digest_chart_png
from tests.conftest import START, community, make_settings

BLUE, ORANGE = (63, 122, 186), (232, 152, 62)

# Kit, the keeper named in the settings, never types anything.
SCRIPT = """\
/as Sam
/cop checkin open
/as Ana
/cop reply success Fewer missed visits
/cop win Our new dressing chart is up
/as Ben
/cop reply challenge anonymously Night shifts leave no time
/as Dee
/cop pledge Try the chart by 20 Dec
/clock 2026-12-07 09:30
/quit
"""


def _count(image: Image.Image, colour: tuple[int, int, int]) -> int:
    return sum(1 for pixel in image.getdata() if pixel == colour)


def test_the_chart_shows_named_and_anonymous_bars_people_and_kinds(tmp_path):
    weeks = [Week(f"{d} Oct", people=d % 4, named=d % 5, anonymous=d % 3) for d in range(1, 9)]
    png = digest_chart_png(weeks, {"check-in replies": 5, "wins": 2, "votes": 0}, "Test")
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == DIGEST_SIZE
    assert _count(image, BLUE) > 1000 and _count(image, ORANGE) > 500
    # Nothing shared: empty bars, and the kinds panel says so instead of drawing nothing.
    empty = digest_chart_png([Week("1 Oct", 0, 0, 0)], {}, "Quiet")
    assert _count(Image.open(io.BytesIO(empty)).convert("RGB"), ORANGE) < 200  # the legend only
    out = os.environ.get("COPBOT_CHART_OUT")
    if out:  # to look at it: COPBOT_CHART_OUT=/tmp/chart.png pytest tests/test_digest_chart.py
        Path(out).write_bytes(png)


async def test_a_keeper_gets_the_monday_digest_with_its_chart_as_a_file(sqlite_engine, tmp_path):
    lines: list[str] = []
    clock = ManualClock(START)  # Tue 1 Dec 2026
    board = ButtonBoard()
    folder = tmp_path / "files"
    platform = ConsolePlatform(lines.append, clock, "Europe/London", board, files_dir=folder)
    settings = make_settings(community(conveners=["sam"], keepers=["kit"]))
    app = build_app(settings, {"console": platform}, clock=clock, engine=sqlite_engine)
    workspace = ConsoleWorkspace(app, platform, board, write=lines.append)
    await workspace.start()
    await workspace.run(SCRIPT.splitlines())
    out = "\n".join(lines)
    digest = out[out.index("private message to kit") :]
    assert "[Mon 7 Dec 09:00] private message to kit" in out
    saved = [line for line in digest.splitlines() if "(file saved: " in line]
    assert saved, digest
    path = Path(saved[0].split("(file saved: ")[1][:-1])
    assert path.name == "copbot-wound-care-digest-2026-11-30.png"
    image = Image.open(path).convert("RGB")
    assert image.size == DIGEST_SIZE
    assert _count(image, BLUE) > 300 and _count(image, ORANGE) > 100  # named and anonymous
    out_path = os.environ.get("COPBOT_CHART_OUT")
    if out_path:
        Path(out_path).with_suffix(".digest.png").write_bytes(path.read_bytes())
