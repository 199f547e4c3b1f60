"""The words of a message as an email member reads it: they cannot type `/cop …`, so every
hint to type a command becomes a pointer to the email's buttons or to their own page (whose
link every email carries at its end).

A sentence that only adds a typed alternative ("… (or /cop reply)") loses the aside; a
sentence that says to type something says where on the page it is done instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.messages import OutMessage

#: A typed command (not the "//copbot.example.org" of a link).
TYPED = re.compile(r"(?<![/\w])/cop\b")
_ASIDE = re.compile(r"\s*\([^()]*(?<![/\w])/cop\b[^()]*\)")
_SENTENCE = re.compile(r"[^.!?]*[.!?]+(?=\s|$)|[^.!?]+$")
_VERB = re.compile(r"(?<![/\w])/cop\s+([a-z-]+)")


@dataclass(frozen=True)
class Wording:
    """Where the reader is: an email (links at its end) or the web page itself."""

    page: str
    settings: str
    with_buttons: str
    leave_trios: str


EMAIL = Wording(
    page="your page (the link at the end of this email)",
    settings="your settings page (the link at the end of this email)",
    with_buttons="You can answer with the buttons in this email, or from your page (the link "
    "at the end of this email).",
    leave_trios="You can leave the co-consulting rotation with the link in this email.",
)
PAGE = Wording(
    page="your page (the link at the end of every email from copbot)",
    settings="your settings page (the link at the end of every email from copbot)",
    with_buttons="You can answer with the buttons on this page.",
    leave_trios="You can leave the co-consulting rotation with the Leave button on this page.",
)


def _instead(verb: str, words: Wording, buttons: bool) -> str:
    """What the reader is told instead of "type /cop <verb> …"."""
    settings = words.settings
    known = {
        "me": f"Change your time zone, quiet hours and reminders on {settings}.",
        "email": f"Change how often you get email on {settings}.",
        "mydata": f"See what copbot holds about you, or erase it, from {settings}.",
        "forget-me": f"See what copbot holds about you, or erase it, from {settings}.",
        "help": f"Everything you can do by email is on {words.page}.",
        "norms": "Our norms are in the welcome email copbot sent when you joined.",
        "plan": words.with_buttons
        if buttons
        else "To help plan our meetings, say so to a convener at the next one.",
        "trios": words.leave_trios if buttons else f"You can do this from {words.page}.",
    }
    return known.get(verb, words.with_buttons if buttons else f"You can do this from {words.page}.")


def typed(text: str) -> bool:
    """`text` tells the reader to type a command."""
    return TYPED.search(text) is not None


def for_email(message: OutMessage, words: Wording = EMAIL) -> OutMessage:
    """`message` with every typed command turned into the page or the buttons (`words`:
    as an email says it, or as the web page does)."""
    if not any(typed(t) for t in _texts(message)):
        return message
    said: set[str] = set()

    def instead(verb: str) -> str:
        return _instead(verb, words, bool(message.buttons))

    sections = []
    for section in message.sections:
        text = _rewrite(section.text, said, instead)
        items = tuple(i for i in (_rewrite(item, said, instead) for item in section.items) if i)
        if text or items or section.heading or not (section.text or section.items):
            sections.append(section.model_copy(update={"text": text, "items": items}))
    footer = _rewrite(message.footer or "", said, instead)
    return message.model_copy(update={"sections": tuple(sections), "footer": footer or None})


def _texts(message: OutMessage) -> list[str]:
    texts = [message.title or "", message.footer or ""]
    for section in message.sections:
        texts += [section.text or "", *section.items]
    return texts


def _rewrite(text: str, said: set[str], instead: Callable[[str], str]) -> str:
    """`text` with its command hints replaced (each replacement said once per message)."""
    if not typed(text):
        return text
    lines = []
    for line in text.split("\n"):
        line = _ASIDE.sub("", line)
        sentences = []
        for sentence in _SENTENCE.findall(line):
            if not typed(sentence):
                sentences.append(sentence.strip())
                continue
            verb = _VERB.search(sentence)
            told = instead(verb[1] if verb else "")
            if told not in said:
                said.add(told)
                sentences.append(told)
        lines.append(" ".join(s for s in sentences if s))
    return "\n".join(lines).strip()
