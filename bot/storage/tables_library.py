"""The community's shared library of resources: table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel


class Resource(SQLModel, table=True):
    """A link or a tip a member shared, in the member's own words, with its tags.

    copbot never fetches a link: the title is what the member wrote, or the link itself.
    """

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    link: str | None = Field(default=None, max_length=500)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    #: Lower-case tags without the '#', sorted.
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    shared_at: datetime
    withdrawn_at: datetime | None = None

    def describe(self) -> str:
        """'Wound photo guide — https://… #dressings #photos'."""
        parts = [self.text] if self.text else []
        if self.link:
            parts.append(self.link)
        return " — ".join(parts) + "".join(f" #{tag}" for tag in self.tags)
