"""Neutral messages and forms -> Discord embeds, buttons and modals, within Discord's limits.

Everything a member typed reaches Discord escaped: no markdown, no mention. A message too
big for one Discord message is split over several (never a rejected payload); a button or
form that cannot be encoded in 100 characters is refused here with a logged error and a
visible fallback (a disabled button, a short apology instead of the form).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import discord

from bot.messages import Button, Form, FormField, OutMessage

log = logging.getLogger(__name__)

# Discord's limits (developer documentation: message resource, component reference).
TITLE = 256
DESCRIPTION = 4096
FOOTER = 1024  # Discord allows 2048; 1024 keeps title + description + footer under 6000
EMBED_TOTAL = 6000
EMBEDS_PER_MESSAGE = 10
BUTTONS_PER_ROW = 5
ROWS = 5
BUTTON_LABEL = 80
CUSTOM_ID = 100
MODAL_TITLE = 45
MODAL_FIELDS = 5
LABEL = 45
LABEL_DESCRIPTION = 100
TEXT_INPUT = 4000
PLACEHOLDER = 100
SELECT_OPTIONS = 25
OPTION = 100

COLOUR = discord.Colour(0x3B7F6B)
BUTTON_ID = re.compile(r"cop(?P<n>\d{1,2}):(?P<action>[A-Za-z0-9_.\-]+):(?P<value>.*)", re.DOTALL)
FORM_ID = re.compile(r"copf:(?P<form>[A-Za-z0-9_.\-]+):(?P<meta>.*)", re.DOTALL)
STYLES = {
    "default": discord.ButtonStyle.secondary,
    "primary": discord.ButtonStyle.primary,
    "danger": discord.ButtonStyle.danger,
}


def plain(text: str) -> str:
    """Member or core text, escaped so Discord shows it as typed: no markdown, no mention."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def cut(text: str, limit: int) -> str:
    """`text` shortened to `limit` characters, with an ellipsis if cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def button_id(index: int, button: Button) -> str | None:
    """The custom_id encoding a button's action and value; None if it cannot be encoded."""
    custom_id = f"cop{index}:{button.action}:{button.value}"
    if len(custom_id) > CUSTOM_ID or not BUTTON_ID.fullmatch(custom_id):
        return None
    return custom_id


def form_id(form: Form) -> str | None:
    """The modal's custom_id encoding the form id and its metadata; None if too long."""
    custom_id = f"copf:{form.form_id}:{form.metadata}"
    if len(custom_id) > CUSTOM_ID or not FORM_ID.fullmatch(custom_id):
        return None
    return custom_id


# ---- messages --------------------------------------------------------------------------


@dataclass
class Part:
    """One Discord message: up to 10 embeds (6000 characters in all) and up to 25 buttons."""

    embeds: list[discord.Embed] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(len(e) for e in self.embeds)

    def view(self) -> discord.ui.View | None:
        """The buttons as a view (custom_ids unique in the message), or None."""
        if not self.buttons:
            return None
        view = discord.ui.View(timeout=None)
        for index, button in enumerate(self.buttons[: BUTTONS_PER_ROW * ROWS]):
            custom_id = button_id(index, button)
            if custom_id is None:
                log.error(
                    "button %r (%s) does not fit Discord's %d-character custom_id: shown disabled",
                    button.label,
                    button.action,
                    CUSTOM_ID,
                )
            view.add_item(
                discord.ui.Button(
                    label=cut(button.label, BUTTON_LABEL) or "…",
                    style=STYLES.get(button.style, discord.ButtonStyle.secondary),
                    custom_id=custom_id or f"copx{index}",
                    disabled=custom_id is None,
                    row=index // BUTTONS_PER_ROW,
                )
            )
        # Clicks are routed by custom_id (a DynamicItem), so the view is not kept in memory.
        view.stop()
        return view


def _blocks(message: OutMessage) -> list[str]:
    """The message body as paragraphs, each at most DESCRIPTION characters."""
    blocks: list[str] = []
    for section in message.sections:
        lines: list[str] = []
        if section.heading:
            lines.append(f"**{plain(cut(section.heading, 200))}**")
        if section.text:
            lines.append(plain(section.text))
        lines.extend(f"• {plain(item)}" for item in section.items)
        for line in lines:
            while len(line) > DESCRIPTION:
                head = line[:DESCRIPTION]
                split = head.rfind(" ", DESCRIPTION // 2)
                split = split if split > 0 else DESCRIPTION
                blocks.append(line[:split])
                line = line[split:].lstrip()
            blocks.append(line)
        if lines:
            blocks.append("")  # a blank line between sections
    while blocks and not blocks[-1]:
        blocks.pop()
    return blocks


def _embeds(message: OutMessage) -> list[discord.Embed]:
    descriptions: list[str] = []
    current = ""
    for block in _blocks(message):
        candidate = f"{current}\n{block}" if current else block
        if len(candidate) > DESCRIPTION:
            descriptions.append(current)
            candidate = block
        current = candidate
    if current or not descriptions:
        descriptions.append(current)
    title = cut(plain(message.title), TITLE) if message.title else None
    embeds = []
    for index, description in enumerate(descriptions):
        embed = discord.Embed(
            title=title if index == 0 else None,
            description=description or None,
            colour=COLOUR,
        )
        embeds.append(embed)
    if message.footer:
        embeds[-1].set_footer(text=cut(message.footer, FOOTER))
    if not message.title and not any(e.description for e in embeds) and not message.footer:
        embeds[0].description = "…"
    return embeds


def render(messages: Sequence[OutMessage]) -> list[Part]:
    """The messages as Discord messages: as few as the limits allow, in order; each
    message's buttons go with its last embed."""
    parts: list[Part] = [Part()]
    for message in messages:
        embeds = _embeds(message)
        continued = False
        for index, embed in enumerate(embeds):
            last = index == len(embeds) - 1
            part = parts[-1]
            room = (
                len(part.embeds) < EMBEDS_PER_MESSAGE
                and part.size + len(embed) <= EMBED_TOTAL
                and (not last or len(part.buttons) + len(message.buttons) <= BUTTONS_PER_ROW * ROWS)
            )
            if not room:
                if continued and embed.title is None and message.title:
                    embed.title = cut(f"{plain(message.title)} (continued)", TITLE)
                part = Part()
                parts.append(part)
            part.embeds.append(embed)
            continued = True
        parts[-1].buttons.extend(message.buttons)
    if len(parts[-1].buttons) > BUTTONS_PER_ROW * ROWS:
        log.error("a message has %d buttons; Discord shows 25", len(parts[-1].buttons))
    return [p for p in parts if p.embeds]


# ---- forms -----------------------------------------------------------------------------


class FormModal(discord.ui.Modal):
    """A form as a Discord modal. Its submission is read from the interaction itself
    (CopClient.on_interaction), so a modal still open across a restart is not lost."""

    async def on_submit(self, interaction: discord.Interaction) -> None:
        return None


def _field_item(spec: FormField) -> discord.ui.Item[discord.ui.Modal]:
    label = cut(spec.label, LABEL)
    description = cut(spec.label, LABEL_DESCRIPTION) if len(spec.label) > LABEL else None
    if spec.kind == "choice" and 0 < len(spec.choices) <= SELECT_OPTIONS:
        component: discord.ui.Item[discord.ui.Modal] = discord.ui.Select(
            custom_id=spec.name,
            options=[
                discord.SelectOption(
                    label=cut(choice.label, OPTION),
                    value=choice.value[:OPTION],
                    default=choice.value == spec.initial,
                )
                for choice in spec.choices
            ],
            min_values=1 if spec.required else 0,
            max_values=1,
            required=spec.required,
        )
    else:
        hint = None
        if spec.kind == "choice":
            hint = cut("One of: " + ", ".join(c.value for c in spec.choices), PLACEHOLDER)
        limit = min(spec.max_length or TEXT_INPUT, TEXT_INPUT)
        component = discord.ui.TextInput(
            custom_id=spec.name,
            style=(
                discord.TextStyle.paragraph if spec.kind == "long_text" else discord.TextStyle.short
            ),
            required=spec.required,
            max_length=limit,
            default=spec.initial[:limit] if spec.initial else None,
            placeholder=hint,
        )
    return discord.ui.Label(text=label, description=description, component=component)


def modal(form: Form) -> FormModal | None:
    """The form as a modal, or None (logged) if Discord could not show it."""
    custom_id = form_id(form)
    problem = None
    if custom_id is None:
        problem = f"its id and metadata exceed {CUSTOM_ID} characters"
    elif not 1 <= len(form.fields) <= MODAL_FIELDS:
        problem = f"it has {len(form.fields)} fields (Discord shows 1 to {MODAL_FIELDS})"
    elif any(len(f.name) > CUSTOM_ID or not f.name for f in form.fields):
        problem = "a field name is too long"
    if problem:
        log.error("form %s cannot be shown on Discord: %s", form.form_id, problem)
        return None
    assert custom_id is not None
    dialog = FormModal(title=cut(form.title, MODAL_TITLE), custom_id=custom_id, timeout=15 * 60)
    for spec in form.fields:
        dialog.add_item(_field_item(spec))
    return dialog


def submitted_values(components: Sequence[dict[str, object]]) -> list[tuple[str, str]]:
    """(field name, value) pairs from a MODAL_SUBMIT payload's components."""
    found: list[tuple[str, str]] = []
    for component in components:
        kind = component.get("type")
        if kind == 1:
            found += submitted_values(component.get("components", []))  # type: ignore[arg-type]
        elif kind == 18:
            found += submitted_values([component["component"]])  # type: ignore[list-item]
        elif isinstance(component.get("custom_id"), str):
            if "values" in component:
                values = component.get("values") or []
                value = str(values[0]) if values else ""  # type: ignore[index]
            else:
                value = str(component.get("value") or "")
            found.append((str(component["custom_id"]), value))
    return found
