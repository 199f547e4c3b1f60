"""The sponsors' report: `/cop report` sends keepers and conveners a printable HTML page and
its picture (drawn by headless chromium when the outbox sends it). Its figures equal the
export's for the same window, it names no one but consenting tellers, its charts are real
images with labelled axes, and the same data gives the same page."""

from __future__ import annotations

import asyncio
import io
import os
import re
from datetime import timedelta
from html import unescape

import pytest
from PIL import Image
from sqlmodel import Session

from bot import anonymity, cli
from bot.domain.report_html import report_html
from bot.features.export import build_export, find_community
from bot.features.report import build_report
from bot.storage.tables import Meeting
from bot.storage.tables_meetings import Rsvp
from bot.storage.tables_value import IMPACT_QUESTIONS, Pulse, PulseAnswer
from tests.browser_helpers import need_chromium
from tests.test_digest import END, SECRET, WEEK, at, build_history

NOW = END + timedelta(hours=10)  # 10:00, after quiet hours
NOT_QUOTED = ("Kit", "Cora", "Ben", "Dee", "Eve", "Finn", "Gus", "Hal")


def _impact_pulse(engine, yes: int, of: int) -> None:
    """A closed impact pulse in the window: `yes` of `of` said yes to every question."""
    with Session(engine) as session:
        pulse = Pulse(
            community_id=1,
            kind="impact",
            opened_at=at(12, 21),
            closes_at=at(12, 26),
            closed_at=at(12, 26),
        )
        session.add(pulse)
        session.flush()
        table = PulseAnswer.__table__
        for index in range(of):
            for question in IMPACT_QUESTIONS:
                session.add(
                    PulseAnswer(
                        id=anonymity.random_id(session, table),
                        pulse_id=pulse.id,
                        community_id=1,
                        question=question,
                        value=int(index < yes),
                        author_key=anonymity.random_key(),
                        answered_on=at(12, 22, 0),
                    )
                )
        session.commit()


def _report(engine) -> tuple[str, dict]:
    with Session(engine) as session:
        community = find_community(session, "wound-care")
        page, _first, _last = build_report(session, community, WEEK, END, NOW)
        data = build_export(session, community, WEEK, END, NOW, salt=b"x")
    return page, data


def _figure(page: str, label: str) -> int:
    found = re.search(rf"<tr><td>{re.escape(label)}</td><td class=\"n\">(\d+)</td></tr>", page)
    assert found, label
    return int(found.group(1))


async def test_figures_equal_the_export_and_no_one_is_named_but_consenting_tellers(
    make_app, person, engine
):
    await build_history(make_app, person, engine)
    _impact_pulse(engine, yes=8, of=11)
    page, data = _report(engine)
    s = data["summary"]
    assert _figure(page, "Members") == s["members"] == 9
    assert _figure(page, "Took part by name") == s["active_members"] == 3
    assert _figure(page, "Contributions") == s["contributions"] == 10
    assert _figure(page, "of which anonymous") == s["anonymous_contributions"] == 2
    assert _figure(page, "Wins celebrated") == s["wins"] == 1
    assert _figure(page, "Pledges made") == s["pledges"]["made"] == 2
    assert _figure(page, "Pledges done") == s["pledges"]["done"] == 1
    assert _figure(page, "Value stories") == sum(s["stories"].values()) == 3
    assert _figure(page, "Resources shared") == len(data["resources"]) == 0
    [knowledge] = [p for p in data["pulses"] if p["question"] == "knowledge"]
    assert (knowledge["yes"], knowledge["answers"], knowledge["percent"]) == (8, 11, 73)
    text = unescape(re.sub(r"<[^>]+>", " ", page))
    # The plain-words summary at the top:
    assert "In the latest impact pulse, 8 of 11 (73%) gained knowledge, 8 of 11" in text
    assert "8 of 11 (73%)" in text.split("Goals and impact", 1)[1]  # and in its chart

    # Names: the consenting teller (Ana, quoted by name) only; the anonymous teller (Hal)
    # and everyone else never; nor a private pledge.
    assert "An idea that was applied" in text and "— Ana" in text
    assert "An idea that was realised" in text and "quoted without their name" in text
    assert "An idea that was immediate" not in text  # consent "no": counted, never quoted
    for name in NOT_QUOTED:
        assert not re.search(rf"\b{name}\b", text), name
    assert SECRET not in page and "member-" not in page
    assert "<script" not in page.lower() and "http" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )


async def test_attendance_intentions_are_charted_as_the_export_counts_them(
    make_app, person, engine
):
    _app, _clock, _people, ids = await build_history(make_app, person, engine)
    with Session(engine) as session:
        meeting = Meeting(community_id=1, starts_at=at(12, 24, 14), topic="Handovers")
        session.add(meeting)
        session.flush()
        for who, answer in (("Ana", "going"), ("Ben", "going"), ("Dee", "maybe"), ("Eve", "no")):
            session.add(
                Rsvp(
                    community_id=1,
                    meeting_id=meeting.id,
                    member_id=ids[who],
                    answer=answer,
                    answered_at=at(12, 22),
                )
            )
        session.commit()
    page, data = _report(engine)
    assert data["meetings"] == [
        {
            "starts_at": "2026-12-24T14:00:00+00:00",
            "topic": "Handovers",
            "going": 2,
            "maybe": 1,
            "not_coming": 1,
        }
    ]
    [chart] = [c for c in re.findall(r"<svg .*?</svg>", page, flags=re.S) if "coming" in c]
    assert "<title>24 Dec: 2</title>" in chart and 'class="y-axis"' in chart
    for name in NOT_QUOTED:
        assert not re.search(rf"\b{name}\b", unescape(re.sub(r"<[^>]+>", " ", page))), name


async def test_charts_are_images_with_labelled_axes_and_the_page_is_deterministic(
    make_app, person, engine
):
    await build_history(make_app, person, engine)
    _impact_pulse(engine, yes=3, of=4)  # too few to report
    page, data = _report(engine)
    assert page == _report(engine)[0]
    assert report_html(data, [], first="a", last="b") == report_html(data, [], first="a", last="b")
    charts = re.findall(r"<svg .*?</svg>", page, flags=re.S)
    assert len(charts) == 5  # weeks, named/anonymous, kinds, impact, stories
    for chart in charts:
        title = re.search(r"<title>([^<]+)</title>", chart).group(1)
        x_axis = re.search(r'class="x-axis"[^>]*>([^<]+)<', chart).group(1)
        y_axis = re.search(r'class="y-axis"[^>]*>([^<]+)<', chart).group(1)
        assert title and x_axis.strip() and y_axis.strip()
        assert "<rect" in chart
    assert "too few to report" in page
    assert "3 of 4" not in page and "75%" not in page


async def test_cop_report_sends_the_page_and_its_picture(make_app, platform, person, engine):
    need_chromium()
    app, clock, people, _ids = await build_history(make_app, person, engine)
    assert "for the community's keepers and conveners" in people["Ben"].says("report")
    assert "dates like" in people["Kit"].says("report next year")
    clock.set(NOW)
    assert "on its way" in people["Kit"].says("report 2026-12-21 2026-12-27")
    await app.dispatcher.drain()
    page, picture = [d for d in platform.dms("kit") if d.key.startswith("report:")]
    assert page.message.attachment.filename.endswith("-report-2026-12-21-to-2026-12-27.html")
    assert page.message.attachment.mime == "text/html"
    assert "<h1>wound-care</h1>" in page.message.attachment.content
    png = picture.message.attachment
    # A PNG at all shows it was drawn off the event loop: Playwright's blocking API refuses
    # to run on a thread with a running loop (the message would carry the page instead).
    assert png.mime == "image/png" and png.filename.endswith(".png")
    image = Image.open(io.BytesIO(png.data))
    assert image.format == "PNG" and image.width == 800 and image.height > 1200
    colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50  # drawn charts and text, not a blank
    if keep := os.environ.get("COPBOT_KEEP_REPORT_PNG"):  # to look at it
        image.save(keep)


async def test_without_a_browser_the_picture_message_carries_the_page(
    make_app, platform, person, engine
):
    def no_browser(_html: str) -> bytes:
        raise RuntimeError("no chromium here")

    app = make_app(pictures=no_browser)
    kit = person(app, "Kit")
    assert "on its way" in kit.says("report")
    await app.dispatcher.drain()
    [_page, fallback] = [d for d in platform.dms("kit") if d.key.startswith("report:")]
    assert fallback.message.attachment.filename.endswith(".html")
    assert "couldn't draw the picture" in fallback.text


@pytest.mark.parametrize("words", ["report 2026-13-01 2026-12-01", "report a b c"])
def test_bad_dates_change_nothing(make_app, person, words):
    app = make_app()
    assert "dates like" in person(app, "Kit").says(words) or "Usage" in person(app, "Kit").says(
        words
    )


async def test_copbot_report_writes_the_same_page_and_its_picture(
    make_app, person, engine, tmp_path, capsys
):
    need_chromium()
    await build_history(make_app, person, engine)
    url = engine.url.render_as_string(hide_password=False)
    config = tmp_path / "config.toml"
    config.write_text(
        f'database_url = "{url}"\n[[communities]]\nname = "wound-care"\nchannel = "wound-care"\n'
    )
    html, png = tmp_path / "report.html", tmp_path / "report.png"
    argv = ["--config", str(config), "report", "--community", "wound-care"]
    dates = ["--from", "2026-12-21", "--to", "2026-12-27"]
    # (in a thread, as from a shell: the blocking browser never runs on an event loop)
    written = [*argv, *dates, "--output", str(html), "--png", str(png)]
    assert await asyncio.to_thread(cli.main, written) == 0
    assert f"report written to {html} and {png}" in capsys.readouterr().err
    assert html.read_text(encoding="utf-8") == _report(engine)[0]
    assert Image.open(png).format == "PNG"
    assert cli.main([*argv[:4], "nowhere", *dates]) == 2
    assert "no community called 'nowhere'" in capsys.readouterr().err
