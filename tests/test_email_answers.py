"""The answer buttons of emails about gatherings and groups lead to real pages: the links in
the emails as they arrived (real SMTP) open signed per-member pages that work without
JavaScript: Going / Maybe / Can't make it for a meeting and an event, the times that suit
for a find-a-time poll, joining the co-consulting rotation and saying whether the group met.
Opening a page changes nothing; pressing its button does what the chat button does."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import Session, select

from adapters.web import WebPage, current_epoch
from bot.email_words import typed
from bot.storage.tables_meetings import Rsvp, TrioSeat
from tests.conftest import community
from tests.email_helpers import BASE_URL, as_member, attach_email, email_settings, link_for
from tests.smtp_server import Received, smtp_server
from tests.web_helpers import Browser, form, forms, snapshot, text_of

ANA = "ana@example.org"


class Room:
    """Cora convenes in the console; Ana takes part by email, through the page."""

    def __init__(self, app: Any, server: Any, browser: Browser, person: Any) -> None:
        self.app, self.server, self.browser = app, server, browser
        self.cora = person(app, "Cora")

    async def drain(self) -> None:
        await self.app.dispatcher.drain()

    def emails(self, subject: str) -> list[Received]:
        return [r for r in self.server.to(ANA) if subject in str(r.message["Subject"])]

    def link(self, received: Received, label: str) -> str:
        plain = received.part("plain").replace("\r\n", "\n")
        found = re.search(rf"^{re.escape(label)}: (\S+)$", plain, re.MULTILINE)
        assert found, (label, plain)
        assert f'href="{found[1]}"' in received.part("html")
        return found[1]

    async def open(self, url: str) -> str:
        before = snapshot(self.app.engine)
        status, html = await self.browser.get(url)
        assert status == 200, text_of(html)
        assert snapshot(self.app.engine) == before  # a mail scanner opening it changes nothing
        assert "<script" not in html
        assert not typed(text_of(html)), text_of(html)
        return html

    async def press(self, url: str, html: str, label: str) -> str:
        status, answer = await self.browser.post(url, form(html, button=label))
        assert status == 200, text_of(answer)
        assert not typed(text_of(answer)), text_of(answer)  # nobody types commands here
        return answer


@pytest.fixture
async def room(make_app, person) -> AsyncIterator[Room]:
    with smtp_server() as server:
        settings = email_settings(
            server, community(meetings={"show_going": True}), tls=False, login=False
        )
        app = make_app(settings)
        mail = attach_email(app, None)
        page = WebPage(app, app.links, current_epoch())  # type: ignore[arg-type]
        client = TestClient(TestServer(page.application()))
        await client.start_server()
        try:
            built = Room(app, server, Browser(client, BASE_URL), person)
            built.cora.cop(f"invite {ANA} Ana")
            await built.drain()
            [invitation] = server.to(ANA)
            as_member(app, link_for(app, invitation, "confirm").member_id, "email.confirm")
            await built.drain()
            yield built
        finally:
            await client.close()
            await page.stop()
            mail.close()


def answers(app: Any) -> list[tuple[int | None, int | None, str]]:
    with Session(app.engine) as session:
        rows = session.exec(select(Rsvp)).all()
        return sorted((r.meeting_id, r.event_id, r.answer) for r in rows)


async def test_going_maybe_or_cant_make_it_from_a_meeting_email(room: Room) -> None:
    room.cora.cop("meeting next 2026-12-10 14:00 Caseloads")
    await room.drain()
    [email] = room.emails("meeting")
    url = room.link(email, "Going / Maybe / Can't make it")
    html = await room.open(url)
    assert [f.button for f in forms(html)] == ["Going", "Maybe", "Can't make it"]
    answered = text_of(await room.press(url, html, "Going"))
    assert "going" in answered.lower()
    assert answers(room.app) == [(1, None, "going")]
    html = await room.open(url)  # changed her mind: still one answer
    await room.press(url, html, "Can't make it")
    assert answers(room.app) == [(1, None, "no")]
    assert "0 going, 0 maybe, 1 can't make it" in text_of(await room.open(url))


async def test_an_event_email_opens_its_own_answers_page(room: Room) -> None:
    room.cora.cop("event add 2026-12-11 12:30 Drop-in https://meet.example.org/x")
    await room.drain()
    [email] = room.emails("Drop-in")
    url = room.link(email, "Going / Maybe / Can't make it")
    html = await room.open(url)
    await room.press(url, html, "Maybe")
    assert answers(room.app) == [(None, 1, "maybe")]


async def test_find_a_time_answers_from_the_email(room: Room) -> None:
    room.cora.cop("meeting find-time 2026-12-10 14:00; 2026-12-11 09:00")
    await room.drain()
    [email] = room.emails("When can you come")
    url = room.link(email, "Give my times")
    html = await room.open(url)
    labels = [f.button for f in forms(html)]
    assert labels == ["1: Yes", "1: If need be", "1: No", "2: Yes", "2: If need be", "2: No"]
    first_yes = next(f for f in forms(html) if f.button == "1: Yes")
    status, answer = await room.browser.post(url, first_yes)
    assert status == 200, text_of(answer)
    assert not typed(text_of(answer)), text_of(answer)
    assert "your answer: yes" in text_of(answer).lower()


async def test_joining_the_trios_and_saying_the_group_met(room: Room, person, clock) -> None:
    room.cora.cop("trios start size 2 every 4 weeks")
    await room.drain()
    [invite] = room.emails("Co-consulting")
    url = room.link(invite, "Count me in / Leave")
    html = await room.open(url)
    answer = text_of(await room.press(url, html, "Count me in"))
    assert "You're in" in answer
    person(room.app, "Ben").cop("trios join")
    await room.app.advance(clock.now() + timedelta(days=17, minutes=2))
    [check] = room.emails("Did your co-consulting group meet?")
    url = room.link(check, "Yes, we met / Not yet / Skip this round")
    html = await room.open(url)
    await room.press(url, html, "Yes, we met")
    with Session(room.app.engine) as session:
        seats = session.exec(select(TrioSeat)).all()
    assert sorted(s.met or "" for s in seats) == ["", "yes"]


async def test_a_pulse_email_opens_the_pulse_page(room: Room) -> None:
    room.cora.cop("goals set Fewer missed visits; Share what works")
    room.cora.cop("pulse goals")
    await room.drain()
    [email] = [r for r in room.server.to(ANA) if "Answer (anonymously)" in r.part("plain")]
    url = room.link(email, "Answer (anonymously)")
    assert room.app.links is not None
    assert room.app.links.read(url.rsplit("/", 1)[1]).action == "pulse"
    page = text_of(await room.open(url))
    assert "Fewer missed visits" in page


def _ana(room: Room) -> Any:
    """Ana's member id and link epoch, read off her invitation's link."""
    [invitation] = room.emails("invited you")
    return link_for(room.app, invitation, "confirm")


async def test_offering_to_help_plan_from_an_email(room: Room) -> None:
    from adapters.email.compose import page_for
    from bot.features.planners import planning_button
    from bot.storage.tables_trust import PlanningVolunteer

    # "I'd like to help plan" (the welcome, the newsletter) leads to the planning page.
    assert page_for(planning_button()) == ("plan", None)
    ana = _ana(room)
    assert room.app.links is not None
    url = room.app.links.url(ana.member_id, "plan", epoch=ana.epoch)
    page = await room.open(url)
    assert "Anyone can help plan and convene" in text_of(page)
    answer = text_of(await room.press(url, page, "I'd like to help"))
    assert "Thank you" in answer, answer
    with Session(room.app.engine) as session:
        [volunteer] = session.exec(select(PlanningVolunteer)).all()
    assert volunteer.member_id == ana.member_id


async def test_offering_help_with_an_anonymous_request_from_its_page(room: Room, person) -> None:
    from adapters.email.compose import page_for
    from bot.messages import Button
    from bot.storage.tables import OutboxMessage
    from bot.storage.tables_wins import HelpRequest, Pledge

    ben = person(room.app, "Ben")
    ben.cop("pledge Try the new leaflet by in 2 weeks")
    with Session(room.app.engine) as session:
        [pledge_id] = session.exec(select(Pledge.id)).all()
    ben.submit(
        "pledge.help", str(pledge_id), help="Who has tried the leaflet at home?", share="anonymous"
    )
    with Session(room.app.engine) as session:
        [request_id] = session.exec(select(HelpRequest.id)).all()
    # The email's "I can help" button leads to this request's own page.
    button = Button(label="I can help", action="help.offer", value=f"a{-request_id}")
    assert page_for(button) == ("help", -request_id)
    ana = _ana(room)
    assert room.app.links is not None
    url = room.app.links.url(ana.member_id, "help", -request_id, epoch=ana.epoch)
    page = text_of(await room.open(url))
    assert "Who has tried the leaflet at home?" in page
    assert "Ben" not in page  # asked anonymously: the page never says who
    answer = text_of(await room.press(url, await room.open(url), "I can help"))
    assert "I've said in the channel that you can help" in answer, answer
    with Session(room.app.engine) as session:
        keys = session.exec(select(OutboxMessage.key)).all()
    assert f"help:{request_id}:offer:{ana.member_id}" in keys
    gone = room.app.links.url(ana.member_id, "help", 12345, epoch=ana.epoch)
    status, _ = await room.browser.get(gone)
    assert status == 404
