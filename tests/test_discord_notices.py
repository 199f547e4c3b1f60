"""Private messages to someone who closed their DMs: held by the outbox, shown once later,
never lost, never shown late (the core side of Discord's error 50007)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from bot import notices
from bot.ports import Unreachable
from bot.storage.tables import OutboxMessage
from tests.conftest import START


def _closed_for(user_id: str):
    def fail(kind: str, target: str) -> Exception | None:
        if kind == "dm" and target == user_id:
            return Unreachable("this member does not accept private messages")
        return None

    return fail


def _statuses(engine) -> dict[str, str]:
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.user_id.is_not(None))).all()  # type: ignore[union-attr]
        return {row.user_id: row.status for row in rows if row.user_id}


async def test_an_unreachable_dm_is_held_then_shown_once(make_app, engine, platform, person):
    app = make_app()
    cora, ana = person(app, "Cora"), person(app, "Ana")
    ana.cop("me")
    platform.fail_when = _closed_for("ana")
    cora.cop("checkin open")
    await app.advance(START + timedelta(days=3, minutes=1))
    # Ana's reminder could not go (Kit is the keeper named in the settings).
    assert [d.target for d in platform.dms()] == ["cora", "kit"]
    assert _statuses(engine) == {"cora": "sent", "kit": "sent", "ana": notices.HELD}

    held = notices.take_held(engine, app.clock, "console", "ana")
    assert len(held) == 1 and "gentle nudge" in held[0].message.as_text()
    shown = notices.introduce(held)
    assert "private messages are closed" in shown[0].as_text()
    assert shown[1:] == [held[0].message]
    assert notices.take_held(engine, app.clock, "console", "ana") == []  # once only

    notices.put_back(engine, held)  # the reply that carried it failed: hold it again
    assert [h.id for h in notices.take_held(engine, app.clock, "console", "ana")] == [held[0].id]


async def test_a_held_message_that_has_expired_is_dropped(make_app, engine, platform, person):
    app = make_app()
    cora, ana = person(app, "Cora"), person(app, "Ana")
    ana.cop("me")
    platform.fail_when = _closed_for("ana")
    cora.cop("checkin open")
    await app.advance(START + timedelta(days=6))  # reminder held, then the check-in closed
    assert notices.take_held(engine, app.clock, "console", "ana") == []
    assert _statuses(engine)["ana"] == "expired"
