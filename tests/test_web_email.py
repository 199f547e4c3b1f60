"""The web page behind an email's links, with real contact routes: confirming an invitation,
one-click unsubscribe (RFC 8058), and every email button leading to the page that does it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import Session, select

from adapters.web import WebPage, button_url, current_epoch, member_urls
from bot.bootstrap import App
from bot.clock import ManualClock
from bot.commands import Actor, Inbound
from bot.contact import current_link_epoch
from bot.storage.tables import Member, OutboxMessage
from bot.storage.tables_contact import ContactRoute
from tests.conftest import Person, community, make_settings
from tests.fakes import FakePlatform
from tests.web_helpers import Browser, form, snapshot, text_of

BASE = "http://127.0.0.1:8080"
EMAIL_SECTION = {"smtp_host": "127.0.0.1", "from_address": "copbot@example.org"}
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


class Mailroom:
    """A community whose convener invites Ana by email, with the web page in front."""

    def __init__(self, app: App, mail: FakePlatform, browser: Browser, clock: ManualClock) -> None:
        self.app, self.mail, self.browser, self.clock = app, mail, browser, clock
        self.cora = Person(app, "Cora")

    def invite(self, address: str = "ana@example.org", name: str = "Ana") -> int:
        assert "Invitation sent" in self.cora.says(f"invite {address} {name}")
        with Session(self.app.engine) as session:
            route = session.exec(select(ContactRoute).where(ContactRoute.address == address)).one()
        return route.member_id

    def route(self, member: int) -> ContactRoute:
        with Session(self.app.engine) as session:
            found = session.exec(select(ContactRoute).where(ContactRoute.member_id == member)).one()
        return found

    def epoch(self, member: int) -> int:
        with Session(self.app.engine) as session:
            found = current_link_epoch(session, member)
        assert found is not None
        return found

    async def invitation_link(self, member: int) -> str:
        await self.app.dispatcher.drain()
        [invitation] = [d for d in self.mail.dms(f"member:{member}") if "invite" in d.key]
        [button] = invitation.message.buttons
        assert self.app.links is not None
        url = button_url(self.app.links, member, self.epoch(member), button)
        assert url is not None
        return url

    async def confirmed(self, name: str = "Ana") -> int:
        member = self.invite(f"{name.lower()}@example.org", name)
        url = await self.invitation_link(member)
        html = await self.open(url)
        await self.send(url, html, do="confirm")
        return member

    def links(self, member: int) -> Any:
        assert self.app.links is not None
        return member_urls(self.app.links, member, self.epoch(member))

    async def open(self, url: str, status: int = 200) -> str:
        got, html = await self.browser.get(url)
        assert got == status, text_of(html)
        return html

    async def send(self, url: str, html: str, *, status: int = 200, **kwargs: Any) -> str:
        got, answer = await self.browser.post(url, form(html, **kwargs))
        assert got == status, text_of(answer)
        return answer

    async def one_click(self, url: str, **headers: str) -> tuple[int, str]:
        """What a mail client sends for `List-Unsubscribe-Post: List-Unsubscribe=One-Click`."""
        response = await self.browser.client.post(
            self.browser.path(url), data=ONE_CLICK, headers=headers, allow_redirects=False
        )
        return response.status, await response.text()


@pytest.fixture
async def room(make_app: Callable[..., App], clock: ManualClock) -> AsyncIterator[Mailroom]:
    settings = make_settings(
        community(welcome={"enabled": True}, quiet_hours="22:00-07:00"),
        email=EMAIL_SECTION,
        web={"base_url": BASE},
    )
    app = make_app(settings)
    mail = FakePlatform(name="email")
    app.dispatcher._platforms["email"] = mail
    page = WebPage(app, app.links, current_epoch())  # type: ignore[arg-type]
    client = TestClient(TestServer(page.application()))
    await client.start_server()
    try:
        yield Mailroom(app, mail, Browser(client, BASE), clock)
    finally:
        await client.close()
        await page.stop()


async def test_opening_the_invitation_link_changes_nothing_until_the_button_is_pressed(
    room: Mailroom,
) -> None:
    ana = room.invite()
    url = await room.invitation_link(ana)
    before = snapshot(room.app.engine)
    html = await room.open(url)  # a mail scanner opening every link joins nobody
    assert snapshot(room.app.engine) == before
    assert "Yes, I'd like to join wound-care" in text_of(html)
    assert room.route(ana).verified_at is None

    answer = await room.send(url, html, do="confirm")
    assert "you're a member of wound-care" in text_of(answer)
    assert "Your settings" in text_of(answer)
    assert room.route(ana).verified_at is not None
    await room.app.dispatcher.drain()
    welcome = [d for d in room.mail.dms(f"member:{ana}") if d.key.startswith("welcome:")]
    assert len(welcome) == 1 and "Chatham House rule" in welcome[0].text

    again = await room.open(url)
    assert "already a member" in text_of(again) and "Nothing was changed" in text_of(again)


async def test_one_click_unsubscribe_stops_queued_mail_and_revokes_every_link(
    room: Mailroom,
) -> None:
    ana = await room.confirmed()
    urls = room.links(ana)
    room.clock.advance(timedelta(hours=14))  # quiet hours: the check-in email waits
    room.cora.cop("checkin open")
    with Session(room.app.engine) as session:
        waiting = session.exec(
            select(OutboxMessage).where(OutboxMessage.user_id == f"member:{ana}")
        ).all()
    assert any(m.status in ("pending", "held") for m in waiting)

    status, html = await room.one_click(urls.unsubscribe)  # no CSRF token, no Origin
    assert status == 200 and "You're unsubscribed" in text_of(html)
    route = room.route(ana)
    assert route.unsubscribed_at is not None
    with Session(room.app.engine) as session:
        left = session.exec(
            select(OutboxMessage).where(
                OutboxMessage.user_id == f"member:{ana}",
                OutboxMessage.status.in_(("pending", "held")),  # type: ignore[attr-defined]
            )
        ).all()
    assert left == []
    sent = len(room.mail.dms(f"member:{ana}"))
    await room.app.advance(room.clock.now() + timedelta(days=8))
    assert len(room.mail.dms(f"member:{ana}")) == sent  # nothing after unsubscribing

    got, page = await room.browser.get(urls.settings)  # an older email's settings link
    assert got == 410 and "no longer works" in text_of(page)

    before = snapshot(room.app.engine)
    status, html = await room.one_click(urls.unsubscribe)  # the mail client tries again
    assert status == 200 and "already unsubscribed" in text_of(html)
    assert snapshot(room.app.engine) == before


async def test_the_unsubscribe_page_asks_before_it_unsubscribes(room: Mailroom) -> None:
    ana = await room.confirmed()
    url = room.links(ana).unsubscribe
    before = snapshot(room.app.engine)
    html = await room.open(url)
    assert snapshot(room.app.engine) == before
    assert room.route(ana).unsubscribed_at is None
    answer = await room.send(url, html, do="unsubscribe")
    assert "You're unsubscribed" in text_of(answer)
    assert room.route(ana).unsubscribed_at is not None


async def test_every_button_of_a_members_emails_opens_its_page(room: Mailroom) -> None:
    ana = await room.confirmed()
    room.cora.cop("checkin open")
    room.cora.cop('poll open "Next topic?" "Falls" "Sores" --ranked')
    await room.app.dispatcher.drain()
    assert room.app.links is not None
    opened = set()
    for delivery in room.mail.dms(f"member:{ana}"):
        for button in delivery.message.buttons:
            url = button_url(room.app.links, ana, room.epoch(ana), button)
            if url is None:
                continue
            html = await room.open(url)
            assert "doesn't work" not in text_of(html)
            opened.add(button.action)
    assert {"checkin.reply", "checkin.skip", "poll.ballot"} <= opened, opened


def _gathered(room: Mailroom, member: int) -> list[Any]:
    return [d for d in room.mail.dms(f"member:{member}") if d.key.startswith("email-digest:")]


async def test_the_settings_page_chooses_how_often_the_posts_come_day_week_or_off(
    room: Mailroom,
) -> None:
    ana = await room.confirmed()
    url = room.links(ana).settings
    html = await room.open(url)
    page = text_of(html)
    assert "One email a day" in page and "None: I'll read them some other way" in page
    values = {"timezone": "Europe/London", "quiet": "off", "reminders": "on", "digest": "off"}
    got, answer = await room.browser.post(url, form(html, do="settings"), values)
    assert got == 200 and "don't come by email" in text_of(answer)
    assert room.route(ana).digest == "off"

    room.cora.cop("checkin open")
    room.cora.cop("checkin close")  # a channel post
    await room.app.advance(room.clock.now() + timedelta(days=7))  # past a Monday 07:00
    assert _gathered(room, ana) == []  # off means off, Mondays too

    html = await room.open(url)
    got, answer = await room.browser.post(
        url, form(html, do="settings"), {**values, "digest": "day"}
    )
    assert got == 200 and "one email a day" in text_of(answer)
    room.cora.cop("checkin open")
    room.cora.cop("checkin close")
    await room.app.advance(room.clock.now() + timedelta(days=1, hours=1))
    [daily] = _gathered(room, ana)
    assert "the last day" in (daily.message.title or "")


async def test_a_made_up_digest_choice_changes_nothing(room: Mailroom) -> None:
    ana = await room.confirmed()
    url = room.links(ana).settings
    html = await room.open(url)
    before = snapshot(room.app.engine)
    values = {"timezone": "Europe/Paris", "quiet": "off", "reminders": "off", "digest": "hourly"}
    got, answer = await room.browser.post(url, form(html, do="settings"), values)
    assert got == 422 and "how often the community's posts come" in text_of(answer)
    assert snapshot(room.app.engine) == before


async def test_an_email_only_communitys_page_is_its_channel_and_names_no_anonymous_author(
    make_app: Callable[..., App], clock: ManualClock
) -> None:
    carers = community(
        name="carers",
        platform="email",
        conveners=["cora@example.org"],
        keepers=[],
        invite=["ana@example.org", "ben@example.org"],
    )
    del carers["channel"]
    app = make_app(make_settings(carers, email=EMAIL_SECTION, web={"base_url": BASE}))
    mail = FakePlatform(name="email")
    app.dispatcher._platforms["email"] = mail
    await app.advance(clock.now() + timedelta(minutes=5))  # the settings' invitations
    page = WebPage(app, app.links, current_epoch())  # type: ignore[arg-type]
    client = TestClient(TestServer(page.application()))
    await client.start_server()
    try:
        room = Mailroom(app, mail, Browser(client, BASE), clock)
        ids = {}
        for name in ("cora", "ana", "ben"):
            with Session(app.engine) as session:
                route = session.exec(
                    select(ContactRoute).where(ContactRoute.address == f"{name}@example.org")
                ).one()
            ids[name] = route.member_id
            url = await room.invitation_link(route.member_id)
            await room.send(url, await room.open(url), do="confirm")

        def cop(who: str, text: str) -> str:
            actor = Actor("email", f"member:{ids[who]}", "", None)
            answer = app.handle(Inbound(actor, "text", text=f"/cop {text}"))
            return answer.message.as_text() if answer.message else ""

        with Session(app.engine) as session:  # her name, which her page may show to no one
            ana = session.get(Member, ids["ana"])
            assert ana is not None
            ana.display_name = "Ana Silva"
            session.add(ana)
            session.commit()
        cop("cora", "checkin open")
        home = room.links(ids["ben"]).home
        assert "Reply to the check-in" in text_of(await room.open(home))
        assert app.links is not None  # Ana replies anonymously through her page
        reply_url = app.links.url(ids["ana"], "checkin", 1, epoch=room.epoch(ids["ana"]))
        html = await room.open(reply_url)
        values = {"kind": "challenge", "text": "Night shifts leave no time", "share": "anonymous"}
        got, _ = await room.browser.post(reply_url, form(html, do="reply"), values)
        assert got == 200
        cop("ana", "win anonymously We halved the waiting list")
        cop("cora", "checkin close")  # the summary: a post kept for the community's page
        cop("cora", 'poll open "Next topic?" "Falls" "Sores"')
        cop("cora", "meeting next 2026-12-10 14:00 Caseload capacity")

        seen = text_of(await room.open(home))  # Ben's page
        assert "Night shifts leave no time" in seen  # the summary post
        assert "We halved the waiting list" in seen and "anonymous" in seen
        assert "Next topic?" in seen
        assert "Thu 10 Dec, 14:00: Caseload capacity" in seen
        assert "Silva" not in seen
    finally:
        await client.close()
        await page.stop()


async def test_links_work_two_weeks_and_the_unsubscribe_link_a_year(room: Mailroom) -> None:
    ana = await room.confirmed()
    urls = room.links(ana)
    room.clock.advance(timedelta(days=13))
    assert "Your settings" in text_of(await room.open(urls.settings))
    room.clock.advance(timedelta(days=2))
    got, html = await room.browser.get(urls.settings)
    assert got == 410 and "has expired" in text_of(html)
    room.clock.advance(timedelta(days=340))
    assert "Unsubscribe from wound-care" in text_of(await room.open(urls.unsubscribe))
    room.clock.advance(timedelta(days=11))
    got, html = await room.browser.get(urls.unsubscribe)
    assert got == 410 and "has expired" in text_of(html)
