"""Calendar files (RFC 5545): one meeting or event as an `.ics` a calendar can take in.

Times are written in UTC (`DTSTART:…Z`), which every calendar shows in its owner's own
time zone. A moved gathering keeps its UID with a higher SEQUENCE, so calendars update
the entry instead of adding a second one; a cancelled one says STATUS:CANCELLED.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("calendar times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines escaped."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """A content line folded at 75 octets (§3.1), never splitting a UTF-8 character."""
    out: list[str] = []
    current = b""
    limit = 75
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > limit:
            out.append(current.decode())
            current = b""
            limit = 74  # continuation lines start with one space
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


def _uri(link: str) -> str:
    """A link as a URI value: no control characters can break the line."""
    return "".join(char for char in link if char.isprintable() and char not in " \t")


def ics(entry: CalendarEntry, *, stamp: datetime, domain: str = "copbot") -> str:
    """The `.ics` text for `entry` (CRLF line ends, folded lines)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{'CANCEL' if entry.cancelled else 'PUBLISH'}",
        "BEGIN:VEVENT",
        f"UID:{entry.uid}@{domain}",
        f"SEQUENCE:{entry.sequence}",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART:{_utc(entry.starts_at)}",
        f"DTEND:{_utc(entry.starts_at + entry.length)}",
        f"SUMMARY:{escape_text(entry.title)}",
        f"STATUS:{'CANCELLED' if entry.cancelled else 'CONFIRMED'}",
    ]
    description = entry.description
    if entry.link:
        link = _uri(entry.link)
        lines.append(f"URL:{link}")
        lines.append(f"LOCATION:{escape_text(link)}")
        description = f"{description}\n\nJoin: {link}" if description else f"Join: {link}"
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)
