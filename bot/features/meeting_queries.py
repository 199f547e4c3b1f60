"""What other features read about meetings: when they are, the next one, and the
challenges the last check-in brought to the agenda (named query functions)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot.storage.tables import CheckIn, CheckInReply, Meeting


def meeting_starts(session: Session, community_id: int) -> list[datetime]:
    """Every meeting start (not cancelled), ascending."""
    return list(
        session.exec(
            select(Meeting.starts_at)
            .where(Meeting.community_id == community_id, col(Meeting.cancelled).is_(False))
            .order_by(col(Meeting.starts_at))
        ).all()
    )


def next_meeting(session: Session, community_id: int, now: datetime) -> Meeting | None:
    """The next meeting to start after `now`."""
    return session.exec(
        select(Meeting)
        .where(
            Meeting.community_id == community_id,
            col(Meeting.cancelled).is_(False),
            col(Meeting.starts_at) > now,
        )
        .order_by(col(Meeting.starts_at))
    ).first()


def open_challenges(session: Session, community_id: int) -> list[str]:
    """The challenges shared at the last closed check-in: texts only, never names, in
    alphabetical order (so neither order nor name gives an author away)."""
    last = session.exec(
        select(CheckIn.id)
        .where(CheckIn.community_id == community_id, col(CheckIn.closed_at).is_not(None))
        .order_by(col(CheckIn.closed_at).desc())
    ).first()
    if last is None:
        return []
    return sorted(
        session.exec(
            select(CheckInReply.text).where(
                CheckInReply.checkin_id == last, CheckInReply.kind == "challenge"
            )
        ).all()
    )
