"""The outbox's database statements: claim, renew, finish, hand back, prune.

Each function is one short transaction and is called from a worker thread (never on the
event loop). A claim is a lease: status 'sending' with `lease_until`; the process holding
it renews the lease while it lives (a heartbeat), so a claim whose lease ran out belongs to
a process that died or stopped mid-send.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, or_, update
from sqlmodel import Session, col, func, select

from bot.storage.tables import JobClaim, OutboxMessage

#: A message that must not go any more (bot.ports.Cancelled, bot.contact.cancel_queued).
CANCELLED = "cancelled"
#: What a delivered message's payload becomes once it has been kept long enough.
PRUNED = "{}"
FINISHED = ("sent", CANCELLED, "expired", "dead")


def claim(
    engine: Engine, now: datetime, lease: timedelta, batch: int, held: Collection[str]
) -> tuple[list[OutboxMessage], set[int]]:
    """Claim up to `batch` due rows that are next in line for their target (not on a
    platform in `held`). Returns them and the ids among them whose earlier claim ran out
    (a send that was cut short: it may have arrived)."""
    with Session(engine, expire_on_commit=False) as session:
        session.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.status).in_(("pending", "sending")),
                col(OutboxMessage.expires_at).is_not(None),
                col(OutboxMessage.expires_at) <= now,
            )
            .values(status="expired", lease_until=None)
        )
        rows = list(
            session.exec(
                select(OutboxMessage)
                .where(
                    or_(
                        (col(OutboxMessage.status) == "pending")
                        & (col(OutboxMessage.next_attempt_at) <= now),
                        (col(OutboxMessage.status) == "sending")
                        & (col(OutboxMessage.lease_until) <= now),
                    ),
                    col(OutboxMessage.platform).not_in(list(held)),
                )
                .order_by(col(OutboxMessage.id))
                .limit(batch)
                .with_for_update(skip_locked=True)
            ).all()
        )
        rows = in_order(session, rows)
        uncertain = {row.id for row in rows if row.status == "sending" and row.id is not None}
        for row in rows:
            row.status = "sending"
            row.lease_until = now + lease
            session.add(row)
        session.commit()
        return rows, uncertain


def renew(engine: Engine, ids: Collection[int], until: datetime) -> None:
    """Keep this process's claims on `ids` (the heartbeat)."""
    _still_sending(engine, ids, lease_until=until)


def finish(engine: Engine, row_id: int, values: dict[str, object]) -> None:
    """Record how one send ended (one small Core UPDATE: no ORM session)."""
    with engine.begin() as connection:
        connection.execute(
            update(OutboxMessage).where(col(OutboxMessage.id) == row_id).values(**values)
        )


def release(engine: Engine, ids: Collection[int], until: datetime | None = None) -> None:
    """Hand back claimed rows unsent: pending again (and, with `until`, not before then)."""
    values: dict[str, object] = {"status": "pending", "lease_until": None}
    if until is not None:
        values["next_attempt_at"] = until
    _still_sending(engine, ids, **values)


def cut_short(engine: Engine, ids: Collection[int], now: datetime) -> None:
    """Sends interrupted mid-way (stopping): their claims end now, so the next dispatcher
    takes them at once, checking first whether they arrived."""
    _still_sending(engine, ids, lease_until=now)


def _still_sending(engine: Engine, ids: Collection[int], **values: object) -> None:
    """Change the rows among `ids` that are still being sent (a row finished meanwhile,
    by this or another process, is left as it is)."""
    if not ids:
        return
    with engine.begin() as connection:
        connection.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(list(ids)), OutboxMessage.status == "sending")
            .values(**values)
        )


def next_due(engine: Engine, after: datetime) -> datetime | None:
    """When the next pending message waiting past `after` becomes due."""
    with Session(engine) as session:
        return session.exec(
            select(func.min(OutboxMessage.next_attempt_at)).where(
                OutboxMessage.status == "pending", col(OutboxMessage.next_attempt_at) > after
            )
        ).one()


def prune(engine: Engine, now: datetime, keep_payloads: timedelta, keep_claims: timedelta) -> int:
    """Forget what finished private messages said once they are older than `keep_payloads`
    (a `/cop mydata` answer is personal data), keeping the row and its key so it is never
    sent again; channel posts stay (the web page shows a community's recent posts). And drop
    schedule claims older than `keep_claims`. Returns rows changed."""
    cutoff = now - keep_payloads
    with engine.begin() as connection:
        emptied = connection.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.status).in_(FINISHED),
                col(OutboxMessage.user_id).is_not(None),
                OutboxMessage.payload != PRUNED,
                func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at) < cutoff,
            )
            .values(payload=PRUNED)
        )
        dropped = connection.execute(
            delete(JobClaim).where(col(JobClaim.claimed_at) < now - keep_claims)
        )
    return (emptied.rowcount or 0) + (dropped.rowcount or 0)


def in_order(session: Session, rows: list[OutboxMessage]) -> list[OutboxMessage]:
    """Of the rows just claimed, those that are next in line for their target.

    A message waits while an earlier one to the same channel or person is unfinished:
    waiting for a retry or for quiet hours to end, or being sent by another process (its
    row locked, or claimed with a live lease). So no target ever sees messages out of order.
    """
    if not rows:
        return rows
    mine = {row.id for row in rows}
    unfinished = session.exec(
        select(
            OutboxMessage.id,
            OutboxMessage.platform,
            OutboxMessage.channel_id,
            OutboxMessage.user_id,
        )
        .where(
            col(OutboxMessage.status).in_(("pending", "sending")),
            col(OutboxMessage.id) <= max(mine),  # type: ignore[type-var]
        )
        .order_by(col(OutboxMessage.id))
    ).all()
    blocked: set[tuple[str, str]] = set()
    ready: set[int] = set()
    for row_id, platform, channel, user in unfinished:
        target = (platform, channel or f"@{user}")
        if target in blocked:
            continue
        if row_id in mine:
            ready.add(row_id)
        else:
            blocked.add(target)
    return [row for row in rows if row.id in ready]
