"""Neutral messages and forms -> Adaptive Cards, within Teams' limits.

Everything the core says (and so everything a member typed) goes into TextRuns, which
Teams shows as typed: no markdown, no links made up, and no mention (a mention needs an
entity copbot never adds), so a name never pings anyone. A message too big for one card
(Teams takes about 28 KB per message) is split over several cards; so is very long text.
Buttons and forms carry their core action sealed (see seal.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from bot.messages import Button, Form, FormField, OutMessage

from .seal import Seal

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.4"
#: Teams refuses messages over about 28 KB; a card is kept under this (JSON bytes).
CARD_BUDGET = 24_000
#: Longest text in one TextRun before it is split into several blocks.
TEXT_CHUNK = 3_000
BUTTONS_PER_ROW = 5
LABEL = 80
#: The key copbot's data travels under in a submitted card.
DATA_KEY = "cop"
FIELD_PREFIX = "f_"
STYLES = {"default": "default", "primary": "positive", "danger": "destructive"}


def _chunks(text: str, size: int = TEXT_CHUNK) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _text(
    text: str, *, bold: bool = False, large: bool = False, subtle: bool = False
) -> list[dict[str, Any]]:
    """Plain text as RichTextBlocks (TextRuns show no markdown)."""
    blocks = []
    for part in _chunks(text):
        run: dict[str, Any] = {"type": "TextRun", "text": part}
        if bold:
            run["weight"] = "bolder"
        if large:
            run["size"] = "medium"
        if subtle:
            run["isSubtle"] = True
        blocks.append({"type": "RichTextBlock", "inlines": [run]})
    return blocks


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sealed(seal: Seal, data: dict[str, Any], channel: str | None) -> dict[str, str]:
    """The card data: copbot's sealed payload, with the community channel an answer in
    the 1:1 chat came from (so its buttons act in that community)."""
    return {DATA_KEY: seal.seal(data | {"ch": channel} if channel else data)}


def _action(button: Button, seal: Seal, channel: str | None) -> dict[str, Any]:
    return {
        "type": "Action.Submit",
        "title": _cut(button.label, LABEL),
        "style": STYLES.get(button.style, "default"),
        "data": _sealed(seal, {"a": button.action, "v": button.value}, channel),
    }


def _button_rows(
    buttons: Iterable[Button], seal: Seal, channel: str | None
) -> list[dict[str, Any]]:
    actions = [_action(b, seal, channel) for b in buttons]
    return [
        {"type": "ActionSet", "actions": actions[i : i + BUTTONS_PER_ROW]}
        for i in range(0, len(actions), BUTTONS_PER_ROW)
    ]


def card(body: list[dict[str, Any]]) -> dict[str, Any]:
    """An Adaptive Card attachment with `body`."""
    return {
        "contentType": CARD_TYPE,
        "content": {
            "type": "AdaptiveCard",
            "$schema": SCHEMA,
            "version": VERSION,
            "body": body,
            "msteams": {"width": "Full"},
        },
    }


def _size(element: dict[str, Any]) -> int:
    return len(json.dumps(element, ensure_ascii=False).encode())


def _pack(elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Elements packed into as few cards as keep each under CARD_BUDGET."""
    cards: list[list[dict[str, Any]]] = [[]]
    used = 0
    for element in elements:
        size = _size(element)
        if cards[-1] and used + size > CARD_BUDGET:
            cards.append([])
            used = 0
        cards[-1].append(element)
        used += size
    return [card(body) for body in cards if body]


def message_elements(
    message: OutMessage, seal: Seal, channel: str | None = None
) -> list[dict[str, Any]]:
    """The message's card elements, in order."""
    elements: list[dict[str, Any]] = []
    if message.title:
        elements += _text(message.title, bold=True, large=True)
    for section in message.sections:
        if section.heading:
            elements += _text(section.heading, bold=True)
        if section.text:
            elements += _text(section.text)
        for item in section.items:
            elements += _text(f"• {item}")
    if message.attachment is not None:
        elements += _text(
            f"The file {message.attachment.filename} ({message.attachment.size:,} bytes) "
            "comes in our 1:1 chat: Teams asks you to allow it first."
        )
    if message.footer:
        elements += _text(message.footer, subtle=True)
    elements += _button_rows(message.buttons, seal, channel)
    return elements


def render_message(
    message: OutMessage, seal: Seal, channel: str | None = None
) -> list[dict[str, Any]]:
    """One message as one or more Adaptive Card attachments (one per Teams message).
    `channel`: the community channel a private answer came from."""
    return _pack(message_elements(message, seal, channel)) or [card(_text(" "))]


def summary(message: OutMessage) -> str:
    """The notification preview and fallback text of a message."""
    return _cut(message.title or message.as_text().split("\n", 1)[0] or "copbot", 200)


# ---- forms -----------------------------------------------------------------------------


def _input(field: FormField) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": FIELD_PREFIX + field.name,
        "label": _cut(field.label, 200),
        "isRequired": field.required,
    }
    if field.required:
        base["errorMessage"] = "Please fill this in."
    if field.kind == "choice":
        base |= {
            "type": "Input.ChoiceSet",
            "style": "expanded" if len(field.choices) <= 5 else "compact",
            "choices": [{"title": _cut(c.label, 200), "value": c.value} for c in field.choices],
        }
        if field.initial:
            base["value"] = field.initial
        return base
    base |= {"type": "Input.Text", "isMultiline": field.kind == "long_text"}
    if field.max_length:
        base["maxLength"] = field.max_length
    if field.initial:
        base["value"] = field.initial
    return base


def render_form(form: Form, seal: Seal, channel: str | None = None) -> dict[str, Any]:
    """The core's form as one card: its inputs and a sealed submit button."""
    data = {"form": form.form_id, "meta": form.metadata, "fields": [f.name for f in form.fields]}
    body = [*_text(form.title, bold=True, large=True), *(_input(f) for f in form.fields)]
    body.append(
        {
            "type": "ActionSet",
            "actions": [
                {
                    "type": "Action.Submit",
                    "title": _cut(form.submit_label, LABEL),
                    "style": "positive",
                    "data": _sealed(seal, data, channel),
                }
            ],
        }
    )
    return card(body)
