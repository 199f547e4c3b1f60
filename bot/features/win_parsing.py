"""What members type and press for wins: `/cop win …`, `/cop wins`, the buttons and the
share form."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.commands import Command
from bot.config import CommunitySettings
from bot.domain.text import read_number
from bot.errors import FieldError, UserError
from bot.features.base import ButtonParser, Verb, mention, split_id, usage_error
from bot.features.win_commands import (
    AnswerNomination,
    CheerWin,
    ListWins,
    NominateWin,
    PostWin,
    StartWinForm,
    WinFromReaction,
    WinFromReply,
    WithdrawWin,
)

ANONYMOUS_WORDS = {"anon", "anonymous", "anonymously", "unnamed", "chatham"}
_MENTION_HEAD = re.compile(
    r"\s*(<@[A-Za-z0-9._-]+(?:\|[^>]*)?>)[,:]?(?:\s+(?:and|&)(?=\s))?\s*", re.I
)


def _number(text: str) -> int | None:
    return read_number(text)


def _leading_mentions(text: str) -> tuple[list[str], str]:
    """'<@ana> and <@ben>: We did it' -> (['ana', 'ben'], 'We did it'); line breaks are kept."""
    found: list[str] = []
    while head := _MENTION_HEAD.match(text):
        user_id = mention(head.group(1))
        assert user_id is not None
        found.append(user_id)
        text = text[head.end() :]
    return found, text.strip()


def _parse_win(rest: str, _settings: CommunitySettings) -> Command:
    if not rest:
        return ListWins()
    first, _, tail = rest.partition(" ")
    keyword, tail = first.lower().strip(",:"), tail.strip()
    if keyword in ("withdraw", "cheer"):
        number = _number(tail)
        if number is None:
            raise usage_error(WIN)
        return WithdrawWin(number) if keyword == "withdraw" else CheerWin(number)
    if keyword == "for":
        people, text = _leading_mentions(tail)
        if len(people) != 1:
            raise UserError(f"Nominate one person at a time: /cop win for @someone <text>. {_HINT}")
        if not text:
            raise UserError("Please say what you'd like to celebrate, after their name.")
        return NominateWin(nominee=people[0], text=text)
    if keyword == "with":
        people, text = _leading_mentions(tail)
        if not people:
            raise UserError(f"Mention who to credit: /cop win with @ana @ben <text>. {_HINT}")
        if not text:
            raise UserError("Please say what you'd like to celebrate, after the names.")
        return PostWin(text=text, credits=tuple(dict.fromkeys(people)))
    if keyword in ANONYMOUS_WORDS:
        if not tail:
            raise UserError("Please say what you'd like to celebrate, after 'anonymously'.")
        if tail.lower().startswith("with "):
            people, words = _leading_mentions(tail[5:])
            if people:  # "with @ana …" credits; "with the team we …" is the win's own words
                return PostWin(text=words, credits=tuple(dict.fromkeys(people)), anonymous=True)
        return PostWin(text=tail, anonymous=True)
    return PostWin(text=rest)


def _parse_wins(rest: str, _settings: CommunitySettings) -> Command:
    if rest:
        raise usage_error(WINS)
    return ListWins()


_HINT = "Type @ and pick their name."

WIN = Verb(
    "win",
    _parse_win,
    usage="/cop win <text> · /cop win with @someone … <text> · /cop win for @someone <text> · "
    "/cop win anonymously <text> · /cop win cheer <number> · /cop win withdraw <number>",
    help="celebrate a win in the channel ('with @…' credits others; 'for @…' nominates "
    "someone, posted only if they agree)",
)
WINS = Verb("wins", _parse_wins, usage="/cop wins", help="recent wins and their cheers")

BUTTONS: Mapping[str, ButtonParser] = {
    "win.cheer": lambda value: CheerWin(split_id(value)[0]),
    "win.agree": lambda value: AnswerNomination(split_id(value)[0], True),
    "win.decline": lambda value: AnswerNomination(split_id(value)[0], False),
    "win.from_reply": lambda value: WinFromReply(split_id(value)[0]),
    "win.from_reaction": lambda value: _reaction(value),
    "win.share": lambda _value: StartWinForm(),
}


def share_form(_metadata: str, values: Mapping[str, str]) -> Command:
    """The win form: its text, and (where the form asks) named or anonymously."""
    share = values.get("share", "named")
    if share not in ("named", "anonymous"):
        raise FieldError(
            "Please choose whether to share with your name or anonymously.", field="share"
        )
    return PostWin(text=values.get("text", ""), anonymous=share == "anonymous")


def _reaction(value: str) -> Command:
    """'<author user id>:<message reference…>' from an adapter's 🎉 reaction."""
    author, _, ref = value.partition(":")
    if not author or not ref:
        raise UserError("I couldn't tell whose message that was.")
    return WinFromReaction(author_user_id=author, message_ref=ref)
