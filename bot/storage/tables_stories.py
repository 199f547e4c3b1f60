"""Value-creation stories (for the digest and evaluation), and the index the digest reads.

A story belongs to its teller (so they can list their own); `consent` says whether it may be
quoted: "named", "anonymous" (quoted without a name) or "no" (counted, never quoted). A story
to be quoted anonymously is stored like every anonymous item (bot.anonymity): no member id,
an author key (deleted after a week, bot.features.sealing), a random id, only the day.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from bot.storage.keys import key_column
from bot.storage.tables import Activity

#: Value cycles (Wenger-Trayner): the order the form and the digest use.
CYCLES: tuple[str, ...] = ("immediate", "potential", "applied", "realised", "reframing")
CONSENTS: tuple[str, ...] = ("named", "anonymous", "no")


class Story(SQLModel, table=True):
    """One member's value story: what happened, what difference it made, and its cycle."""

    __table_args__ = (Index("ix_story_community_created", "community_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id")
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    author_key: str | None = Field(
        default=None, max_length=64, sa_column_kwargs={"info": key_column("story", "id")}
    )
    what: str = Field(sa_column=Column(Text, nullable=False))
    difference: str = Field(sa_column=Column(Text, nullable=False))
    cycle: str = Field(max_length=20)
    consent: str = Field(max_length=20)
    created_at: datetime


#: Per-member first/last activity in one index seek each: the digest's quiet voices and
#: first-time contributors stay bounded however long the history grows.
ACTIVITY_MEMBER_AT = Index(
    "ix_activity_member_at",
    Activity.__table__.c.member_id,  # type: ignore[attr-defined]
    Activity.__table__.c.at,  # type: ignore[attr-defined]
)


class ActivityWeek(SQLModel, table=True):
    """Participation figures of one finished period [week_start, week_end), kept once
    computed: activity is only ever recorded at 'now', so a past period never changes.
    The digest's chart reads these instead of re-counting weeks of activity."""

    __tablename__ = "activity_week"

    community_id: int = Field(foreign_key="community.id", primary_key=True)
    week_start: datetime = Field(primary_key=True)
    week_end: datetime = Field(primary_key=True)
    active: int
    contributions: int
    anonymous: int
