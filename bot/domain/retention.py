"""Retention periods: how long personal data is kept ("2 years", "18 months", "90 days")."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.domain import when

_LONG = re.compile(r"^\s*(\d+)\s*(years?|yrs?|y|months?|mo)\s*$", re.IGNORECASE)


def parse_period(text: str) -> timedelta:
    """Read a retention period; years count 365 days and months 30 (a little generous to
    members: data goes no later than the calendar would say, give or take a day a year)."""
    found = _LONG.match(text)
    if found is None:
        return when.parse_duration(text)
    amount = int(found.group(1))
    if amount == 0:
        raise when.WhenError(f"'{text.strip()}' is zero: please give a period like '2 years'.")
    days = amount * (365 if found.group(2).lower().startswith("y") else 30)
    return timedelta(days=days)
