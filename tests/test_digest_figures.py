"""The digest's figures are true: withdrawn replies, quiet voices, configured roles, polls in
the window, renewed pledges, challenges picked up, and whole ISO weeks in the chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.clock import ManualClock
from bot.domain import digest as rules
from bot.features.digest import build_digest
from bot.storage.tables import Activity, Member
from bot.storage.tables_wins import Pledge
from tests.conftest import community, make_settings

MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")


def _digest(engine, start: datetime, end: datetime, now: datetime | None = None) -> rules.Digest:
    with Session(engine) as session:
        return build_digest(session, 1, start, end, now or end, "x", LONDON)


def _id(engine, user_id: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Member.id).where(Member.platform_user_id == user_id)).one()


async def test_a_withdrawn_reply_no_longer_counts_and_resending_counts_once(
    make_app, person, engine
):
    clock = ManualClock(MONDAY)
    app = make_app(make_settings(), clock=clock)
    cora, ana, ben = person(app, "Cora"), person(app, "Ana"), person(app, "Ben")
    cora.cop("checkin open")
    ana.cop("reply success Fewer missed visits")
    ana.cop("reply withdraw success")
    ben.cop("reply challenge anonymously Letters arrive late")
    ben.cop("reply withdraw challenge")
    digest = _digest(engine, MONDAY, MONDAY + timedelta(days=1))
    assert (digest.active, digest.contributions, digest.anonymous) == (0, 0, 0)
    assert digest.first_timers == ()

    ana.cop("reply success Fewer missed visits, really")
    ben.cop("reply challenge anonymously Letters arrive late")
    ben.cop("reply withdraw challenge")
    ben.cop("reply challenge anonymously Letters arrive very late")
    cora.cop("checkin close")  # anonymous replies are counted at the close, by its day
    midnight = MONDAY.replace(hour=0)
    digest = _digest(engine, midnight, midnight + timedelta(days=1))
    assert (digest.active, digest.contributions, digest.anonymous) == (1, 2, 1)


async def test_quiet_voices_are_those_not_heard_by_name_including_the_never_heard(
    make_app, person, engine
):
    clock = ManualClock(MONDAY)
    app = make_app(make_settings(), clock=clock)
    people = {n: person(app, n) for n in ("Kit", "Ana", "Gus", "Nev", "Ola")}
    for someone in people.values():
        someone.cop("help")
    people["Ola"].cop("skip until 2027-02-01")  # away: not listed
    clock.set(MONDAY + timedelta(days=20))
    people["Ana"].cop("win We cut missed visits")  # named, 20 days in: heard lately
    people["Gus"].cop("win anonymously Letters now arrive on time")  # anonymous only
    clock.set(MONDAY + timedelta(days=26))
    newcomer = person(app, "Hal")  # joined 2 days before the end: too new to be "quiet"
    newcomer.cop("help")
    end = MONDAY + timedelta(days=28)
    digest = _digest(engine, end - timedelta(days=7), end)
    # Cora, the convener named in the settings, never typed: she is listed too.
    assert set(digest.quiet) == {"Gus", "Kit", "Nev", "cora"}

    clock.set(end + timedelta(hours=1))
    text = people["Kit"].says("digest last-week")
    section = text[text.index("Voices we haven't heard lately") :]
    assert "haven't shared anything with their name for 3 weeks or more" in section
    assert "no activity" not in text
    # The anonymous win's author is listed exactly like someone who never spoke.
    assert all(f"  • {name}\n" in section for name in ("Gus", "Kit", "Nev"))
    assert "Ana" not in section and "Ola" not in section and "Hal" not in section


async def test_configured_conveners_and_keepers_are_members_before_they_type(
    make_app, person, platform, engine
):
    clock = ManualClock(MONDAY)
    settings = make_settings(community(welcome={"enabled": True}))
    app = make_app(settings, clock=clock)
    ana = person(app, "Ana")
    roles = ana.says("role")
    assert "Conveners\n  • cora" in roles and "Keepers\n  • kit" in roles
    assert "none yet" not in roles

    # Kit never types: his Monday digest still comes, by private message.
    await app.advance(MONDAY + timedelta(days=7, hours=1))
    digests = [d for d in platform.dms() if d.key.startswith("digest:")]
    assert [d.target for d in digests] == ["kit"]
    assert not [d for d in platform.dms("kit") if d.key.startswith("welcome:")]

    # When he first uses copbot he gets his own name and one welcome.
    kit = person(app, "Kit")
    kit.cop("help")
    kit.cop("help")
    await app.dispatcher.drain()
    assert "Keepers\n  • Kit" in ana.says("role")
    welcomes = [d for d in platform.dms("kit") if d.key.startswith("welcome:")]
    assert len(welcomes) == 1
    with Session(engine) as session:
        kits = session.exec(select(Member).where(Member.platform_user_id == "kit")).all()
        assert len(kits) == 1 and kits[0].is_keeper and kits[0].first_seen_at is not None

    # A restart changes nothing: no second row, the name he gave stays.
    make_app(settings, clock=clock)
    assert "Keepers\n  • Kit" in ana.says("role")


async def test_since_meeting_digest_keeps_older_polls_and_last_week_does_not(
    make_app, person, engine
):
    clock = ManualClock(MONDAY)
    app = make_app(make_settings(), clock=clock)
    cora, kit = person(app, "Cora"), person(app, "Kit")
    assert "set" in cora.says("meeting next 2026-11-05 14:00 Leg ulcers")
    clock.set(datetime(2026, 11, 6, 9, tzinfo=UTC))
    cora.cop('poll open "Which topic next?" "Burns" "Falls"')
    cora.cop("poll close 1")
    clock.set(datetime(2026, 12, 1, 9, tzinfo=UTC))  # the poll closed 25 days ago
    since = kit.says("digest since-meeting")
    assert "Polls" in since and "Which topic next?" in since
    assert "Which topic next?" not in kit.says("digest last-week")


async def test_the_close_recap_lists_every_poll_and_files_successes_apart(
    make_app, person, platform
):
    clock = ManualClock(MONDAY)
    app = make_app(make_settings(), clock=clock)
    cora, ana = person(app, "Cora"), person(app, "Ana")
    cora.cop('poll open "First question?" "A" "B"')
    ana.cop("vote 1 1")
    cora.cop("poll close 1")
    clock.set(MONDAY + timedelta(days=30))
    cora.cop('poll open "Second question?" "C" "D"')
    ana.cop("vote 2 2")
    cora.cop("poll close 2")
    cora.cop("checkin open")
    ana.cop("reply success Fewer missed visits")
    ana.cop("reply learning Photos help wound reviews")
    cora.cop("checkin close")
    ask = cora.cop("close-community").message
    cora.press(ask.buttons[0].action, ask.buttons[0].value)
    await app.dispatcher.drain()
    [recap] = platform.titled("What we made together")
    sections = {s.heading: " ".join(s.items) for s in recap.message.sections}
    assert "First question?" in sections["Votes"] and "Second question?" in sections["Votes"]
    assert "Fewer missed visits" in sections["Successes"]
    assert "Photos help wound reviews" in sections["Shared learning"]
    assert "Fewer missed visits" not in sections["Shared learning"]


def _pledge(engine, member_id: int, **fields) -> None:
    base = {"community_id": 1, "member_id": member_id, "text": "x", "created_at": MONDAY}
    with Session(engine) as session:
        session.add(Pledge(**{**base, "cycle_start": MONDAY, **fields}))
        session.commit()


async def test_pledge_figures_tell_done_from_let_go_and_a_renewal_on_the_due_day_stays_due(
    make_app, person, engine
):
    clock = ManualClock(MONDAY)
    app = make_app(make_settings(), clock=clock)
    ana = person(app, "Ana")
    ana.cop("pledge Try the new dressing by 2026-11-11 09:00")  # Wednesday of the next week
    ana_id = _id(engine, "ana")
    week = datetime(2026, 11, 9, tzinfo=UTC)
    closed = week + timedelta(days=2)
    for status in ("done", "done", "released"):
        _pledge(engine, ana_id, due_at=closed, status=status, closed_at=closed)
    clock.set(datetime(2026, 11, 11, 8, tzinfo=UTC))  # on its due day
    assert "now due" in ana.says("pledges renew 1 by 2026-11-25")
    figures = _digest(engine, week, week + timedelta(days=7)).pledges
    assert (figures.done, figures.let_go, figures.renewed) == (2, 1, 1)
    assert figures.due == 4  # the renewed one and the three closed that week
    # The week it is now due in counts it too; a week before its first due date does not.
    assert _digest(engine, week + timedelta(days=14), week + timedelta(days=21)).pledges.due == 1
    assert _digest(engine, week - timedelta(days=7), week).pledges.due == 0


async def test_renewed_early_a_pledge_is_not_due_in_the_week_it_was_going_to_be(
    make_app, person, engine
):
    clock = ManualClock(MONDAY)
    app = make_app(make_settings(), clock=clock)
    ana = person(app, "Ana")
    ana.cop("pledge Try the new dressing by 2026-11-11 09:00")
    ana.cop("pledges renew 1 by 2026-11-25")  # a week before the week it was due in
    week = datetime(2026, 11, 9, tzinfo=UTC)
    assert _digest(engine, week, week + timedelta(days=7)).pledges.due == 0


async def test_a_problem_proposed_while_the_checkin_is_open_picks_up_the_challenge(
    make_app, person, engine
):
    clock = ManualClock(MONDAY)
    settings = make_settings(community(checkin={"open_for": "2 days", "remind_after": "off"}))
    app = make_app(settings, clock=clock)
    cora, ana, ben = person(app, "Cora"), person(app, "Ana"), person(app, "Ben")
    cora.cop("checkin open")
    ana.cop("reply challenge Discharge letters arrive late.")
    ben.cop("reply challenge Night shift handovers are rushed")
    clock.set(MONDAY + timedelta(days=1))
    cora.cop("propose Discharge letters arrive late: what can we do?")  # still open
    await app.advance(MONDAY + timedelta(days=5))
    digest = _digest(engine, MONDAY, MONDAY + timedelta(days=7), MONDAY + timedelta(days=5))
    assert digest.waiting_challenges == ("Night shift handovers are rushed",)


async def test_a_withdrawn_problem_picks_nothing_up_and_words_match_whole(make_app, person, engine):
    clock = ManualClock(MONDAY)
    settings = make_settings(community(checkin={"open_for": "2 days", "remind_after": "off"}))
    app = make_app(settings, clock=clock)
    cora, ana = person(app, "Cora"), person(app, "Ana")
    cora.cop("checkin open")
    ana.cop("reply challenge Gloves run out")
    await app.advance(MONDAY + timedelta(days=3))  # closed
    cora.cop("propose Gloves run out on night shifts")
    cora.cop("problems withdraw 1")  # taken back: it picks nothing up
    cora.cop("propose Latex gloves run outside the budget")  # 'run out' is not 'run outside'
    await app.advance(MONDAY + timedelta(days=5))
    digest = _digest(engine, MONDAY, MONDAY + timedelta(days=7), MONDAY + timedelta(days=5))
    assert digest.waiting_challenges == ("Gloves run out",)


async def test_setting_a_meeting_topic_tells_the_channel(make_app, person, platform):
    app = make_app()
    cora = person(app, "Cora")
    cora.cop("meeting next 2026-12-10 14:00")
    await app.dispatcher.drain()
    before = len(platform.posts())
    assert "is set" in cora.says("meeting topic 1 Caseload capacity")
    await app.dispatcher.drain()
    [post] = platform.posts()[before:]
    assert post.target == "wound-care"
    assert "Caseload capacity" in post.text and "Thu 10 Dec, 14:00" in post.text


def test_the_chart_covers_eight_whole_iso_weeks_whatever_the_window():
    paris = ZoneInfo("Europe/Paris")
    thursday = datetime(2026, 10, 29, 13, tzinfo=UTC)  # a meeting, clocks went back on 25 Oct
    for start, end in (
        (thursday, thursday + timedelta(days=11, hours=3)),  # since the meeting
        (datetime(2026, 11, 5, 23, tzinfo=UTC), datetime(2026, 11, 12, 23, tzinfo=UTC)),
        (datetime(2026, 11, 8, 23, tzinfo=UTC), datetime(2026, 11, 15, 23, tzinfo=UTC)),
    ):
        bounds = rules.chart_bounds(start, end, paris)
        assert len(bounds) == rules.CHART_WEEKS + 1
        local = [b.astimezone(paris) for b in bounds]
        assert all(b.weekday() == 0 and (b.hour, b.minute) == (0, 0) for b in local)
        assert all((b - a).days == 7 for a, b in pairwise(local))
        assert local[-2] <= end.astimezone(paris) <= local[-1]  # the window's last week, last


async def test_the_digest_chart_bars_are_monday_weeks(make_app, person, engine):
    clock = ManualClock(MONDAY)
    app = make_app(make_settings(), clock=clock)
    kit = person(app, "Kit")
    kit.cop("help")
    kit_id = _id(engine, "kit")
    thursday = datetime(2026, 11, 12, 14, tzinfo=UTC)
    with Session(engine) as session:
        for moment in (thursday - timedelta(days=1), thursday + timedelta(days=2)):
            session.add(Activity(community_id=1, member_id=kit_id, kind="cheered", at=moment))
        session.commit()
    # A window from a Thursday: the Wednesday before it and the Saturday after share a bar.
    end = thursday + timedelta(days=3)  # Sunday
    digest = _digest(engine, thursday, end, end)
    assert digest.weekly[-1] == 1 and sum(digest.weekly) == 1
    assert digest.contributions == 1  # the window's own figures stay its own
