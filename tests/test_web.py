"""The web page over real HTTP: each link's page, what its forms do in the core, and the
headers. Members act as themselves (platform "email", user "member:<id>")."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.bootstrap import App
from bot.storage.tables import CheckInReply, Member
from bot.storage.tables_polls import Ballot
from bot.storage.tables_wins import Pledge, Win, WinCheer
from tests.conftest import Person, community, make_settings
from tests.web_helpers import Browser, Epochs, form, member_id, open_page, text_of

BASE = "http://127.0.0.1:8080"


class Site:
    """A community with the web page in front of it: Cora convenes, Ana takes part."""

    def __init__(self, app: App, browser: Browser, epochs: Epochs) -> None:
        self.app = app
        self.browser = browser
        self.epochs = epochs
        self.cora = Person(app, "Cora")
        self.ana = Person(app, "Ana")
        self.ana.cop("me")
        self.ana_id = member_id(app.engine, "ana")
        epochs[self.ana_id] = 0

    def link(self, action: str, target: int | None = None, member: int | None = None) -> str:
        assert self.app.links is not None
        who = self.ana_id if member is None else member
        return self.app.links.url(who, action, target, epoch=self.epochs.get(who, 0))

    async def open(self, url: str) -> str:
        status, html = await self.browser.get(url)
        assert status == 200, text_of(html)
        return html

    async def send(self, url: str, html: str, *, status: int = 200, **kwargs: Any) -> str:
        values = kwargs.pop("values", {})
        got, answer = await self.browser.post(url, form(html, **kwargs), values)
        assert got == status, text_of(answer)
        return answer


@pytest.fixture
async def site(make_app: Callable[..., App]) -> AsyncIterator[Site]:
    app = make_app(make_settings(community(), web={"base_url": BASE}))
    epochs = Epochs()
    page, client = await open_page(app, epochs)
    try:
        yield Site(app, Browser(client, BASE), epochs)
    finally:
        await client.close()
        await page.stop()


def _rows(app: App, table: Any) -> list[Any]:
    with Session(app.engine) as session:
        return list(session.exec(select(table)).all())


async def test_a_checkin_reply_shared_anonymously_keeps_no_member(site: Site) -> None:
    site.cora.cop("checkin open")
    checkin = site.app.handle  # the core is reached only through the page below
    assert checkin
    url = site.link("checkin", 1)
    html = await site.open(url)
    page = text_of(html)
    assert "Chatham House rule" in page and "not who wrote it" in page
    answer = await site.send(
        url,
        html,
        do="reply",
        values={"kind": "challenge", "text": "Night shifts leave no time", "share": "anonymous"},
    )
    assert "shared anonymously" in text_of(answer)
    (reply,) = _rows(site.app, CheckInReply)
    assert reply.anonymous and reply.member_id is None
    assert reply.text == "Night shifts leave no time"
    again = text_of(await site.open(url))
    assert "Challenge (anonymous): Night shifts leave no time" in again  # only she sees it


async def test_a_form_sent_twice_counts_once(site: Site) -> None:
    site.cora.cop("checkin open")
    url = site.link("checkin", 1)
    html = await site.open(url)
    values = {"kind": "success", "text": "Fewer falls", "share": "named"}
    await site.send(url, html, do="reply", values=values)
    values["text"] = "Fewer falls, twice?"
    await site.send(url, html, do="reply", values=values)  # the same form: back, send again
    (reply,) = _rows(site.app, CheckInReply)
    assert reply.text == "Fewer falls"


async def test_a_refused_reply_keeps_what_was_typed(site: Site) -> None:
    site.cora.cop("checkin open")
    url = site.link("checkin", 1)
    html = await site.open(url)
    answer = await site.send(
        url,
        html,
        status=422,
        do="reply",
        values={"kind": "success", "text": "Thanks @everyone for this", "share": "named"},
    )
    assert "Thanks @everyone for this" in answer  # still in the box
    assert "everyone" in text_of(answer).lower() and "Please check" in text_of(answer)
    assert _rows(site.app, CheckInReply) == []


async def test_the_patient_identifier_guard_asks_first_and_post_anyway_posts(site: Site) -> None:
    site.cora.cop("checkin open")
    url = site.link("checkin", 1)
    html = await site.open(url)
    text = "Mrs Patel at LS6 2QT was seen twice"
    warning = await site.send(
        url, html, do="reply", values={"kind": "success", "text": text, "share": "named"}
    )
    assert _rows(site.app, CheckInReply) == []
    assert "Let me edit" in warning and "Post anyway" in warning
    await site.send(url, warning, button="Post anyway")
    (reply,) = _rows(site.app, CheckInReply)
    assert reply.text == text


async def test_ranked_poll_voted_with_number_selects(site: Site) -> None:
    site.cora.cop('poll open "Next topic?" "Falls" "Pressure sores" "Handover" --ranked')
    url = site.link("poll", 1)
    html = await site.open(url)
    assert "rank 1" in html and "not ranked" in html
    duplicate = await site.send(
        url, html, status=422, do="vote", values={"rank.1": "1", "rank.2": "1", "rank.3": ""}
    )
    assert "Two options have rank 1" in text_of(duplicate)
    assert _rows(site.app, Ballot) == []
    await site.send(url, html, do="vote", values={"rank.1": "2", "rank.2": "3", "rank.3": "1"})
    (ballot,) = _rows(site.app, Ballot)
    assert ballot.choices == [3, 1, 2]


@pytest.mark.parametrize(
    ("flags", "values", "choices"),
    [
        ("", [("choice", "2")], [2]),
        ("--multiple", [("choice", "1"), ("choice", "3")], [1, 3]),
        ("--dots 3", [("dots.1", "2"), ("dots.2", "0"), ("dots.3", "1")], [1, 1, 3]),
    ],
)
async def test_single_multiple_and_dot_votes(
    site: Site, flags: str, values: list[tuple[str, str]], choices: list[int]
) -> None:
    site.cora.cop(f'poll open "Next topic?" "Falls" "Sores" "Handover" {flags}')
    url = site.link("poll", 1)
    html = await site.open(url)
    await site.send(url, html, do="vote", values=values)
    (ballot,) = _rows(site.app, Ballot)
    assert sorted(ballot.choices) == choices


async def test_too_many_dots_are_refused_by_the_core(site: Site) -> None:
    site.cora.cop('poll open "Next topic?" "Falls" "Sores" --dots 2')
    url = site.link("poll", 1)
    html = await site.open(url)
    answer = await site.send(url, html, do="vote", values={"dots.1": "2", "dots.2": "2"})
    assert "more than 2 dots" in text_of(answer)
    assert _rows(site.app, Ballot) == []


async def test_cheering_and_sharing_a_win_anonymously(site: Site) -> None:
    site.cora.cop("win We opened the new clinic")
    url = site.link("win", 1)
    html = await site.open(url)
    assert "We opened the new clinic" in text_of(html) and "From Cora" in text_of(html)
    await site.send(url, html, do="cheer")
    assert [c.member_id for c in _rows(site.app, WinCheer)] == [site.ana_id]
    await site.send(
        url, html, do="share", values={"text": "Zero missed visits", "share": "anonymous"}
    )
    shared = [w for w in _rows(site.app, Win) if w.text == "Zero missed visits"]
    assert len(shared) == 1 and shared[0].anonymous and shared[0].member_id is None


async def test_a_pledge_follow_up_answered_done(site: Site) -> None:
    site.ana.cop("pledge Ask every patient about falls by tomorrow")
    url = site.link("pledge", 1)
    html = await site.open(url)
    assert "Ask every patient about falls" in text_of(html)
    question = await site.send(url, html, button="Done")
    assert "What happened?" in text_of(question)
    await site.send(
        url,
        question,
        do="form",
        values={"f.outcome": "Asked forty patients", "f.win": "no", "f.story": "no"},
    )
    (pledge,) = _rows(site.app, Pledge)
    assert pledge.status == "done" and pledge.outcome == "Asked forty patients"


async def test_someone_elses_pledge_is_not_shown(site: Site) -> None:
    site.cora.cop("pledge Cora's private promise by tomorrow")
    status, html = await site.browser.get(site.link("pledge", 1))
    assert status == 404 and "Cora's private promise" not in html


async def test_settings_change_timezone_quiet_hours_and_reminders(site: Site) -> None:
    url = site.link("settings")
    html = await site.open(url)
    assert 'value="Europe/London" selected' in html
    await site.send(
        url,
        html,
        do="settings",
        values={
            "timezone": "America/New_York",
            "quiet": "on",
            "quiet_start": "21:30",
            "quiet_end": "06:45",
            "reminders": "off",
        },
    )
    (ana,) = [m for m in _rows(site.app, Member) if m.id == site.ana_id]
    assert (ana.timezone, ana.quiet_start, ana.quiet_end) == ("America/New_York", "21:30", "06:45")
    assert ana.muted_checkins


async def test_forget_me_asks_first_then_erases_and_the_links_stop(site: Site) -> None:
    url = site.link("forget")
    html = await site.open(url)
    assert "can't be undone" in text_of(html)
    await site.send(url, html, do="forget", values={"choice": "cancel"})
    assert any(m.id == site.ana_id for m in _rows(site.app, Member))
    html = await site.open(url)
    await site.send(url, html, do="forget", values={"choice": "all"})
    assert not any(m.id == site.ana_id for m in _rows(site.app, Member))
    status, again = await site.browser.get(url)
    assert status == 410 and "no longer works" in text_of(again)


async def test_mydata_is_sent_privately_from_the_page(site: Site) -> None:
    url = site.link("mydata")
    html = await site.open(url)
    answer = await site.send(url, html, do="mydata")
    assert "I've sent you everything I hold about you privately" in text_of(answer)


async def test_a_story_told_through_the_cores_own_form(site: Site) -> None:
    url = site.link("story")
    html = await site.open(url)
    fields = form(html, do="form").names
    assert "f.what" in fields
    values = {n: "yes" for n in fields if n.startswith("f.")}
    values.update({"f.what": "We ran a joint clinic", "f.difference": "Waits halved"})
    answer = await site.send(url, html, do="form", values=values)
    assert "Please check" not in answer


async def test_the_home_page_shows_wins_polls_and_the_next_meeting(site: Site) -> None:
    site.cora.cop("win We opened the new clinic")
    site.cora.cop('poll open "Next topic?" "Falls" "Sores"')
    site.cora.cop("meeting next 2026-12-10 14:00 Caseload capacity")
    html = await site.open(site.link("home"))
    page = text_of(html)
    assert "We opened the new clinic" in page
    assert "Next topic?" in page
    assert "Thu 10 Dec, 14:00: Caseload capacity" in page
    poll_link = next(a for a in html.split('href="')[1:] if "/l/" in a and a.startswith(BASE))
    status, _ = await site.browser.get(poll_link.split('"')[0])
    assert status == 200


async def test_security_headers_on_every_page(site: Site) -> None:
    site.cora.cop("checkin open")
    for path in (site.link("checkin", 1), f"{BASE}/", f"{BASE}/l/nope", f"{BASE}/nothing"):
        response = await site.browser.client.get(site.browser.path(path), allow_redirects=False)
        headers = response.headers
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "script-src" not in headers["Content-Security-Policy"]  # default-src 'none'
        assert headers["Cache-Control"] == "no-store"
    css = await site.browser.client.get("/static/site.css")
    assert css.status == 200 and css.content_type == "text/css"


async def test_no_script_on_any_page(site: Site) -> None:
    site.cora.cop("checkin open")
    site.cora.cop('poll open "Next topic?" "Falls" "Sores" --ranked')
    for action, target in (("checkin", 1), ("poll", 1), ("settings", None), ("home", None)):
        html = await site.open(site.link(action, target))
        assert "<script" not in html.lower() and " on" not in html.lower().replace("\n", " ")[:0]
        assert 'name="viewport"' in html


async def test_member_text_is_escaped(site: Site) -> None:
    site.cora.cop("win <b>bold</b> & <script>x</script>")
    html = await site.open(site.link("win", 1))
    assert "<script>x" not in html and "&lt;script&gt;x&lt;/script&gt;" in html


async def test_our_own_form_is_accepted_when_the_browser_hides_its_origin(site: Site) -> None:
    """Our Referrer-Policy makes browsers send `Origin: null` with our own forms."""
    site.cora.cop("checkin open")
    url = site.link("checkin", 1)
    html = await site.open(url)
    values = {"kind": "success", "text": "Fewer falls", "share": "named"}
    headers = {"Origin": "null", "Sec-Fetch-Site": "same-origin"}
    got, answer = await site.browser.post(url, form(html, do="reply"), values, headers)
    assert got == 200, text_of(answer)
    (reply,) = _rows(site.app, CheckInReply)
    assert reply.text == "Fewer falls"
