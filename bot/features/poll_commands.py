"""What people and jobs ask of polls: frozen dataclasses, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass

from bot.commands import Command
from bot.domain import tally as counting

#: The form's "Votes and results" choices.
PRIVACY = {
    "named-hidden": "named votes; results when it closes",
    "named-live": "named votes; results live",
    "anonymous-hidden": "anonymous votes; results when it closes",
    "anonymous-live": "anonymous votes; results live",
}


@dataclass(frozen=True)
class OpenPoll(Command):
    """Open a poll: ad hoc (question + options) or from the candidate problems."""

    question: str | None = None
    options: tuple[str, ...] = ()
    from_problems: bool = False
    problem_ids: tuple[int, ...] = ()
    method: counting.Method = "single"
    dots: int = counting.DEFAULT_DOTS
    deadline: str | None = None
    anonymous: bool = False
    live: bool = False
    sets_topic: bool | None = None  # None: yes for problems, no for ad hoc questions


@dataclass(frozen=True)
class StartPollForm(Command):
    pass


@dataclass(frozen=True)
class ShowPolls(Command):
    pass


@dataclass(frozen=True)
class ShowPoll(Command):
    poll_id: int


@dataclass(frozen=True)
class ClosePoll(Command):
    poll_id: int


@dataclass(frozen=True)
class RemindPoll(Command):
    poll_id: int


@dataclass(frozen=True)
class DecidePoll(Command):
    poll_id: int
    option: str


@dataclass(frozen=True)
class RunoffPoll(Command):
    poll_id: int
    deadline: str | None = None


@dataclass(frozen=True)
class Vote(Command):
    """A whole ballot, typed (`/cop vote 4 3 1 2`) or sent from the ballot form."""

    poll_id: int
    text: str


@dataclass(frozen=True)
class PressOption(Command):
    """A vote button: choose the option (one choice) or add/remove it (multiple choice)."""

    poll_id: int
    number: int


@dataclass(frozen=True)
class StartBallot(Command):
    """Open the ballot form (ranked, dots), or show the ballot with its buttons."""

    poll_id: int


@dataclass(frozen=True)
class ClearVote(Command):
    poll_id: int


@dataclass(frozen=True)
class ShowBallots(Command):
    """`/cop vote`: your ballots in the open polls."""

    poll_id: int | None = None
