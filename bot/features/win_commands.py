"""What members and the adapters ask of wins (the commands the wins feature handles).

Their module path names them in a held draft (bot.features.guard), so moving one needs a
migration of `guard_draft.command` (as 0027w did when they moved here)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.commands import Command


@dataclass(frozen=True)
class PostWin(Command):
    """Celebrate a win now: named (optionally crediting members) or anonymously."""

    text: str
    credits: tuple[str, ...] = ()
    anonymous: bool = False
    confirmed: bool = False  # seen the patient-identifier warning (bot.features.guard)


@dataclass(frozen=True)
class NominateWin(Command):
    """Celebrate someone else's contribution, once they agree."""

    nominee: str
    text: str
    confirmed: bool = False  # seen the patient-identifier warning (bot.features.guard)


@dataclass(frozen=True)
class AnswerNomination(Command):
    win_id: int
    agree: bool


@dataclass(frozen=True)
class CheerWin(Command):
    win_id: int


@dataclass(frozen=True)
class WithdrawWin(Command):
    win_id: int


@dataclass(frozen=True)
class ListWins(Command):
    pass


@dataclass(frozen=True)
class WinFromReply(Command):
    """Turn one's own named check-in success into a win (the button after a check-in)."""

    reply_id: int


@dataclass(frozen=True)
class WinFromReaction(Command):
    """Someone reacted 🎉 to a member's message: ask its author whether to share a win."""

    author_user_id: str
    message_ref: str  # the platform's reference to the message, to ask only once


@dataclass(frozen=True)
class StartWinForm(Command):
    """Open the 'share a win' form (the button in that private question)."""
