"""Errors the core turns into a friendly reply for the person who acted."""

from __future__ import annotations


class UserError(Exception):
    """Something the person asked for can't be done; the message says why, in plain words.

    Raising it anywhere in a handler rolls the transaction back: nothing changes.
    """


class FieldError(UserError):
    """A UserError about one answer in a form: the platform can keep the form open and show
    the message beside that field. `field` is the field's name; None means the form's main
    text (what the person wrote)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
