"""A check-in's summary: built once at its close, and read back as it was posted.

Named query functions for the check-in feature and for the catch-up, so both show the
same summary, counted the same way.
"""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from bot import contact
from bot.config import Words
from bot.domain import checkins as rules
from bot.messages import OutMessage
from bot.storage.tables import CheckIn, CheckInReply, Member, OutboxMessage
from bot.storage.tables_contact import ChannelPost


def summary_of(
    session: Session, checkin: CheckIn, community_id: int, words: Words
) -> tuple[OutMessage, list[CheckInReply]]:
    """A closed check-in's summary, as posted at its close (the catch-up rebuilds it the
    same way): its replies, counted against the members there then — invitations not yet
    confirmed left out — so no later count uncovers what the summary held back."""
    assert checkin.closed_at is not None
    replies = list(
        session.exec(
            select(CheckInReply)
            .where(CheckInReply.checkin_id == checkin.id)
            .order_by(col(CheckInReply.id))
        ).all()
    )
    named_ids = {r.member_id for r in replies if r.member_id is not None}
    names = {
        m.id: m.display_name
        for m in session.exec(select(Member).where(col(Member.id).in_(named_ids))).all()
        if m.id is not None
    }
    there = session.exec(
        select(func.count())
        .select_from(Member)
        .where(
            Member.community_id == community_id,
            col(Member.joined_at) <= checkin.closed_at,
            contact.counted(),
        )
    ).one()
    return rules.summary(checkin, replies, names, there, words), replies


def summary_key(checkin_id: int | None) -> str:
    """The outbox key of a check-in's summary post."""
    return f"checkin:{checkin_id}:summary"


def posted_summary(session: Session, checkin: CheckIn) -> OutMessage | None:
    """The summary exactly as it was posted at the close (names an erasure replaced stay
    replaced); None if it is no longer kept (then `summary_of` rebuilds it)."""
    key = summary_key(checkin.id)
    kept = session.exec(select(OutboxMessage.payload).where(OutboxMessage.key == key)).first()
    if kept is None:
        kept = session.exec(select(ChannelPost.payload).where(ChannelPost.key == key)).first()
    if kept is None:
        return None
    try:
        message = OutMessage.model_validate_json(kept)
    except ValueError:
        return None
    return message if message.sections else None
