"""What members type and press for check-ins: `/cop checkin`, `/cop reply`, `/cop skip`,
the reply and skip buttons and the reply form."""

from __future__ import annotations

from collections.abc import Mapping

from bot import commands as c
from bot.config import CommunitySettings
from bot.domain import checkins as rules
from bot.errors import FieldError, UserError
from bot.features.base import Verb, split_id, usage_error

ANONYMOUS_WORDS = {"anon", "anonymous", "anonymously", "unnamed", "chatham"}


def _parse_checkin(rest: str, _settings: CommunitySettings) -> c.Command:
    match rest.lower():
        case "":
            return c.ShowCheckIn()
        case "open" | "start":
            return c.OpenCheckIn()
        case "close" | "end":
            return c.CloseCheckIn()
    raise usage_error(CHECKIN)


def _kind(word: str, kinds: Mapping[str, c.ReplyKind]) -> c.ReplyKind:
    kind = kinds.get(word.lower())
    if kind is None:
        names = " / ".join(dict.fromkeys(kinds))
        raise UserError(f"'{word[:40]}' isn't a kind of reply. Choose one of: {names}.")
    return kind


def _leading_kind(rest: str, kinds: Mapping[str, c.ReplyKind]) -> tuple[c.ReplyKind, str]:
    """Split 'bright spot Shared care plans' into a kind (words may have spaces) and text."""
    lowered = rest.lower()
    for word in sorted(kinds, key=len, reverse=True):
        if lowered == word or lowered.startswith(word + " "):
            return kinds[word], rest[len(word) :].strip()
    return _kind(rest.partition(" ")[0], kinds), ""


def _parse_reply(rest: str, settings: CommunitySettings) -> c.Command:
    kinds = rules.kind_aliases(settings.words)
    if not rest:
        return c.ShowCheckIn()
    first, _, text = rest.partition(" ")
    if first.lower() == "withdraw":
        if not text.strip():
            raise usage_error(REPLY)
        return c.WithdrawReply(_kind(text.strip(), kinds))
    kind, text = _leading_kind(rest, kinds)
    anonymous = False
    word, _, remainder = text.partition(" ")
    if word.lower().strip(",:") in ANONYMOUS_WORDS:
        anonymous, text = True, remainder.strip()
    if not text:
        raise UserError(f"Please add your words after the kind. Usage: {REPLY.usage}")
    return c.ReplyToCheckIn(kind=kind, text=text, anonymous=anonymous)


def _parse_skip(rest: str, _settings: CommunitySettings) -> c.Command:
    lowered = rest.lower()
    if not rest:
        return c.SkipCheckIn()
    if lowered in ("off", "back", "stop"):
        return c.SkipCheckIn(off=True)
    if lowered.startswith("until "):
        return c.SkipCheckIn(until=rest[6:].strip())
    raise usage_error(SKIP)


def reply_button(value: str) -> c.Command:
    checkin_id, kind = split_id(value)
    if kind not in c.REPLY_KINDS:
        raise UserError("That button is out of date. Try /cop checkin.")
    return c.StartReply(checkin_id=checkin_id, kind=kind)  # type: ignore[arg-type]


def skip_button(value: str) -> c.Command:
    checkin_id, _ = split_id(value)
    return c.SkipCheckIn(checkin_id=checkin_id)


def reply_form(metadata: str, values: Mapping[str, str]) -> c.Command:
    checkin_id, kind = split_id(metadata, "form")
    if kind not in c.REPLY_KINDS:
        raise UserError("That form is out of date. Try /cop checkin.")
    share = values.get("share", "named")
    if share not in ("named", "anonymous"):
        raise FieldError(
            "Please choose whether to share with your name or anonymously.", field="share"
        )
    return c.ReplyToCheckIn(
        kind=kind,  # type: ignore[arg-type]
        text=values.get("text", ""),
        anonymous=share == "anonymous",
        checkin_id=checkin_id,
    )


CHECKIN = Verb(
    "checkin",
    _parse_checkin,
    usage="/cop checkin · /cop checkin open · /cop checkin close",
    help="see the open check-in and your replies",
    convener_help="open or close a check-in now (/cop checkin open · close)",
    aliases=("check-in",),
)
REPLY = Verb(
    "reply",
    _parse_reply,
    usage="/cop reply <kind> [anonymously] <text> · /cop reply withdraw <kind> · /cop reply",
    help="share a success, challenge or learning (add 'anonymously' to leave your name off)",
)
SKIP = Verb(
    "skip",
    _parse_skip,
    usage="/cop skip · /cop skip until <date> · /cop skip off",
    help="skip this check-in, or say you are away until a date",
)
