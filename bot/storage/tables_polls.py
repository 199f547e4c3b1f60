"""Wicked problems, polls and ballots: tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.storage.keys import key_column


class Problem(SQLModel, table=True):
    """A candidate 'wicked problem' a member proposed for a future meeting.

    status: open (a candidate), merged (into `merged_into_id`), withdrawn, chosen."""

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    text: str = Field(max_length=300)
    #: Who proposed it: their words go when they erase everything (bot.features.erase).
    proposer_id: int | None = Field(
        default=None, foreign_key="member.id", sa_column_kwargs={"info": {"erase": "authored"}}
    )
    status: str = Field(default="open", max_length=20)
    merged_into_id: int | None = Field(default=None, foreign_key="problem.id")
    created_at: datetime
    chosen_at: datetime | None = None


class Poll(SQLModel, table=True):
    """A question put to the community, with a method, a deadline and its result.

    outcome (once closed): winner, tie, none (no votes), decided (a convener broke a tie),
    runoff (a tie sent to a new poll)."""

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    question: str = Field(max_length=300)
    method: str = Field(max_length=20)
    dots: int = 3
    anonymous: bool = False
    live: bool = False
    sets_topic: bool = False
    opened_by: int | None = Field(default=None, foreign_key="member.id")
    opened_at: datetime
    closes_at: datetime
    remind_at: datetime | None = None
    reminded_at: datetime | None = None
    closed_at: datetime | None = None
    outcome: str | None = Field(default=None, max_length=20)
    winner: int | None = None  # the winning option's number
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    runoff_of: int | None = Field(default=None, foreign_key="poll.id")


class PollOption(SQLModel, table=True):
    """One option of a poll, numbered from 1; possibly a candidate problem."""

    __tablename__ = "poll_option"
    __table_args__ = (UniqueConstraint("poll_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.id", index=True)
    number: int
    label: str = Field(max_length=300)
    problem_id: int | None = Field(default=None, foreign_key="problem.id")


class Ballot(SQLModel, table=True):
    """One voter's ballot. It is found by `voter_key`, a keyed hash of (poll, member), so
    its voter can see and change it. On an anonymous poll it keeps no member id and no
    time at all: nothing in the database links it to a person."""

    poll_id: int = Field(foreign_key="poll.id", primary_key=True)
    voter_key: str = Field(
        max_length=64,
        primary_key=True,
        sa_column_kwargs={"info": key_column("ballot", "poll_id")},
    )
    member_id: int | None = Field(default=None, foreign_key="member.id")
    choices: list[int] = Field(sa_column=Column(JSON, nullable=False))
