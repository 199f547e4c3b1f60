"""The keepers' digest over a hand-computed history, on SQLite and PostgreSQL.

History (Europe/London = UTC in Nov/Dec). Weeks start on Mondays: Nov 2, 9, 16, 23, 30,
Dec 7, 14 and the digest's own week Dec 21-28.
  Ana   active every week (rows) and in the digest week (commands)
  Ben   Nov 3, Nov 10 (rows)                  -> quiet (silent since Nov 10)
  Cora  Nov 4, Dec 15 (rows); proposes and tells a story in the week
  Dee   Dec 1 (row)                           -> quiet
  Eve   Dec 8 (row)                           -> silent 20 days: not yet quiet
  Finn  Nov 17 (row), away until January      -> not listed as quiet
  Gus   only ever anonymous (a challenge)     -> quiet like anyone silent: never attributed
  Hal   joins in the week, replies, tells an anonymous story -> first-time contributor
  Kit   the keeper, never active              -> quiet (never heard counts too)
  two anonymous rows on Nov 24.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlmodel import Session, select

from bot.clock import ManualClock
from bot.config import ConfigError
from bot.domain import digest as rules
from bot.features.digest_figures import build_digest, chart_for
from bot.storage.tables import Activity, Meeting, Member
from bot.storage.tables_polls import Poll, PollOption
from bot.storage.tables_stories import ActivityWeek
from bot.storage.tables_wins import Pledge
from tests.conftest import community, make_settings

BASE = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
WEEK = datetime(2026, 12, 21, tzinfo=UTC)  # the digest's week: [WEEK, WEEK + 7 days)
END = WEEK + timedelta(days=7)
SECRET = "SECRET-PLAN-ALPHA"
LONDON = ZoneInfo("Europe/London")


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def _ids(engine) -> dict[str, int]:
    with Session(engine) as session:
        return {m.display_name: m.id for m in session.exec(select(Member)).all()}


async def build_history(make_app, person, engine):
    """The history above; returns (app, clock, people by name, member ids by name)."""
    clock = ManualClock(BASE)
    settings = make_settings(community(checkin={"open_for": "2 days", "remind_after": "off"}))
    app = make_app(settings, clock=clock)
    names = ("Kit", "Cora", "Ana", "Ben", "Dee", "Eve", "Finn", "Gus")
    people = {n: person(app, n) for n in names}
    for someone in people.values():
        someone.cop("help")  # recorded as members on Nov 2
    people["Finn"].cop("skip until 2027-01-10")
    ids = _ids(engine)

    rows = [(ids["Ana"], at(11, 3) + timedelta(weeks=k)) for k in range(7)]  # Nov 3 … Dec 15
    rows += [(ids["Ben"], at(11, 3)), (ids["Ben"], at(11, 10)), (ids["Cora"], at(11, 4))]
    rows += [(ids["Cora"], at(12, 15)), (ids["Dee"], at(12, 1)), (ids["Eve"], at(12, 8))]
    rows += [(ids["Finn"], at(11, 17)), (None, at(11, 24)), (None, at(11, 24, 13))]
    rows += [(ids["Ana"], at(12, 22, 15))]  # a renewal, inserted below as its own kind
    with Session(engine) as session:
        for member_id, moment in rows[:-1]:
            session.add(Activity(community_id=1, member_id=member_id, kind="cheered", at=moment))
        session.add(
            Activity(community_id=1, member_id=ids["Ana"], kind="pledge-renewed", at=at(12, 22, 15))
        )
        pledges = [  # (who, text, shared, created, due, status, closed)
            ("Ana", SECRET, False, at(12, 22), at(12, 31), "open", None),
            ("Cora", "Share wound photos safely", True, at(12, 22), at(12, 24), "done", at(12, 24)),
            ("Ben", "Audit dressings", False, at(11, 10), at(12, 23), "released", at(12, 23)),
            ("Dee", "Call the TVN", False, at(12, 1), at(12, 30), "open", None),
            ("Ana", "Old one", False, at(11, 3), at(12, 22), "cancelled", at(11, 20)),
        ]
        for who, text, shared, made, due, status, closed in pledges:
            session.add(
                Pledge(
                    community_id=1,
                    member_id=ids[who],
                    text=text,
                    shared=shared,
                    created_at=made,
                    cycle_start=made,
                    due_at=due,
                    status=status,
                    closed_at=closed,
                )
            )
        session.add(Meeting(community_id=1, starts_at=at(12, 17, 14), topic="Leg ulcers"))
        session.add(
            Meeting(
                community_id=1,
                starts_at=datetime(2027, 1, 7, 14, tzinfo=UTC),
                topic="Pressure ulcers",
            )
        )
        poll = Poll(
            community_id=1,
            question="Which topic for January?",
            method="single",
            opened_at=at(12, 20),
            closes_at=datetime(2027, 1, 5, tzinfo=UTC),
        )
        session.add(poll)
        session.flush()
        session.add(PollOption(poll_id=poll.id, number=1, label="Pressure ulcers"))
        session.add(PollOption(poll_id=poll.id, number=2, label="Burns"))
        session.commit()

    # The digest week, through commands.
    await app.advance(at(12, 21, 10))
    cora, ana, gus = people["Cora"], people["Ana"], people["Gus"]
    assert "opened" in cora.says("checkin open")  # closes Wed Dec 23 10:00
    ana.cop("reply success Fewer missed visits")
    ana.cop("reply learning Photos help wound reviews")
    gus.cop("reply challenge anonymously Discharge letters arrive late")
    clock.set(at(12, 22, 9))
    hal = people["Hal"] = person(app, "Hal")
    hal.cop("reply challenge Night shift handovers are rushed")
    ana.cop("win We cut missed visits by a third")
    await app.advance(at(12, 23, 12))  # the check-in closed at 10:00
    cora.cop("propose Discharge letters arrive late: what can we do?")
    for who, cycle, consent in (
        (ana, "applied", "named"),
        (hal, "realised", "anonymous"),
        (cora, "immediate", "no"),
    ):
        form = who.press("story.start").form
        assert form is not None and form.form_id == "story.tell"
        answer = who.submit(
            form.form_id,
            form.metadata,
            what=f"An idea that was {cycle}",
            difference=f"{cycle} difference",
            cycle=cycle,
            consent=consent,
        )
        assert "Thank you" in answer.message.as_text()
    ids["Hal"] = _ids(engine)["Hal"]
    return app, clock, people, ids


def assert_figures(digest: rules.Digest) -> None:
    """Every figure of the digest, computed by hand from the history above."""
    assert (digest.start, digest.end) == (WEEK, END)
    assert digest.members == 9
    assert digest.active == 3  # Ana, Hal, Cora (Gus and Hal's story are anonymous)
    assert digest.contributions == 10  # Ana 5, Cora 2, Hal 1, anonymous 2
    assert digest.anonymous == 2
    assert digest.weekly == (3, 2, 2, 1, 2, 2, 2, 3)
    assert digest.first_timers == ("Hal",)
    assert digest.quiet == ("Ben", "Dee", "Gus", "Kit")
    assert len(digest.wins) == 1 and "We cut missed visits by a third" in digest.wins[0]
    assert digest.pledges == rules.PledgeFigures(made=2, due=2, done=1, renewed=1, let_go=1)
    assert digest.checkins_closed == 1
    assert dict(digest.replies) == {"success": 1, "challenge": 2, "learning": 1}
    assert digest.waiting_challenges == ("Night shift handovers are rushed",)
    assert dict(digest.stories) == {"applied": 1, "realised": 1, "immediate": 1}
    assert len(digest.quotes) == 2
    # The anonymous story keeps only its day, so the two may come in either order.
    [named] = [q for q in digest.quotes if "(Ana)" in q]
    [anonymous] = [q for q in digest.quotes if "(shared anonymously)" in q]
    assert "Hal" not in anonymous and named != anonymous
    assert [p for p in digest.polls if "Which topic for January?" in p]
    assert digest.next_meeting == datetime(2027, 1, 7, 14, tzinfo=UTC)
    assert digest.next_topic == "Pressure ulcers"


async def test_weekly_digest_every_figure(make_app, person, platform, engine):
    app, _clock, _people, _ids = await build_history(make_app, person, engine)
    with Session(engine) as session:
        digest = build_digest(session, 1, WEEK, END, at(12, 28, 9), "last week", LONDON)
    assert_figures(digest)

    # The scheduled DM: Monday 28 Dec 09:00 in Kit's timezone, to the keeper only, once.
    await app.advance(at(12, 28, 10))
    mine = [d for d in platform.dms() if d.key.startswith("digest:")]
    weekly = [d for d in mine if d.key.endswith("2026-W53")]
    assert [d.target for d in weekly] == ["kit"]
    text = weekly[0].text
    assert "3 of 9 members took part (10 contributions, 2 of them anonymous)." in text
    assert "Last 8 weeks: █▆▆▃▆▆▆█ (3 · 2 · 2 · 1 · 2 · 2 · 2 · 3)" in text
    assert "haven't shared anything with their name for 3 weeks or more" in text
    assert "  • Ben\n  • Dee\n  • Gus\n  • Kit" in text
    assert "First-time contributors" in text and "  • Hal" in text
    assert "Made 2 · due 2 · done 1 · renewed 1 · let go 1" in text
    assert "1 check-in closed: 1 success, 2 challenges, 1 learning." in text
    assert "Night shift handovers are rushed" in text
    assert "3 new stories (1 immediate, 1 applied, 1 realised)." in text
    assert "Pressure ulcers" in text
    # Anonymity and privacy: Gus only ever spoke anonymously, so he is listed among the quiet
    # exactly like Kit, who never spoke: his name appears nowhere else. Pledges stay private.
    assert text.count("Gus") == 1
    assert SECRET not in text and "Audit dressings" not in text
    # One per keeper per week, even if the timeline runs again.
    await app.advance(at(12, 28, 23))
    assert len([d for d in platform.dms() if d.key.endswith("2026-W53")]) == 1


async def test_on_demand_digest_roles_and_windows(make_app, person, platform, engine):
    _app, clock, people, _ids = await build_history(make_app, person, engine)
    clock.set(at(12, 28, 11))
    kit_text = people["Kit"].says("digest last-week")
    assert "3 of 9 members took part" in kit_text and "  • Ben" in kit_text
    # A convener sees the figures but not the quiet voices (those are for keepers).
    cora_text = people["Cora"].says("digest")
    assert "3 of 9 members took part" in cora_text
    assert "Voices we haven't heard lately" not in cora_text
    # Others get a kind refusal.
    assert "for the community's keepers and conveners" in people["Ana"].says("digest")
    assert "Usage: /cop digest" in people["Kit"].says("digest yesterday")
    # This week (from Monday 28 Dec 00:00): nothing yet.
    assert "0 of 9 members took part (0 contributions)." in people["Kit"].says("digest this-week")
    # Since the meeting on 17 Dec 14:00: Cora's Dec 15 row is before it; the week's 10 are after.
    since = people["Kit"].says("digest since-meeting")
    assert "since the meeting on Thu 17 Dec, 14:00" in since
    assert "3 of 9 members took part (10 contributions, 2 of them anonymous)." in since


async def test_digest_lists_are_capped(make_app, person, platform, engine):
    clock = ManualClock(BASE)
    app = make_app(make_settings(), clock=clock)
    kit = person(app, "Kit")
    kit.cop("help")
    for n in range(14):
        person(app, f"P{n:02d}").cop("help")
    ids = _ids(engine)
    with Session(engine) as session:
        for n in range(14):
            session.add(
                Activity(
                    community_id=1,
                    member_id=ids[f"P{n:02d}"],
                    kind="cheered",
                    at=BASE + timedelta(hours=1),
                )
            )
        session.commit()
    clock.set(BASE + timedelta(days=7, hours=1))
    text = kit.says("digest last-week")
    assert "  • P08\n  • and 5 more" in text and "P09" not in text


def test_sparkline_and_chart():
    assert rules.sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert rules.sparkline([0, 0, 0]) == "▁▁▁"
    assert rules.sparkline([3, 2, 2, 1, 2, 2, 2, 3]) == "█▆▆▃▆▆▆█"
    digest = rules.Digest(
        start=WEEK,
        end=END,
        label="x",
        members=9,
        active=3,
        contributions=10,
        anonymous=2,
        weekly=(3, 2, 2, 1, 2, 2, 2, 3),
    )
    png = chart_for(digest, LONDON)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG" and image.size == (480, 220)
    # Bars differ by height: the tallest bar's column has more ink than the shortest's.
    assert len(image.getcolors(maxcolors=4096) or []) > 2


def test_bench_digest_runs_on_a_small_history(tmp_path):
    from bench.digest import run_digest

    result = run_digest(f"sqlite:///{tmp_path / 'b.db'}", "sqlite", members=20, days=60, rows=3000)
    assert result.activity_rows == 3000
    assert len(result.digest_ns) == 15
    assert result.headline.endswith("anonymous).") and " of 20 members took part" in result.headline


async def test_finished_weeks_are_counted_once(make_app, person, engine):
    clock = ManualClock(BASE)
    app = make_app(make_settings(), clock=clock)
    kit = person(app, "Kit")
    kit.cop("help")
    ids = _ids(engine)
    with Session(engine) as session:
        session.add(Activity(community_id=1, member_id=ids["Kit"], kind="cheered", at=BASE))
        session.commit()
    clock.set(BASE + timedelta(days=8))  # Tue 10 Nov
    assert "0 of 2 members took part" in kit.says("digest this-week")  # Kit, and Cora
    with Session(engine) as session:
        kept = session.exec(select(ActivityWeek).order_by(ActivityWeek.week_start)).all()
    # The seven finished weeks before this one are kept; the open week is not.
    assert len(kept) == 7 and kept[-1].week_end == datetime(2026, 11, 9, tzinfo=UTC)
    assert kept[-1].active == 1
    assert "Last 8 weeks: ▁▁▁▁▁▁█▁ (0 · 0 · 0 · 0 · 0 · 0 · 1 · 0)" in kit.says("digest this-week")


async def test_weekly_digest_day_time_and_keepers_own_timezone(make_app, person, platform):
    clock = ManualClock(BASE)
    settings = make_settings(community(digest={"weekday": "friday", "at": "17:00"}))
    app = make_app(settings, clock=clock)
    kit = person(app, "Kit")
    kit.cop("me timezone America/New_York")
    person(app, "Cora").cop("help")
    # Friday 6 Nov 17:00 in New York is 22:00 UTC.
    await app.advance(datetime(2026, 11, 6, 21, 59, tzinfo=UTC))
    assert [d for d in platform.dms() if d.key.startswith("digest:")] == []
    await app.advance(datetime(2026, 11, 6, 22, 1, tzinfo=UTC))
    [dm] = [d for d in platform.dms() if d.key.startswith("digest:")]
    assert dm.target == "kit" and "Keeper's digest for wound-care: the week of 30 Oct" in dm.text


def test_a_bad_digest_weekday_is_refused():
    with pytest.raises(ConfigError, match="weekday"):
        make_settings(community(digest={"weekday": "funday"}))
