"""The `.ics` writer: what any member typed in a title survives a real calendar parser, and
every line keeps to RFC 5545's 75 octets."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

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


def _read(text: str) -> tuple[icalendar.Calendar, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(text)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def test_a_published_entry_carries_what_a_calendar_needs_in_utc() -> None:
    summer_afternoon = datetime(2026, 7, 2, 14, 0, tzinfo=ZoneInfo("Europe/London"))
    text = ics(
        _entry("Wicked problems", starts_at=summer_afternoon, sequence=2),
        stamp=datetime(2026, 7, 1, 10, 30, tzinfo=ZoneInfo("Europe/London")),
        domain="cop.example.org",
    )
    lines = text.split("\r\n")
    for line in (
        "BEGIN:VCALENDAR",
        "PRODID:-//copbot//community of practice//EN",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "UID:meeting-abc@cop.example.org",
        "SEQUENCE:2",
        "DTSTAMP:20260701T093000Z",
        "DTSTART:20260702T130000Z",  # 14:00 summer time in London
        "DTEND:20260702T150000Z",
        "SUMMARY:Wicked problems",
        "STATUS:CONFIRMED",
    ):
        assert line in lines, line
    assert not any(line.startswith(("URL", "LOCATION", "DESCRIPTION")) for line in lines)


def test_a_cancelled_entry_is_sent_as_a_cancellation() -> None:
    calendar, _event = _read(ics(_entry("x", cancelled=True), stamp=STAMP))
    assert str(calendar["method"]) == "CANCEL"


def test_a_link_is_the_place_and_is_offered_after_the_description() -> None:
    link = "https://meet.example.org/r oom\tX42"
    _calendar, event = _read(ics(_entry("x", link=link, description="Bring a win."), stamp=STAMP))
    assert str(event["url"]) == "https://meet.example.org/roomX42"
    assert str(event["location"]) == "https://meet.example.org/roomX42"
    assert str(event["description"]) == "Bring a win.\n\nJoin: https://meet.example.org/roomX42"

    _calendar, event = _read(ics(_entry("x", link=link), stamp=STAMP))
    assert str(event["description"]) == "Join: https://meet.example.org/roomX42"

    _calendar, event = _read(ics(_entry("x", description="Bring a win."), stamp=STAMP))
    assert str(event["description"]) == "Bring a win."
    assert "url" not in event and "location" not in event


def test_naive_times_are_refused_with_a_reason() -> None:
    with pytest.raises(ValueError) as refused:
        ics(_entry("x"), stamp=datetime(2026, 12, 1, 9, 0))
    assert str(refused.value) == "calendar times must be timezone-aware"


def test_the_file_is_the_same_whatever_the_servers_own_time_zone(monkeypatch) -> None:
    entry = _entry("x", starts_at=datetime(2026, 12, 10, 14, 0, tzinfo=ZoneInfo("Asia/Tokyo")))
    in_utc = ics(entry, stamp=STAMP)
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        elsewhere = ics(entry, stamp=STAMP)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert elsewhere == in_utc
    assert "DTSTART:20261210T050000Z" in in_utc.split("\r\n")
    assert "UID:meeting-abc@copbot" in in_utc.split("\r\n")  # copbot's own domain by default
