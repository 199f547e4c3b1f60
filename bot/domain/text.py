"""Rules for text members type: length, emptiness, and no mass mentions."""

from __future__ import annotations

import re

from bot.errors import UserError

MAX_TEXT = 2000

_MASS_MENTIONS = re.compile(
    r"<!(?:channel|here|everyone)\b[^>]*>"  # Slack special mentions
    r"|<!subteam\^[^>]*>"  # Slack user groups
    r"|<@&\d+>"  # Discord role mentions
    r"|(?<![\w.])@(?:everyone|here|channel)\b",  # typed mass mentions
    re.IGNORECASE,
)


def clean_text(text: str, *, what: str = "Your text", max_length: int = MAX_TEXT) -> str:
    """Return `text` stripped, or raise UserError if it is empty, too long or pings everyone."""
    text = text.strip()
    if not text:
        raise UserError(f"{what} is empty: please write a few words.")
    if len(text) > max_length:
        raise UserError(
            f"{what} is {len(text):,} characters long; the limit is {max_length:,}. "
            "Could you shorten it?"
        )
    found = _MASS_MENTIONS.search(text)
    if found:
        raise UserError(
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
