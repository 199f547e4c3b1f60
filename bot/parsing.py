"""Turn what a person typed, clicked or submitted into a Command. Same words on every platform."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping

from bot import commands as c
from bot.errors import UserError

MENTION = re.compile(r"^<@([A-Za-z0-9._-]+)(?:\|[^>]*)?>$")
ANONYMOUS_WORDS = {"anon", "anonymous", "anonymously", "unnamed", "chatham"}

USAGE = {
    "help": "/cop help [verb]",
    "checkin": "/cop checkin · /cop checkin open · /cop checkin close",
    "reply": "/cop reply <kind> [anonymously] <text> · /cop reply withdraw <kind> · /cop reply",
    "skip": "/cop skip · /cop skip until <date> · /cop skip off",
    "me": "/cop me · /cop me timezone <Area/City> · /cop me quiet 21:00-07:00 · "
    "/cop me mute · /cop me unmute",
    "role": "/cop role · /cop role @someone convener|keeper|member",
    "undelivered": "/cop undelivered · /cop undelivered retry",
}


def usage(verb: str) -> str:
    """The one-line usage hint for `verb`."""
    return f"Usage: {USAGE[verb]}"


def parse(inbound: c.Inbound, kinds: Mapping[str, c.ReplyKind]) -> c.Command:
    """Translate one interaction. `kinds` maps the community's words to reply kinds."""
    if inbound.kind == "button":
        return _button(inbound.action, inbound.value)
    if inbound.kind == "form":
        return _form(inbound.form_id, inbound.metadata, dict(inbound.values))
    return parse_text(inbound.text, kinds)


def parse_text(text: str, kinds: Mapping[str, c.ReplyKind]) -> c.Command:
    """Parse the words after `/cop`."""
    text = text.strip()
    if text.lower().startswith("/cop"):
        text = text[4:].strip()
    verb, _, rest = text.partition(" ")
    verb = verb.lower()
    rest = rest.strip()
    if verb in ("", "help"):
        topic = rest.lower() or None
        if topic is not None and topic not in USAGE:
            raise UserError(f"There's no help on '{rest}'. Try /cop help.")
        return c.ShowHelp(topic)
    parser = _TEXT_PARSERS.get(verb)
    if parser is None:
        raise UserError(f"I don't know '/cop {verb}'. Try /cop help to see what I can do.")
    return parser(rest, kinds)


def _checkin(rest: str, _kinds: Mapping[str, c.ReplyKind]) -> c.Command:
    match rest.lower():
        case "":
            return c.ShowCheckIn()
        case "open" | "start":
            return c.OpenCheckIn()
        case "close" | "end":
            return c.CloseCheckIn()
    raise UserError(usage("checkin"))


def _kind(word: str, kinds: Mapping[str, c.ReplyKind]) -> c.ReplyKind:
    kind = kinds.get(word.lower())
    if kind is None:
        names = " / ".join(dict.fromkeys(kinds))
        raise UserError(f"'{word}' isn't a kind of reply. Choose one of: {names}.")
    return kind


def _leading_kind(rest: str, kinds: Mapping[str, c.ReplyKind]) -> tuple[c.ReplyKind, str]:
    """Split 'bright spot Shared care plans' into a kind (words may have spaces) and text."""
    lowered = rest.lower()
    for word in sorted(kinds, key=len, reverse=True):
        if lowered == word or lowered.startswith(word + " "):
            return kinds[word], rest[len(word) :].strip()
    return _kind(rest.partition(" ")[0], kinds), ""


def _reply(rest: str, kinds: Mapping[str, c.ReplyKind]) -> c.Command:
    if not rest:
        return c.ShowCheckIn()
    first, _, text = rest.partition(" ")
    if first.lower() == "withdraw":
        if not text.strip():
            raise UserError(usage("reply"))
        return c.WithdrawReply(_kind(text.strip(), kinds))
    kind, text = _leading_kind(rest, kinds)
    anonymous = False
    word, _, remainder = text.partition(" ")
    if word.lower().strip(",:") in ANONYMOUS_WORDS:
        anonymous, text = True, remainder.strip()
    if not text:
        raise UserError(f"Please add your words after the kind. {usage('reply')}")
    return c.ReplyToCheckIn(kind=kind, text=text, anonymous=anonymous)


def _skip(rest: str, _kinds: Mapping[str, c.ReplyKind]) -> c.Command:
    lowered = rest.lower()
    if not rest:
        return c.SkipCheckIn()
    if lowered in ("off", "back", "stop"):
        return c.SkipCheckIn(off=True)
    if lowered.startswith("until "):
        return c.SkipCheckIn(until=rest[6:].strip())
    raise UserError(usage("skip"))


def _me(rest: str, _kinds: Mapping[str, c.ReplyKind]) -> c.Command:
    setting, _, value = rest.partition(" ")
    setting, value = setting.lower(), value.strip()
    if not setting:
        return c.ShowProfile()
    if setting in ("timezone", "tz") and value:
        return c.UpdateProfile(timezone=value)
    if setting == "quiet" and value:
        return c.UpdateProfile(quiet_hours=value)
    if setting == "mute" and not value:
        return c.UpdateProfile(muted=True)
    if setting == "unmute" and not value:
        return c.UpdateProfile(muted=False)
    raise UserError(usage("me"))


def _role(rest: str, _kinds: Mapping[str, c.ReplyKind]) -> c.Command:
    if not rest:
        return c.ShowRoles()
    try:
        words = shlex.split(rest)
    except ValueError:
        words = rest.split()
    if len(words) == 2:
        mention = MENTION.match(words[0])
        role = words[1].lower()
        if mention and role in ("convener", "keeper", "member"):
            return c.SetRole(target_user_id=mention.group(1), role=role)  # type: ignore[arg-type]
    raise UserError(usage("role"))


def _undelivered(rest: str, _kinds: Mapping[str, c.ReplyKind]) -> c.Command:
    match rest.lower():
        case "":
            return c.ShowUndelivered()
        case "retry":
            return c.RetryUndelivered()
    raise UserError(usage("undelivered"))


_TEXT_PARSERS = {
    "checkin": _checkin,
    "check-in": _checkin,
    "reply": _reply,
    "skip": _skip,
    "me": _me,
    "role": _role,
    "undelivered": _undelivered,
}


def _split_id(value: str) -> tuple[int, str]:
    number, _, rest = value.partition(":")
    if not number.isdigit():
        raise UserError("That button is out of date. Try /cop checkin.")
    return int(number), rest


def _button(action: str, value: str) -> c.Command:
    if action == "checkin.reply":
        checkin_id, kind = _split_id(value)
        if kind not in c.REPLY_KINDS:
            raise UserError("That button is out of date. Try /cop checkin.")
        return c.StartReply(checkin_id=checkin_id, kind=kind)  # type: ignore[arg-type]
    if action == "checkin.skip":
        checkin_id, _ = _split_id(value)
        return c.SkipCheckIn(checkin_id=checkin_id)
    if action == "outbox.retry":
        return c.RetryUndelivered()
    if action == "checkin.show":
        return c.ShowCheckIn()
    raise UserError("I don't recognise that button any more. Try /cop help.")


def _form(form_id: str, metadata: str, values: dict[str, str]) -> c.Command:
    if form_id == "checkin.reply":
        checkin_id, kind = _split_id(metadata)
        if kind not in c.REPLY_KINDS:
            raise UserError("That form is out of date. Try /cop checkin.")
        share = values.get("share", "named")
        if share not in ("named", "anonymous"):
            raise UserError("Please choose whether to share with your name or anonymously.")
        return c.ReplyToCheckIn(
            kind=kind,  # type: ignore[arg-type]
            text=values.get("text", ""),
            anonymous=share == "anonymous",
            checkin_id=checkin_id,
        )
    raise UserError("I don't recognise that form any more. Try /cop help.")
