"""Meetings by email: each email about a meeting carries its calendar file (a real `.ics`
attachment, read back with the icalendar package from the email as it arrived): published
when scheduled or moved, cancelled with the same UID and a higher SEQUENCE."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
import pytest

from tests.conftest import community
from tests.email_helpers import as_member, attach_email, email_settings, link_for
from tests.smtp_server import Received, smtp_server

ANA = "ana@example.org"


@pytest.fixture
def server():
    with smtp_server() as running:
        yield running


def calendar_of(received: Received) -> icalendar.Event:
    """The one VEVENT of the email's one `.ics` attachment (and the calendar's METHOD)."""
    files = [
        part
        for part in received.message.iter_attachments()
        if part.get_content_type() == "text/calendar"
    ]
    assert len(files) == 1, [p.get_content_type() for p in received.message.iter_attachments()]
    assert str(files[0].get_filename()).endswith(".ics")
    calendar = icalendar.Calendar.from_ical(files[0].get_content())
    [event] = calendar.walk("VEVENT")
    event["X-TEST-METHOD"] = str(calendar["METHOD"])
    return event


async def test_meeting_emails_carry_a_calendar_file_that_follows_a_move_and_a_cancel(
    make_app, server, person
):
    app = make_app(email_settings(server, community(), tls=False, login=False))
    mail = attach_email(app, None)
    try:
        cora = person(app, "Cora")
        cora.cop(f"invite {ANA} Ana")
        await app.dispatcher.drain()
        [invitation] = server.to(ANA)
        as_member(app, link_for(app, invitation, "confirm").member_id, "email.confirm")
        await app.dispatcher.drain()
        server.clear()
        cora.cop("meeting next 2026-12-10 14:00 Caseloads")
        await app.dispatcher.drain()
        cora.cop("meeting move 1 2026-12-11 15:30")
        await app.dispatcher.drain()
        cora.cop("meeting cancel 2")  # the move made it meeting #2
        await app.dispatcher.drain()
    finally:
        mail.close()

    scheduled, moved, cancelled = (calendar_of(r) for r in server.to(ANA))
    assert scheduled["X-TEST-METHOD"] == "PUBLISH"
    assert scheduled.decoded("dtstart") == datetime(2026, 12, 10, 14, 0, tzinfo=UTC)
    assert str(scheduled["status"]) == "CONFIRMED"
    assert moved["X-TEST-METHOD"] == "PUBLISH"
    assert moved.decoded("dtstart") == datetime(2026, 12, 11, 15, 30, tzinfo=UTC)
    assert str(moved["uid"]) == str(scheduled["uid"])
    assert int(moved["sequence"]) > int(scheduled["sequence"])
    assert cancelled["X-TEST-METHOD"] == "CANCEL"
    assert str(cancelled["status"]) == "CANCELLED"
    assert str(cancelled["uid"]) == str(scheduled["uid"])
    assert int(cancelled["sequence"]) > int(moved["sequence"])
