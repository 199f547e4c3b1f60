"""What the digest's chart is drawn from: each week's bar and label in the community's time,
the digest week's contributions by the name they have on the chart, the title and the file."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

import bot
from bot.domain.chart import Week
from bot.features import digest_chart
from bot.features.digest_chart import KIND_NAMES, chart_attachment, kind_counts
from bot.storage.tables import Activity, Community

MONDAY = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
AUCKLAND = ZoneInfo("Pacific/Auckland")  # UTC+13 in December: a lost zone shows in the dates


def communities(session: Session) -> tuple[int, int]:
    ids = []
    for name, channel in (("wound-care", "C1"), ("ny-care", "C2")):
        row = Community(
            name=name, platform="console", channel_id=channel, timezone="UTC", created_at=MONDAY
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        ids.append(row.id)
    return ids[0], ids[1]


def record(session: Session, community_id: int, kind: str, at: datetime, times: int = 1) -> None:
    for _ in range(times):
        session.add(Activity(community_id=community_id, kind=kind, at=at))
    session.flush()


def test_contributions_of_the_week_by_their_name_on_the_chart(engine: Engine):
    with Session(engine) as session:
        ours, theirs = communities(session)
        end = MONDAY + timedelta(days=7)
        record(session, ours, "replied", MONDAY, 2)  # the first moment counts
        record(session, ours, "celebrated", MONDAY + timedelta(days=1))
        record(session, ours, "nominated", MONDAY + timedelta(days=2))
        record(session, ours, "pledge-done", MONDAY + timedelta(days=3))
        record(session, ours, "asked-question", MONDAY + timedelta(days=3))  # no chart name
        record(session, ours, "voted", end)  # the next week
        record(session, ours, "voted", MONDAY - timedelta(seconds=1))  # the week before
        record(session, theirs, "replied", MONDAY + timedelta(days=1))  # another community
        assert kind_counts(session, ours, MONDAY, end) == {
            "check-in replies": 2,
            "wins": 2,
            "pledges kept": 1,
            "asked question": 1,
        }
        assert kind_counts(session, ours, end, end + timedelta(days=7)) == {"votes": 1}


def test_every_kind_any_feature_records_has_a_plain_name_on_the_chart():
    recorded = set()
    for source in Path(bot.__file__).parent.rglob("*.py"):
        recorded |= set(re.findall(r'record\(\s*"([a-z-]+)"', source.read_text("utf-8")))
    assert len(recorded) > 15, recorded  # the search found the features' records
    assert recorded <= set(KIND_NAMES), recorded - set(KIND_NAMES)
    for name in KIND_NAMES.values():
        assert re.fullmatch(r"[a-z]+(?:[ -][a-z]+)*", name) and "_" not in name, name


def test_the_chart_file_is_drawn_from_the_weeks_and_the_digest_week(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
):
    drawn: list[tuple[Any, ...]] = []

    def draw(weeks: Any, kinds: Any, title: str) -> bytes:
        drawn.append((list(weeks), dict(kinds), title))
        return b"PNG"

    monkeypatch.setattr(digest_chart, "digest_chart_png", draw)
    bounds = [
        MONDAY - timedelta(days=14),
        MONDAY - timedelta(days=7),
        MONDAY,
        MONDAY + timedelta(days=7),
    ]
    with Session(engine) as session:
        ours, _ = communities(session)
        record(session, ours, "cheered", MONDAY + timedelta(days=2), 3)
        record(session, ours, "cheered", MONDAY - timedelta(days=2))  # before the digest week
        attachment = chart_attachment(
            session, ours, "wound-care", bounds, [(1, 4, 1), (0, 0, 0), (3, 9, 2)], AUCKLAND
        )
    assert attachment.filename == "copbot-wound-care-digest-2026-11-30.png"
    assert attachment.data == b"PNG" and attachment.mime == "image/png"
    assert drawn == [
        (
            [
                Week(label="16 Nov", people=1, named=3, anonymous=1),
                Week(label="23 Nov", people=0, named=0, anonymous=0),
                Week(label="30 Nov", people=3, named=7, anonymous=2),
            ],
            {"cheers": 3},
            "wound-care: taking part, week by week (digest week from 30 Nov 2026)",
        )
    ]


def test_dates_on_the_chart_are_the_communitys_own(engine: Engine, monkeypatch: pytest.MonkeyPatch):
    drawn: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        digest_chart, "digest_chart_png", lambda w, k, t: drawn.append((list(w), t)) or b""
    )
    late_sunday = datetime(2026, 11, 29, 11, 30, tzinfo=UTC)  # Monday 00:30 in Auckland
    with Session(engine) as session:
        ours, _ = communities(session)
        attachment = chart_attachment(
            session,
            ours,
            "ny",
            [late_sunday, late_sunday + timedelta(days=7)],
            [(0, 0, 0)],
            AUCKLAND,
        )
    assert attachment.filename == "copbot-ny-digest-2026-11-30.png"
    assert drawn == [
        (
            [Week(label="30 Nov", people=0, named=0, anonymous=0)],
            "ny: taking part, week by week (digest week from 30 Nov 2026)",
        )
    ]


def test_weeks_and_figures_must_match(engine: Engine):
    with Session(engine) as session, pytest.raises(ValueError):
        chart_attachment(session, 1, "x", [MONDAY, MONDAY + timedelta(days=7)], [], AUCKLAND)
