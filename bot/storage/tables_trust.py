"""Belonging and trust: the community's norms, the planning group, drafts held by the
patient-identifiable text guard, and the log of administrative actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.storage.keys import key_column


class CommunityNorms(SQLModel, table=True):
    """The norms as conveners last edited them (until then, the configuration's)."""

    __tablename__ = "community_norms"

    community_id: int = Field(foreign_key="community.id", primary_key=True)
    items: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime
    updated_by: int | None = Field(default=None, foreign_key="member.id")


class PlanningVolunteer(SQLModel, table=True):
    """A member who offered to help plan and convene the next sessions."""

    __tablename__ = "planning_volunteer"
    __table_args__ = (UniqueConstraint("community_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    volunteered_at: datetime


class GuardDraft(SQLModel, table=True):
    """Words held back because they may identify a patient, until their author edits them,
    posts them anyway or lets them go. Kept for a day.

    Words meant to be shared anonymously are held the way every anonymous item is
    (bot.anonymity): no member id, only an author key, a random id, and as `created_at` the
    start of the next local day (so the draft pins no time; it is kept until that day ends)."""

    __tablename__ = "guard_draft"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    author_key: str | None = Field(
        default=None, max_length=64, sa_column_kwargs={"info": key_column("guard_draft", "id")}
    )
    command: str = Field(max_length=200)
    args: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    text_field: str = Field(default="text", max_length=40)
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(index=True)


class AdminLog(SQLModel, table=True):
    """Who did what to whom, when: role changes, exports, erasures. Never any content."""

    __tablename__ = "admin_log"
    __table_args__ = (Index("ix_admin_log_community_at", "community_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id")
    actor_member_id: int | None = Field(default=None, foreign_key="member.id")
    action: str = Field(max_length=40)
    target_member_id: int | None = Field(default=None, foreign_key="member.id")
    at: datetime
