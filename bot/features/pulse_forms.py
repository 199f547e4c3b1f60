"""The pulse's questions as a form, and reading the answers back (bot.features.pulses)."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.pulses import IMPACT_ASKED, SCALE
from bot.errors import UserError
from bot.features.pulse_results import COMMENT, asked_goals
from bot.messages import Choice, Form, FormField
from bot.storage.tables_value import IMPACT_QUESTIONS, Pulse

#: Discord shows at most 5 fields in a form: the comment gets its own form beyond that.
FORM_FIELDS = 5


def pulse_form(pulse: Pulse, asked: Mapping[str, str]) -> Form:
    """The questions of `pulse`; an impact pulse's in the community's words (`asked`)."""
    if pulse.kind == "goals":
        fields = [
            FormField(
                name=f"g{goal_id}",
                label=f"How far did we get towards: {text}",
                kind="choice",
                choices=tuple(Choice(value=str(v), label=label) for v, label in SCALE),
            )
            for goal_id, text in asked_goals(pulse)
        ]
        title = "Our goals (anonymous)"
    else:
        yes_no = (Choice(value="yes", label="Yes"), Choice(value="no", label="No"))
        fields = [
            FormField(name=q, label=asked.get(q, IMPACT_ASKED[q]), kind="choice", choices=yes_no)
            for q in IMPACT_QUESTIONS
        ]
        title = "What changed for you (anonymous)"
    if len(fields) < FORM_FIELDS:
        fields.append(comment_field())
    return Form(form_id="pulse.answer", title=title, fields=tuple(fields), metadata=str(pulse.id))


def comment_field() -> FormField:
    return FormField(
        name="text",
        label="Anything you'd like to add? (optional, anonymous)",
        kind="long_text",
        required=False,
        max_length=500,
    )


def read_answers(pulse: Pulse, answers: str) -> dict[str, int]:
    given = dict(part.partition("=")[::2] for part in answers.split(",") if part)
    if pulse.kind == "goals":
        wanted = {f"g{goal_id}": str(goal_id) for goal_id, _ in asked_goals(pulse)}
        values = {str(v): v for v, _ in SCALE}
    else:
        wanted = {q: q for q in IMPACT_QUESTIONS}
        values = {"yes": 1, "no": 0}
    if set(given) - set(wanted) - {COMMENT}:
        raise UserError("That form is out of date. Please press the button again.")
    found: dict[str, int] = {}
    for field, question in wanted.items():
        if given.get(field) not in values:
            raise UserError("Please answer every question (the comment is optional).")
        found[question] = values[given[field]]
    return found
