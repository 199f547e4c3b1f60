"""A member reached by email cannot type commands: no email tells them to "type /cop …".
Every kind of email a member gets (invitation, welcome, check-in prompt and reminder, pledge
follow-up, poll invitation, meeting reminder, find-a-time poll, trio introduction, the digest
of channel posts) is sent through a real SMTP server and read as it arrived."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.commands import Actor, Inbound
from bot.email_words import for_email
from bot.messages import Button, OutMessage, Section
from tests.conftest import START, community
from tests.email_helpers import as_member, attach_email, email_settings, link_for
from tests.smtp_server import smtp_server

ANA = "ana@example.org"
#: A command to type (not the "//copbot.example.org" of a link).
TYPED = re.compile(r"(?<![/\w])/cop\b[^.;)<]*")


@pytest.fixture
def server():
    with smtp_server() as running:
        yield running


def _typed(app, member_id: int, text: str):
    actor = Actor("email", f"member:{member_id}", "", None)
    return app.handle(Inbound(actor, "text", text=f"/cop {text}"))


async def test_no_email_to_a_member_says_to_type_a_command(make_app, server, person, clock):
    settings = email_settings(
        server,
        community(
            welcome={"enabled": True},
            meetings={"dates": ["2026-12-15 14:00"]},
            checkin={"schedule": "off", "open_for": "5 days", "remind_after": "2 days"},
        ),
        tls=False,
        login=False,
    )
    app = make_app(settings)
    mail = attach_email(app, None)
    try:
        cora = person(app, "Cora")
        cora.cop(f"invite {ANA} Ana")
        await app.dispatcher.drain()
        [invitation] = server.to(ANA)
        ana = link_for(app, invitation, "confirm").member_id
        as_member(app, ana, "email.confirm")
        await app.dispatcher.drain()
        assert "email digest day" not in _typed(app, ana, "email digest day").message.as_text()
        _typed(app, ana, "pledge Ask every patient about pain first by in 3 days")
        cora.cop("checkin open")
        cora.cop('poll open "Which topic next?" "Caseloads" "Isolation"')
        cora.cop("meeting find-time 2026-12-10 14:00; 2026-12-11 09:00")
        cora.cop("trios start size 2 every 4 weeks")
        await app.dispatcher.drain()
        as_member(app, ana, "trios.join")
        person(app, "Ben").cop("trios join")
        person(app, "Ben").cop("win We halved the waiting list")
        await app.advance(START + timedelta(days=14, hours=1))
    finally:
        mail.close()

    subjects = [str(r.message["Subject"]) for r in server.to(ANA)]
    kinds = {
        "invitation": "invited",
        "welcome": "Welcome",
        "check-in prompt": "check-in",
        "check-in reminder": "gentle nudge",
        "pledge follow-up": "pledge",
        "poll invitation": "Which topic next?",
        "meeting reminder": "coming up",
        "find a time": "When can you come",
        "trio introduction": "co-consulting",
        "digest of channel posts": "wound-care: the last",
    }
    missing = [
        k for k, word in kinds.items() if not any(word.lower() in s.lower() for s in subjects)
    ]
    assert missing == [], (missing, subjects)
    [reminder] = [r for r in server.to(ANA) if "coming up" in str(r.message["Subject"])]
    calendar = [a.get_content_type() for a in reminder.message.iter_attachments()]
    assert calendar == ["text/calendar"]
    said = {
        str(r.message["Subject"]): TYPED.findall(r.part("plain") + r.part("html"))
        for r in server.to(ANA)
        if TYPED.search(r.part("plain") + r.part("html"))
    }
    assert said == {}


def test_typed_commands_become_the_page_in_plain_words() -> None:
    message = OutMessage(
        title="Welcome",
        sections=(
            Section(text="Reply privately with the buttons below (or /cop reply). Thanks."),
            Section(items=("Type /cop help to see everything you can do here.", "Be kind.")),
        ),
        buttons=(Button(label="Share a success", action="checkin.reply", value="1:success"),),
        footer="Re-read our norms any time with /cop norms. /cop mydata shows what I hold.",
    )
    emailed = for_email(message)
    text = emailed.as_text()
    assert not TYPED.search(text)
    assert "Reply privately with the buttons below. Thanks." in text
    assert "Be kind." in text
    assert emailed.buttons == message.buttons
