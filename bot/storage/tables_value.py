"""The community's goals, and the anonymous pulses that ask how far it got: tables.

A pulse asks every member privately, once, a few questions: for a goals pulse "how far did
we get towards <goal>?" (1 to 5), for an impact pulse whether taking part improved their
knowledge, skills, confidence, motivation, and helped them change something in their
practice (yes or no). Answers are stored like every anonymous item (bot.anonymity): no
member id, a random id, only the day, and an author key scoped to the pulse (so a member can
answer again, replacing their answer) that is made random when the pulse closes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from bot.storage.keys import key_column

#: The impact questions, in the order the form and the report use.
IMPACT_QUESTIONS: tuple[str, ...] = ("knowledge", "skills", "confidence", "motivation", "practice")
PULSE_KINDS: tuple[str, ...] = ("goals", "impact")


class Goal(SQLModel, table=True):
    """One of the community's 1 to 5 goals, set by a convener; removed ones are kept (their
    pulses still name them) with `removed_at`."""

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    text: str = Field(max_length=200)
    set_by: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime
    removed_at: datetime | None = None


class Pulse(SQLModel, table=True):
    """One round of questions to every member: a goals pulse or an impact pulse."""

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    kind: str = Field(max_length=10)
    #: The meeting after which it was asked (None: a convener asked for it).
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    opened_at: datetime
    closes_at: datetime
    closed_at: datetime | None = None
    #: The goals asked about, as "id:text" lines (the goals may change later).
    questions: str = Field(default="", sa_column=Column(Text, nullable=False))


class PulseAnswer(SQLModel, table=True):
    """One anonymous answer to one question of a pulse (`question`: a goal id, or an impact
    question's name); `value` 1 to 5 for goals, 1 (yes) or 0 (no) for impact."""

    __tablename__ = "pulse_answer"

    id: int | None = Field(default=None, primary_key=True)
    pulse_id: int = Field(foreign_key="pulse.id", index=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    question: str = Field(max_length=20)
    value: int
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    author_key: str | None = Field(
        default=None, max_length=64, sa_column_kwargs={"info": key_column("pulse", "pulse_id")}
    )
    answered_on: datetime
