"""Rules about members: quiet hours, being away, who counts."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain import when
from bot.storage.tables import Member


def deliver_at(member: Member, now: datetime) -> datetime:
    """When a private message to `member` may arrive: now, or when their quiet hours end."""
    start, end = when.parse_clock(member.quiet_start), when.parse_clock(member.quiet_end)
    if start == end:  # quiet hours switched off
        return now
    return when.quiet_hours_end(now, ZoneInfo(member.timezone), start, end)


def is_away(member: Member, now: datetime) -> bool:
    """True while the member has said they are away (`/cop skip until …`)."""
    return member.away_until is not None and member.away_until > now
