"""What a feature declares, and small parsing helpers shared by features."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.commands import Command
from bot.config import CommunitySettings
from bot.context import Context
from bot.domain import momentum, when
from bot.domain.text import read_number
from bot.errors import UserError
from bot.messages import Response

TextParser = Callable[[str, CommunitySettings], Command]
ButtonParser = Callable[[str], Command]
FormParser = Callable[[str, Mapping[str, str]], Command]
Handler = Callable[[Any, Context], Response]
#: Reads the domain tables and returns the feature's schedules (bot.scheduling.JobSpec).
JobCollector = Callable[[Any, Any], list[Any]]

MENTION = re.compile(r"^<@([A-Za-z0-9._-]+)(?:\|[^>]*)?>$")


@dataclass(frozen=True)
class Verb:
    """`/cop <name> …`: how to parse it, and how /cop help describes it."""

    name: str
    parse: TextParser
    usage: str
    help: str
    convener_help: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Feature:
    """A capability: its verbs, button actions, forms, command handlers and schedules."""

    name: str
    verbs: tuple[Verb, ...] = ()
    buttons: Mapping[str, ButtonParser] = field(default_factory=dict)
    forms: Mapping[str, FormParser] = field(default_factory=dict)
    handlers: Mapping[type[Command], Handler] = field(default_factory=dict)
    jobs: JobCollector | None = None


def usage_error(verb: Verb) -> UserError:
    """The one-line usage hint for a verb, as a refusal."""
    return UserError(f"Usage: {verb.usage}")


def number_or_usage(word: str, verb: Verb) -> int:
    """A plain number (#12 or 12), or the verb's usage as the refusal."""
    number = read_number(word)
    if number is None:
        raise usage_error(verb)
    return number


def read_moment(ctx: Context, text: str, example: str) -> tuple[datetime, str]:
    """The moment `text` starts with (in the community's time zone) and the rest of it; a
    time that cannot be read is refused with what went wrong and `example`."""
    now = ctx.clock.now()
    try:
        moment, _phrase, rest = momentum.split_when(
            text, lambda phrase: when.parse_moment(phrase, now, ctx.settings.zone)
        )
    except when.WhenError as error:
        raise UserError(f"{error} For example: {example}") from None
    return moment, rest


def mention(word: str) -> str | None:
    """The platform user id in a normalised mention `<@ID>`, else None."""
    found = MENTION.match(word)
    return found.group(1) if found else None


def split_id(value: str, what: str = "button") -> tuple[int, str]:
    """'17:rest' -> (17, 'rest'); anything else is an out-of-date button."""
    number, _, rest = value.partition(":")
    found = read_number(number)
    if found is None:
        raise UserError(f"That {what} is out of date. Try /cop help.")
    return found, rest
