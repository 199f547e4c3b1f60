"""Pledges: private by default, followed up by DM exactly once per due date, across restarts."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, delete, func, select

from bot.commands import Actor, Inbound
from bot.features.pledges import FollowUpPledge, open_pledge_holders, pledge_counts
from bot.ports import DeliveryError
from bot.scheduling import RunReport
from bot.storage.tables import Activity, JobClaim, Member, OutboxMessage
from bot.storage.tables_wins import Pledge
from bot.storage.uow import UnitOfWork
from tests.conftest import START, community, make_settings

OURS = ("pledge:", "win:")  # idempotency keys of this feature's messages (other features post too)


def _dms(platform, who: str | None = None):
    return [d for d in platform.dms(who) if d.key.startswith(OURS)]


def _posts(platform):
    return [d for d in platform.posts() if d.key.startswith(OURS)]


MEETING = {"dates": ["2026-12-15 14:00"]}  # London = UTC in December
PRIVATE = "Ask every patient about pain before the dressing comes off"


def _pledges(app) -> list[Pledge]:
    with Session(app.engine) as session:
        return list(session.exec(select(Pledge).order_by(Pledge.id)).all())


def _outbox_rows(app) -> int:
    with Session(app.engine) as session:
        return session.exec(select(func.count()).select_from(OutboxMessage)).one()


def _press(someone, delivered, label: str):
    [button] = [b for b in delivered.message.buttons if b.label == label]
    return someone.press(button.action, button.value)


async def test_the_whole_pledge_lifecycle_survives_restarts(make_app, clock, platform, person):
    settings = make_settings(community(meetings=MEETING, pledges={"midpoint_check": True}))
    app = make_app(settings)
    ana = person(app, "Ana")
    saved = ana.says(f"pledge {PRIVATE}")
    assert "only you can see it" in saved
    assert "Tue 15 Dec, 14:00 (the next meeting)" in saved  # the default
    app.close()

    app = make_app(settings)  # restart before anything fell due
    ana = person(app, "Ana")
    await app.advance(START + timedelta(days=7, hours=2, minutes=31))  # midpoint: 8 Dec 11:30
    [halfway] = _dms(platform, "ana")
    assert halfway.message.title == "Halfway to your pledge"
    assert PRIVATE in halfway.text
    await app.advance(START + timedelta(days=14, hours=5, minutes=1))  # 15 Dec 14:01
    due = _dms(platform, "ana")[-1]
    assert due.message.title == "How did your pledge go?"
    assert [b.label for b in due.message.buttons] == [
        "Done",
        "Still working on it",
        "Need help",
        "Let it go",
    ]
    app.close()

    app = make_app(settings)  # restart between the follow-up and the answer
    ana = person(app, "Ana")
    form = _press(ana, due, "Still working on it").form
    assert form is not None and form.form_id == "pledge.renew"
    renewed = ana.submit(form.form_id, form.metadata, when="2027-01-05")
    assert "now due Tue 5 Jan, 09:00" in renewed.message.as_text()
    # No reminder for the answered cycle; the new cycle has its own midpoint and due date.
    await app.advance(START + timedelta(days=35, hours=1))  # 5 Jan 10:00
    titles = [d.message.title for d in _dms(platform, "ana")]
    assert titles == [
        "Halfway to your pledge",
        "How did your pledge go?",
        "Halfway to your pledge",
        "How did your pledge go?",
    ]
    app.close()

    app = make_app(settings)
    ana = person(app, "Ana")
    form = _press(ana, _dms(platform, "ana")[-1], "Done").form
    assert form is not None and form.form_id == "pledge.done"
    assert [f.name for f in form.fields] == ["outcome", "win", "story"]
    done = ana.submit(
        form.form_id,
        form.metadata,
        outcome="Pain scores are in every visit note now",
        win="yes",
        story="yes",
    )
    assert "Well done" in done.message.as_text()
    assert "Pledge #1 is done already" in ana.says("pledges cancel 1")
    await app.advance(START + timedelta(days=60))
    assert len(_dms(platform, "ana")) == 4  # nothing after it was done: no reminder

    [win] = platform.titled("A win to celebrate!")
    assert "Pain scores are in every visit note now" in win.text and "— Ana" in win.text
    assert all(PRIVATE not in d.text for d in platform.posts())
    [pledge] = _pledges(app)
    assert (pledge.status, pledge.story_ok) == ("done", True)
    assert pledge.outcome == "Pain scores are in every visit note now"
    keys = [d.key for d in platform.sent]
    assert len(keys) == len(set(keys))
    assert "done" in ana.says("pledges")


async def test_a_follow_up_goes_out_once_per_due_date_even_when_its_job_fires_twice(
    make_app, clock, platform, person
):
    app = make_app()
    ana = person(app, "Ana")
    ana.cop(f"pledge {PRIVATE} by 2026-12-10")
    [spec] = [s for s in app.timeline.specs() if s.key.startswith("pledge-due:")]
    [fire_time] = spec.occurrences(START, START + timedelta(days=30))
    clock.set(fire_time + timedelta(minutes=1))
    first, second = RunReport(), RunReport()
    app.timeline.run_one(spec, fire_time, first)
    app.timeline.run_one(spec, fire_time, second)  # the timer fires again
    assert first.ran and second.already

    # Even if the claim were lost, the command itself sends nothing twice.
    with UnitOfWork(app.engine) as uow:
        uow.session.execute(delete(JobClaim))
        uow.commit()
    command = FollowUpPledge(pledge_id=1, due_at=fire_time, stage="due")
    for _ in range(2):
        with UnitOfWork(app.engine) as uow:
            app.bus.run_job(uow, 1, command)
            uow.commit()
    second_process = make_app()
    await second_process.advance(START + timedelta(days=11))
    await app.advance(START + timedelta(days=11))
    assert [d.message.title for d in _dms(platform, "ana")] == ["How did your pledge go?"]

    # A new due date is a new follow-up, once.
    assert "now due" in ana.says("pledges renew 1 by 2026-12-20")
    await app.advance(START + timedelta(days=20))
    await second_process.advance(START + timedelta(days=20))
    assert len(_dms(platform, "ana")) == 2


async def test_no_answer_gets_one_gentle_reminder_then_nothing(make_app, platform, person):
    app = make_app(make_settings(community(meetings=MEETING)))
    ana, ben = person(app, "Ana"), person(app, "Ben")
    ana.cop(f"pledge {PRIVATE} by 2026-12-10")
    ben.cop("pledge Try the new leaflet by 2026-12-10")
    await app.advance(START + timedelta(days=9, minutes=1))  # due: no midpoint by default
    assert [d.message.title for d in _dms(platform, "ana")] == ["How did your pledge go?"]
    [bens] = _dms(platform, "ben")
    assert "letting go is part of learning" in _press(ben, bens, "Let it go").message.as_text()

    await app.advance(START + timedelta(days=12, minutes=1))  # 3 days later
    reminder = _dms(platform, "ana")[-1]
    assert reminder.message.title == "A gentle nudge about your pledge"
    assert "only reminder" in (reminder.message.footer or "")
    await app.advance(START + timedelta(days=90))  # past the next meeting and beyond
    assert len(_dms(platform, "ana")) == 2
    assert len(_dms(platform, "ben")) == 1
    assert "due Thu 10 Dec" in ana.says("pledges")  # still open, for the next meeting


async def test_need_help_is_posted_only_as_the_member_chose(make_app, platform, person):
    app = make_app()
    ana, ben, dee = person(app, "Ana"), person(app, "Ben"), person(app, "Dee")
    ana.cop(f"pledge {PRIVATE} by 2026-12-10")
    dee.cop("pledge Visit the tissue viability clinic by 2026-12-10")
    await app.advance(START + timedelta(days=9, minutes=1))
    assert _posts(platform) == []  # nothing is posted without consent
    assert all("pain" not in d.text for d in platform.posts())

    form = _press(ana, _dms(platform, "ana")[0], "Need help").form
    assert form is not None and form.form_id == "pledge.help"
    ana.submit(
        form.form_id,
        form.metadata,
        help="Someone to practise the pain scale with",
        share="anonymous",
    )
    form = _press(dee, _dms(platform, "dee")[0], "Need help").form
    dee.submit(form.form_id, form.metadata, help="A lift to the clinic", share="named")
    again = ana.submit(form.form_id, "1", help="More help", share="named")
    assert "already asked" in again.message.as_text()
    await app.dispatcher.drain()

    anonymous, named = platform.titled("Can anyone help?")
    assert "Someone to practise the pain scale with" in anonymous.text
    assert "a member (asked anonymously)" in anonymous.text
    assert "Ana" not in anonymous.text and PRIVATE not in anonymous.text
    assert "A lift to the clinic" in named.text and "— Dee" in named.text
    assert "tissue viability" not in named.text

    # An offer on the anonymous request is told in the channel: a private message to the
    # asker would name her to anyone holding the database.
    [offer] = anonymous.message.buttons
    thanks = ben.press(offer.action, offer.value).message.as_text()
    assert "said in the channel" in thanks and "Ana" not in thanks
    assert "already offered" in ben.press(offer.action, offer.value).message.as_text()
    assert "your own request" in ana.press(offer.action, offer.value).message.as_text()
    [named_offer] = named.message.buttons
    assert (
        "passed your name on" in ben.press(named_offer.action, named_offer.value).message.as_text()
    )
    await app.dispatcher.drain()
    [told] = platform.titled("An offer of help")
    assert "Ben can help with: Someone to practise the pain scale with" in told.text
    assert told.kind == "post"
    assert not [d for d in _dms(platform, "ana") if d.message.title == "Someone offered to help"]
    [told_dee] = [d for d in _dms(platform, "dee") if d.message.title == "Someone offered to help"]
    assert "Ben would like to help" in told_dee.text
    with Session(app.engine) as session:
        asked = session.exec(select(Activity).where(Activity.kind == "pledge-help")).all()
        assert sorted(a.member_id is None for a in asked) == [False, True]
    # Answering counts: no reminder for either of them.
    await app.advance(START + timedelta(days=20))
    assert not [d for d in _dms(platform) if d.message.title.startswith("A gentle nudge")]


async def test_private_pledge_text_never_reaches_keepers_or_conveners(
    make_app, clock, platform, person
):
    platform.fail_when = lambda kind, target: (
        DeliveryError("DMs are off", transient=False) if target == "ana" else None
    )
    app = make_app(make_settings(community(meetings=MEETING)))
    cora, kit, ana, ben = (person(app, n) for n in ("Cora", "Kit", "Ana", "Ben"))
    ana.cop(f"pledge {PRIVATE}")
    ana.cop(f"pledge {PRIVATE}, for the night shift too by in 3 days")
    ben.cop("pledge Share our leaflet with the GP surgery by 2026-12-20")
    ben.cop("pledge share 3")
    assert "3 open pledges, 1 due this week" in kit.says("pledges")
    refusals = [cora.says("pledges edit 1 Changed"), kit.says("pledges cancel 1")]
    assert all("can't find pledge #1 among yours" in r for r in refusals)
    assert "can't find pledge #2" in cora.says("pledge share 2")

    await app.advance(START + timedelta(days=30))  # follow-ups and reminders fall due
    surfaces = []
    for viewer in (cora, kit, ben):
        for verb in ("pledges", "pledge", "wins", "help", "help pledge", "role", "undelivered"):
            surfaces.append(viewer.says(verb))
    surfaces += [d.text for d in platform.posts()]
    surfaces += [d.text for d in platform.dms() if d.target != "ana"]

    assert "Share our leaflet with the GP surgery" in "\n".join(surfaces)  # shared: visible
    assert "I could not deliver" in surfaces[6]  # Cora's /cop undelivered: titles only
    for surface in surfaces:
        assert "pain before the dressing" not in surface
    keeper_view = kit.says("pledges")
    assert "Across the community" in keeper_view
    assert "3 open pledges, 0 due this week, 3 past their date" in keeper_view
    assert "Across the community" not in ana.says("pledges")
    assert PRIVATE in ana.says("pledges")  # the author sees it


async def test_edit_renew_cancel_and_share_your_own_pledges(make_app, platform, person):
    app = make_app(make_settings(community(meetings=MEETING)))
    ana, ben = person(app, "Ana"), person(app, "Ben")
    response = ana.cop("pledge Try the pain scale")
    [share] = response.message.buttons
    assert "updated" in ana.says("pledges edit 1 Try the pain scale with every patient")
    assert "can't find pledge #1" in ben.says("pledges edit 1 Mine now")
    assert "Shared in the channel" in ana.press(share.action, share.value).message.as_text()
    assert "already shared" in ana.says("pledge share 1")
    await app.dispatcher.drain()
    [post] = _posts(platform)
    assert "Try the pain scale with every patient" in post.text and "— Ana" in post.text

    assert "now due Tue 22 Dec, 09:00" in ana.says("pledges renew 1 by 22 Dec")
    assert "cancelled" in ana.says("pledges cancel 1")
    assert "cancelled already" in ana.says("pledges renew 1 by 23 Dec")
    await app.advance(START + timedelta(days=40))
    assert _dms(platform) == []  # a cancelled pledge is never followed up
    assert "#1 Try the pain scale with every patient — cancelled (shared)" in ana.says("pledges")


async def test_bad_pledge_input_is_refused_and_changes_nothing(make_app, platform, person):
    app = make_app()  # no meetings in the calendar
    ana = person(app, "Ana")
    refusals = {
        "pledge Try something new": "no next meeting in the calendar",
        "pledge Try something new by next meeting": "no next meeting",
        "pledge by 15 Dec": "say what you'll do",
        f"pledge {'x' * 2001} by 15 Dec": "the limit is 2,000",
        "pledge Tell @here about it by 15 Dec": "notify everyone",
        "pledge Try it by yesterday": "in the past",
        "pledge Try it by 31 Feb": "February has no 31st",
        "pledge Cut falls by 10%": "If 'by' is part of your pledge",
        "pledges renew 9 by 15 Dec": "can't find pledge #9",
        "pledges edit 1": "Usage",
        "pledges delete 1": "Usage",
    }
    for command, expected in refusals.items():
        assert expected in ana.says(command), command
    outsider = person(app, "Olu", channel="another-channel")
    assert "isn't set up for this channel" in outsider.says("pledge Try it by 15 Dec")
    stranger = app.handle(
        Inbound(Actor("console", "zed", "Zed", None), "text", text="/cop pledge Try it by 15 Dec")
    )
    assert "which community you mean" in stranger.message.as_text()
    assert _pledges(app) == []
    assert _outbox_rows(app) == 0


async def test_the_community_words_are_used(make_app, person):
    words = {"pledge": "promise", "meeting": "gathering"}
    app = make_app(make_settings(community(words=words)))
    kit, ana = person(app, "Kit"), person(app, "Ana")
    assert "no next gathering" in ana.says("pledge Try it")
    assert "Your promise is saved" in ana.says("pledge Try it by in 2 weeks")
    assert "1 open promise, 0 due this week" in kit.says("pledges")


async def test_figures_for_the_digest_and_nudges_carry_no_text(make_app, person):
    app = make_app(make_settings(community(meetings=MEETING)))
    ana, ben = person(app, "Ana"), person(app, "Ben")
    ana.cop("pledge Call the district nurses by 2026-12-03")
    ana.cop("pledge Try the new leaflet")  # due at the meeting, 15 Dec
    ben.cop("pledge Visit the clinic by 2026-12-05")
    ben.cop("pledges cancel 3")
    with Session(app.engine) as session:
        ana_id = session.exec(select(Member.id).where(Member.platform_user_id == "ana")).one()
        assert open_pledge_holders(session, 1) == {ana_id}
        assert pledge_counts(session, 1, START) == (2, 1, 0)
        assert pledge_counts(session, 1, START + timedelta(days=3)) == (2, 0, 1)
