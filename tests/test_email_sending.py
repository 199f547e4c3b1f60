"""Email that really goes out: the outbox sends through a real SMTP server on loopback
(aiosmtpd, STARTTLS with a test certificate, a password from the environment), and the
tests read what arrived: headers, text and HTML parts, and the signed links in them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.config import ConfigError
from bot.messages import Button, OutMessage, Section
from bot.ports import Cancelled
from bot.storage.tables import Member, OutboxMessage
from bot.storage.tables_contact import ContactRoute
from tests.conftest import community
from tests.email_helpers import (
    BASE_URL,
    SMTP_PASSWORD,
    SMTP_USER,
    as_member,
    attach_email,
    email_settings,
    grants,
    link_for,
    token_for,
)
from tests.smtp_server import make_certificate, smtp_server


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def server(certificate):
    with smtp_server(tls=certificate, password=(SMTP_USER, SMTP_PASSWORD)) as running:
        yield running


@pytest.fixture
def mailing(make_app, server, certificate):
    """Build copbot with real email (call again for a restart)."""
    built = []

    def build(*communities, **email):
        app = make_app(email_settings(server, *communities, **email))
        mail = attach_email(app, certificate[0])
        built.append(mail)
        return app, mail

    yield build
    for mail in built:
        mail.close()


def member_id(app, address: str) -> int:
    with Session(app.engine) as session:
        route = session.exec(select(ContactRoute).where(ContactRoute.address == address)).one()
        return route.member_id


async def confirmed(app, person, server, address="ana@example.org", name="Ana") -> int:
    """Invite `address`, press the link in the invitation; returns the member id."""
    person(app, "Cora").cop(f"invite {address} {name}")
    await app.dispatcher.drain()
    [invitation] = server.to(address)
    grant = link_for(app, invitation, "confirm")
    as_member(app, grant.member_id, "email.confirm")
    await app.dispatcher.drain()
    return grant.member_id


async def test_the_checkin_arrives_as_text_and_html_with_signed_links_over_starttls(
    mailing, server, person
):
    app, _mail = mailing()
    ana = await confirmed(app, person, server)
    server.clear()
    person(app, "Cora").cop("checkin open")
    await app.dispatcher.drain()
    [email] = server.to("ana@example.org")

    assert email.tls  # STARTTLS before anything was sent
    assert server.handler.logins == [(SMTP_USER, SMTP_PASSWORD)]  # from the environment
    assert email.recipients == ["ana@example.org"] and email.sender == "copbot@example.org"
    message = email.message
    assert message.get_content_type() == "multipart/alternative"
    assert str(message["To"]) == "Ana <ana@example.org>"
    assert str(message["From"]) == "copbot <copbot@example.org>"
    assert "check-in" in str(message["Subject"]).lower()
    assert str(message["Message-ID"]).endswith("@example.org>")

    checkin = [g for g in grants(app, email) if g.action == "checkin"]
    assert checkin and checkin[0].member_id == ana and checkin[0].target is not None
    unsubscribe = token_for(app, email, "unsubscribe")
    assert str(message["List-Unsubscribe"]) == f"<{BASE_URL}/l/{unsubscribe}>"
    assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert link_for(app, email, "settings").member_id == ana
    html = email.part("html")
    for token in (token_for(app, email, "checkin"), unsubscribe):
        assert f'href="{BASE_URL}/l/{token}"' in html
    assert "What has happened for you since we last met?" in html


async def test_no_member_text_can_add_a_header_or_a_recipient_and_html_is_escaped(
    mailing, server, person
):
    app, mail = mailing()
    ana = await confirmed(app, person, server)
    with Session(app.engine) as session:
        member = session.get(Member, ana)
        member.display_name = "Ana\r\nBcc: eve@evil.example\r\nX-Injected: yes"
        session.add(member)
        session.commit()
    server.clear()
    hostile = OutMessage(
        title="Hello\r\nBcc: mallory@evil.example\nSubject: changed",
        sections=(Section(text="<script>alert(1)</script> & <b>bold</b>"),),
        buttons=(Button(label="<img src=x onerror=alert(1)>", action="email.home"),),
    )
    await mail.dm(f"member:{ana}", hostile, "test:hostile")
    [email] = server.received
    assert email.recipients == ["ana@example.org"]
    headers = {name.lower() for name in email.message}
    assert "bcc" not in headers and "x-injected" not in headers
    assert email.message.get_all("Subject") == ["Hello Bcc: mallory@evil.example Subject: changed"]
    assert email.message["To"].addresses[0].addr_spec == "ana@example.org"
    assert len(email.message["To"].addresses) == 1
    html = email.part("html")
    assert "<script>" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html


async def test_a_resend_of_the_same_outbox_row_carries_the_same_message_id(mailing, server, person):
    app, mail = mailing()
    ana = await confirmed(app, person, server)
    server.clear()
    note = OutMessage(title="A note")
    await mail.dm(f"member:{ana}", note, "test:once")
    await mail.dm(f"member:{ana}", note, "test:once")  # as after a crash before 'sent'
    await mail.dm(f"member:{ana}", note, "test:other")
    _restarted, again = mailing()  # a new process, the same secret key
    await again.dm(f"member:{ana}", note, "test:once")
    ids = [r.message_id for r in server.received]
    assert ids[0] == ids[1] == ids[3] != ids[2]


async def test_a_busy_server_is_retried_later_and_a_refusal_is_shown_to_conveners(
    mailing, server, person, clock
):
    app, _mail = mailing()
    await confirmed(app, person, server)
    bo = await confirmed(app, person, server, "bo@example.org", "Bo")
    server.clear()
    server.handler.busy = 1  # 451 to the first try
    server.handler.unknown.add("bo@example.org")  # 550 for Bo, every time
    person(app, "Cora").cop("checkin open")
    await app.dispatcher.drain()
    assert len(server.to("ana@example.org")) + len(server.to("bo@example.org")) <= 1
    await app.advance(clock.now() + timedelta(hours=2))
    assert len(server.to("ana@example.org")) == 1  # the 451 was tried again: it went
    assert server.to("bo@example.org") == []
    with Session(app.engine) as session:
        to_bo = session.exec(
            select(OutboxMessage).where(OutboxMessage.user_id == f"member:{bo}")
        ).all()
    dead = [row for row in to_bo if row.status == "dead"]
    assert len(dead) == 1 and "refused it (550)" in (dead[0].last_error or "")
    shown = person(app, "Cora").says("undelivered")
    assert "1 message I could not deliver" in shown and "refused it (550)" in shown
    assert "bo@example.org" not in shown  # an address is never shown to others


async def test_an_email_queued_before_unsubscribing_is_never_sent(mailing, server, person):
    app, mail = mailing()
    ana = await confirmed(app, person, server)
    server.clear()
    person(app, "Cora").cop("checkin open")  # queued, not yet sent
    as_member(app, ana, "email.unsubscribe")
    await app.dispatcher.drain()
    with pytest.raises(Cancelled):  # even one claimed before the unsubscribe: cancelled
        await mail.dm(f"member:{ana}", OutMessage(title="late"), "test:late")
    assert server.received == []
    with Session(app.engine) as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.user_id == f"member:{ana}"))
        assert {row.status for row in rows if row.sent_at is None} == {"cancelled"}


async def test_without_starttls_nothing_is_sent_in_clear(make_app, person):
    with smtp_server() as plain:  # offers no STARTTLS
        app = make_app(email_settings(plain))
        mail = attach_email(app, None)
        try:
            person(app, "Cora").cop("invite ana@example.org Ana")
            await app.dispatcher.drain()
            assert plain.received == []
            with Session(app.engine) as session:
                [row] = session.exec(select(OutboxMessage)).all()
            assert row.status == "pending" and "STARTTLS" in (row.last_error or "")
        finally:
            mail.close()


async def test_starttls_can_be_off_only_for_a_server_on_this_machine(person, make_app):
    with smtp_server() as plain:
        app = make_app(email_settings(plain, tls=False, login=False))
        mail = attach_email(app, None)
        try:
            person(app, "Cora").cop("invite ana@example.org Ana")
            await app.dispatcher.drain()
            assert len(plain.to("ana@example.org")) == 1
        finally:
            mail.close()
        with pytest.raises(ConfigError, match="starttls can be turned off only"):
            email_settings(plain, tls=False, smtp_host="mail.example.org")
    with pytest.raises(ConfigError, match=r"needs a \[web\] section"):
        from bot.config import parse_settings

        parse_settings(
            {
                "communities": [community()],
                "email": {"smtp_host": "127.0.0.1", "from_address": "copbot@example.org"},
            }
        )


async def test_sending_is_paced_at_the_configured_messages_per_second(mailing):
    app, mail = mailing(per_second=7)
    assert mail.rate_limit == (7, 2)
    pacer = app.dispatcher._pacers["email"]
    assert pacer._interval == pytest.approx(1 / 7) and pacer._tolerance == 0
