"""Errors the core turns into a friendly reply for the person who acted."""

from __future__ import annotations


class UserError(Exception):
    """Something the person asked for can't be done; the message says why, in plain words.

    Raising it anywhere in a handler rolls the transaction back: nothing changes.
    """
