"""Catching up: a late joiner's welcome carries the last check-in's summary (never who
shared anonymously), the next meeting and its topic, open polls with a vote button that
works, and recent wins; /cop catchup gives the same to anyone back from a break."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.commands import Actor, Inbound
from tests.conftest import community, make_settings


def _settings(**overrides):
    return make_settings(
        community(
            welcome={"enabled": True},
            meetings={"dates": ["2026-12-17 14:00"]},
            **overrides,
        )
    )


def _join(app, name):
    app.handle(Inbound(Actor("console", name.lower(), name, "wound-care"), "join"))


def _history(app, person):
    """A check-in with named and anonymous replies, a topic, an open ranked poll, a win."""
    people = [person(app, n) for n in ("Cora", "Ana", "Ben", "Dee", "Eve", "Fay")]
    cora, ana, ben = people[:3]
    cora.cop("checkin open")
    ana.cop("reply success Shared care plans with district nurses")
    ben.cop("reply challenge anonymously My manager ignores escalation")
    cora.cop("checkin close")
    cora.cop("meeting topic 1 Weekend cover")
    cora.cop('poll open "Next problem?" "Discharge letters" "Weekend cover" --ranked')
    ana.cop("win Our leg ulcer clinic halved waiting times")
    return people


async def test_a_late_joiner_is_welcomed_with_a_catch_up(make_app, clock, platform, person):
    app = make_app(_settings())
    _history(app, person)
    await app.dispatcher.drain()
    platform.sent.clear()

    clock.set(datetime(2026, 12, 2, 10, 0, tzinfo=UTC))
    _join(app, "Gus")
    await app.dispatcher.drain()
    [welcome] = [d for d in platform.dms("gus") if d.key.startswith("welcome:")]
    text = welcome.text
    assert "Catching up" in text
    assert "Shared care plans with district nurses — Ana" in text
    assert "My manager ignores escalation — (shared anonymously)" in text
    assert "Ben" not in text  # the anonymous author is never named
    assert "Our leg ulcer clinic halved waiting times" in text
    assert "Next problem?" in text
    assert "Weekend cover" in text

    # The vote button in the welcome works: it opens the ranked ballot, and the vote counts.
    [vote] = [b for b in welcome.message.buttons if b.action == "poll.ballot"]
    gus = person(app, "Gus")
    opened = gus.press(vote.action, vote.value)
    assert opened.form is not None and opened.form.form_id == "poll.ballot"
    answer = gus.submit("poll.ballot", opened.form.metadata, choices="2 1")
    assert "vote" in answer.message.as_text().lower()
    assert "1 of" in gus.says(f"poll {vote.value.rpartition('|')[2]}")


async def test_the_catch_up_never_uncovers_what_the_summary_held_back(make_app, clock, person):
    """Three members at the close, one named challenge: the anonymous one was held back (two
    people could have written it). Ten members later, the catch-up still holds it back: it
    counts who was there at the close."""
    app = make_app(_settings(conveners=["cora"], keepers=[]))
    cora, ana, ben = (person(app, n) for n in ("Cora", "Ana", "Ben"))
    cora.cop("checkin open")
    ana.cop("reply challenge Discharge letters arrive late")
    ben.cop("reply challenge anonymously My manager ignores escalation")
    cora.cop("checkin close")
    clock.set(datetime(2026, 12, 3, 10, 0, tzinfo=UTC))
    for name in ("Dee", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jo"):
        person(app, name).cop("help")
    text = person(app, "Jo").says("catchup")
    assert "Discharge letters arrive late — Ana" in text
    assert "My manager ignores escalation" not in text
    assert "are not shown" in text


async def test_catchup_for_anyone_and_nothing_when_nothing_happened(make_app, person):
    app = make_app(make_settings(community()))
    ana = person(app, "Ana")
    assert "Nothing to catch up on" in ana.says("catchup")
    cora = person(app, "Cora")
    cora.cop("meeting next 2026-12-17 14:00")
    people = _history(app, person)
    text = people[1].says("catchup")
    assert "Our last check-in" in text and "Thu 17 Dec, 14:00" in text
    assert "Usage" in ana.says("catchup now please")


async def test_a_founding_member_gets_a_plain_welcome(make_app, platform, person):
    app = make_app(_settings())
    _join(app, "Ana")
    await app.dispatcher.drain()
    [welcome] = [d for d in platform.dms("ana") if d.key.startswith("welcome:")]
    assert "Catching up" not in welcome.text
    assert [b.action for b in welcome.message.buttons] == ["welcome.help", "plan.volunteer"]


async def test_a_summary_no_longer_kept_is_rebuilt_counting_only_who_was_there(
    make_app, clock, person
):
    """The posted summary is gone (its record dropped): the catch-up rebuilds it counting
    the members there at the close, so later joiners still uncover nothing it held back."""
    from sqlalchemy import delete
    from sqlmodel import Session, col

    from bot.storage.tables import OutboxMessage

    app = make_app(_settings(conveners=["cora"], keepers=[]))
    cora, ana, ben = (person(app, n) for n in ("Cora", "Ana", "Ben"))
    cora.cop("checkin open")
    ana.cop("reply challenge Discharge letters arrive late")
    ben.cop("reply challenge anonymously My manager ignores escalation")
    cora.cop("checkin close")
    with Session(app.engine) as session:
        session.execute(delete(OutboxMessage).where(col(OutboxMessage.key).endswith(":summary")))
        session.commit()
    clock.set(datetime(2026, 12, 3, 10, 0, tzinfo=UTC))
    for name in ("Dee", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jo"):
        person(app, name).cop("help")
    text = person(app, "Jo").says("catchup")
    assert "Discharge letters arrive late — Ana" in text
    assert "My manager ignores escalation" not in text
