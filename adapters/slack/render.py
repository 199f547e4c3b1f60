"""Neutral messages and forms -> Block Kit, within Slack's limits.

Everything in an `OutMessage` is plain text. Text goes out as `plain_text` objects where
Slack allows them; the few `mrkdwn` strings (bold headings, the notification fallback) are
escaped (`&`, `<`, `>`), so nothing a member wrote can become a link or a mention. Limits
are enforced here, never left to Slack: a message too long for one post is split into
several pages, a modal too big is cut with a notice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from bot.messages import Button, Form, FormField, OutMessage, Section

Block = dict[str, Any]

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_TEXT = 2000
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ID = 255
MAX_ACTIONS_PER_BLOCK = 25
MAX_MODAL_TITLE = 24
MAX_MODAL_BUTTON = 24
MAX_PRIVATE_METADATA = 3000
MAX_INPUT_LABEL = 2000
MAX_INPUT_LENGTH = 3000
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_RADIO_OPTIONS = 5  # more choices than this become a drop-down (static_select, ≤ 100)
MAX_SELECT_OPTIONS = 100
#: Characters of text per posted page: a readable chunk, far below Slack's own caps.
MAX_PAGE_CHARS = 12_000
MAX_PAGES = 10
MAX_FALLBACK_TEXT = 3000

ACTION_PREFIX = "copbot:"
VIEW_PREFIX = "copbot:"
CUT = "…"


def escape(text: str) -> str:
    """Escape text for Slack mrkdwn: exactly `&`, `<` and `>`."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    """`text` at most `limit` characters, with an ellipsis if cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + CUT


def plain(text: str, limit: int = MAX_SECTION_TEXT) -> dict[str, Any]:
    """A plain_text object (never parsed for links or mentions)."""
    return {"type": "plain_text", "text": cut(text, limit) or " ", "emoji": True}


def chunks(text: str, limit: int, measure: Callable[[str], int] = len) -> Iterator[str]:
    """Split `text` into pieces of at most `limit` as measured, preferring line breaks."""
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if measure(candidate) <= limit:
            current = candidate
            continue
        if current:
            yield current
        current = ""
        while measure(line) > limit:  # one line longer than a block: cut it by characters
            size = limit
            while measure(line[:size]) > limit:
                size -= measure(line[:size]) - limit
            yield line[:size]
            line = line[size:]
        current = line
    if current:
        yield current


# ---- messages ------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One chat.postMessage: fallback text (escaped mrkdwn) and blocks."""

    text: str
    blocks: list[Block]


def _section_blocks(section: Section) -> list[Block]:
    body = "\n".join(
        part for part in (section.text, "\n".join(f"• {item}" for item in section.items)) if part
    )
    blocks: list[Block] = []
    if section.heading:
        heading = f"*{escape(cut(section.heading, 300).replace('*', ''))}*"
        pieces = list(chunks(body, MAX_SECTION_TEXT - len(heading) - 1, _escaped_len))
        first = f"{heading}\n{escape(pieces[0])}" if pieces else heading
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": first}})
        body_pieces = pieces[1:]
    else:
        body_pieces = list(chunks(body, MAX_SECTION_TEXT))
        blocks.extend({"type": "section", "text": plain(piece)} for piece in body_pieces)
        return blocks
    blocks.extend({"type": "section", "text": plain(piece)} for piece in body_pieces)
    return blocks


def _escaped_len(text: str) -> int:
    return len(escape(text))


def button_element(button: Button, index: int) -> Block | None:
    """A Block Kit button, or None if it cannot be shown within Slack's limits."""
    action_id = f"{ACTION_PREFIX}{index}:{button.action}"
    if len(action_id) > MAX_ACTION_ID or len(button.value) > MAX_BUTTON_VALUE:
        return None
    element: Block = {
        "type": "button",
        "action_id": action_id,
        "text": plain(button.label, MAX_BUTTON_TEXT),
    }
    if button.value:
        element["value"] = button.value
    if button.style != "default":
        element["style"] = button.style
    return element


def action_blocks(buttons: Sequence[Button]) -> tuple[list[Block], int]:
    """Actions blocks for `buttons`, and how many buttons could not be shown."""
    elements = [button_element(b, i) for i, b in enumerate(buttons)]
    shown = [e for e in elements if e is not None]
    blocks = [
        {"type": "actions", "elements": shown[i : i + MAX_ACTIONS_PER_BLOCK]}
        for i in range(0, len(shown), MAX_ACTIONS_PER_BLOCK)
    ]
    return blocks, len(elements) - len(shown)


def _context(text: str) -> Block:
    return {"type": "context", "elements": [plain(text, MAX_CONTEXT_TEXT)]}


def _text_size(block: Block) -> int:
    text = block.get("text")
    return len(text["text"]) if isinstance(text, dict) else 0


def message_blocks(message: OutMessage) -> tuple[list[Block], list[Block]]:
    """The body blocks (may be paged) and the closing blocks (footer, buttons: last page)."""
    body: list[Block] = []
    if message.title:
        body.append({"type": "header", "text": plain(message.title, MAX_HEADER_TEXT)})
    for section in message.sections:
        body.extend(_section_blocks(section))
    closing: list[Block] = []
    actions, hidden = action_blocks(message.buttons)
    footer = message.footer or ""
    if hidden:
        footer = f"{footer} (Some buttons could not be shown here; try /cop help.)".strip()
    if footer:
        closing.append(_context(footer))
    closing.extend(actions)
    return body, closing


def render_message(message: OutMessage, *, max_blocks: int = MAX_MESSAGE_BLOCKS) -> list[Page]:
    """The message as one or more pages that each fit one Slack message."""
    body, closing = message_blocks(message)
    room = max_blocks - 1  # one block kept for a "continued" note on later pages
    pages: list[list[Block]] = [[]]
    size = 0
    for block in body:
        if pages[-1] and (len(pages[-1]) >= room or size + _text_size(block) > MAX_PAGE_CHARS):
            pages.append([])
            size = 0
        pages[-1].append(block)
        size += _text_size(block)
    if len(pages[-1]) + len(closing) > room:
        pages.append([])
    pages[-1].extend(closing)
    if len(pages) > MAX_PAGES:
        notice = _context("(This message was too long for Slack; the rest is not shown.)")
        pages = [*pages[: MAX_PAGES - 1], [notice, *closing]]
    total = len(pages)
    fallback = message.as_text() or "copbot"
    result = []
    for number, blocks in enumerate(pages, 1):
        if number > 1:
            blocks = [_context(f"(continued, part {number} of {total})"), *blocks]
        text = fallback if number == 1 else f"(continued, part {number} of {total})"
        result.append(
            Page(escape(next(chunks(text, MAX_FALLBACK_TEXT, _escaped_len), "copbot")), blocks)
        )
    return result


def view_blocks(
    messages: Sequence[OutMessage], *, max_blocks: int = MAX_VIEW_BLOCKS
) -> list[Block]:
    """Several messages one after another (a Home tab), cut to fit one view."""
    blocks: list[Block] = []
    for index, message in enumerate(messages):
        body, closing = message_blocks(message)
        part = ([{"type": "divider"}] if index else []) + body + closing
        if len(blocks) + len(part) > max_blocks - 1:
            blocks.extend(part[: max_blocks - 1 - len(blocks)])
            blocks.append(_context("(There is more than fits here: try /cop in your channel.)"))
            break
        blocks.extend(part)
    return _unique_action_ids(blocks)


def _unique_action_ids(blocks: list[Block]) -> list[Block]:
    """Renumber button action ids so they stay unique when messages are combined."""
    counter = 0
    for block in blocks:
        if block.get("type") != "actions":
            continue
        for element in block["elements"]:
            _, _, action = element["action_id"].removeprefix(ACTION_PREFIX).partition(":")
            element["action_id"] = f"{ACTION_PREFIX}{counter}:{action}"
            counter += 1
    return blocks


def parse_action_id(action_id: str) -> str | None:
    """'copbot:3:checkin.reply' -> 'checkin.reply'; None if it is not one of ours."""
    if not action_id.startswith(ACTION_PREFIX):
        return None
    index, sep, action = action_id.removeprefix(ACTION_PREFIX).partition(":")
    return action if sep and index.isdigit() and action else None


# ---- forms -----------------------------------------------------------------------------


class FormTooBig(ValueError):
    """The form cannot be shown as a Slack modal (its metadata is too long)."""


def pack_metadata(metadata: str, channel_id: str | None) -> str:
    """The modal's private_metadata: the core's metadata and where the form was opened."""
    packed = json.dumps({"m": metadata, "c": channel_id}, separators=(",", ":"))
    if len(packed) > MAX_PRIVATE_METADATA:
        raise FormTooBig("the form's metadata is longer than Slack allows")
    return packed


def unpack_metadata(private_metadata: str) -> tuple[str, str | None]:
    """(the core's metadata, the channel the form was opened in)."""
    try:
        data = json.loads(private_metadata or "{}")
    except ValueError:
        return "", None
    if not isinstance(data, dict):
        return "", None
    channel = data.get("c")
    return str(data.get("m", "")), channel if isinstance(channel, str) else None


def _option(value: str, label: str) -> Block:
    return {"text": plain(label, MAX_OPTION_TEXT), "value": value}


def _input(field: FormField) -> Block:
    element: Block
    if field.kind == "choice":
        choices = [c for c in field.choices if 0 < len(c.value) <= MAX_OPTION_VALUE]
        options = [_option(c.value, c.label) for c in choices[:MAX_SELECT_OPTIONS]]
        kind = "radio_buttons" if len(options) <= MAX_RADIO_OPTIONS else "static_select"
        element = {"type": kind, "action_id": "value", "options": options}
        initial = next((o for o in options if o["value"] == field.initial), None)
        if initial is not None:
            element["initial_option"] = initial
    else:
        element = {
            "type": "plain_text_input",
            "action_id": "value",
            "multiline": field.kind == "long_text",
        }
        limit = min(field.max_length or MAX_INPUT_LENGTH, MAX_INPUT_LENGTH)
        element["max_length"] = limit
        if field.initial:
            element["initial_value"] = field.initial[:limit]
    return {
        "type": "input",
        "block_id": cut(field.name, 255),
        "label": plain(field.label, MAX_INPUT_LABEL),
        "optional": not field.required,
        "element": element,
    }


def render_form(form: Form, channel_id: str | None) -> Block:
    """The form as a modal view for views.open."""
    blocks = [_input(f) for f in form.fields[: MAX_VIEW_BLOCKS - 1]]
    if len(form.fields) > len(blocks):
        blocks.append(_context("(Some questions could not be shown here.)"))
    return {
        "type": "modal",
        "callback_id": cut(VIEW_PREFIX + form.form_id, 255),
        "title": plain(form.title, MAX_MODAL_TITLE),
        "submit": plain(form.submit_label, MAX_MODAL_BUTTON),
        "close": plain("Cancel", MAX_MODAL_BUTTON),
        "private_metadata": pack_metadata(form.metadata, channel_id),
        "blocks": blocks,
    }


def form_values(state: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """view_submission `view.state.values` -> the core's (name, value) pairs."""
    values: list[tuple[str, str]] = []
    for block_id, actions in (state or {}).items():
        element = actions.get("value") if isinstance(actions, dict) else None
        if not isinstance(element, dict):
            continue
        if element.get("type") in ("static_select", "radio_buttons"):
            selected = element.get("selected_option")
            selected = selected if isinstance(selected, dict) else {}
            values.append((block_id, str(selected.get("value", ""))))
        else:
            values.append((block_id, str(element.get("value") or "")))
    return tuple(values)


def field_block(view: dict[str, Any], field: str | None) -> str | None:
    """The block id of a submitted modal's input for `field` (None: its first text input),
    or None if the modal has no such input."""
    inputs = [
        block
        for block in view.get("blocks") or []
        if isinstance(block, dict) and block.get("type") == "input"
    ]
    for block in inputs:
        element = block.get("element") or {}
        if field is not None and block.get("block_id") == field:
            return field
        if field is None and element.get("type") == "plain_text_input":
            return str(block.get("block_id"))
    return None
