"""Meeting rhythm, nudges, prompts and the community's close: tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Nudge(SQLModel, table=True):
    """A convener's message, once or on a rhythm, to the channel or to members by DM.

    `status`: draft (previewed, not saved), active, paused, done (a one-off that went).
    Occurrences count only after `active_since`, so resuming never replays missed ones.
    """

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    #: Who wrote it: "Erase everything" takes the nudge with it; "keep my words" keeps it
    #: going, unattributed.
    author_id: int | None = Field(
        default=None, foreign_key="member.id", sa_column_kwargs={"info": {"erase": "authored"}}
    )
    text: str = Field(sa_column=Column(Text, nullable=False))
    when_text: str = Field(max_length=200)
    #: A recurrence phrase (bot.domain.when.parse_recurrence), or None for a one-off.
    recurrence: str | None = Field(default=None, max_length=200)
    fire_at: datetime | None = None
    audience: str = Field(default="channel", max_length=20)
    status: str = Field(default="draft", max_length=20)
    created_at: datetime
    active_since: datetime | None = None
    last_sent_at: datetime | None = None


class PromptSuggestion(SQLModel, table=True):
    """A conversation starter a member suggested: suggested, approved or rejected."""

    __tablename__ = "prompt_suggestion"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    suggested_by: int | None = Field(
        default=None, foreign_key="member.id", sa_column_kwargs={"info": {"erase": "authored"}}
    )
    text: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="suggested", max_length=20)
    created_at: datetime


class PromptPost(SQLModel, table=True):
    """A starter posted in a quiet spell; one per spell (the spell is known by its start)."""

    __tablename__ = "prompt_post"
    __table_args__ = (UniqueConstraint("community_id", "spell_start"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    spell_start: datetime
    prompt_key: str = Field(max_length=60)
    posted_at: datetime


class CommunityClosure(SQLModel, table=True):
    """An orderly close: when, and when the member-level data is erased."""

    __tablename__ = "community_closure"

    community_id: int = Field(foreign_key="community.id", primary_key=True)
    closed_at: datetime
    erase_after: datetime
    erased_at: datetime | None = None
