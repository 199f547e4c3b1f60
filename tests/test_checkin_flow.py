"""A whole check-in cycle through the core, on SQLite and PostgreSQL, with a fake clock."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from bot.storage.tables import CheckInReply, OutboxMessage
from tests.conftest import START, community, make_settings


async def test_post_replies_edit_reminder_summary(make_app, clock, platform, person):
    app = make_app()
    cora, ana, ben, dee = (person(app, n) for n in ("Cora", "Ana", "Ben", "Dee"))
    for someone in (ana, ben, dee):
        someone.cop("help")  # first interaction records them as members
    dee.cop("me quiet 21:00-07:00")

    assert "opened" in cora.says("checkin open")
    await app.dispatcher.drain()
    [post] = platform.posts()
    assert post.target == "wound-care"
    assert "What has happened for you since we last met?" in post.text
    assert [b.label for b in post.message.buttons] == [
        "Share a success",
        "Share a challenge",
        "Share a learning",
        "Not this time",
    ]

    # Ana replies through the button and the form, then edits her reply.
    checkin_button = post.message.buttons[0]
    form = ana.press(checkin_button.action, checkin_button.value).form
    assert form is not None and form.fields[0].initial is None
    ana.submit(form.form_id, form.metadata, text="Fewer missed visits", share="named")
    form = ana.press(checkin_button.action, checkin_button.value).form
    assert form is not None and form.fields[0].initial == "Fewer missed visits"
    ana.submit(form.form_id, form.metadata, text="A third fewer missed visits", share="named")
    # Ben shares a challenge anonymously by typing.
    assert "anonymously" in ben.says("reply challenge anonymously Discharge letters arrive late")

    # Reminder after 3 days (Fri 4 Dec 09:00 UTC = 09:00 London): everyone who hasn't
    # replied with their name (Kit, the keeper named in the settings, too), Ben included,
    # so reminders never show who replied anonymously.
    await app.advance(START + timedelta(days=3, minutes=1))
    reminded = sorted(d.target for d in platform.dms())
    assert reminded == ["ben", "cora", "dee", "kit"]
    assert all("gentle nudge" in d.text for d in platform.dms())

    # Summary at close, once.
    await app.advance(START + timedelta(days=6))
    [summary] = platform.titled("Our check-in has closed")
    assert "members shared" not in summary.text  # no head count to subtract names from
    assert "A third fewer missed visits — Ana" in summary.text
    assert "Fewer missed visits —" not in summary.text.replace("A third fewer", "")
    assert "Discharge letters arrive late — (shared anonymously)" in summary.text
    assert "Ben" not in summary.text
    assert len(platform.posts()) == 2  # the check-in and its summary, once each
    assert len(platform.titled("A gentle nudge")) == 4


async def test_reminder_waits_for_quiet_hours_to_end(make_app, clock, platform, person):
    settings = make_settings(community(checkin={"remind_after": "12 hours"}))
    app = make_app(settings)
    cora, night = person(app, "Cora"), person(app, "Nia")
    night.cop("me quiet 20:00-08:00")
    night.cop("me timezone America/New_York")
    clock.set(START + timedelta(hours=3))  # 12:00 London, 07:00 New York
    cora.cop("checkin open")
    # The reminder falls due at 00:00 London / 19:00 New York: Cora (London) is in quiet
    # hours until 08:00 London; Nia is not yet (her quiet hours start at 20:00 New York).
    await app.advance(START + timedelta(hours=15, minutes=1))
    assert [d.target for d in platform.dms()] == ["nia"]
    await app.advance(START + timedelta(hours=22, minutes=59))
    assert [d.target for d in platform.dms()] == ["nia"]
    await app.advance(START + timedelta(hours=23, minutes=1))  # 08:01 London
    assert [d.target for d in platform.dms()] == ["nia", "cora", "kit"]


async def test_no_reminder_for_skipped_away_or_muted(make_app, clock, platform, person):
    app = make_app()
    cora = person(app, "Cora")
    skipper, away, muted, plain = (person(app, n) for n in ("Sky", "Al", "Mu", "Pat"))
    for someone in (skipper, away, muted, plain):
        someone.cop("help")
    cora.cop("me mute")
    cora.cop("checkin open")
    assert "no reminder" in skipper.says("skip")
    assert "no check-in reminders until" in away.says("skip until 2026-12-20")
    muted.cop("me mute")
    await app.advance(START + timedelta(days=4))
    assert [d.target for d in platform.dms()] == ["kit", "pat"]  # Kit: the keeper


async def test_restart_mid_cycle_loses_nothing_and_sends_nothing_twice(
    make_app, clock, platform, person
):
    app = make_app()
    cora, ana = person(app, "Cora"), person(app, "Ana")
    ana.cop("help")
    cora.cop("checkin open")
    ana.cop("reply learning Ask about pain before the dressing comes off")
    # The process dies before delivering anything.
    app.close()

    app = make_app()  # restart on the same database
    await app.advance(START + timedelta(days=6))
    app.close()
    app = make_app()  # and again, after everything happened
    await app.advance(START + timedelta(days=8))

    titles = [d.message.title for d in platform.sent]
    assert titles.count("Time for our check-in") == 1
    assert titles.count("A gentle nudge about our check-in") == 2  # Ana's and Kit's
    assert titles.count("Our check-in has closed") == 1
    [summary] = platform.titled("Our check-in has closed")
    assert "Ask about pain before the dressing comes off — Ana" in summary.text
    keys = [d.key for d in platform.sent]
    assert len(keys) == len(set(keys))


async def test_a_reply_after_close_is_refused_and_changes_nothing(make_app, platform, person):
    app = make_app()
    cora, ana = person(app, "Cora"), person(app, "Ana")
    cora.cop("checkin open")
    await app.advance(START + timedelta(days=6))
    assert "no check-in open" in ana.says("reply success Too late")
    with Session(app.engine) as session:
        assert session.exec(select(CheckInReply)).all() == []


async def test_withdrawn_reply_is_not_shared(make_app, platform, person):
    app = make_app()
    cora, ana = person(app, "Cora"), person(app, "Ana")
    cora.cop("checkin open")
    ana.cop("reply success Something I regret sharing")
    assert "withdrawn" in ana.says("reply withdraw success")
    assert "haven't shared" in ana.says("reply withdraw success")
    cora.cop("checkin close")
    await app.dispatcher.drain()
    [summary] = platform.titled("Our check-in has closed")
    assert "regret" not in summary.text


async def test_members_see_their_own_replies_including_anonymous_ones(make_app, person):
    app = make_app()
    cora, ana, ben = person(app, "Cora"), person(app, "Ana"), person(app, "Ben")
    cora.cop("checkin open")
    ana.cop("reply challenge anonymously Rotas change with no notice")
    mine = ana.says("checkin")
    assert "Challenge (anonymous): Rotas change with no notice" in mine
    assert "Rotas" not in ben.says("checkin")
    assert "Rotas" not in cora.says("checkin")


async def test_only_conveners_open_and_close(make_app, platform, person):
    app = make_app()
    ana = person(app, "Ana")
    assert "Only conveners can open" in ana.says("checkin open")
    await app.dispatcher.drain()
    assert platform.sent == []
    with Session(app.engine) as session:
        assert session.exec(select(OutboxMessage)).all() == []


async def test_community_words_are_used(make_app, platform, person):
    words = {"checkin": "catch-up", "success": "bright spot", "challenge": "snag"}
    app = make_app(make_settings(community(words=words)))
    cora, ana = person(app, "Cora"), person(app, "Ana")
    cora.cop("checkin open")
    ana.cop("reply snag Too many forms")
    ana.cop("reply bright spot Shared care plans")
    assert "isn't a kind of reply" in ana.says("reply triumph It worked")
    cora.cop("checkin close")
    await app.dispatcher.drain()
    post, summary = platform.posts()
    assert post.message.title == "Time for our catch-up"
    assert "Share a bright spot" in [b.label for b in post.message.buttons]
    assert "Snag (1)" in summary.text and "Bright spot (1)" in summary.text
