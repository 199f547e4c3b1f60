"""One-off events beside the meeting rhythm, and who is coming: tables."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class Event(SQLModel, table=True):
    """A one-off gathering (a drop-in, a webinar, a social) outside the meeting rhythm.

    Events get the meetings' reminders, answers and calendar files, but never move the
    check-in rhythm, which follows meetings only.
    """

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    starts_at: datetime
    title: str = Field(max_length=200)
    link: str | None = Field(default=None, max_length=500)
    created_by: int | None = Field(default=None, foreign_key="member.id")
    cancelled: bool = False
    uid: str = Field(default_factory=lambda: uuid4().hex, max_length=64)
    sequence: int = 0


class Rsvp(SQLModel, table=True):
    """A member's answer to "are you coming?" for one meeting or one event.

    `answer`: going, maybe or no. One row per member and gathering; changing the answer
    updates it. Answers are attendance intentions, never counted as taking part.
    """

    __table_args__ = (
        UniqueConstraint("meeting_id", "member_id"),
        UniqueConstraint("event_id", "member_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", index=True)
    event_id: int | None = Field(default=None, foreign_key="event.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    answer: str = Field(max_length=10)
    answered_at: datetime
