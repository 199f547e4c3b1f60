"""Calendar files (RFC 5545): one meeting or event as an `.ics` a calendar can take in.

Times are written in UTC (`DTSTART:…Z`), which every calendar shows in its owner's own
time zone. A moved gathering keeps its UID with a higher SEQUENCE, so calendars update
the entry instead of adding a second one; a cancelled one says STATUS:CANCELLED.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

PRODUCT = "-//copbot//community of practice//EN"


@dataclass(frozen=True)
class CalendarEntry:
    """What a calendar needs to know about one gathering."""

    uid: str
    sequence: int
    starts_at: datetime
    length: timedelta
    title: str
    description: str = ""
    link: str | None = None
    cancelled: bool = False


def _uri(link: str) -> str:
    """A link as a URI value: no control characters can break the line."""
    return "".join(char for char in link if char.isprintable() and char not in " \t")


def ics(entry: CalendarEntry, *, stamp: datetime, domain: str = "copbot") -> str:
    """The `.ics` text for `entry`, written by the icalendar package (CRLF line ends, lines
    folded at 75 octets, TEXT values escaped: nothing typed can add a property)."""
    if entry.starts_at.tzinfo is None or stamp.tzinfo is None:
        raise ValueError("calendar times must be timezone-aware")
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if entry.cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"{entry.uid}@{domain}")
    event.add("sequence", entry.sequence)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", entry.starts_at.astimezone(UTC))
    event.add("dtend", (entry.starts_at + entry.length).astimezone(UTC))
    event.add("summary", entry.title)
    event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    description = entry.description
    if entry.link:
        link = _uri(entry.link)
        event.add("url", link)
        event.add("location", link)
        description = f"{description}\n\nJoin: {link}" if description else f"Join: {link}"
    if description:
        event.add("description", description)
    calendar.add_component(event)
    return calendar.to_ical().decode()
