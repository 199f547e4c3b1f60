"""An email-only community's whole cycle, in the core: invitations confirmed, a check-in
opened and answered (named and anonymously), its summary gathered into the members'
email, a poll voted in, the newsletter between two meetings, and the keeper's Monday digest
— every message by email, none naming who shared anonymously."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from bot.commands import Actor, Inbound
from bot.storage.tables_contact import ContactRoute
from tests.conftest import START, community, make_settings
from tests.fakes import FakePlatform

EMAILING = {
    "email": {"smtp_host": "127.0.0.1", "from_address": "copbot@example.org"},
    "web": {"base_url": "http://127.0.0.1:8080"},
}
PEOPLE = ("ana", "ben", "dee", "eve", "fay")


def _id(app, address: str) -> int:
    with Session(app.engine) as session:
        return (
            session.exec(select(ContactRoute).where(ContactRoute.address == address))
            .one()
            .member_id
        )


def _name(app, address: str) -> str:
    from bot.storage.tables import Member

    with Session(app.engine) as session:
        return session.get(Member, _id(app, address)).display_name


def _as(app, address: str, kind: str, **parts: str) -> str:
    actor = Actor("email", f"member:{_id(app, address)}", "", None)
    response = app.handle(Inbound(actor, kind, **parts))  # type: ignore[arg-type]
    return response.message.as_text() if response.message else ""


def _cop(app, address: str, text: str) -> str:
    return _as(app, address, "text", text=f"/cop {text}")


def _mail_to(mail: FakePlatform, app, address: str, prefix: str) -> list:
    return [d for d in mail.dms(f"member:{_id(app, address)}") if d.key.startswith(prefix)]


async def test_an_email_only_community_runs_a_whole_cycle(make_app):
    carers = community(
        name="carers",
        platform="email",
        conveners=["cora@example.org"],
        keepers=["kit@example.org"],
        invite=[f"{p}@example.org" for p in PEOPLE],
        quiet_hours="02:00-03:00",  # not in the hours this test visits
        welcome={"enabled": True},
        meetings={"dates": ["2026-12-03 14:00", "2026-12-17 14:00"]},
        checkin={"schedule": "off", "open_for": "2 days", "remind_after": "1 day"},
    )
    del carers["channel"]
    mail = FakePlatform(name="email")
    app = make_app(make_settings(carers, **EMAILING))
    app.dispatcher._platforms["email"] = mail
    await app.advance(START + timedelta(minutes=5))
    everyone = ["cora@example.org", "kit@example.org", *(f"{p}@example.org" for p in PEOPLE)]
    for address in everyone:
        assert _mail_to(mail, app, address, "email-invite:"), f"{address} was not invited"
        _as(app, address, "button", action="email.confirm")

    assert "opened" in _cop(app, "cora@example.org", "checkin open")
    await app.advance(START + timedelta(minutes=10))
    opened = [
        a
        for a in everyone
        if any("check-in" in d.text.lower() for d in _mail_to(mail, app, a, "checkin:"))
    ]
    assert len(opened) >= len(PEOPLE), "the check-in did not reach the members by email"
    _cop(app, "ana@example.org", "reply success Carers' café doubled its numbers")
    _cop(app, "ben@example.org", "reply challenge anonymously Night respite is impossible to book")
    _cop(app, "dee@example.org", "reply learning Ask about the carer's own sleep")
    _cop(app, "cora@example.org", "checkin close")

    _cop(app, "cora@example.org", 'poll open "Next problem?" "Respite" "Paperwork"')
    await app.advance(START + timedelta(hours=1))
    for address in ("ana@example.org", "eve@example.org", "fay@example.org"):
        assert "vote" in _cop(app, address, "vote 1 1").lower()
    assert "3 of 7" in _cop(app, "cora@example.org", "poll 1")  # three votes, counted once

    await app.advance(START + timedelta(days=13))  # past the newsletter and two Mondays
    gathered = " ".join(d.text for a in everyone for d in _mail_to(mail, app, a, "email-digest:"))
    assert "Carers' café doubled its numbers" in gathered  # the summary, by email
    assert "Night respite is impossible to book" in gathered
    ben = _name(app, "ben@example.org")
    assert "Night respite is impossible to book — (shared anonymously)" in gathered
    assert ben not in gathered and "ben@" not in gathered
    newsletters = _mail_to(mail, app, "eve@example.org", "newsletter:")
    assert newsletters, "the newsletter did not reach an email member"
    digests = _mail_to(mail, app, "kit@example.org", "digest:")
    assert digests, "the keeper had no Monday digest"
    assert ben not in " ".join(d.text for d in digests)
