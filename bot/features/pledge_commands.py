"""What members and the timers ask of pledges.

Their module path names them in a held draft (bot.features.guard), so moving one needs a
migration of `guard_draft.command` (as 0027w did when they moved here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.commands import Command
from bot.domain import pledges as rules


@dataclass(frozen=True)
class MakePledge(Command):
    text: str
    when: str | None = None


@dataclass(frozen=True)
class ListPledges(Command):
    pass


@dataclass(frozen=True)
class SharePledge(Command):
    pledge_id: int
    text: str | None = None  # new words, after the patient-identifier check asked for an edit
    confirmed: bool = False  # seen the patient-identifier warning (bot.features.guard)


@dataclass(frozen=True)
class EditPledge(Command):
    pledge_id: int
    text: str


@dataclass(frozen=True)
class RenewPledge(Command):
    """A new due date: '/cop pledges renew', or 'Still working on it'."""

    pledge_id: int
    when: str | None = None


@dataclass(frozen=True)
class CancelPledge(Command):
    pledge_id: int


@dataclass(frozen=True)
class FollowUpPledge(Command):
    """A job: the midpoint check, the due-date follow-up or the one reminder."""

    pledge_id: int
    due_at: datetime
    stage: rules.Stage


@dataclass(frozen=True)
class StartAnswer(Command):
    """A follow-up button that opens a form: done, later (new date) or help."""

    pledge_id: int
    answer: str


@dataclass(frozen=True)
class CompletePledge(Command):
    pledge_id: int
    outcome: str
    share_win: bool = False
    story_ok: bool = False
    confirmed: bool = False  # seen the patient-identifier warning (bot.features.guard)


@dataclass(frozen=True)
class AskForHelp(Command):
    pledge_id: int
    text: str
    anonymous: bool = False
    confirmed: bool = False  # seen the patient-identifier warning (bot.features.guard)


@dataclass(frozen=True)
class LetGo(Command):
    pledge_id: int


@dataclass(frozen=True)
class OfferHelp(Command):
    pledge_id: int
