"""What conveners and the timers ask of nudges."""

from dataclasses import dataclass
from datetime import datetime

from bot import commands as c


@dataclass(frozen=True)
class AddNudge(c.Command):
    """`<when> [to <who>] <text>`, read when handled (it needs the time)."""

    text: str


@dataclass(frozen=True)
class SaveNudge(c.Command):
    nudge_id: int


@dataclass(frozen=True)
class DiscardDraft(c.Command):
    nudge_id: int


@dataclass(frozen=True)
class ListNudges(c.Command):
    pass


@dataclass(frozen=True)
class SetNudgeStatus(c.Command):
    nudge_id: int
    action: str  # pause, resume, delete


@dataclass(frozen=True)
class EditNudge(c.Command):
    nudge_id: int
    part: str  # text, when, to
    value: str


@dataclass(frozen=True)
class SendNudge(c.Command):
    """A job: one occurrence of a nudge."""

    nudge_id: int
    occurrence: datetime
