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


class TimePoll(SQLModel, table=True):
    """ "When can you come?": candidate times for the next meeting, until a convener picks one."""

    __tablename__ = "time_poll"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    created_by: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime
    topic: str | None = Field(default=None, max_length=300)
    closed_at: datetime | None = None
    #: The meeting made from the chosen time.
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")


class TimeSlot(SQLModel, table=True):
    """One candidate time of a TimePoll (`position` 1, 2, … as shown)."""

    __tablename__ = "time_slot"
    __table_args__ = (UniqueConstraint("poll_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="time_poll.id", index=True)
    position: int
    starts_at: datetime


class TimeAnswer(SQLModel, table=True):
    """A member's yes / if need be / no for one candidate time."""

    __tablename__ = "time_answer"
    __table_args__ = (UniqueConstraint("slot_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    slot_id: int = Field(foreign_key="time_slot.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    answer: str = Field(max_length=10)
    answered_at: datetime


class TrioRotation(SQLModel, table=True):
    """Co-consulting groups formed every few weeks from the members who opted in."""

    __tablename__ = "trio_rotation"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    size: int = 3
    every_days: int = 28
    started_at: datetime
    #: When the next round is formed (the first after a few days to opt in).
    next_round_at: datetime
    rounds: int = 0
    stopped_at: datetime | None = None


class TrioOptIn(SQLModel, table=True):
    """A member in the rotation (until they leave)."""

    __tablename__ = "trio_opt_in"
    __table_args__ = (UniqueConstraint("rotation_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    rotation_id: int = Field(foreign_key="trio_rotation.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    joined_at: datetime


class TrioGroup(SQLModel, table=True):
    """One group of one round."""

    __tablename__ = "trio_group"

    id: int | None = Field(default=None, primary_key=True)
    rotation_id: int = Field(foreign_key="trio_rotation.id", index=True)
    round_number: int
    formed_at: datetime
    #: When members are asked whether they met.
    check_at: datetime
    checked_at: datetime | None = None


class TrioSeat(SQLModel, table=True):
    """A member's place in a group, and their answer to "did you meet?"."""

    __tablename__ = "trio_seat"
    __table_args__ = (UniqueConstraint("group_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="trio_group.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    #: yes, not_yet or skip (None: not answered).
    met: str | None = Field(default=None, max_length=10)
