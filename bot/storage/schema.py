"""Every table copbot has: importing this registers them all on SQLModel.metadata."""

from __future__ import annotations

from bot.storage import (
    tables,
    tables_addresses,
    tables_contact,
    tables_library,
    tables_meetings,
    tables_momentum,
    tables_polls,
    tables_stories,
    tables_trust,
    tables_value,
    tables_wins,
)

__all__ = [
    "tables",
    "tables_addresses",
    "tables_contact",
    "tables_library",
    "tables_meetings",
    "tables_momentum",
    "tables_polls",
    "tables_stories",
    "tables_trust",
    "tables_value",
    "tables_wins",
]
