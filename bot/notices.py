"""Private messages a person could not receive (they closed their DMs): held, shown later.

When a platform says a person cannot receive private messages (bot.ports.Unreachable), the
dispatcher marks that outbox row 'held' instead of retrying it. The next time the person
uses copbot, their platform adapter calls `take_held` and shows the messages in its private
reply; if that reply cannot be sent, `put_back` holds them again. Nothing is lost, and
nothing is shown twice. A held message that has expired (e.g. a reminder for a check-in
that has closed) is dropped rather than shown late.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.messages import OutMessage, say
from bot.storage.tables import OutboxMessage

HELD = "held"
SHOWN = "shown"


@dataclass(frozen=True)
class Held:
    """One held private message: its outbox row id and the message."""

    id: int
    message: OutMessage


def take_held(
    engine: Engine, clock: Clock, platform: str, user_id: str, limit: int = 10
) -> list[Held]:
    """Claim the person's held messages, oldest first, marking them shown."""
    now = clock.now()
    taken: list[Held] = []
    with Session(engine) as session:
        rows = session.exec(
            select(OutboxMessage)
            .where(
                OutboxMessage.status == HELD,
                OutboxMessage.platform == platform,
                OutboxMessage.user_id == user_id,
            )
            .order_by(col(OutboxMessage.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            assert row.id is not None
            if row.expires_at is not None and row.expires_at <= now:
                row.status = "expired"
            else:
                row.status, row.sent_at = SHOWN, now
                taken.append(Held(row.id, OutMessage.model_validate_json(row.payload)))
            session.add(row)
        session.commit()
    return taken


def put_back(engine: Engine, held: Sequence[Held]) -> None:
    """Hold messages again (the reply that was to show them could not be sent)."""
    if not held:
        return
    with Session(engine) as session:
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_([h.id for h in held]))
            .values(status=HELD, sent_at=None)
        )
        session.commit()


def introduce(held: Sequence[Held]) -> list[OutMessage]:
    """The held messages, introduced in plain words, ready to show privately."""
    if not held:
        return []
    it = "it" if len(held) == 1 else "them"
    intro = say(
        f"Your private messages are closed, so I couldn't send you what follows; here "
        f"{'it is' if len(held) == 1 else 'they are'}, just for you. To get {it} directly "
        "next time, allow private messages from copbot.",
        title="Messages I couldn't deliver",
    )
    return [intro, *(h.message for h in held)]
