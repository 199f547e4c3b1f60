"""Email: the outbox's messages to members reached by email, sent over SMTP.

`copbot run` serves it whenever the settings have an `[email]` section (see adapters/registry.py).
"""

from __future__ import annotations

import argparse

from adapters.email.platform import EmailAdapter, EmailPlatform
from bot.config import Settings

__all__ = ["EmailAdapter", "EmailPlatform", "make_adapter"]


def make_adapter(settings: Settings, _args: argparse.Namespace) -> EmailAdapter:
    """The email adapter for the settings' `[email]` section."""
    if settings.email is None:
        raise ValueError("email needs an [email] section in the settings")
    return EmailAdapter(settings.email)
