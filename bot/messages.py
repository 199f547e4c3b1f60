"""Neutral view-models: what the bot says, before any platform renders it.

All text here is plain text. Renderers escape it for their platform, so nothing a
member typed can become markup or a mention.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Button(_Frozen):
    """A button; pressing it sends `action` and `value` back to the core."""

    label: str
    action: str
    value: str = ""
    style: Literal["default", "primary", "danger"] = "default"


class Section(_Frozen):
    """A block of the message: an optional heading, a paragraph and/or a list of items."""

    heading: str | None = None
    text: str = ""
    items: tuple[str, ...] = ()


class Attachment(_Frozen):
    """A file that goes with a message: a data export (text) or a chart (bytes).

    Text goes in `content`; anything else in `data`, which travels through the outbox's
    JSON as base64. Every adapter delivers it as a file (Slack and Discord uploads, a file
    on disk for the console).
    """

    model_config = ConfigDict(
        frozen=True, extra="forbid", ser_json_bytes="base64", val_json_bytes="base64"
    )

    filename: str
    content: str = ""
    data: bytes = b""
    mime: str = "application/json"
    #: `content` is an HTML page to be sent as its picture (PNG): the outbox draws it just
    #: before sending, in a worker thread (bot.pictures), outside any transaction.
    picture_of_html: bool = False

    @property
    def body(self) -> bytes:
        """The file's bytes."""
        return self.data or self.content.encode()

    @property
    def size(self) -> int:
        """Its size in bytes."""
        return len(self.body)


class OutMessage(_Frozen):
    """A whole message: title, sections, buttons and an optional small-print footer."""

    title: str | None = None
    sections: tuple[Section, ...] = ()
    buttons: tuple[Button, ...] = ()
    footer: str | None = None
    attachment: Attachment | None = None

    def as_text(self) -> str:
        """A plain-text rendering: the console's view and every platform's fallback."""
        lines: list[str] = []
        if self.title:
            lines.append(self.title)
        for section in self.sections:
            if section.heading:
                lines.append(section.heading)
            if section.text:
                lines.append(section.text)
            lines.extend(f"  • {item}" for item in section.items)
        if self.footer:
            lines.append(self.footer)
        if self.attachment:
            lines.append(f"Attached: {self.attachment.filename} ({self.attachment.size:,} bytes)")
        return "\n".join(lines)


def say(text: str, *, title: str | None = None) -> OutMessage:
    """A one-paragraph message."""
    return OutMessage(title=title, sections=(Section(text=text),))


class Choice(_Frozen):
    """One option of a choice field."""

    value: str
    label: str


class FormField(_Frozen):
    """One question on a form."""

    name: str
    label: str
    kind: Literal["text", "long_text", "choice"] = "text"
    required: bool = True
    max_length: int | None = None
    initial: str | None = None
    choices: tuple[Choice, ...] = ()


class Form(_Frozen):
    """A form to open for one person (a Slack modal, a Discord modal, console prompts)."""

    form_id: str
    title: str
    fields: tuple[FormField, ...]
    submit_label: str = "Send"
    metadata: str = ""


class Response(_Frozen):
    """The core's answer to one interaction, shown only to the person who acted."""

    message: OutMessage | None = None
    form: Form | None = None
    #: A submitted form was refused because of one answer (`message` says why): platforms
    #: that can keep the form open show `field_error` beside `field` (None: the main text).
    field_error: str | None = None
    field: str | None = None
