"""The `.ics` writer: what any member typed in a title survives a real calendar parser, and
every line keeps to RFC 5545's 75 octets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.calendar import CalendarEntry, ics

STAMP = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _entry(title: str, **overrides: object) -> CalendarEntry:
    values: dict[str, object] = {
        "uid": "meeting-abc",
        "sequence": 0,
        "starts_at": datetime(2026, 12, 10, 14, 0, tzinfo=UTC),
        "length": timedelta(hours=2),
        "title": title,
    }
    values.update(overrides)
    return CalendarEntry(**values)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=300))
def test_any_title_reads_back_unchanged_and_no_line_is_too_long(title: str) -> None:
    text = ics(_entry(title), stamp=STAMP)
    for line in text.split("\r\n"):
        assert len(line.encode()) <= 75
    [event] = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert str(event["summary"]) == title


def test_newlines_and_separators_cannot_add_properties() -> None:
    title = "Drop-in\r\nSTATUS:CANCELLED;x,y\\"
    [event] = icalendar.Calendar.from_ical(ics(_entry(title), stamp=STAMP)).walk("VEVENT")
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["summary"]) == title.replace("\r\n", "\n")


def test_a_link_cannot_break_its_line() -> None:
    text = ics(_entry("x", link="https://meet.example.org/a\r\nSTATUS:CANCELLED"), stamp=STAMP)
    [event] = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert str(event["status"]) == "CONFIRMED"


def test_a_cancelled_entry_says_so_and_naive_times_are_refused() -> None:
    [event] = icalendar.Calendar.from_ical(
        ics(_entry("x", cancelled=True, sequence=3), stamp=STAMP)
    ).walk("VEVENT")
    assert str(event["status"]) == "CANCELLED" and int(event["sequence"]) == 3
    with pytest.raises(ValueError):
        ics(_entry("x", starts_at=datetime(2026, 12, 10, 14, 0)), stamp=STAMP)
