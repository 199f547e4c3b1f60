"""Rows for tests that read the database directly: communities and members, and times as
they come back from SQLite."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from bot.storage.tables import Community, Member


def aware(moment: datetime | None) -> datetime | None:
    """SQLite gives back naive UTC times."""
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


def add_community(
    session: Session, name: str, channel: str, created_at: datetime, timezone: str = "UTC"
) -> int:
    """A console community; its id."""
    row = Community(
        name=name, platform="console", channel_id=channel, timezone=timezone, created_at=created_at
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def add_member(session: Session, community_id: int, name: str, joined_at: datetime) -> Member:
    """A member called `name` (their platform id is the name in lower case)."""
    row = Member(
        community_id=community_id,
        platform_user_id=name.lower(),
        display_name=name,
        timezone="UTC",
        joined_at=joined_at,
    )
    session.add(row)
    session.flush()
    return row
