"""Jinja2 templates (autoescaped: nothing a member typed becomes markup) and the core's
neutral messages, buttons and forms made into what the templates show."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from bot.messages import Button, Form, OutMessage, Response

TEMPLATES = (
    "checkin.html",
    "confirm.html",
    "forget.html",
    "home.html",
    "index.html",
    "mydata.html",
    "pledge.html",
    "poll.html",
    "refused.html",
    "reply.html",
    "settings.html",
    "story.html",
    "unsubscribe.html",
    "win.html",
)


@cache
def environment() -> Environment:
    """The templates, loaded once at start-up (never read from disk while serving)."""
    env = Environment(
        loader=PackageLoader("adapters.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["message"] = message_context
    for name in TEMPLATES:
        env.get_template(name)
    return env


@dataclass
class Hidden:
    """The fields every POST form carries: a fresh nonce and its CSRF token."""

    nonce: str
    csrf: str


@dataclass
class ButtonView:
    label: str
    style: str
    sealed: str
    hidden: Hidden


@dataclass
class FieldView:
    name: str
    label: str
    kind: str
    required: bool
    max_length: int | None
    value: str
    choices: tuple[tuple[str, str], ...]
    error: str | None = None


@dataclass
class FormView:
    title: str
    submit_label: str
    sealed: str
    hidden: Hidden
    fields: list[FieldView] = field(default_factory=list)
    error: str | None = None  # a refusal not about one field


@dataclass
class ReplyView:
    """The core's answer, as the page shows it."""

    message: OutMessage | None
    buttons: list[ButtonView]
    form: FormView | None


def form_view(
    form: Form,
    sealed: str,
    hidden: Hidden,
    typed: dict[str, str] | None = None,
    error: str | None = None,
    error_field: str | None = None,
) -> FormView:
    """A core form as the page shows it; `typed` keeps what was typed after a refusal."""
    view = FormView(form.title, form.submit_label, sealed, hidden)
    names = {f.name for f in form.fields}
    for f in form.fields:
        value = (typed or {}).get(f.name, f.initial or "")
        view.fields.append(
            FieldView(
                name=f.name,
                label=f.label,
                kind=f.kind,
                required=f.required,
                max_length=f.max_length,
                value=value,
                choices=tuple((c.value, c.label) for c in f.choices),
                error=error if error and error_field == f.name else None,
            )
        )
    if error and error_field not in names:
        text = next((f for f in view.fields if f.kind != "choice"), None)
        if error_field is None and text is not None:
            text.error = error
        else:
            view.error = error
    return view


def buttonless(message: OutMessage | None) -> OutMessage | None:
    if message is None or not message.buttons:
        return message
    return message.model_copy(update={"buttons": ()})


def message_context(message: OutMessage | None) -> dict[str, Any] | None:
    """A message as plain data for the template (text stays text: the template escapes)."""
    if message is None:
        return None
    return {
        "title": message.title,
        "sections": [
            {"heading": s.heading, "text": s.text, "entries": list(s.items)}
            for s in message.sections
        ],
        "footer": message.footer,
        "attachment": message.attachment.filename if message.attachment else None,
    }


def is_empty(response: Response) -> bool:
    return response.message is None and response.form is None


def button_data(button: Button) -> dict[str, str]:
    return {"action": button.action, "value": button.value}
