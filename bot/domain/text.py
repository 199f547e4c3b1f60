"""Rules for text members type: length, emptiness, and no mass mentions."""

from __future__ import annotations

import re

from bot.errors import FieldError

MAX_TEXT = 2000
#: The largest whole number any database column holds (PostgreSQL's INTEGER): every id and
#: number a person types is refused above it, on every backend alike.
MAX_NUMBER = 2**31 - 1

_ASCII_NUMBER = re.compile(r"[0-9]{1,12}")
#: Characters no database or platform can keep: NUL (PostgreSQL refuses it) and lone
#: surrogates (they cannot be written as UTF-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

_MASS_MENTIONS = re.compile(
    r"<!(?:channel|here|everyone)\b[^>]*>"  # Slack special mentions
    r"|<!subteam\^[^>]*>"  # Slack user groups
    r"|<@&\d+>"  # Discord role mentions
    r"|(?<![\w.])@(?:everyone|here|channel)\b",  # typed mass mentions
    re.IGNORECASE,
)


def read_number(text: str, *, most: int = MAX_NUMBER) -> int | None:
    """A whole number typed with the digits 0-9 (a leading '#' is fine), from 0 to `most`;
    None for anything else: other scripts' digits such as '²', signs, or a number too big."""
    text = text.strip().removeprefix("#")
    if not _ASCII_NUMBER.fullmatch(text):
        return None
    number = int(text)
    return number if number <= most else None


def storable(text: str) -> str:
    """`text` without the characters nothing can store: NUL bytes and lone surrogates."""
    return _UNSTORABLE.sub("", text)


def clean_text(text: str, *, what: str = "Your text", max_length: int = MAX_TEXT) -> str:
    """Return `text` stripped, or raise FieldError (a UserError about the person's words) if
    it is empty, too long or pings everyone.

    NUL bytes and lone surrogates are dropped first (see `storable`)."""
    text = storable(text).strip()
    if not text:
        raise FieldError(f"{what} is empty: please write a few words.")
    if len(text) > max_length:
        raise FieldError(
            f"{what} is {len(text):,} characters long; the limit is {max_length:,}. "
            "Could you shorten it?"
        )
    found = _MASS_MENTIONS.search(text)
    if found:
        raise FieldError(
            f"{what} contains '{found.group(0)}', which would notify everyone. "
            "copbot never pings the whole community: please take it out and send again."
        )
    return text


def short(text: str, limit: int = 80) -> str:
    """The first `limit` characters of `text` on one line, with an ellipsis if cut."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


_INVARIANT = frozenset({"learning", "feedback", "advice", "information", "news"})


def plural_of(noun: str) -> str:
    """The plural of an English noun or noun phrase (its last word changes): 'success' ->
    'successes', 'story' -> 'stories', 'check-in' -> 'check-ins', 'open pledge' -> 'open
    pledges'. Words with no plural ('learning', 'feedback') stay as they are."""
    head, _, last = noun.rpartition(" ")
    lower = last.lower()
    if not lower or lower in _INVARIANT or not lower[-1].isalpha():
        return noun
    if lower.endswith(("s", "x", "z", "ch", "sh")):
        last += "ES" if last.isupper() else "es"
    elif lower.endswith("y") and lower[-2:-1] not in ("", *"aeiou"):
        last = last[:-1] + ("IES" if last.isupper() else "ies")
    else:
        last += "S" if last.isupper() else "s"
    return f"{head} {last}" if head else last


def plural(count: int, noun: str, many: str | None = None) -> str:
    """'1 member', '3 members', '2 successes': a number with its noun in agreement
    (`many` when the plural is irregular)."""
    return f"{count} {noun if count == 1 else many or plural_of(noun)}"


#: A joining link: http(s), a host, no spaces or control characters, at most 500 characters.
_WEB_LINK = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?#][^\s<>\"]*)?", re.ASCII)


def web_link(text: str) -> bool:
    """Whether `text` is a link copbot can show as a joining link (http or https only, so no
    `javascript:` or `file:` link ever reaches a button or a calendar)."""
    return len(text) <= 500 and _WEB_LINK.fullmatch(text) is not None
