"""What members type and press for pledges: `/cop pledge …`, `/cop pledges …`, the follow-up
buttons and forms."""

from __future__ import annotations

from collections.abc import Mapping

from bot.commands import Command
from bot.config import CommunitySettings
from bot.domain import pledges as rules
from bot.domain.text import read_number
from bot.errors import UserError
from bot.features.base import ButtonParser, FormParser, Verb, split_id, usage_error
from bot.features.pledge_commands import (
    AskForHelp,
    CancelPledge,
    CompletePledge,
    EditPledge,
    LetGo,
    ListPledges,
    MakePledge,
    OfferHelp,
    RenewPledge,
    SharePledge,
    StartAnswer,
)


def _number(text: str) -> int | None:
    return read_number(text)


def _parse_pledge(rest: str, _settings: CommunitySettings) -> Command:
    if not rest:
        return ListPledges()
    first, _, tail = rest.partition(" ")
    if first.lower() == "share" and (number := _number(tail)) is not None:
        return SharePledge(number)
    text, moment = rules.split_when(rest)
    if not text:
        raise UserError(f"Please say what you'll do. Usage: {PLEDGE.usage}")
    return MakePledge(text=text, when=moment)


def _parse_pledges(rest: str, _settings: CommunitySettings) -> Command:
    if not rest:
        return ListPledges()
    action, _, tail = rest.partition(" ")
    number_text, _, remainder = tail.strip().partition(" ")
    number = _number(number_text)
    action, remainder = action.lower(), remainder.strip()
    if number is None:
        raise usage_error(PLEDGES)
    if action == "edit" and remainder:
        return EditPledge(number, remainder)
    if action == "renew":
        return RenewPledge(number, remainder or None)
    if action == "cancel" and not remainder:
        return CancelPledge(number)
    if action == "share" and not remainder:
        return SharePledge(number)
    raise usage_error(PLEDGES)


def pledge_id_of(value: str) -> int:
    """The pledge a button or form names."""
    return split_id(value)[0]


def _done_form(metadata: str, values: Mapping[str, str]) -> Command:
    return CompletePledge(
        pledge_id=split_id(metadata, "form")[0],
        outcome=values.get("outcome", ""),
        share_win=values.get("win") == "yes",
        story_ok=values.get("story") == "yes",
    )


def _renew_form(metadata: str, values: Mapping[str, str]) -> Command:
    return RenewPledge(split_id(metadata, "form")[0], values.get("when", "").strip() or None)


def _help_form(metadata: str, values: Mapping[str, str]) -> Command:
    share = values.get("share", "named")
    if share not in ("named", "anonymous"):
        raise UserError("Please choose whether to post it with your name or anonymously.")
    return AskForHelp(
        split_id(metadata, "form")[0], values.get("help", ""), anonymous=share == "anonymous"
    )


PLEDGE = Verb(
    "pledge",
    _parse_pledge,
    usage="/cop pledge <text> [by <when>] · /cop pledge share <number>",
    help="commit to one change in your practice (private unless you share it); I'll follow "
    "up on the date (default: the next meeting)",
)
PLEDGES = Verb(
    "pledges",
    _parse_pledges,
    usage="/cop pledges · /cop pledges edit <number> <text> · /cop pledges renew <number> "
    "[by <when>] · /cop pledges cancel <number> · /cop pledges share <number>",
    help="your pledges: see, edit, renew, cancel or share them (keepers also see how many are "
    "open, never what they say)",
)

BUTTONS: Mapping[str, ButtonParser] = {
    "pledge.share": lambda value: SharePledge(pledge_id_of(value)),
    "pledge.done": lambda value: StartAnswer(pledge_id_of(value), "done"),
    "pledge.later": lambda value: StartAnswer(pledge_id_of(value), "later"),
    "pledge.help": lambda value: StartAnswer(pledge_id_of(value), "help"),
    "pledge.letgo": lambda value: LetGo(pledge_id_of(value)),
    "pledge.offer": lambda value: OfferHelp(pledge_id_of(value)),
}
FORMS: Mapping[str, FormParser] = {
    "pledge.done": _done_form,
    "pledge.renew": _renew_form,
    "pledge.help": _help_form,
}
