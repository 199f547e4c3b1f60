"""What members, conveners and the timers ask of co-consulting trios."""

from dataclasses import dataclass

from bot import commands as c

#: "Did your group meet?": the answers, by the value their buttons carry.
MET = {"yes": "Yes, we met", "not_yet": "Not yet", "skip": "Skip this round"}


@dataclass(frozen=True)
class StartTrios(c.Command):
    size: int = 3
    every_days: int = 28


@dataclass(frozen=True)
class StopTrios(c.Command):
    pass


@dataclass(frozen=True)
class JoinTrios(c.Command):
    pass


@dataclass(frozen=True)
class LeaveTrios(c.Command):
    pass


@dataclass(frozen=True)
class ShowTrios(c.Command):
    pass


@dataclass(frozen=True)
class FormTrioRound(c.Command):
    """A job (or `/cop trios now`): form this round's groups."""

    rotation_id: int


@dataclass(frozen=True)
class CheckTrioGroup(c.Command):
    """A job: ask one group whether they met."""

    group_id: int


@dataclass(frozen=True)
class AnswerTrioMet(c.Command):
    group_id: int
    answer: str


@dataclass(frozen=True)
class FormTriosNow(c.Command):
    """`/cop trios now`: the active rotation's round, formed at once."""
