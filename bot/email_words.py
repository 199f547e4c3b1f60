"""The words of a message as an email member reads it: they cannot type `/cop …`, so every
hint to type a command becomes a pointer to the email's buttons or to their own page (whose
link every email carries at its end).

A sentence that only adds a typed alternative ("… (or /cop reply)") loses the aside; a
sentence that says to type something says where on the page it is done instead.
"""

from __future__ import annotations

import re

from bot.messages import OutMessage

#: A typed command (not the "//copbot.example.org" of a link).
TYPED = re.compile(r"(?<![/\w])/cop\b")
_ASIDE = re.compile(r"\s*\([^()]*(?<![/\w])/cop\b[^()]*\)")
_SENTENCE = re.compile(r"[^.!?]*[.!?]+(?=\s|$)|[^.!?]+$")
_VERB = re.compile(r"(?<![/\w])/cop\s+([a-z-]+)")

PAGE = "your page (the link at the end of this email)"
SETTINGS = "your settings page (the link at the end of this email)"
#: What an email says instead of "type /cop <verb> …", by verb.
INSTEAD: dict[str, str] = {
    "me": f"Change your time zone, quiet hours and reminders on {SETTINGS}.",
    "email": f"Change how often you get email on {SETTINGS}.",
    "mydata": f"See what copbot holds about you, or erase it, from {SETTINGS}.",
    "forget-me": f"See what copbot holds about you, or erase it, from {SETTINGS}.",
    "help": f"Everything you can do by email is on {PAGE}.",
    "norms": "Our norms are in the welcome email copbot sent when you joined.",
    "plan": "To help plan our meetings, say so to a convener at the next one.",
    "trios": "To leave the co-consulting rotation, say so to a convener.",
}
WITH_BUTTONS = f"You can answer with the buttons in this email, or from {PAGE}."
WITHOUT_BUTTONS = f"You can do this from {PAGE}."


def typed(text: str) -> bool:
    """`text` tells the reader to type a command."""
    return TYPED.search(text) is not None


def for_email(message: OutMessage) -> OutMessage:
    """`message` with every typed command turned into the page or the buttons."""
    if not any(typed(t) for t in _texts(message)):
        return message
    said: set[str] = set()
    default = WITH_BUTTONS if message.buttons else WITHOUT_BUTTONS
    sections = []
    for section in message.sections:
        text = _rewrite(section.text, said, default)
        items = tuple(i for i in (_rewrite(item, said, default) for item in section.items) if i)
        if text or items or section.heading or not (section.text or section.items):
            sections.append(section.model_copy(update={"text": text, "items": items}))
    footer = _rewrite(message.footer or "", said, default)
    return message.model_copy(update={"sections": tuple(sections), "footer": footer or None})


def _texts(message: OutMessage) -> list[str]:
    texts = [message.title or "", message.footer or ""]
    for section in message.sections:
        texts += [section.text or "", *section.items]
    return texts


def _rewrite(text: str, said: set[str], default: str) -> str:
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
            instead = INSTEAD.get(verb[1] if verb else "", default)
            if instead not in said:
                said.add(instead)
                sentences.append(instead)
        lines.append(" ".join(s for s in sentences if s))
    return "\n".join(lines).strip()
