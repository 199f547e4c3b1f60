"""The digest's figures are true: withdrawn replies, quiet voices, configured roles, polls in
the window, renewed pledges, challenges picked up, and whole ISO weeks in the chart; and its
smaller rules: the weekly DM's chart, key and expiry, who gets no DM, the ISO week a keeper's
digest is claimed in, the command's words, kept weeks, and the window's edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.clock import ManualClock
from bot.domain import digest as rules
from bot.domain.chart import participation_png
from bot.features.digest import SendDigest, WeeklyJobSpec
from bot.features.digest_chart import chart_attachment
from bot.features.digest_figures import _keep, build_digest, chart_for, weekly_figures
from bot.storage.tables import Activity, CheckIn, CheckInReply, Meeting, Member, OutboxMessage
from bot.storage.tables_contact import ContactRoute
from bot.storage.tables_meetings import Rsvp, TrioGroup, TrioRotation, TrioSeat
from bot.storage.tables_polls import Poll, PollOption
from bot.storage.tables_stories import ActivityWeek, Story
from bot.storage.tables_wins import Pledge
from bot.storage.uow import UnitOfWork
from tests.conftest import START, community, make_settings

MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")
TOKYO = ZoneInfo("Asia/Tokyo")
#: Monday 9 Nov 08:00 in Tokyo: still Sunday (ISO week 45) in UTC.
OCCURRENCE = datetime(2026, 11, 8, 23, tzinfo=UTC)
PULSE_NAMES = ("Ana", "Ben", "Dee", "Eli", "Fay")


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


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _send(app, member_id: int, community_id: int = 1) -> None:
    with UnitOfWork(app.engine) as uow:
        app.bus.run_job(uow, community_id, SendDigest(member_id, OCCURRENCE))
        uow.commit()
    await app.dispatcher.drain()


def _digests(platform) -> list:
    return [d for d in platform.dms() if d.key.startswith("digest:")]


# ---- the weekly DM -----------------------------------------------------------------------


async def test_the_weekly_dm_carries_the_communitys_chart_in_the_keepers_own_weeks(
    make_app, person, platform, engine
):
    clock = ManualClock(MONDAY)
    app = make_app(make_settings(), clock=clock)
    kit = person(app, "Kit")
    kit.cop("me timezone Asia/Tokyo")
    kit_id = _id(engine, "kit")
    with Session(engine) as session:
        for day in (3, 4):
            moment = datetime(2026, 11, day, 12, tzinfo=UTC)
            session.add(Activity(community_id=1, member_id=kit_id, kind="cheered", at=moment))
        session.commit()
    clock.set(OCCURRENCE)
    await _send(app, kit_id)

    [dm] = _digests(platform)
    assert dm.target == "kit" and dm.key == f"digest:1:{kit_id}:2026-W46"  # Tokyo's week
    start = datetime(2026, 11, 2, tzinfo=TOKYO)  # the 7 Tokyo days before the Monday
    end = start + timedelta(days=7)
    assert "Keeper's digest for wound-care: the week of 2 Nov" in dm.text
    chart = dm.message.attachment
    assert chart is not None and chart.filename == "copbot-wound-care-digest-2026-11-02.png"
    with Session(engine) as session:
        bounds = rules.chart_bounds(start, end, TOKYO)
        figures = weekly_figures(session, 1, bounds, OCCURRENCE)
        expected = chart_attachment(session, 1, "wound-care", bounds, figures, TOKYO)
        [row] = session.exec(select(OutboxMessage).where(OutboxMessage.key == dm.key)).all()
    assert figures[-1] == (1, 2, 0)
    assert chart == expected, "not the community's chart of its 8 weeks, in Tokyo's weeks"
    # Not worth sending a week after its window has ended.
    assert row.expires_at is not None and _utc(row.expires_at) == end + timedelta(days=7)


async def test_no_weekly_dm_for_anyone_but_a_keeper_of_the_community(make_app, person, platform):
    clock = ManualClock(MONDAY)
    settings = make_settings(
        community(),
        community(name="leg-care", channel="leg-care", conveners=["cora"], keepers=["lea"]),
    )
    app = make_app(settings, clock=clock)
    person(app, "Ana").cop("help")  # a member, not a keeper
    ids = _ids(app)
    clock.set(OCCURRENCE + timedelta(hours=13))  # past London's quiet hours
    await _send(app, ids["ana"])
    await _send(app, ids["lea"])  # a keeper, of another community
    await _send(app, 999)  # no such member
    assert _digests(platform) == []
    await _send(app, ids["kit"])
    assert [d.target for d in _digests(platform)] == ["kit"]


def _ids(app) -> dict[str, int]:
    with Session(app.engine) as session:
        return {m.platform_user_id: m.id for m in session.exec(select(Member)).all()}


async def test_no_weekly_dm_when_the_digest_is_turned_off(make_app, person, platform):
    clock = ManualClock(MONDAY)
    app = make_app(make_settings(community(digest={"enabled": False})), clock=clock)
    person(app, "Kit").cop("help")
    clock.set(OCCURRENCE + timedelta(hours=13))
    await _send(app, _ids(app)["kit"])
    assert _digests(platform) == []


def test_a_keepers_digest_is_claimed_once_per_iso_week_of_their_timezone():
    def spec(zone: str | None) -> WeeklyJobSpec:
        return WeeklyJobSpec(
            key="digest:1:1",
            community_id=1,
            times=lambda _start, _end: [],
            make=lambda t: SendDigest(1, t),
            once_per_local_day=zone,
        )

    assert spec("Asia/Tokyo").occurrence_id(OCCURRENCE) == "2026-W46"
    assert spec("America/New_York").occurrence_id(OCCURRENCE) == "2026-W45"
    assert spec(None).occurrence_id(OCCURRENCE) == "2026-W45"  # no timezone: UTC's week
    assert spec(None).occurrence_id(datetime(2026, 1, 5, 12, tzinfo=UTC)) == "2026-W02"


# ---- /cop digest ----------------------------------------------------------------------------


async def test_the_digest_command_in_its_own_words(make_app, person):
    clock = ManualClock(MONDAY)
    app = make_app(make_settings(), clock=clock)
    kit, cora, ana = person(app, "Kit"), person(app, "Cora"), person(app, "Ana")
    assert ana.says("digest") == (
        "The digest is for the community's keepers and conveners. If you'd like to help "
        "weave the community, ask a convener about becoming a keeper."
    )
    assert kit.says("digest since-meeting") == (
        "There hasn't been a meeting yet. Try /cop digest this-week."
    )
    assert "Usage: /cop digest [last-week|this-week|since-meeting]" in kit.says("digest today")
    # Spaces and capitals are forgiven; nothing at all means last week.
    assert "Keeper's digest for wound-care: this week" in kit.says("digest This Week")
    assert "Keeper's digest for wound-care: last week" in kit.says("digest")
    assert "Keeper's digest for wound-care: last week" in kit.says("digest LAST week")
    # A meeting starting this very minute is the meeting the digest counts from.
    assert "set" in cora.says("meeting next 2026-11-05 14:00 Leg ulcers")
    clock.set(datetime(2026, 11, 5, 14, tzinfo=UTC))
    assert "since the meeting on Thu 5 Nov, 14:00" in kit.says("digest since-meeting")


def test_the_participation_chart_has_a_bar_per_local_monday_and_its_title():
    end = datetime(2026, 11, 8, 20, tzinfo=UTC)  # Monday 9 Nov 05:00 in Tokyo, Sunday in UTC
    digest = rules.Digest(
        start=end - timedelta(days=7),
        end=end,
        label="x",
        members=3,
        active=1,
        contributions=2,
        anonymous=0,
        weekly=(0, 1, 0, 2, 3, 1, 0, 1),
    )
    labels = ["21 Sep", "28 Sep", "5 Oct", "12 Oct", "19 Oct", "26 Oct", "2 Nov", "9 Nov"]
    title = "Members taking part, week by week"
    assert chart_for(digest, TOKYO) == participation_png(digest.weekly, labels, title)


# ---- challenges waiting for a response -------------------------------------------------------


def _waiting(engine, now: datetime) -> tuple[str, ...]:
    with Session(engine) as session:
        start = MONDAY.replace(hour=0)
        digest = build_digest(
            session, 1, start, start + timedelta(days=7), now, "x", ZoneInfo("UTC")
        )
    return digest.waiting_challenges


async def test_a_problem_takes_a_challenge_up_wherever_its_words_are(make_app, person, engine):
    clock = ManualClock(MONDAY)
    settings = make_settings(
        community(checkin={"open_for": "2 days", "remind_after": "off"}),
        community(name="leg-care", channel="leg-care", conveners=["lea"], keepers=["lea"]),
    )
    app = make_app(settings, clock=clock)
    cora, ana, ben, dee = (person(app, n) for n in ("Cora", "Ana", "Ben", "Dee"))
    lea = person(app, "Lea", channel="leg-care")
    cora.cop("checkin open")
    ana.cop("reply challenge Gloves run out")
    ben.cop("reply challenge Wound photos are lost")
    dee.cop("reply challenge The bank staff lack training")
    cora.cop("propose Latex gloves run out on night shifts")  # at the opening minute, inside
    clock.set(MONDAY + timedelta(hours=1))
    lea.cop("propose Wound photos are lost")  # the same words, in another community
    cora.cop("propose Training")  # shorter, inside the challenge
    await app.advance(MONDAY + timedelta(days=5))
    assert _waiting(engine, MONDAY + timedelta(days=5)) == ("Wound photos are lost",)


# ---- the chart's kept weeks ------------------------------------------------------------------

WEEK_START = datetime(2026, 11, 2, tzinfo=UTC)
WEEK_END = WEEK_START + timedelta(days=7)


def _figures(engine, now: datetime, community_id: int = 1) -> list[tuple[int, int, int]]:
    with Session(engine) as session:
        found = weekly_figures(session, community_id, [WEEK_START, WEEK_END], now)
        session.commit()
    return found


def _kept(engine) -> list[tuple[int, int, int, int]]:
    with Session(engine) as session:
        rows = session.exec(select(ActivityWeek)).all()
    return sorted((r.community_id, r.active, r.contributions, r.anonymous) for r in rows)


def _activity(engine, member_id: int | None, at: datetime, community_id: int = 1) -> None:
    with Session(engine) as session:
        session.add(Activity(community_id=community_id, member_id=member_id, kind="cheered", at=at))
        session.commit()


async def test_a_week_is_kept_once_it_ended_five_minutes_ago_and_then_read_back(
    make_app, person, engine
):
    app = make_app(make_settings(), clock=ManualClock(MONDAY))
    person(app, "Ana").cop("help")
    ana = _id(engine, "ana")
    _activity(engine, ana, WEEK_START + timedelta(days=1))
    _activity(engine, None, WEEK_START + timedelta(days=2))
    almost = WEEK_END + timedelta(minutes=5) - timedelta(microseconds=1)
    assert _figures(engine, almost) == [(1, 2, 1)]
    assert _kept(engine) == [], "kept before it was surely finished"
    assert _figures(engine, WEEK_END + timedelta(minutes=5)) == [(1, 2, 1)]
    assert _kept(engine) == [(1, 1, 2, 1)]
    # Kept means read back, not counted again (a finished week never changes).
    _activity(engine, ana, WEEK_START + timedelta(days=3))
    assert _figures(engine, WEEK_END + timedelta(days=1)) == [(1, 2, 1)]


async def test_kept_weeks_belong_to_their_community(make_app, person, engine):
    settings = make_settings(community(), community(name="leg-care", channel="leg-care"))
    app = make_app(settings, clock=ManualClock(MONDAY))
    person(app, "Ana").cop("help")
    _activity(engine, _id(engine, "ana"), WEEK_START + timedelta(days=1))
    for _ in range(3):
        _activity(engine, None, WEEK_START + timedelta(days=1), community_id=2)
    later = WEEK_END + timedelta(days=1)
    assert _figures(engine, later, community_id=2) == [(0, 3, 3)]
    assert _figures(engine, later, community_id=1) == [(1, 1, 0)]
    assert _kept(engine) == [(1, 1, 1, 0), (2, 0, 3, 3)]


async def test_a_week_another_process_kept_meanwhile_is_not_an_error(make_app, engine):
    make_app(make_settings(), clock=ManualClock(MONDAY))
    for figures in ((1, 2, 0), (1, 3, 0)):
        with Session(engine) as session:
            _keep(session, 1, WEEK_START, WEEK_END, figures)
            session.commit()
    assert _kept(engine) == [(1, 1, 2, 0)], "the first kept figures stay"


# ---- who counts, at the window's edges ------------------------------------------------------


async def test_the_windows_edges_for_members_first_timers_and_quiet_voices(
    make_app, person, engine
):
    """Window [Nov 23, Nov 30); quiet means nothing with a name since Nov 9 00:00."""
    start, end = datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)
    quiet_since = end - timedelta(weeks=3)
    clock = ManualClock(MONDAY)
    app = make_app(make_settings(), clock=clock)
    for name in ("Ann", "Bo", "Di", "Flo"):
        person(app, name).cop("help")  # joined on Nov 2
    clock.set(quiet_since + timedelta(hours=10))
    person(app, "Cy").cop("help")  # joined on Nov 9: a member for 3 weeks, can be quiet
    clock.set(quiet_since + timedelta(days=1))
    person(app, "Gil").cop("help")  # not quite 3 weeks (joining is by the day): too new
    clock.set(end + timedelta(hours=10))
    person(app, "Ed").cop("help")  # joins the day the window ends: not counted
    ids = _ids(app)
    _activity(engine, ids["ann"], start)  # her first ever, at the first moment: a first-timer
    _activity(engine, ids["bo"], end)  # just after the window: not heard in it
    _activity(engine, ids["di"], quiet_since)  # heard exactly 3 weeks before the end
    _activity(engine, ids["flo"], quiet_since - timedelta(microseconds=1))  # just before
    _activity(engine, ids["flo"], end - timedelta(microseconds=1))  # and again, at the end
    with Session(engine) as session:
        digest = build_digest(session, 1, start, end, end + timedelta(hours=1), "x", LONDON)
    assert digest.members == 8  # Ann, Bo, Cy, Di, Flo, Gil, and the configured Cora and Kit
    assert (digest.active, digest.contributions) == (2, 2)  # Ann and Flo
    assert digest.first_timers == ("Ann",)  # Flo had spoken before; Bo only after
    assert digest.quiet == ("Bo", "Cy", "cora", "kit")


# ---- pledges, check-ins, challenges and stories at the window's edges -------------------------

EDGE_START, EDGE_END = datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def _edge_digest(engine, now: datetime) -> rules.Digest:
    with Session(engine) as session:
        return build_digest(session, 1, EDGE_START, EDGE_END, now, "x", LONDON)


def _two_communities(make_app, person, engine):
    settings = make_settings(community(), community(name="leg-care", channel="leg-care"))
    app = make_app(settings, clock=ManualClock(MONDAY))
    person(app, "Ana").cop("help")
    person(app, "Lea", channel="leg-care").cop("help")
    return _id(engine, "ana"), _ids(app)


async def test_pledge_figures_count_from_the_first_moment_up_to_the_last(make_app, person, engine):
    ana, _ = _two_communities(make_app, person, engine)
    s, e, far = EDGE_START, EDGE_END, EDGE_START - timedelta(days=30)
    later = e + timedelta(days=7)
    pledges = [  # (community, created, due, previous due, cycle start, status, closed)
        (1, s, s, None, s, "done", s),  # made, due and done, all at the first moment
        (1, e, e, None, e, "released", e),  # all at the end: none of it in the window
        (1, far, e - TICK, None, far, "released", e - TICK),  # due and let go at the last
        (1, far, s + TICK, None, far, "cancelled", s),  # cancelled: never due
        (1, far, later, s, s, "open", None),  # renewed in the window from a due date in it
        (1, far, later, e, s, "open", None),  # its replaced due date was after the window
        (1, far, later, s + TICK, s - TICK, "open", None),  # renewed before the window
        (1, far, far, None, far, "done", e),  # done just after the window
        (1, far, far, None, far, "released", s - TICK),  # let go just before it
        (2, s, s, None, s, "done", s),  # another community's
    ]
    with Session(engine) as session:
        for cid, made, due, previous, cycle, status, closed in pledges:
            session.add(
                Pledge(
                    community_id=cid,
                    member_id=ana,
                    text="x",
                    created_at=made,
                    due_at=due,
                    previous_due_at=previous,
                    cycle_start=cycle,
                    status=status,
                    closed_at=closed,
                )
            )
        for cid, kind, moment in (
            (1, "pledge-renewed", s),
            (1, "pledge-renewed", s - TICK),
            (1, "pledge-renewed", e),
            (2, "pledge-renewed", s),
            (1, "pledged", s),
        ):
            session.add(Activity(community_id=cid, member_id=ana, kind=kind, at=moment))
        session.commit()
    figures = _edge_digest(engine, e).pledges
    assert figures == rules.PledgeFigures(made=1, due=3, done=1, renewed=1, let_go=1)


def _checkins(engine, ana: int) -> None:
    s, e = EDGE_START, EDGE_END
    checkins = [  # (community, opened, closed, replies)
        (
            1,
            s - timedelta(days=2),
            s,
            [("success", "Fewer falls"), ("challenge", "Gloves run out")],
        ),
        (1, e - timedelta(days=1), e, [("learning", "Photos help"), ("challenge", "Beds short")]),
        (2, s, s + timedelta(days=1), [("success", "Elsewhere"), ("challenge", "Not ours")]),
        (1, e - timedelta(hours=1), None, [("challenge", "Still open")]),
        (1, s - timedelta(days=3), s - TICK, [("learning", "Before"), ("challenge", "Too early")]),
        (2, s, s + timedelta(days=2), [("learning", "Also not ours")]),
    ]
    with Session(engine) as session:
        for cid, opened, closed, replies in checkins:
            checkin = CheckIn(
                community_id=cid,
                question="How did it go?",
                opened_at=opened,
                closes_at=closed or e + timedelta(days=1),
                closed_at=closed,
            )
            session.add(checkin)
            session.flush()
            for n, (kind, text) in enumerate(replies):
                session.add(
                    CheckInReply(
                        checkin_id=checkin.id,
                        author_key=f"k{n}",
                        member_id=ana,
                        kind=kind,
                        text=text,
                    )
                )
        session.commit()


async def test_checkins_closed_in_the_window_and_their_challenges_wait_two_days(
    make_app, person, engine
):
    ana, _ = _two_communities(make_app, person, engine)
    _checkins(engine, ana)
    digest = _edge_digest(engine, EDGE_START + timedelta(hours=48))
    assert digest.checkins_closed == 1
    assert dict(digest.replies) == {"success": 1, "challenge": 1}
    assert digest.waiting_challenges == ("Gloves run out",)  # closed 48 hours ago, exactly
    not_yet = _edge_digest(engine, EDGE_START + timedelta(hours=48) - TICK)
    assert not_yet.waiting_challenges == ()
    # Long after: still only the window's own, never another community's.
    later = _edge_digest(engine, EDGE_END + timedelta(days=3))
    assert later.waiting_challenges == ("Gloves run out",)


async def test_stories_of_the_window_in_the_order_they_were_told(make_app, person, engine):
    ana, ids = _two_communities(make_app, person, engine)
    s, e = EDGE_START, EDGE_END
    stories = [  # (community, member, cycle, consent, told)
        (1, ana, "applied", "named", s),
        (1, ana, "potential", "named", e),
        (1, None, "realised", "anonymous", e - TICK),
        (1, ana, "immediate", "no", s + TICK),
        (1, ana, "reframing", "anonymous", s + 2 * TICK),
        (2, ids["lea"], "applied", "named", s + TICK),
    ]
    with Session(engine) as session:
        for cid, member, cycle, consent, told in stories:
            session.add(
                Story(
                    community_id=cid,
                    member_id=member,
                    what=f"We tried {cycle}",
                    difference=f"{cycle} difference",
                    cycle=cycle,
                    consent=consent,
                    created_at=told,
                )
            )
        session.commit()
    digest = _edge_digest(engine, e)
    assert dict(digest.stories) == {"applied": 1, "realised": 1, "immediate": 1, "reframing": 1}
    assert digest.quotes == (
        rules.quote("We tried applied", "applied difference", "Ana"),
        rules.quote("We tried reframing", "reframing difference", None),
        rules.quote("We tried realised", "realised difference", None),
    )


async def test_going_per_meeting_over_the_charts_weeks_and_the_next_meeting(
    make_app, person, engine
):
    _ana, ids = _two_communities(make_app, person, engine)
    chart_start = EDGE_END - timedelta(weeks=8)  # Mon 5 Oct 00:00
    meetings = [  # (community, starts, going)
        (1, chart_start - timedelta(hours=1), 1),  # before the chart's first week
        (1, chart_start, 1),
        (1, datetime(2026, 11, 26, 14, tzinfo=UTC), 2),
        (1, datetime(2026, 12, 10, 14, tzinfo=UTC), 1),  # the next one: "so far"
        (1, datetime(2026, 12, 24, 14, tzinfo=UTC), 1),  # after the next one
        (2, datetime(2026, 11, 26, 15, tzinfo=UTC), 3),  # another community's
    ]
    with Session(engine) as session:
        for cid, starts, going in meetings:
            meeting = Meeting(community_id=cid, starts_at=starts, topic=f"Topic {starts:%d %b}")
            session.add(meeting)
            session.flush()
            for who in list(ids.values())[:going]:
                session.add(
                    Rsvp(
                        community_id=cid,
                        meeting_id=meeting.id,
                        member_id=who,
                        answer="going",
                        answered_at=MONDAY,
                    )
                )
        session.commit()
    digest = _edge_digest(engine, EDGE_END + timedelta(hours=1))
    assert [(_utc(at), n) for at, n in digest.going] == [
        (chart_start, 1),
        (datetime(2026, 11, 26, 14, tzinfo=UTC), 2),
        (datetime(2026, 12, 10, 14, tzinfo=UTC), 1),
    ]
    assert digest.next_meeting is not None
    assert _utc(digest.next_meeting) == datetime(2026, 12, 10, 14, tzinfo=UTC)
    assert digest.next_topic == "Topic 10 Dec"
    # Nothing planned any more: the chart's weeks only.
    after_all = _edge_digest(engine, datetime(2027, 1, 4, tzinfo=UTC))
    assert (after_all.next_meeting, after_all.next_topic) == (None, None)
    assert [n for _, n in after_all.going] == [1, 2]


async def test_co_consulting_groups_formed_in_the_window_and_those_that_met(
    make_app, person, engine
):
    ana, ids = _two_communities(make_app, person, engine)
    s, e = EDGE_START, EDGE_END
    with Session(engine) as session:
        for cid in (1, 2):
            rotation = TrioRotation(community_id=cid, started_at=s, next_round_at=e)
            session.add(rotation)
            session.flush()
            for formed, met in ((s, "yes"), (e - TICK, "not_yet"), (e, "yes"), (s - TICK, "yes")):
                group = TrioGroup(
                    rotation_id=rotation.id, round_number=1, formed_at=formed, check_at=e
                )
                session.add(group)
                session.flush()
                member = ana if cid == 1 else ids["lea"]
                session.add(TrioSeat(group_id=group.id, member_id=member, met=met))
        session.commit()
    assert _edge_digest(engine, e).groups == (2, 1)


async def test_polls_closed_in_the_last_fourteen_days_are_in_a_weeks_digest(
    make_app, person, engine
):
    _two_communities(make_app, person, engine)
    now = EDGE_END + timedelta(hours=1)
    with Session(engine) as session:
        for question, closed in (
            ("Still open?", None),
            ("Closed a fortnight ago?", now - timedelta(days=14)),
            ("Closed longer ago?", now - timedelta(days=14) - TICK),
        ):
            poll = Poll(
                community_id=1,
                question=question,
                method="single",
                opened_at=now - timedelta(days=20),
                closes_at=closed or now + timedelta(days=3),
                closed_at=closed,
                outcome="winner" if closed else None,
                winner=1 if closed else None,
                result={"ballots": 2, "members": 3} if closed else None,
            )
            session.add(poll)
            session.flush()
            session.add(PollOption(poll_id=poll.id, number=1, label="Yes"))
            session.add(PollOption(poll_id=poll.id, number=2, label="No"))
        session.commit()
    polls = " ".join(_edge_digest(engine, now).polls)
    assert "Still open?" in polls and "Closed a fortnight ago?" in polls
    assert "Closed longer ago?" not in polls


# ---- the weekly schedule -----------------------------------------------------------------------


async def test_a_digest_missed_by_more_than_two_days_is_skipped_and_one_less_late_is_sent(
    make_app, person, platform
):
    clock = ManualClock(MONDAY)
    app = make_app(make_settings(), clock=clock)
    person(app, "Kit").cop("help")
    # copbot was down from before Monday 9 Nov 09:00 until Thursday: too late for that one.
    clock.set(datetime(2026, 11, 12, 10, tzinfo=UTC))
    await app.advance(clock.now())
    assert _digests(platform) == []
    # Down again over Monday 16 Nov, back on Tuesday morning: still in time.
    clock.set(datetime(2026, 11, 17, 8, tzinfo=UTC))
    await app.advance(clock.now())
    assert [d.key.rsplit(":", 1)[1] for d in _digests(platform)] == ["2026-W47"]


async def test_a_community_with_the_digest_off_does_not_stop_the_next_ones(
    make_app, person, platform
):
    settings = make_settings(
        community(digest={"enabled": False}),
        community(name="leg-care", channel="leg-care", conveners=["lea"], keepers=["lea"]),
    )
    clock = ManualClock(MONDAY)
    app = make_app(settings, clock=clock)
    await app.advance(datetime(2026, 11, 9, 10, tzinfo=UTC))
    assert [d.target for d in _digests(platform)] == ["lea"]


async def test_a_keeper_who_moves_timezone_still_gets_the_next_weeks_digest(
    make_app, person, platform
):
    """Claimed by the keeper's own ISO week: Monday 08:00 in Tokyo is still Sunday in UTC,
    the UTC week of the Monday digest they had in Los Angeles."""
    clock = ManualClock(MONDAY)
    app = make_app(make_settings(community(digest={"at": "08:00"})), clock=clock)
    kit = person(app, "Kit")
    kit.cop("me timezone America/Los_Angeles")
    await app.advance(datetime(2026, 11, 10, tzinfo=UTC))  # past Monday 9 Nov 08:00 in LA
    assert [d.key.rsplit(":", 1)[1] for d in _digests(platform)] == ["2026-W45", "2026-W46"]
    kit.cop("me timezone Asia/Tokyo")
    await app.advance(datetime(2026, 11, 16, tzinfo=UTC))  # past Monday 16 Nov 08:00 in Tokyo
    weeks = [d.key.rsplit(":", 1)[1] for d in _digests(platform)]
    assert weeks == ["2026-W45", "2026-W46", "2026-W47"]


async def test_the_weeks_wins_are_in_its_digest_and_others_are_not(make_app, person, engine):
    clock = ManualClock(EDGE_START - timedelta(hours=1))
    app = make_app(make_settings(), clock=clock)
    ana = person(app, "Ana")
    ana.cop("win Before the week")
    clock.set(EDGE_START + timedelta(days=1))
    ana.cop("win We cut missed visits by a third")
    ana.cop("win anonymously Letters now arrive on time")
    clock.set(EDGE_END)
    ana.cop("win After the week")
    wins = _edge_digest(engine, EDGE_END + timedelta(hours=1)).wins
    assert len(wins) == 2
    assert "We cut missed visits by a third" in wins[0] and "Ana" in wins[0]
    assert "Letters now arrive on time" in wins[1] and "Ana" not in wins[1]


async def test_only_keepers_see_the_quiet_voices_in_the_digest(make_app, person):
    clock = ManualClock(MONDAY)
    app = make_app(make_settings(), clock=clock)
    kit, cora = person(app, "Kit"), person(app, "Cora")
    kit.cop("help")
    clock.set(MONDAY + timedelta(weeks=4))
    assert "Voices we haven't heard lately" in kit.says("digest")
    convener = cora.says("digest")
    assert "Keeper's digest for wound-care" in convener
    assert "Voices we haven't heard lately" not in convener and "Kit" not in convener


async def test_a_keeper_added_later_gets_no_digest_for_a_week_before_they_joined(
    make_app, person, platform
):
    clock = ManualClock(MONDAY.replace(hour=8))
    make_app(make_settings(), clock=clock)
    clock.set(datetime(2026, 11, 3, 10, tzinfo=UTC))  # Tuesday: Kim becomes a keeper too
    app = make_app(make_settings(community(keepers=["kit", "kim"])), clock=clock)
    await app.advance(clock.now())  # the start-up look-back covers Monday 2 Nov 09:00
    assert [d.target for d in _digests(platform)] == ["kit"]


async def test_members_are_this_communitys_and_not_invitees_yet_to_confirm(
    make_app, person, engine
):
    _two_communities(make_app, person, engine)
    with Session(engine) as session:
        for uid, name, verified in (("member:ivy", "Ivy", None), ("member:jo", "Jo", MONDAY)):
            member = Member(
                community_id=1,
                platform_user_id=uid,
                display_name=name,
                timezone="Europe/London",
                joined_at=MONDAY.replace(hour=0),
            )
            session.add(member)
            session.flush()
            session.add(
                ContactRoute(
                    member_id=member.id,
                    community_id=1,
                    address=f"{name.lower()}@example.org",
                    invited_at=MONDAY,
                    verified_at=verified,
                )
            )
        session.commit()
    digest = _edge_digest(engine, EDGE_END)
    # Ana, Jo (confirmed by email) and the configured Cora and Kit; not Ivy, not Lea.
    assert digest.members == 4
    assert digest.quiet == ("Ana", "Jo", "cora", "kit")


async def test_the_latest_pulse_results_close_the_digest_comments_for_keepers_only(
    make_app, platform, person
):
    app = make_app()
    cora, kit = person(app, "Cora"), person(app, "Kit")
    people = [person(app, n) for n in PULSE_NAMES[:5]]
    for p in (kit, *people):
        p.cop("help")
    cora.cop("goals set Fewer missed visits")
    assert "I've asked" in cora.says("pulse goals")
    await app.dispatcher.drain()
    ask = platform.titled("How far did we get towards our goals?")[0]
    pulse_id = ask.message.buttons[0].value
    goal = people[0].press("pulse.start", pulse_id).form.fields[0].name
    for p, value in zip(people, (5, 4, 4, 3, 2), strict=True):
        p.submit("pulse.answer", pulse_id, **{goal: str(value)})
    people[0].submit("pulse.answer", pulse_id, **{goal: "3", "text": "Visits are better planned"})
    await app.advance(START + timedelta(days=8))
    keeper = kit.says("digest this-week")
    assert "Fewer missed visits: 3.2 of 5 (5 answers)" in keeper
    assert "Visits are better planned" in keeper
    assert keeper.index("Keeper's digest") < keeper.index("Fewer missed visits: 3.2 of 5")
    convener = cora.says("digest this-week")
    assert "3.2 of 5" in convener and "Visits are better planned" not in convener
