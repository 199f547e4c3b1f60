"""Conveners' nudges: preview then save, local times across DST in two timezones, quiet
hours, who receives them, and each occurrence acting once (two processes on PostgreSQL)."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from bot.bootstrap import build_app
from bot.clock import ManualClock
from bot.storage.tables import JobClaim
from bot.storage.tables_momentum import Nudge
from tests.conftest import START, Person, _truncate, community, make_settings
from tests.fakes import FakePlatform

LONDON, NEW_YORK = ZoneInfo("Europe/London"), ZoneInfo("America/New_York")


def two_communities(**overrides):
    overrides.setdefault("prompts", {"quiet_for": "off"})  # only nudges in the channels
    return make_settings(
        community(**overrides),
        community(
            name="ny-care",
            channel="ny-care",
            timezone="America/New_York",
            conveners=["nora"],
            **overrides,
        ),
    )


def arrivals(platform: FakePlatform, clock: ManualClock) -> list[tuple[str, str, datetime]]:
    """Make the platform note (kind, target, time) of every delivery."""
    seen: list[tuple[str, str, datetime]] = []

    def note(kind: str, target: str) -> None:
        seen.append((kind, target, clock.now()))

    platform.fail_when = note
    return seen


def save(convener: Person, text: str) -> str:
    """Add a nudge and press Save on its preview; returns the confirmation."""
    preview = convener.cop(f"nudge add {text}").message
    assert preview is not None and preview.buttons, preview
    return convener.press("nudge.save", preview.buttons[0].value).message.as_text()


async def test_add_shows_a_preview_and_only_save_keeps_it(make_app, platform, person):
    app = make_app()
    cora = person(app, "Cora")
    preview = cora.cop('nudge add "every tuesday 09:30" Share one photo of your week').message
    assert preview.title == "Preview of your nudge (not saved yet)"
    shown = preview.as_text()
    assert "every tuesday 09:30 (Europe/London time); next Tue 1 Dec, 09:30" in shown
    assert "the channel" in shown and "Share one photo of your week" in shown
    assert [b.label for b in preview.buttons] == ["Save", "Cancel"]

    assert "Cancelled" in cora.press("nudge.cancel", preview.buttons[1].value).message.as_text()
    assert "No nudges yet" in cora.says("nudge list")
    assert "out of date" in cora.press("nudge.save", preview.buttons[0].value).message.as_text()
    await app.advance(START + timedelta(days=6))
    assert [d for d in platform.sent if not d.key.startswith("digest:")] == []  # Kit's digest

    assert "Saved as nudge #" in save(cora, "every tuesday 09:30 Share one photo of your week")
    assert "every tuesday 09:30 (Europe/London time); next Tue 8 Dec" in cora.says("nudge list")
    await app.advance(START + timedelta(days=15, hours=1))
    posts = [d for d in platform.posts() if "Share one photo" in d.text]
    assert [d.target for d in posts] == ["wound-care", "wound-care"]  # 8 and 15 Dec, once each
    assert len({d.key for d in posts}) == 2


async def test_members_cannot_add_or_manage_nudges(make_app, platform, person):
    app = make_app()
    cora, ana = person(app, "Cora"), person(app, "Ana")
    assert "Only conveners" in ana.says("nudge add tomorrow 10:00 Hello")
    save(cora, "tomorrow 10:00 Hello all")
    for command in ("nudge list", "nudge pause 1", "nudge delete 1", "nudge edit 1 Bye"):
        assert "Only conveners" in ana.says(command)
    await app.advance(START + timedelta(days=2))
    assert [d.text.splitlines()[0] for d in platform.posts()] == ["Hello all"]


async def test_bad_input_is_refused_kindly(make_app, person):
    app = make_app()
    cora = person(app, "Cora")
    assert "couldn't read" in cora.says("nudge add someday Hello")
    assert "in the past" in cora.says("nudge add 2026-11-01 09:00 Hello")
    assert "more often than once an hour" in cora.says("nudge add cron: */5 * * * * Hi")
    assert "empty" in cora.says("nudge add tomorrow 10:00")
    assert "notify everyone" in cora.says("nudge add tomorrow 10:00 @everyone look")
    assert "can't find nudge #9" in cora.says("nudge pause 9")
    assert "Usage" in cora.says("nudge frobnicate")
    with Session(app.engine) as session:
        assert session.exec(select(Nudge)).all() == []


async def test_nudges_keep_local_time_across_autumn_changes_in_two_timezones(
    make_app, platform, person
):
    # London's clocks go back on Sun 25 Oct 2026, New York's on Sun 1 Nov 2026.
    clock = ManualClock(datetime(2026, 10, 10, 12, 0, tzinfo=UTC))
    app = make_app(two_communities(), clock=clock)
    seen = arrivals(platform, clock)
    save(person(app, "Cora"), "every monday 09:30 Monday thought")
    save(person(app, "Nora", "ny-care"), "every monday 09:30 Monday thought")
    await app.advance(datetime(2026, 11, 10, tzinfo=UTC))

    by_channel: dict[str, list[datetime]] = {"wound-care": [], "ny-care": []}
    for kind, target, moment in seen:
        if kind == "post":  # (the keepers' weekly digests go by private message)
            by_channel[target].append(moment)
    assert [t.strftime("%d %H:%M") for t in by_channel["wound-care"]] == [
        "12 08:30", "19 08:30", "26 09:30", "02 09:30", "09 09:30"
    ]  # fmt: skip
    assert [t.strftime("%d %H:%M") for t in by_channel["ny-care"]] == [
        "12 13:30", "19 13:30", "26 13:30", "02 14:30", "09 14:30"
    ]  # fmt: skip
    for zone, times in ((LONDON, by_channel["wound-care"]), (NEW_YORK, by_channel["ny-care"])):
        assert {t.astimezone(zone).strftime("%a %H:%M") for t in times} == {"Mon 09:30"}


async def test_nudges_keep_local_time_across_spring_changes_in_two_timezones(
    make_app, platform, person
):
    # New York's clocks go forward on Sun 14 Mar 2027, London's on Sun 28 Mar 2027.
    clock = ManualClock(datetime(2027, 3, 1, 12, 0, tzinfo=UTC))
    app = make_app(two_communities(), clock=clock)
    seen = arrivals(platform, clock)
    save(person(app, "Cora"), "every friday 17:00 Weekend reading")
    save(person(app, "Nora", "ny-care"), "every friday 17:00 Weekend reading")
    await app.advance(datetime(2027, 4, 3, tzinfo=UTC))
    london = [t for _k, target, t in seen if target == "wound-care"]
    new_york = [t for _k, target, t in seen if target == "ny-care"]
    assert [t.strftime("%d %H:%M") for t in london] == [
        "05 17:00", "12 17:00", "19 17:00", "26 17:00", "02 16:00"
    ]  # fmt: skip
    assert [t.strftime("%d %H:%M") for t in new_york] == [
        "05 22:00", "12 22:00", "19 21:00", "26 21:00", "02 21:00"
    ]  # fmt: skip


async def test_a_time_that_happens_twice_fires_once_and_a_missing_one_still_fires(
    make_app, platform, person
):
    clock = ManualClock(datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    app = make_app(two_communities(), clock=clock)
    cora, nora = person(app, "Cora"), person(app, "Nora", "ny-care")
    save(cora, "every day 01:30 Night shift check")  # London's clocks go back on 25 Oct
    await app.advance(datetime(2026, 10, 26, 12, 0, tzinfo=UTC))
    cora.cop("nudge pause 1")
    clock.set(datetime(2026, 10, 31, 12, 0, tzinfo=UTC))
    save(nora, "every day 01:30 Night shift check")  # New York's go back on 1 Nov
    await app.advance(datetime(2026, 11, 2, 12, 0, tzinfo=UTC))
    with Session(app.engine) as session:
        claims = session.exec(select(JobClaim).order_by(JobClaim.fire_time)).all()
    for key, zone, days in (
        ("nudge:1", LONDON, ["2026-10-25", "2026-10-26"]),
        ("nudge:2", NEW_YORK, ["2026-11-01", "2026-11-02"]),
    ):
        claimed = [
            c.fire_time.astimezone(zone).date().isoformat() for c in claims if c.job_key == key
        ]
        assert claimed == days
    posts = [d.target for d in platform.posts()]
    assert posts == ["wound-care", "wound-care", "ny-care", "ny-care"]

    # On the spring-forward night 01:30 London does not exist; the nudge still goes once.
    clock2 = ManualClock(datetime(2027, 3, 27, 12, 0, tzinfo=UTC))
    app2 = make_app(clock=clock2)
    before = len(platform.posts())
    person(app2, "Cora").cop("nudge pause 1")
    person(app2, "Cora").cop("nudge resume 1")
    await app2.advance(datetime(2027, 3, 29, 12, 0, tzinfo=UTC))
    assert len([d for d in platform.posts()[before:] if d.target == "wound-care"]) == 2


async def test_private_nudges_wait_for_quiet_hours_to_end(make_app, clock, platform, person):
    app = make_app()
    cora, ana, nia, owl = (person(app, n) for n in ("Cora", "Ana", "Nia", "Owl"))
    ana.cop("me quiet 22:00-07:30")  # London
    nia.cop("me timezone America/New_York")
    nia.cop("me quiet 21:00-08:00")  # New York
    owl.cop("me quiet off")
    cora.cop("me quiet 20:00-08:00")
    seen = arrivals(platform, clock)
    save(cora, "2026-12-02 07:00 to everyone Please fill in the rota")
    await app.advance(START + timedelta(days=2))

    arrived = {target: moment for kind, target, moment in seen if kind == "dm"}
    assert arrived == {
        "owl": datetime(2026, 12, 2, 7, 0, tzinfo=UTC),  # no quiet hours
        "ana": datetime(2026, 12, 2, 7, 30, tzinfo=UTC),  # 07:30 London
        "cora": datetime(2026, 12, 2, 8, 0, tzinfo=UTC),  # 08:00 London
        "kit": datetime(2026, 12, 2, 8, 0, tzinfo=UTC),  # the keeper: default quiet hours
        "nia": datetime(2026, 12, 2, 13, 0, tzinfo=UTC),  # 08:00 New York
    }
    assert platform.posts() == []  # private nudges don't go to the channel


async def test_targeting_quiet_members_pledge_holders_and_not_the_away(
    make_app, clock, platform, person
):
    settings = make_settings(community(meetings={"dates": ["2026-12-03 14:00"]}))
    app = make_app(settings)
    cora, ana, ben, dee, eve = (person(app, n) for n in ("Cora", "Ana", "Ben", "Dee", "Eve"))
    for someone in (cora, ana, ben, dee, eve):
        someone.cop("me quiet off")
    ben.cop("win A win before the meeting")  # before the meeting: doesn't count
    eve.cop("skip until 2026-12-31")  # away
    await app.advance(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    ana.cop("win Our first shared care plan")  # after the meeting: took part
    dee.cop("pledge Try the new leaflet by 2026-12-20")
    save(cora, "tomorrow 10:00 to quiet We'd love to hear from you")
    save(cora, "tomorrow 11:00 to pledgers How is your pledge going?")
    save(cora, "tomorrow 12:00 to everyone Rota reminder")
    platform.sent.clear()
    await app.advance(datetime(2026, 12, 6, 9, 0, tzinfo=UTC))

    def who(text: str) -> list[str]:
        return sorted(d.target for d in platform.dms() if text in d.text)

    # Not Ana/Dee (active), not Eve (away); Kit, the keeper named in the settings, is quiet.
    assert who("We'd love to hear from you") == ["ben", "cora", "kit"]
    assert who("How is your pledge going?") == ["dee"]
    assert who("Rota reminder") == ["ana", "ben", "cora", "dee", "kit"]  # Eve is away


async def test_pause_resume_edit_delete(make_app, clock, platform, person):
    app = make_app()
    cora = person(app, "Cora")
    save(cora, "every day 12:00 Lunch question")
    await app.advance(datetime(2026, 12, 1, 12, 1, tzinfo=UTC))
    assert "paused" in cora.says("nudge pause 1")
    assert "(paused)" in cora.says("nudge list")
    await app.advance(datetime(2026, 12, 3, 12, 1, tzinfo=UTC))
    assert "active" in cora.says("nudge resume 1")  # the missed days are not replayed
    edited = cora.says("nudge edit 1 when every day 13:00")
    assert "every day 13:00" in edited
    cora.cop("nudge edit 1 text Afternoon question")
    assert "members with an open pledge" in cora.says("nudge edit 1 to pledgers")
    cora.cop("nudge edit 1 to channel")
    await app.advance(datetime(2026, 12, 4, 13, 1, tzinfo=UTC))
    assert "Nudge #1 is deleted" in cora.says("nudge delete 1")
    await app.advance(datetime(2026, 12, 6, 13, 1, tzinfo=UTC))
    texts = [d.text.splitlines()[0] for d in platform.posts()]
    assert texts == ["Lunch question", "Afternoon question", "Afternoon question"]  # 1, 3, 4 Dec


async def test_a_one_off_nudge_survives_a_restart_and_goes_once(make_app, clock, platform, person):
    app = make_app()
    save(person(app, "Cora"), "tomorrow 10:00 to everyone See you Thursday")
    app.close()
    app = make_app()
    await app.advance(START + timedelta(days=1, hours=2))
    app.close()
    app = make_app()
    await app.advance(START + timedelta(days=3))
    assert [d.target for d in platform.dms() if "Thursday" in d.text] == ["cora", "kit"]
    assert "See you Thursday" not in person(app, "Cora").says("nudge list")


@pytest.mark.postgres
def test_two_schedulers_on_postgres_send_each_occurrence_once(postgres_engine):
    """Two copbot processes (two Apps, two threads) race for every nudge occurrence."""
    _truncate(postgres_engine)
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    platforms = [FakePlatform(), FakePlatform()]
    clocks = [ManualClock(start), ManualClock(start)]
    apps = [
        build_app(make_settings(), {"console": p}, clock=c, engine=postgres_engine)
        for p, c in zip(platforms, clocks, strict=True)
    ]
    for i in range(30):
        Person(apps[i % 2], f"M{i}").cop("help")
    cora = Person(apps[0], "Cora")
    save(cora, "every day 10:00 to everyone Daily question")
    save(cora, "every day 10:00 Channel question")
    save(Person(apps[1], "Cora"), "tomorrow 10:00 One-off")
    reports = []

    def race(app, window_start: datetime, window_end: datetime, barrier) -> None:
        barrier.wait()
        reports.append(app.timeline.run_due(window_start, window_end))

    async def deliver() -> None:
        await asyncio.gather(*(a.dispatcher.drain() for a in apps))

    for day in (1, 2, 3):
        window_end = datetime(2026, 12, day, 10, 5, tzinfo=UTC)
        for clock in clocks:
            clock.set(window_end)
        barrier = threading.Barrier(2)
        window = (window_end - timedelta(hours=1), window_end, barrier)
        threads = [threading.Thread(target=race, args=(a, *window)) for a in apps]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        asyncio.run(deliver())

    ran = sorted(label for r in reports for label in r.ran)
    expected = [f"nudge:{n}@2026-12-0{d}T10:00:00+00:00" for n in (1, 2) for d in (1, 2, 3)]
    assert ran == sorted([*expected, "nudge:3@2026-12-02T10:00:00+00:00"])
    assert sum(len(r.already) for r in reports) == len(ran)  # the other process lost each race
    sent = [d for p in platforms for d in p.sent]
    assert len({d.key for d in sent}) == len(sent)
    assert sum(1 for d in sent if "Daily question" in d.text) == 3 * 32  # 30, Cora and Kit
    assert sum(1 for d in sent if "Channel question" in d.text) == 3
    assert sum(1 for d in sent if "One-off" in d.text) == 1
    for app in apps:
        app.close()


def test_the_fanout_benchmark_delivers_every_dm_once_under_a_rate_limit(tmp_path):
    """The benchmark's own check (figures aside): a paced fan-out loses and repeats nothing,
    and the dispatcher keeps to the platform's declared limit instead of hammering it."""
    from bench.fanout import run_fanout

    result = run_fanout(
        f"sqlite:///{tmp_path / 'bench.db'}",
        "sqlite",
        members=120,
        rate=200,
        burst=10,
        latency_ms=0,
        whole_seconds=False,
        timeout_s=30,
    )
    assert (result.unique, result.lost, result.duplicates) == (120, 0, 0)
    assert result.statuses == {"sent": 120}
    assert result.refused < 12  # paced to the declared limit, not learning it from 429s


def test_the_quick_next_time_agrees_with_the_listed_times_across_clock_changes():
    """Timers are armed from `next_after` (fast); runs come from `times`: they must agree."""
    from itertools import pairwise

    from bot.features.nudge_times import next_after_of as _next_after
    from bot.features.nudge_times import times_of as _times
    from bot.storage.tables_momentum import Nudge

    for zone_name, rhythm in (
        ("Europe/London", "every day 01:30"),
        ("America/New_York", "every weekday 02:30"),
        ("Europe/London", "every 2 weeks on sunday 01:15"),
    ):
        zone = ZoneInfo(zone_name)
        nudge = Nudge(
            community_id=1,
            text="x",
            when_text=rhythm,
            recurrence=rhythm,
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        listed = _times(nudge, zone)(
            datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
        )
        quick = _next_after(nudge, zone)
        assert quick is not None and len(listed) > 10
        for before, after in pairwise(listed):
            assert quick(before) == after, (zone_name, rhythm, before)
