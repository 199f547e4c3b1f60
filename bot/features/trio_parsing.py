"""What members type and press for trios: `/cop trios …` and "did you meet?"."""

from bot import commands as c
from bot.config import CommunitySettings
from bot.domain.text import read_number
from bot.errors import UserError
from bot.features.base import Verb, usage_error
from bot.features.trio_commands import (
    MET,
    AnswerTrioMet,
    FormTriosNow,
    JoinTrios,
    LeaveTrios,
    ShowTrios,
    StartTrios,
    StopTrios,
)

MIN_SIZE, MAX_SIZE = 2, 6
MIN_DAYS, MAX_DAYS = 7, 91


def _parse_start(words: list[str]) -> c.Command:
    """`start [size N] [every N weeks]`."""
    size, days = 3, 28
    rest = [w.lower() for w in words]
    while rest:
        if rest[0] == "size" and len(rest) >= 2:
            found = read_number(rest[1])
            if found is None or not MIN_SIZE <= found <= MAX_SIZE:
                raise UserError(f"The group size is a number from {MIN_SIZE} to {MAX_SIZE}.")
            size, rest = found, rest[2:]
        elif rest[0] == "every" and len(rest) >= 3 and rest[2] in ("week", "weeks"):
            found = read_number(rest[1])
            if found is None or not MIN_DAYS <= found * 7 <= MAX_DAYS:
                raise UserError("Form groups every 1 to 13 weeks, e.g. every 4 weeks.")
            days, rest = found * 7, rest[3:]
        else:
            raise usage_error(TRIOS)
    return StartTrios(size, days)


def _parse(rest: str, _settings: CommunitySettings) -> c.Command:
    words = rest.split()
    action = words[0].lower() if words else ""
    if not words:
        return ShowTrios()
    if action == "start":
        return _parse_start(words[1:])
    simple = {"stop": StopTrios, "join": JoinTrios, "leave": LeaveTrios}
    if action in simple and len(words) == 1:
        return simple[action]()
    if action == "now" and len(words) == 1:
        return FormTriosNow()
    raise usage_error(TRIOS)


def met_button(value: str) -> c.Command:
    group, _, answer = value.partition(":")
    number = read_number(group)
    if number is None or answer not in MET:
        raise UserError("That button is out of date. Try /cop trios.")
    return AnswerTrioMet(number, answer)


TRIOS = Verb(
    "trios",
    _parse,
    usage="/cop trios · /cop trios join · /cop trios leave · "
    "/cop trios start [size 3] [every 4 weeks] · /cop trios now · /cop trios stop",
    help="co-consulting trios between meetings: join, see yours, or leave",
    convener_help="start co-consulting trios (/cop trios start size 3 every 4 weeks), "
    "form a round now, or stop them",
    aliases=("trio",),
)
