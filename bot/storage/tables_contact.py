"""Contact routes: how a member is reached outside their chat platform (an email address),
and the channel's posts kept for the members who read them by email."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class ContactRoute(SQLModel, table=True):
    """A member's email route: the address (None once erased), whether it is confirmed,
    chosen for private messages, unsubscribed, how often the channel's posts arrive, and
    the epoch every signed link carries (bumped to revoke them all)."""

    __tablename__ = "contact_route"
    __table_args__ = (UniqueConstraint("community_id", "address"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", unique=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    #: Lower-cased; None once erased (forget-me, retention).
    address: str | None = Field(default=None, max_length=254)
    invited_at: datetime
    invited_by: int | None = Field(default=None, foreign_key="member.id")
    verified_at: datetime | None = None
    #: Private messages go by email (always, for a member with no chat account).
    for_private: bool = True
    unsubscribed_at: datetime | None = None
    digest: str = Field(default="week", max_length=10)  # 'day' | 'week'
    link_epoch: int = 0
    #: Channel posts up to this outbox-independent record id went out in a digest.
    digested_through: int = 0


class ChannelPost(SQLModel, table=True):
    """A post the channel received, kept (in the words of its message) for the daily or
    weekly email of the members who read the channel by email. Gone after retention."""

    __tablename__ = "channel_post"
    __table_args__ = (Index("ix_channel_post_community", "community_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id")
    key: str = Field(max_length=200, unique=True)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    posted_at: datetime
