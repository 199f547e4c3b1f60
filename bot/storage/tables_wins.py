"""Wins and pledges: tables.

A win is celebrated in the channel, named or anonymously; anonymous wins keep no member id,
only a keyed hash that lets their author withdraw them. A pledge is private to its author
unless they share it; its follow-ups are derived from `due_at` and the `*_at` markers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from bot.storage.keys import key_column


class Win(SQLModel, table=True):
    """A win. `status`: awaiting (a nomination waiting for consent), posted, declined,
    withdrawn. `member_id` is the person celebrated (None when anonymous)."""

    __table_args__ = (Index("ix_win_community_posted", "community_id", "posted_at"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id")
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    author_key: str | None = Field(
        default=None, max_length=64, sa_column_kwargs={"info": key_column("win", "id")}
    )
    anonymous: bool = False
    #: Who nominated it (and wrote its words): the win goes when they erase everything.
    nominated_by: int | None = Field(
        default=None, foreign_key="member.id", sa_column_kwargs={"info": {"erase": "authored"}}
    )
    text: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="posted", max_length=20)
    created_at: datetime
    posted_at: datetime | None = None
    withdrawn_at: datetime | None = None
    resurfaced_at: datetime | None = None
    #: The check-in success (reply id) or the kept pledge (pledge id) it came from.
    source_reply_id: int | None = Field(default=None, unique=True)
    source_pledge_id: int | None = Field(default=None, unique=True)


class WinCredit(SQLModel, table=True):
    """A member credited on a win ('/cop win with @ana …')."""

    __tablename__ = "win_credit"

    win_id: int = Field(foreign_key="win.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True)


class WinCheer(SQLModel, table=True):
    """One member's cheer for a win: once per member."""

    __tablename__ = "win_cheer"

    win_id: int = Field(foreign_key="win.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True)
    at: datetime


class Pledge(SQLModel, table=True):
    """One tangible change a member commits to. `status`: open, done, released (let go),
    cancelled. The current cycle runs from `cycle_start` to `due_at`; renewing starts a new
    one and clears the follow-up markers."""

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="open", max_length=20)
    shared: bool = False
    created_at: datetime
    cycle_start: datetime
    due_at: datetime
    #: The due date a renewal replaced (the week it fell in still counts the pledge as due).
    previous_due_at: datetime | None = None
    midpoint_sent_at: datetime | None = None
    followup_sent_at: datetime | None = None
    reminded_at: datetime | None = None
    answered_at: datetime | None = None
    closed_at: datetime | None = None
    outcome: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    story_ok: bool | None = None
    #: When the member was asked whether they would tell the story (once per pledge).
    story_asked_at: datetime | None = None
    help_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    help_anonymous: bool = False
    help_asked_at: datetime | None = None


class HelpRequest(SQLModel, table=True):
    """A request for help posted anonymously (bot.features.help_requests). Like every
    anonymous item (bot.anonymity) it keeps no member id and no pledge: an author key
    (deleted after a week), a random id and the day it was asked."""

    __tablename__ = "help_request"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    author_key: str | None = Field(
        default=None, max_length=64, sa_column_kwargs={"info": key_column("help_request", "id")}
    )
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime
