"""Wins: celebrated in the channel, cheered once per member, nominated only with consent."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, func, select

from bot.context import Context
from bot.features.win_queries import resurface_candidate, resurface_win, wins_between
from bot.storage.tables import Activity, Community, OutboxMessage
from bot.storage.tables_wins import Win, WinCheer
from bot.storage.uow import UnitOfWork
from tests.conftest import START

OURS = ("win:",)  # idempotency keys of this feature's messages (other features post too)


def _dms(platform, who: str | None = None):
    return [d for d in platform.dms(who) if d.key.startswith(OURS)]


def _posts(platform):
    return [d for d in platform.posts() if d.key.startswith(OURS)]


def _activity(app, kind: str) -> list[Activity]:
    with Session(app.engine) as session:
        return list(session.exec(select(Activity).where(Activity.kind == kind)).all())


def _count(app, table) -> int:
    with Session(app.engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


async def test_a_win_is_celebrated_with_credits_and_cheered_once_per_member(
    make_app, platform, person
):
    app = make_app()
    ana, ben, dee = person(app, "Ana"), person(app, "Ben"), person(app, "Dee")
    ben.cop("help")
    dee.cop("help")

    assert "Posted" in ana.says("win with <@ben> <@dee> We cut waiting times by a week")
    await app.dispatcher.drain()
    [post] = _posts(platform)
    assert post.message.title == "A win to celebrate!"
    assert "We cut waiting times by a week" in post.text
    assert "— Ana, with Ben and Dee" in post.text
    [cheer] = post.message.buttons

    assert "That's 1 cheer for this win" in ben.press(cheer.action, cheer.value).message.as_text()
    again = ben.press(cheer.action, cheer.value).message.as_text()
    assert "already cheered this one: 1 cheer so far" in again
    assert "2 cheers" in dee.says("win cheer 1")
    assert "your own win" in ana.press(cheer.action, cheer.value).message.as_text()

    assert "#1 We cut waiting times by a week — Ana, with Ben and Dee" in ana.says("wins")
    assert "· 2 cheers" in ben.says("wins")
    assert _count(app, WinCheer) == 2
    assert len(_activity(app, "cheered")) == 2
    [celebrated] = _activity(app, "celebrated")
    assert celebrated.member_id is not None
    await app.dispatcher.drain()
    assert len([d for d in platform.sent if d.key.startswith(OURS)]) == 1  # cheers post nothing


async def test_a_nominated_win_is_posted_only_after_its_member_agrees(
    make_app, clock, platform, person
):
    app = make_app()
    ana, ben, dee = person(app, "Ana"), person(app, "Ben"), person(app, "Dee")
    ana.cop("help")
    dee.cop("help")

    assert "asked Ana privately" in ben.says("win for <@ana> Her photo guide saved us hours")
    assert "asked Dee privately" in ben.says("win for <@dee> Dee ran the falls audit")
    await app.dispatcher.drain()
    assert _posts(platform) == []
    [ask_ana] = _dms(platform, "ana")
    [ask_dee] = _dms(platform, "dee")
    assert ask_ana.message.title == "Ben would like to celebrate you"
    assert "Her photo guide saved us hours" in ask_ana.text
    agree, decline = ask_ana.message.buttons
    assert (agree.label, decline.label) == ("Agree", "Decline")

    # Only the nominated member can answer; declining means it is never posted.
    assert "for someone else" in ben.press(agree.action, agree.value).message.as_text()
    dee_decline = ask_dee.message.buttons[1]
    assert (
        "nothing will be posted"
        in dee.press(dee_decline.action, dee_decline.value).message.as_text()
    )
    assert "already said no" in dee.press("win.agree", dee_decline.value).message.as_text()
    await app.advance(START + timedelta(days=1))
    assert _posts(platform) == []

    assert "posted in the channel" in ana.press(agree.action, agree.value).message.as_text()
    await app.dispatcher.drain()
    [post] = _posts(platform)
    assert "Her photo guide saved us hours" in post.text
    assert "— Ana (nominated by Ben)" in post.text
    assert "Dee ran the falls audit" not in "".join(d.text for d in platform.posts())
    assert any("Ana agreed" in d.text for d in _dms(platform, "ben"))

    # Unanswered nominations lapse: never posted.
    ben.cop("win for <@dee> Dee's second audit")
    await app.advance(START + timedelta(days=16))
    late = _dms(platform, "dee")[-1].message.buttons[0]
    assert "lapsed" in dee.press(late.action, late.value).message.as_text()
    await app.dispatcher.drain()
    assert len(_posts(platform)) == 1
    assert "I can't nominate someone I don't know" in ben.says("win for <@zed> Great work")
    assert "That's you" in ben.says("win for <@ben> My own work")


async def test_only_the_author_can_withdraw_a_win(make_app, platform, person):
    app = make_app()
    ana, ben = person(app, "Ana"), person(app, "Ben")
    ana.cop("win Our first shared care plan")
    assert "isn't yours to withdraw" in ben.says("win withdraw 1")
    assert "#1 Our first shared care plan" in ben.says("wins")

    assert "Withdrawn" in ana.says("win withdraw #1")
    assert "already withdrawn" in ana.says("win withdraw 1")
    assert "No wins yet" in ben.says("wins")
    assert "isn't there any more" in ben.says("win cheer 1")
    assert _count(app, WinCheer) == 0
    with Session(app.engine) as session:
        assert session.exec(select(Win.status)).all() == ["withdrawn"]


async def test_named_checkin_successes_can_become_wins_anonymous_ones_never_offered(
    make_app, platform, person
):
    app = make_app()
    cora, ana, ben = person(app, "Cora"), person(app, "Ana"), person(app, "Ben")
    cora.cop("checkin open")
    ana.cop("reply success Fewer missed visits")
    ben.cop("reply success anonymously A quiet success of mine")
    ben.cop("reply challenge Too many forms")
    cora.cop("checkin close")
    await app.dispatcher.drain()

    [offer] = platform.titled("Celebrate your success as a win?")
    assert offer.kind == "dm" and offer.target == "ana"
    assert "Fewer missed visits" in offer.text
    assert not [d for d in platform.dms() if "A quiet success of mine" in d.text]
    assert _dms(platform, "ben") == []

    [button] = offer.message.buttons
    assert button.label == "Celebrate it as a win"
    assert "out of date" in ben.press(button.action, button.value).message.as_text()
    assert "Posted" in ana.press(button.action, button.value).message.as_text()
    assert "already celebrated" in ana.press(button.action, button.value).message.as_text()
    await app.dispatcher.drain()
    [win_post] = platform.titled("A win to celebrate!")
    assert "Fewer missed visits" in win_post.text and "— Ana" in win_post.text
    assert len(platform.titled("A win to celebrate!")) == 1


async def test_an_anonymous_win_names_no_one_and_only_its_author_can_withdraw_it(
    make_app, platform, person
):
    app = make_app()
    ana, ben = person(app, "Ana"), person(app, "Ben")
    assert "anonymously" in ana.says("win anonymously We finally got a dressing trolley")
    await app.dispatcher.drain()
    [post] = _posts(platform)
    assert "— shared anonymously" in post.text
    assert "Ana" not in post.text
    assert "(yours)" in ana.says("wins") and "(yours)" not in ben.says("wins")
    assert "can't name anyone" in ana.says("win anonymously with <@ben> Together")
    with Session(app.engine) as session:
        [win] = session.exec(select(Win)).all()
        assert win.member_id is None and win.anonymous
        assert _activity(app, "celebrated")[0].member_id is None
    assert "isn't yours" in ben.says("win withdraw 1")
    assert "Withdrawn" in ana.says("win withdraw 1")


async def test_bad_win_input_is_refused_and_changes_nothing(make_app, platform, person):
    app = make_app()
    ana, ben = person(app, "Ana"), person(app, "Ben")
    ben.cop("help")
    refusals = {
        "win with <@ben>": "after the names",
        "win with We did it": "Mention who to credit",
        "win for <@ben>": "after their name",
        f"win {'x' * 2001}": "the limit is 2,000",
        "win Great job @everyone": "notify everyone",
        "win with <@nobody> Great": "someone I don't know",
        "win cheer 99": "can't find win #99",
        "win withdraw 99": "can't find win #99",
        "win withdraw soon": "Usage",
        "win anonymously": "after 'anonymously'",
        "wins everything": "Usage",
    }
    for command, expected in refusals.items():
        assert expected in ana.says(command), command
    assert "win cheer" in ana.says("help win")
    assert _count(app, Win) == 0
    assert _count(app, OutboxMessage) == 0


async def test_wins_of_the_week_and_resurfacing_a_past_named_win(make_app, clock, platform, person):
    app = make_app()
    ana, ben, dee = person(app, "Ana"), person(app, "Ben"), person(app, "Dee")
    ana.cop("win Pain scores in every visit note")  # 1
    ben.cop("win anonymously An anonymous bright spot")  # 2
    clock.set(START + timedelta(days=2))
    dee.cop("win A withdrawn one")  # 3
    dee.cop("win withdraw 3")
    ben.cop("win Families join the handover")  # 4
    dee.cop("win cheer 4")
    clock.set(START + timedelta(days=9))
    ana.cop("win Next week's win")  # 5

    with Session(app.engine) as session:
        week = wins_between(session, 1, START, START + timedelta(days=7))
        assert [w.id for w in week] == [1, 2, 4]
        community = session.exec(select(Community)).one()
        later = START + timedelta(days=92)
        assert resurface_candidate(session, 1, START + timedelta(days=20)) is None  # too recent
        assert resurface_candidate(session, 1, later).id == 4  # most cheered named win

    clock.set(START + timedelta(days=92))
    settings = app.bus.settings_of(community)
    shown = []
    for _ in range(4):
        with UnitOfWork(app.engine) as uow:
            ctx = Context(uow, clock, b"secret", community, settings)
            win = resurface_win(ctx)
            shown.append(win.id if win else None)
            uow.commit()
    assert shown == [4, 1, 5, None]  # never the anonymous or the withdrawn one, never twice
    await app.dispatcher.drain()
    resurfaced = platform.titled("Remember this win?")
    assert len(resurfaced) == 3
    assert "Three months ago, we celebrated: Families join the handover" in resurfaced[0].text
    assert "— Ben · 1 cheer" in resurfaced[0].text


async def test_a_tada_reaction_asks_the_author_once_and_posts_only_their_words(
    make_app, platform, person
):
    app = make_app()
    ana, ben, cy = person(app, "Ana"), person(app, "Ben"), person(app, "Cy")
    ana.cop("help")
    cy.cop("help")
    asked = ben.press("win.from_reaction", "ana:wound-care:1700000000.000100")
    assert "asked Ana" in asked.message.as_text()
    cy.press("win.from_reaction", "ana:wound-care:1700000000.000100")  # a second 🎉
    await app.dispatcher.drain()
    [question] = [d for d in _dms(platform, "ana") if "celebrated your message" in d.text]
    assert _posts(platform) == []  # nothing posted without Ana
    share = question.message.buttons[0]
    form = ana.press(share.action, share.value).form
    assert form is not None and form.form_id == "win.share"
    ana.submit(form.form_id, form.metadata, text="Our leg ulcer clinic halved waiting times")
    await app.dispatcher.drain()
    [post] = _posts(platform)
    assert "Our leg ulcer clinic halved waiting times" in post.text and "Ana" in post.text
    # Reacting to one's own message, or to someone copbot doesn't know, asks no one.
    assert ana.press("win.from_reaction", "ana:wound-care:1700000000.000300").message is None
    assert ben.press("win.from_reaction", "ghost:wound-care:1700000000.000400").message is None
    assert "couldn't tell" in ben.press("win.from_reaction", "nonsense").message.as_text()
