"""Forged, tampered, expired, revoked and wrong-action links, and forms from elsewhere: each
gets a clear page, and not one row of any table changes."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import pytest

from bot.bootstrap import App
from bot.clock import ManualClock
from tests.conftest import Person, community, make_settings
from tests.web_helpers import (
    Browser,
    Epochs,
    PageForm,
    form,
    member_id,
    open_page,
    snapshot,
    text_of,
)

BASE = "http://127.0.0.1:8080"
REPLY = {"kind": "success", "text": "Fewer falls", "share": "named"}

Attempt = Callable[["World"], Awaitable[tuple[int, str]]]


class World:
    def __init__(self, app: App, browser: Browser, epochs: Epochs, clock: ManualClock) -> None:
        self.app, self.browser, self.epochs, self.clock = app, browser, epochs, clock
        cora, ana, ben = Person(app, "Cora"), Person(app, "Ana"), Person(app, "Ben")
        cora.cop("checkin open")
        cora.cop('poll open "Next topic?" "Falls" "Sores"')
        cora.cop("win We opened the new clinic")
        ana.cop("pledge Ask about falls by tomorrow")
        ben.cop("me")
        self.ana, self.ben = member_id(app.engine, "ana"), member_id(app.engine, "ben")
        epochs[self.ana] = 3
        epochs[self.ben] = 0

    def link(self, action: str = "checkin", target: int | None = 1, **kwargs: object) -> str:
        assert self.app.links is not None
        member = int(kwargs.pop("member", self.ana))  # type: ignore[call-overload]
        epoch = int(kwargs.pop("epoch", self.epochs[member]))  # type: ignore[call-overload]
        return self.app.links.url(member, action, target, epoch=epoch, **kwargs)  # type: ignore[arg-type]

    async def reply_form(self, url: str | None = None) -> tuple[str, PageForm]:
        url = url or self.link()
        status, html = await self.browser.get(url)
        assert status == 200, text_of(html)
        return url, form(html, do="reply")

    async def post(self, url: str, fields: dict[str, str], **kwargs: object) -> tuple[int, str]:
        return await self.browser.post(url, PageForm(fields=fields), (), **kwargs)


def _flip(url: str, index: int) -> str:
    """The link with one character of its token changed."""
    head, token = url.rsplit("/", 1)
    chars = list(token)
    chars[index] = "A" if chars[index] != "A" else "B"
    return f"{head}/{''.join(chars)}"


def _retarget(url: str) -> str:
    """The link's payload edited to point at another target, signature kept."""
    head, token = url.rsplit("/", 1)
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[-33] ^= 1  # the last byte of the target, just before the 32-byte signature
    return f"{head}/{base64.urlsafe_b64encode(bytes(raw)).rstrip(b'=').decode()}"


async def _get(w: World, url: str) -> tuple[int, str]:
    return await w.browser.get(url)


async def _post_reply(w: World, url: str) -> tuple[int, str]:
    """A well-made reply form (from a good link) sent to `url`."""
    _, good = await w.reply_form()
    return await w.post(url, {**good.fields, **REPLY})


async def _expired(w: World) -> tuple[int, str]:
    url, good = await w.reply_form(w.link(ttl=timedelta(hours=1)))
    w.clock.advance(timedelta(hours=2))
    return await w.post(url, {**good.fields, **REPLY})


async def _revoked(w: World) -> tuple[int, str]:
    url, good = await w.reply_form()
    w.epochs[w.ana] = 4  # unsubscribed: the epoch moved on
    return await w.post(url, {**good.fields, **REPLY})


async def _no_route(w: World) -> tuple[int, str]:
    url, good = await w.reply_form()
    del w.epochs[w.ana]  # forgotten: no contact route left
    return await w.post(url, {**good.fields, **REPLY})


async def _without_csrf(w: World) -> tuple[int, str]:
    url, good = await w.reply_form()
    fields = {k: v for k, v in good.fields.items() if k != "csrf"}
    return await w.post(url, {**fields, **REPLY})


async def _csrf_of_another_form(w: World) -> tuple[int, str]:
    url, good = await w.reply_form()
    _, other = await w.reply_form()
    return await w.post(url, {**good.fields, "csrf": other.fields["csrf"], **REPLY})


async def _form_from_bens_page(w: World) -> tuple[int, str]:
    _, bens = await w.reply_form(w.link(member=w.ben))
    return await w.post(w.link(), {**bens.fields, **REPLY})


async def _form_from_another_link_of_hers(w: World) -> tuple[int, str]:
    _, older = await w.reply_form(w.link(ttl=timedelta(days=3)))
    return await w.post(w.link(), {**older.fields, **REPLY})


async def _vote_on_a_checkin_link(w: World) -> tuple[int, str]:
    url, good = await w.reply_form()
    return await w.post(url, {**good.fields, "do": "vote", "choice": "1"})


async def _forget_on_a_checkin_link(w: World) -> tuple[int, str]:
    url, good = await w.reply_form()
    return await w.post(url, {**good.fields, "do": "forget", "choice": "all"})


async def _reply_on_a_poll_link(w: World) -> tuple[int, str]:
    poll = w.link("poll", 1)
    _status, html = await w.browser.get(poll)
    vote = form(html, do="vote")
    return await w.post(poll, {**vote.fields, "do": "reply", **REPLY})


async def _tampered_sealed_button(w: World) -> tuple[int, str]:
    url = w.link("pledge", 1)
    _status, html = await w.browser.get(url)
    done = form(html, button="Done")
    sealed = done.fields["sealed"]
    _body, _, mac = sealed.partition(".")
    forged = base64.urlsafe_b64encode(b'{"action":"mydata.forget","value":"all"}').decode()
    return await w.post(url, {**done.fields, "sealed": f"{forged.rstrip('=')}.{mac}"})


async def _sealed_button_of_another_action(w: World) -> tuple[int, str]:
    _status, html = await w.browser.get(w.link("pledge", 1))
    done = form(html, button="Done")
    return await w.post(w.link("win", 1), done.fields)  # a pledge button on a win link


async def _cross_site_post(w: World) -> tuple[int, str]:
    url, good = await w.reply_form()
    headers = {"Sec-Fetch-Site": "cross-site"}
    return await w.post(url, {**good.fields, **REPLY}, headers=headers)


async def _foreign_origin(w: World) -> tuple[int, str]:
    url, good = await w.reply_form()
    headers = {"Origin": "https://evil.example"}
    return await w.post(url, {**good.fields, **REPLY}, headers=headers)


async def _null_origin_from_elsewhere(w: World) -> tuple[int, str]:
    url, good = await w.reply_form()
    headers = {"Origin": "null"}  # a sandboxed frame or a data: page, no fetch metadata
    return await w.post(url, {**good.fields, **REPLY}, headers=headers)


async def _reply_on_a_mydata_link(w: World) -> tuple[int, str]:
    url = w.link("mydata", None)
    _status, html = await w.browser.get(url)
    send = form(html, do="mydata")
    return await w.post(url, {**send.fields, "do": "reply", **REPLY})


CORPUS: dict[str, tuple[Attempt, int, str]] = {
    "random token": (lambda w: _get(w, f"{BASE}/l/{'x' * 60}"), 404, "doesn't work"),
    "empty-ish token": (lambda w: _get(w, f"{BASE}/l/A"), 404, "doesn't work"),
    "not base64": (lambda w: _get(w, f"{BASE}/l/%25%00%ff"), 404, "doesn't work"),
    "huge token": (lambda w: _get(w, f"{BASE}/l/{'A' * 5000}"), 404, "doesn't work"),
    "first character changed": (lambda w: _post_reply(w, _flip(w.link(), 0)), 404, "doesn't work"),
    "middle character changed": (
        lambda w: _post_reply(w, _flip(w.link(), 20)),
        404,
        "doesn't work",
    ),
    "last character changed": (lambda w: _post_reply(w, _flip(w.link(), -1)), 404, "doesn't work"),
    "cut short": (lambda w: _post_reply(w, w.link()[:-6]), 404, "doesn't work"),
    "target edited": (lambda w: _post_reply(w, _retarget(w.link())), 404, "doesn't work"),
    "signed with another key": (
        lambda w: _post_reply(w, _other_key_link(w)),
        404,
        "doesn't work",
    ),
    "expired": (_expired, 410, "has expired"),
    "revoked by unsubscribing": (_revoked, 410, "no longer works"),
    "old epoch": (lambda w: _post_reply(w, w.link(epoch=2)), 410, "no longer works"),
    "forgotten member": (_no_route, 410, "no longer works"),
    "no CSRF token": (_without_csrf, 403, "out of date"),
    "another form's CSRF token": (_csrf_of_another_form, 403, "out of date"),
    "a form from another member's page": (_form_from_bens_page, 403, "out of date"),
    "a form from another of her links": (_form_from_another_link_of_hers, 403, "out of date"),
    "vote sent on a check-in link": (_vote_on_a_checkin_link, 403, "can't do that"),
    "forget-me sent on a check-in link": (_forget_on_a_checkin_link, 403, "can't do that"),
    "reply sent on a poll link": (_reply_on_a_poll_link, 403, "can't do that"),
    "reply sent on a mydata link": (_reply_on_a_mydata_link, 403, "can't do that"),
    "tampered sealed button": (_tampered_sealed_button, 403, "out of date"),
    "sealed button moved to another link": (_sealed_button_of_another_action, 403, "out of date"),
    "cross-site form": (_cross_site_post, 403, "out of date"),
    "foreign origin": (_foreign_origin, 403, "out of date"),
    "'null' origin not from our page": (_null_origin_from_elsewhere, 403, "out of date"),
}


def _other_key_link(w: World) -> str:
    from bot.links import Links

    other = Links(b"not the secret key", BASE, w.clock)
    return other.url(w.ana, "checkin", 1, epoch=w.epochs[w.ana])


@pytest.fixture
async def world(make_app: Callable[..., App], clock: ManualClock) -> AsyncIterator[World]:
    app = make_app(make_settings(community(), web={"base_url": BASE}))
    epochs = Epochs()
    page, client = await open_page(app, epochs)
    try:
        yield World(app, Browser(client, BASE), epochs, clock)
    finally:
        await client.close()
        await page.stop()


def test_the_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 20


@pytest.mark.parametrize("case", sorted(CORPUS))
async def test_refused_links_change_nothing(world: World, case: str) -> None:
    attempt, status, words = CORPUS[case]
    before = snapshot(world.app.engine)
    got, html = await attempt(world)
    after = snapshot(world.app.engine)
    page = text_of(html)
    assert got == status, page
    assert words in page and "Nothing was changed" in page
    assert after == before, [t for t in before if before[t] != after[t]]
