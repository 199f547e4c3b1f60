"""Where a platform needs an address to reach someone or somewhere again (e.g. a Teams
conversation reference: the service URL, conversation and tenant a proactive message goes
to). Written by adapters from what the platform told them; nothing a member typed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class PlatformAddress(SQLModel, table=True):
    """How to reach one user (kind 'user': their 1:1 chat) or one channel on a platform."""

    __tablename__ = "platform_address"
    __table_args__ = (UniqueConstraint("platform", "kind", "target"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    kind: str = Field(max_length=10)  # 'user' | 'channel'
    #: The platform's id of the user or channel.
    target: str = Field(max_length=200)
    #: The conversation to post in (None: not created yet, e.g. a user never spoken to).
    conversation_id: str | None = Field(default=None, max_length=300)
    service_url: str = Field(max_length=300)
    tenant_id: str | None = Field(default=None, max_length=100)
    #: The team a channel belongs to (Teams), or None.
    team_id: str | None = Field(default=None, max_length=200)
    updated_at: datetime
