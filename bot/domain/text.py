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
