"""SQLModel tables. Every time is stored UTC-aware; every person has an IANA timezone.

The tables double as the domain's entities; the rules that act on them live in
`bot.domain` as plain functions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.storage.keys import key_column

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Community(SQLModel, table=True):
    """A community of practice, bound to one channel on one platform."""

    __table_args__ = (UniqueConstraint("platform", "channel_id"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60, unique=True)
    platform: str = Field(max_length=20)
    channel_id: str = Field(max_length=100)
    timezone: str = Field(max_length=64)
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime
    closed_at: datetime | None = None


class Member(SQLModel, table=True):
    """A person in a community, recorded on their first interaction."""

    __table_args__ = (UniqueConstraint("community_id", "platform_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    platform_user_id: str = Field(max_length=100)
    display_name: str = Field(max_length=100)
    timezone: str = Field(max_length=64)
    quiet_start: str = Field(default="20:00", max_length=5)
    quiet_end: str = Field(default="08:00", max_length=5)
    is_convener: bool = False
    is_keeper: bool = False
    muted_checkins: bool = False
    away_until: datetime | None = None
    joined_at: datetime
    #: When they first used copbot; None for a convener or keeper named in the settings file
    #: who has not yet typed anything (their member row exists from start-up).
    first_seen_at: datetime | None = None


class Meeting(SQLModel, table=True):
    """A meeting of the community (from config or set by a convener)."""

    __table_args__ = (UniqueConstraint("community_id", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    starts_at: datetime
    topic: str | None = Field(default=None, max_length=300)
    cancelled: bool = False
    #: The calendar identity (RFC 5545 UID): kept when the meeting moves (a move makes a new
    #: row), with `sequence` one higher for every change a calendar must take in.
    uid: str = Field(default_factory=lambda: uuid4().hex, max_length=64)
    sequence: int = 0


class CheckIn(SQLModel, table=True):
    """One round of 'what has happened since we last met?'."""

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    question: str = Field(sa_column=Column(Text, nullable=False))
    opened_at: datetime
    closes_at: datetime
    remind_at: datetime | None = None
    closed_at: datetime | None = None
    reminded_at: datetime | None = None


class CheckInReply(SQLModel, table=True):
    """A member's reply. Anonymous replies carry no member id at all: only a keyed
    hash of (check-in, member) so that the author alone can edit it."""

    __tablename__ = "checkin_reply"
    __table_args__ = (
        UniqueConstraint("checkin_id", "author_key", "kind"),
        # A member's own named reply is found by index (see _MY_REPLY in features/checkins).
        Index("ix_checkin_reply_checkin_member", "checkin_id", "member_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    checkin_id: int = Field(foreign_key="checkin.id", index=True)
    author_key: str = Field(
        max_length=64, sa_column_kwargs={"info": key_column("checkin_reply:{kind}", "checkin_id")}
    )
    member_id: int | None = Field(default=None, foreign_key="member.id")
    kind: str = Field(max_length=20)
    text: str = Field(sa_column=Column(Text, nullable=False))
    anonymous: bool = False


class CheckInSkip(SQLModel, table=True):
    """A member said 'not this time' to one check-in: no reminder."""

    __tablename__ = "checkin_skip"

    checkin_id: int = Field(foreign_key="checkin.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True)


class Activity(SQLModel, table=True):
    """Something a member did (replied, cheered, pledged, voted…), for keepers' figures.

    Anonymous contributions are recorded with no member id: counted, never attributed.
    """

    __table_args__ = (Index("ix_activity_community_at", "community_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id")
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    kind: str = Field(max_length=30)
    at: datetime


class InboundEvent(SQLModel, table=True):
    """A platform event already handled (e.g. Slack's event_id): platforms retry, we act once."""

    __tablename__ = "inbound_event"
    __table_args__ = (UniqueConstraint("source", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=40)
    event_id: str = Field(max_length=200)
    received_at: datetime = Field(index=True)


class JobClaim(SQLModel, table=True):
    """One scheduled occurrence, claimed before it acts: the key to 'exactly once'."""

    __tablename__ = "job_claim"
    __table_args__ = (UniqueConstraint("job_key", "occurrence"),)

    id: int | None = Field(default=None, primary_key=True)
    job_key: str = Field(max_length=120)
    occurrence: str = Field(max_length=40)
    fire_time: datetime
    claimed_at: datetime
    outcome: str = Field(max_length=20)


class OutboxMessage(SQLModel, table=True):
    """A message to deliver, written in the same transaction as the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    community_id: int | None = Field(default=None, foreign_key="community.id", index=True)
    platform: str = Field(max_length=20)
    channel_id: str | None = Field(default=None, max_length=100)
    user_id: str | None = Field(default=None, max_length=100)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", max_length=20)
    attempts: int = 0
    next_attempt_at: datetime
    expires_at: datetime | None = None
    lease_until: datetime | None = None
    last_error: str | None = Field(default=None, max_length=500)
    message_id: str | None = Field(default=None, max_length=100)
    created_at: datetime
    sent_at: datetime | None = None


class AppSetting(SQLModel, table=True):
    """Small install-wide values (e.g. the generated secret key)."""

    __tablename__ = "app_setting"

    key: str = Field(primary_key=True, max_length=60)
    value: str = Field(sa_column=Column(Text, nullable=False))
