"""Pledges: private by default, followed up by DM exactly once per due date, across restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, delete, func, select

from bot.commands import Actor, Inbound
from bot.features.pledge_commands import FollowUpPledge
from bot.features.pledge_rows import open_pledge_holders, pledge_counts
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
        f"pledge {'x' * 2001} by 15 Dec": "Your pledge is 2,001 characters long; the limit",
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


# ---- what a member sees at each step ------------------------------------------------------


def _follow_up_dm(app, platform, person, name: str = "Ana"):
    """`name` pledges something due 10 Dec; the due-date follow-up they get."""
    someone = person(app, name)
    someone.cop(f"pledge {PRIVATE} by 2026-12-10")
    return someone


async def test_a_saved_pledge_says_when_it_will_be_followed_up_and_offers_sharing(make_app, person):
    app = make_app(make_settings(community(meetings=MEETING)))
    ana = person(app, "Ana")
    message = ana.cop("pledge Try the pain scale by 2026-12-10").message
    assert message.title == "Your pledge is saved (#1)"
    assert message.sections[0].text == "Try the pain scale"
    assert message.sections[1].text == (
        "It's private: only you can see it. I'll ask you how it went on Thu 10 Dec, 09:00. "
        "Sharing it with the community can help you keep it."
    )
    assert [(b.label, b.action, b.value) for b in message.buttons] == [
        ("Share it with the community", "pledge.share", "1")
    ]
    assert message.footer == "/cop pledges lists yours (edit, renew or cancel them there)."
    assert "(the next meeting)." in ana.says("pledge Try the leaflet")


async def test_your_list_shows_open_pledges_by_date_then_closed_ones(make_app, clock, person):
    app = make_app(make_settings(community(meetings=MEETING)))
    ana, kit = person(app, "Ana"), person(app, "Kit")
    ana.cop("pledge Try the leaflet by 2026-12-20")
    ana.cop("pledge Call the district nurses by 2026-12-05")
    ana.cop("pledge Visit the clinic by 2026-12-03")
    ana.cop("pledge Ask about pain by 2026-12-20")
    ana.cop("pledges cancel 3")
    message = ana.cop("pledges").message
    assert message.title == "Pledges"
    [mine] = message.sections
    assert mine.heading == "Your pledges (only you see them)"
    assert mine.items == (
        "#2 Call the district nurses — due Sat 5 Dec, 09:00 (private)",
        "#1 Try the leaflet — due Sun 20 Dec, 09:00 (private)",
        "#4 Ask about pain — due Sun 20 Dec, 09:00 (private)",
        "#3 Visit the clinic — cancelled (private)",
    )
    assert message.footer == (
        "/cop pledges edit <number> <text> · renew <number> by <when> · "
        "cancel <number> · share <number>"
    )
    keeper = kit.cop("pledges").message
    assert keeper.sections[0].text == ("You have no pledges yet. Make one with /cop pledge <text>.")
    assert keeper.sections[1].heading == "Across the community"
    assert keeper.sections[1].text == (
        "3 open pledges, 1 due this week. "
        "Pledges are private: you see how many, never what they say."
    )
    clock.set(START + timedelta(days=4, hours=1))  # Sat 5 Dec 10:00
    assert "3 open pledges, 0 due this week, 1 past its date." in kit.says("pledges")
    assert "Across the community" not in ana.says("pledges")


async def test_pledge_counts_include_a_due_date_exactly_a_week_or_no_time_away(make_app, person):
    app = make_app()
    ana = person(app, "Ana")
    ana.cop("pledge Call the district nurses by 2026-12-08")  # 09:00, a week after START
    with Session(app.engine) as session:
        assert pledge_counts(session, 1, START) == (1, 1, 0)
        assert pledge_counts(session, 1, START + timedelta(days=7)) == (1, 0, 1)
        assert pledge_counts(session, 1, START - timedelta(seconds=1)) == (1, 0, 0)


async def test_the_forms_behind_the_follow_up_buttons(make_app, platform, person):
    from bot.messages import Choice, Form, FormField

    app = make_app()
    ana = _follow_up_dm(app, platform, person)
    await app.advance(START + timedelta(days=9, minutes=1))
    [due] = _dms(platform, "ana")
    yes_no = (Choice(value="yes", label="yes"), Choice(value="no", label="no"))
    assert _press(ana, due, "Done").form == Form(
        form_id="pledge.done",
        title="Pledge done",
        fields=(
            FormField(name="outcome", label="What happened?", kind="long_text", max_length=2000),
            FormField(
                name="win",
                label="Share what happened in the channel as a win?",
                kind="choice",
                choices=yes_no,
                initial="no",
            ),
            FormField(
                name="story",
                label="May we ask you later about using it as a story of what our "
                "community makes possible?",
                kind="choice",
                choices=yes_no,
                initial="no",
            ),
        ),
        metadata="1",
    )
    assert _press(ana, due, "Still working on it").form == Form(
        form_id="pledge.renew",
        title="A new date",
        fields=(
            FormField(
                name="when",
                label="Your new date (e.g. 15 Jan, in 3 weeks, next meeting)",
                initial="next meeting",
            ),
        ),
        metadata="1",
    )
    assert _press(ana, due, "Need help").form == Form(
        form_id="pledge.help",
        title="Ask for help",
        fields=(
            FormField(
                name="help",
                label="What help would make a difference?",
                kind="long_text",
                max_length=2000,
            ),
            FormField(
                name="share",
                label="Post my request in the channel",
                kind="choice",
                choices=(
                    Choice(value="named", label="with my name"),
                    Choice(value="anonymous", label="anonymously"),
                ),
                initial="named",
            ),
        ),
        metadata="1",
        submit_label="Post it",
    )


async def test_a_long_word_for_pledge_still_fits_the_form_title(make_app, person):
    words = {"pledge": "practice commitment", "win": "bright spot"}
    app = make_app(make_settings(community(words=words)))
    ana = person(app, "Ana")
    ana.cop("pledge Try the leaflet by 2026-12-10")
    form = ana.press("pledge.done", "1").form
    assert form is not None and form.title == "Practice commitment done"
    assert form.fields[1].label == "Share what happened in the channel as a bright spot?"
    words = {"pledge": "practice-change commitment"}
    app = make_app(make_settings(community(words=words)))
    form = person(app, "Ana").press("pledge.done", "1").form
    assert form is not None and form.title == "Practice-change commitme"  # 24 at most


async def test_what_you_are_told_when_you_say_it_is_done(make_app, platform, person):
    app = make_app()
    ana = person(app, "Ana")
    for thing in ("Try the leaflet", "Ask about pain", "Visit the clinic", "Call the GP"):
        ana.cop(f"pledge {thing} by 2026-12-10")
    said = {
        ("yes", "no"): "Well done! Pledge #1 is done. "
        "What happened is posted in the channel as win #1.",
        ("no", "yes"): "Well done! Pledge #2 is done. "
        "Thank you: we'll ask you before using it as a story.",
        ("no", "no"): "Well done! Pledge #3 is done.",
    }
    for number, ((win, story), expected) in enumerate(said.items(), start=1):
        done = ana.submit("pledge.done", str(number), outcome="It helped", win=win, story=story)
        assert done.message.as_text() == expected
    empty = ana.submit("pledge.done", "4", outcome="  ", win="no", story="no")
    assert "What happened is empty" in empty.message.as_text()
    assert [p.story_ok for p in _pledges(app)][:3] == [False, True, False]
    assert [p.status for p in _pledges(app)] == ["done", "done", "done", "open"]
    assert all(p.closed_at == START for p in _pledges(app)[:3])


async def test_a_private_outcome_is_not_checked_for_patient_details_a_shared_one_is(
    make_app, platform, person
):
    app = make_app()
    ana = person(app, "Ana")
    ana.cop("pledge Try the leaflet by 2026-12-10")
    ana.cop("pledge Call families by 2026-12-10")
    outcome = "Mrs Patel on 07700 900123 loved it"
    held = ana.submit("pledge.done", "1", outcome=outcome, win="yes", story="no")
    assert "a phone number" in held.message.as_text()
    assert [p.status for p in _pledges(app)] == ["open", "open"]
    told = ana.submit("pledge.done", "2", outcome=outcome, win="no", story="no")
    assert told.message.as_text() == "Well done! Pledge #2 is done."
    await app.dispatcher.drain()
    assert _posts(platform) == []


async def test_asking_for_help_says_how_it_was_posted(make_app, platform, person):
    app = make_app()
    ana, ben = person(app, "Ana"), person(app, "Ben")
    ana.cop("pledge Try the leaflet by 2026-12-10")
    ben.cop("pledge Call families by 2026-12-10")
    named = ana.submit("pledge.help", "1", help="A lift to the clinic")  # named by default
    assert named.message.as_text() == (
        "Your request is posted in the channel with your name (your pledge itself "
        "stays private). I'll tell you privately if someone offers to help."
    )
    anonymous = ben.submit("pledge.help", "2", help="Someone to practise with", share="anonymous")
    assert anonymous.message.as_text() == (
        "Your request is posted in the channel anonymously (your pledge itself stays "
        "private). Anyone who can help will say so in the channel, so nothing links the "
        "request to you."
    )
    odd = ana.submit("pledge.help", "1", help="More", share="everyone")
    assert odd.message.as_text() == (
        "Please choose whether to post it with your name or anonymously."
    )
    await app.dispatcher.drain()
    [post, _] = platform.titled("Can anyone help?")
    assert post.key == "pledge:1:help:20261210T0900Z"
    assert "— Ana, working on a pledge" in post.text
    [pledge, _] = _pledges(app)
    assert (pledge.help_text, pledge.help_anonymous, pledge.help_asked_at) == (
        "A lift to the clinic",
        False,
        START,
    )
    assert pledge.answered_at == START  # asking for help answers the follow-up


async def test_an_offer_on_a_request_that_is_no_longer_open_is_refused(make_app, platform, person):
    app = make_app()
    ana, ben = person(app, "Ana"), person(app, "Ben")
    ana.cop("pledge Try the leaflet by 2026-12-10")
    ana.cop("pledge Call families by 2026-12-10")
    refused = "That request isn't open any more. Thank you for offering!"
    assert ben.press("pledge.offer", "1").message.as_text() == refused  # no help asked yet
    ana.submit("pledge.help", "1", help="A lift to the clinic")
    assert ben.press("pledge.offer", "9").message.as_text() == refused
    ana.press("pledge.letgo", "1")
    assert ben.press("pledge.offer", "1").message.as_text() == refused
    assert "Pledge #1 is let go already." in ana.says("pledges cancel 1")
    await app.dispatcher.drain()
    assert not [d for d in _dms(platform, "ana") if d.message.title == "Someone offered to help"]


async def test_edit_renew_and_cancel_answers(make_app, platform, person):
    app = make_app(make_settings(community(meetings=MEETING)))
    ana = person(app, "Ana")
    ana.cop("pledge Try the leaflet by 2026-12-10")
    assert ana.says("pledges edit 1 Try the new leaflet") == "Pledge #1 is updated."
    ana.cop("pledge share 1")
    assert ana.says("pledges edit 1 Try the newest leaflet") == (
        "Pledge #1 is updated. (The message already in the channel stays as it was.)"
    )
    assert ana.says("pledges renew 1") == (  # no date: the next meeting
        "Keep going! Pledge #1 is now due Tue 15 Dec, 14:00; I'll ask you then."
    )
    [pledge] = _pledges(app)
    assert (pledge.text, pledge.previous_due_at, pledge.cycle_start) == (
        "Try the newest leaflet",
        datetime(2026, 12, 10, 9, 0, tzinfo=UTC),
        START,
    )
    refused = ana.says("pledges renew 1 by 31 Feb")
    assert "February has no 31st" in refused and "If 'by'" not in refused
    assert ana.says("pledges Cancel 1") == "Pledge #1 is cancelled."
    with Session(app.engine) as session:
        kinds = session.exec(select(Activity.kind).order_by(Activity.id)).all()
    assert kinds == ["pledged", "pledge-shared", "pledge-renewed"]


async def test_pledge_commands_that_are_not_quite_right(make_app, person):
    app = make_app(make_settings(community(meetings=MEETING)))
    ana = person(app, "Ana")
    assert "no pledges yet" in ana.says("pledge")
    saved = ana.says("pledge share the leaflet with the GP by 2026-12-10")
    assert "Your pledge is saved (#1)" in saved and "share the leaflet with the GP" in saved
    for command in ("pledges cancel 1 now", "pledges share 1 now", "pledges edit one Try"):
        assert "Usage" in ana.says(command), command
    assert "no pledges yet" not in ana.says("pledges")
    assert [p.status for p in _pledges(app)] == ["open"]


async def test_follow_ups_only_go_out_when_they_still_make_sense(make_app, platform, person):
    """A follow-up job run out of turn (a timer from before a change) sends nothing."""
    app = make_app()
    _follow_up_dm(app, platform, person)
    due_at = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)

    def run(stage: str, due: datetime = due_at) -> None:
        with UnitOfWork(app.engine) as uow:
            app.bus.run_job(uow, 1, FollowUpPledge(pledge_id=1, due_at=due, stage=stage))
            uow.commit()

    run("reminder")  # no due-date follow-up yet: nothing to remind of
    run("due", due_at + timedelta(days=1))  # a due date the pledge no longer has
    run("due")
    run("midpoint")  # the due date has been asked about already
    run("due")  # once
    await app.dispatcher.drain()
    assert [d.message.title for d in _dms(platform, "ana")] == ["How did your pledge go?"]
    run("reminder")
    run("reminder")
    await app.dispatcher.drain()
    assert [d.message.title for d in _dms(platform, "ana")] == [
        "How did your pledge go?",
        "A gentle nudge about your pledge",
    ]
    run("due")
    await app.dispatcher.drain()
    assert len(_dms(platform, "ana")) == 2


async def test_an_answer_means_no_reminder_even_if_its_job_runs(make_app, platform, person):
    app = make_app()
    ana = _follow_up_dm(app, platform, person)
    await app.advance(START + timedelta(days=9))  # the follow-up goes out at 09:00 ...
    _press(ana, _dms(platform, "ana")[0], "Need help")  # ... and is answered that minute
    ana.submit("pledge.help", "1", help="A lift to the clinic")
    with UnitOfWork(app.engine) as uow:
        command = FollowUpPledge(
            pledge_id=1, due_at=datetime(2026, 12, 10, 9, 0, tzinfo=UTC), stage="reminder"
        )
        app.bus.run_job(uow, 1, command)
        uow.commit()
    await app.dispatcher.drain()
    assert [d.message.title for d in _dms(platform, "ana")] == ["How did your pledge go?"]


async def test_late_follow_ups_within_their_grace_go_out_later_ones_do_not(
    make_app, clock, platform, person
):
    settings = make_settings(community(pledges={"midpoint_check": True}))
    app = make_app(settings)
    ana = person(app, "Ana")
    ana.cop("pledge Try the leaflet by 2026-12-11")  # midpoint Sun 6 Dec 09:00
    ana.cop("pledge Call families by 2026-12-02")  # one day: too short for a midpoint
    assert sorted(s.key for s in app.timeline.specs() if s.key.startswith("pledge")) == [
        "pledge-due:1",
        "pledge-due:2",
        "pledge-midpoint:1",
    ]
    app.close()
    clock.set(datetime(2026, 12, 8, 9, 0, tzinfo=UTC))  # down past #2's due date + 6 days
    app = make_app(settings)
    app.run_due()
    await app.dispatcher.drain()
    # #1's midpoint is still before its due date: it goes out late. #2's follow-up too.
    assert sorted(d.key.split(":")[2] for d in _dms(platform, "ana")) == ["due", "midpoint"]
    clock.set(datetime(2026, 12, 18, 9, 1, tzinfo=UTC))  # asleep past #1's due date + 7 days
    app.run_due()
    await app.dispatcher.drain()
    assert len(_dms(platform, "ana")) == 2  # #1's follow-up is too late to make sense
    assert [c.outcome for c in app.timeline.claimed("pledge-due:1")] == ["missed"]


async def test_a_midpoint_missed_until_the_due_date_is_skipped(make_app, clock, platform, person):
    settings = make_settings(community(pledges={"midpoint_check": True}))
    app = make_app(settings)
    person(app, "Ana").cop("pledge Try the leaflet by 2026-12-11")  # midpoint Sun 6 Dec 09:00
    app.run_due()
    clock.set(datetime(2026, 12, 11, 9, 1, tzinfo=UTC))
    app.run_due()
    await app.dispatcher.drain()
    assert [d.message.title for d in _dms(platform, "ana")] == ["How did your pledge go?"]
    assert [c.outcome for c in app.timeline.claimed("pledge-midpoint:1")] == ["missed"]


async def test_the_reminder_goes_out_up_to_two_days_late_not_later(
    make_app, clock, platform, person
):
    app = make_app()
    ana, ben = person(app, "Ana"), person(app, "Ben")
    ana.cop("pledge Try the leaflet by 2026-12-02")
    ben.cop("pledge Call families by 2026-12-03")
    await app.advance(datetime(2026, 12, 3, 9, 1, tzinfo=UTC))  # both follow-ups sent
    assert [len(_dms(platform, who)) for who in ("ana", "ben")] == [1, 1]
    # Reminders are due 5 Dec and 6 Dec at 09:00; copbot sleeps until 8 Dec 09:00.
    clock.set(datetime(2026, 12, 8, 9, 0, tzinfo=UTC))
    app.run_due()
    await app.dispatcher.drain()
    assert [len(_dms(platform, who)) for who in ("ana", "ben")] == [1, 2]
    assert [c.outcome for c in app.timeline.claimed("pledge-remind:1")] == ["missed"]


async def test_a_closed_community_has_no_pledge_follow_ups(make_app, person):
    from bot.storage.tables import Community

    app = make_app()
    person(app, "Ana").cop("pledge Try the leaflet by 2026-12-10")
    assert [s.key for s in app.timeline.specs() if s.key.startswith("pledge")] == ["pledge-due:1"]
    with Session(app.engine) as session:
        row = session.get(Community, 1)
        row.closed_at = START
        session.add(row)
        session.commit()
    assert [s.key for s in app.timeline.specs() if s.key.startswith("pledge")] == []


def _guard_buttons(response) -> dict[str, object]:
    assert response.message is not None, response
    return {b.label: b for b in response.message.buttons}


async def test_a_warned_outcome_or_request_can_be_posted_anyway_or_edited(
    make_app, platform, person
):
    app = make_app()
    ana = person(app, "Ana")
    ana.cop("pledge Try the leaflet by 2026-12-10")
    ana.cop("pledge Call families by 2026-12-10")
    outcome = "Mrs Patel on 07700 900123 loved it"
    held = ana.submit("pledge.done", "1", outcome=outcome, win="yes", story="yes")
    post = _guard_buttons(held)["Post anyway"]
    done = ana.press(post.action, post.value).message.as_text()
    assert done == (
        "Well done! Pledge #1 is done. What happened is posted in the channel as win #1. "
        "Thank you: we'll ask you before using it as a story."
    )
    held = ana.submit("pledge.help", "2", help="Who can phone 07700 900123?")
    assert "a phone number" in held.message.as_text()
    edit = _guard_buttons(held)["Let me edit"]
    form = ana.press(edit.action, edit.value).form
    asked = ana.submit(form.form_id, form.metadata, text="Who has tried phoning families?")
    assert "posted in the channel with your name" in asked.message.as_text()
    await app.dispatcher.drain()
    [win] = platform.titled("A win to celebrate!")
    assert outcome in win.text  # warned, then posted as the member chose
    [request] = platform.titled("Can anyone help?")
    assert "Who has tried phoning families?" in request.text and "07700" not in request.text
    from bot.storage.tables_wins import Win

    with Session(app.engine) as session:
        assert session.exec(select(Win.source_pledge_id)).all() == [1]


async def test_help_is_asked_once_per_cycle_of_a_pledge(make_app, clock, platform, person):
    app = make_app()
    ana = person(app, "Ana")
    ana.cop("pledge Try the leaflet by 2026-12-10")
    assert "with your name" in ana.submit("pledge.help", "1", help="A lift").message.as_text()
    again = ana.submit("pledge.help", "1", help="Another lift")
    assert again.message.as_text() == (
        "You've already asked for help with this one; you'll hear of any offers."
    )
    clock.advance(timedelta(days=1))
    ana.cop("pledges renew 1 by 2026-12-20")  # a new cycle: help may be asked again
    assert "with your name" in ana.submit("pledge.help", "1", help="A lift").message.as_text()
    ana.cop("pledge Call families by 2026-12-10")
    assert "Your request is empty" in ana.submit("pledge.help", "2").message.as_text()
    assert "What happened is empty" in ana.submit("pledge.done", "2").message.as_text()
    stale = "That form is out of date. Try /cop help."
    for form_id in ("pledge.done", "pledge.help", "pledge.renew"):
        assert ana.submit(form_id, "two", outcome="x", help="x").message.as_text() == stale


async def test_offers_letting_go_and_what_is_counted(make_app, platform, person):
    app = make_app()
    ana, ben, dee = person(app, "Ana"), person(app, "Ben"), person(app, "Dee")
    ana.cop("pledge Try the leaflet by 2026-12-10")
    dee.cop("pledge Call families by 2026-12-10")
    ana.submit("pledge.help", "1", help="A lift to the clinic")
    assert ana.press("pledge.offer", "1").message.as_text() == (
        "That's your own request: I'll tell you when someone offers."
    )
    assert ben.press("pledge.offer", "1").message.as_text() == (
        "Thank you! I've passed your name on privately; they'll be in touch."
    )
    assert ben.press("pledge.offer", "1").message.as_text() == (
        "You've already offered; they have your name. Thank you!"
    )
    assert dee.press("pledge.letgo", "2").message.as_text() == (
        "That's fine: letting go is part of learning what works. Thank you for trying. "
        "Make a new one whenever you're ready."
    )
    ana.submit("pledge.done", "1", outcome="It helped", win="no", story="no")
    with Session(app.engine) as session:
        kinds = session.exec(select(Activity.kind).order_by(Activity.id)).all()
    assert kinds == [
        "pledged",
        "pledged",
        "pledge-help",
        "offered-help",
        "pledge-let-go",
        "pledge-done",
    ]
    assert [p.status for p in _pledges(app)] == ["done", "released"]


async def test_only_this_communitys_pledges_are_counted(make_app, person):
    other = community(name="burns", channel="burns", conveners=[], keepers=[])
    app = make_app(make_settings(community(), other))
    person(app, "Ana").cop("pledge Try the leaflet by 2026-12-03")
    person(app, "Bo", channel="burns").cop("pledge Call families by 2026-12-03")
    with Session(app.engine) as session:
        [ana_id] = session.exec(select(Member.id).where(Member.platform_user_id == "ana")).all()
        assert pledge_counts(session, 1, START) == (1, 1, 0)
        assert open_pledge_holders(session, 1) == {ana_id}


async def test_sharing_says_so_and_a_warned_pledge_can_be_reworded_first(
    make_app, platform, person
):
    app = make_app()
    ana = person(app, "Ana")
    ana.cop("pledge Phone Mrs Patel on 07700 900123 by 2026-12-10")
    ana.cop("pledge Try the leaflet by 2026-12-10")
    held = ana.cop("pledge Share 1")
    assert "a phone number" in held.message.as_text()
    edit = _guard_buttons(held)["Let me edit"]
    form = ana.press(edit.action, edit.value).form
    shared = ana.submit(form.form_id, form.metadata, text="Phone one family a week")
    assert shared.message.as_text() == "Shared in the channel. Good luck with it!"
    assert ana.says("pledge share 1") == "Pledge #1 is already shared."
    held = ana.cop("pledges share 2")
    assert held.message.as_text() == "Shared in the channel. Good luck with it!"
    await app.dispatcher.drain()
    first, second = _posts(platform)
    assert first.message.title == "A new pledge"
    assert [s.text for s in first.message.sections] == [
        "Phone one family a week",
        "— Ana, by Thu 10 Dec, 09:00",
    ]
    assert (first.key, second.key) == ("pledge:1:shared", "pledge:2:shared")
    assert _pledges(app)[0].text == "Phone one family a week"
    with Session(app.engine) as session:
        kinds = session.exec(select(Activity.kind).order_by(Activity.id)).all()
    assert kinds.count("pledge-shared") == 2


async def test_refusals_name_the_pledge_and_the_way_out(make_app, person):
    app = make_app(make_settings(community(meetings=MEETING)))
    ana = person(app, "Ana")
    assert ana.says("pledges cancel 9") == (
        "I can't find pledge #9 among yours. /cop pledges lists them."
    )
    ana.cop("pledge Try the leaflet by 2026-12-10")
    assert "Your pledge contains '@here'" in ana.says("pledges edit 1 Tell @here")
    assert "Please say what you'll do. Usage: /cop pledge <text> [by <when>]" in ana.says(
        "pledge by 2026-12-10"
    )
    assert "Usage: /cop pledges" in ana.says("pledges renew")
    renewed = ana.submit("pledge.renew", "1", when="  ")  # blank: the next meeting
    assert "now due Tue 15 Dec, 14:00" in renewed.message.as_text()
    assert [p.text for p in _pledges(app)] == ["Try the leaflet"]


async def test_at_most_twenty_of_your_pledges_are_listed(make_app, person):
    app = make_app()
    ana = person(app, "Ana")
    for number in range(21):
        ana.cop(f"pledge Try idea {number} by 2026-12-10")
    [mine] = ana.cop("pledges").message.sections
    assert len(mine.items) == 20 and mine.items[0].startswith("#1 Try idea 0")


async def test_the_follow_ups_a_pledge_still_has_to_come(make_app, platform, person):
    """Each stage leaves the timeline once it is done with, and a closed pledge has none."""
    app = make_app(make_settings(community(pledges={"midpoint_check": True})))
    ana = person(app, "Ana")
    ana.cop("pledge Try the leaflet by 2026-12-11")
    ana.cop("pledge Call families by 2026-12-11")

    def waiting() -> list[str]:
        return sorted(s.key for s in app.timeline.specs() if s.key.startswith("pledge"))

    assert waiting() == ["pledge-due:1", "pledge-due:2", "pledge-midpoint:1", "pledge-midpoint:2"]
    ana.cop("pledges cancel 2")
    await app.advance(datetime(2026, 12, 6, 10, 0, tzinfo=UTC))  # midpoint sent
    assert waiting() == ["pledge-due:1"]
    await app.advance(datetime(2026, 12, 11, 10, 0, tzinfo=UTC))  # follow-up sent
    assert waiting() == ["pledge-remind:1"]
    await app.advance(datetime(2026, 12, 14, 10, 0, tzinfo=UTC))  # reminder sent
    assert waiting() == []
    assert [d.message.title for d in _dms(platform, "ana")] == [
        "Halfway to your pledge",
        "How did your pledge go?",
        "A gentle nudge about your pledge",
    ]
    ana.cop("pledge Ask about pain by 2026-12-20")
    assert waiting() == ["pledge-due:3", "pledge-midpoint:3"]
    await app.advance(datetime(2026, 12, 20, 10, 0, tzinfo=UTC))
    assert waiting() == ["pledge-remind:3"]
    ana.submit("pledge.help", "3", help="A lift to the clinic")  # an answer: no reminder
    assert waiting() == []


async def test_after_a_warning_the_member_posts_as_is_or_posts_what_they_reworded(
    make_app, platform, person
):
    app = make_app()
    ana = person(app, "Ana")
    phone = "07700 900123"
    ana.cop(f"pledge Phone Mrs Patel on {phone} by 2026-12-10")
    ana.cop(f"pledge Ring {phone} weekly by 2026-12-10")
    ana.cop("pledge Try the leaflet by 2026-12-10")
    post = _guard_buttons(ana.cop("pledge share 1"))["Post anyway"]
    shared = ana.press(post.action, post.value).message.as_text()
    assert shared == "Shared in the channel. Good luck with it!"
    edit = _guard_buttons(ana.cop("pledge share 2"))["Let me edit"]
    form = ana.press(edit.action, edit.value).form
    refused = ana.submit(form.form_id, form.metadata, text="Tell @here about it")
    assert "Your pledge contains '@here'" in refused.message.as_text()

    held = ana.submit("pledge.done", "3", outcome=f"Mrs Patel ({phone}) loved it", win="yes")
    edit = _guard_buttons(held)["Let me edit"]
    form = ana.press(edit.action, edit.value).form
    done = ana.submit(form.form_id, form.metadata, text="A family loved the leaflet")
    assert "Well done! Pledge #3 is done." in done.message.as_text()

    ana.cop("pledge Call families by 2026-12-10")
    held = ana.submit("pledge.help", "4", help=f"Who can phone {phone}?")
    post = _guard_buttons(held)["Post anyway"]
    assert "posted in the channel" in ana.press(post.action, post.value).message.as_text()
    await app.dispatcher.drain()
    [pledge_post] = platform.titled("A new pledge")
    assert phone in pledge_post.text  # the member chose to post it: warned, never rewritten
    [win] = platform.titled("A win to celebrate!")
    assert "A family loved the leaflet" in win.text and phone not in win.text
    [request] = platform.titled("Can anyone help?")
    assert f"Who can phone {phone}?" in request.text
    assert _pledges(app)[2].outcome == "A family loved the leaflet"


async def test_a_new_date_form_sent_without_a_date_means_the_next_meeting(make_app, person):
    app = make_app(make_settings(community(meetings=MEETING)))
    ana = person(app, "Ana")
    ana.cop("pledge Try the leaflet by 2026-12-10")
    renewed = ana.submit("pledge.renew", "1")
    assert "now due Tue 15 Dec, 14:00" in renewed.message.as_text()
