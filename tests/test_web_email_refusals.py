"""Confirm and unsubscribe links that must do nothing — forged, expired, tampered, revoked,
reused after unsubscribing, sent to the wrong link — with real contact routes: each gets a
clear page and not one row of any table changes. And the page never redirects anywhere."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.web import WebPage, current_epoch
from bot.bootstrap import App
from bot.clock import ManualClock
from bot.commands import Actor, Inbound
from tests.conftest import Person, community, make_settings
from tests.fakes import FakePlatform
from tests.test_web_email import EMAIL_SECTION, ONE_CLICK, Mailroom
from tests.web_helpers import Browser, PageForm, form, snapshot, text_of

BASE = "http://127.0.0.1:8080"
Attempt = Callable[["Scene"], Awaitable[tuple[int, str]]]


class Scene(Mailroom):
    """Ana is a confirmed email member; Dee is invited and hasn't confirmed."""

    ana: int
    dee: int
    before: dict[str, list[tuple[object, ...]]]

    def mark(self) -> None:
        """From now on, nothing may change (an attempt calls it again after a real step,
        such as unsubscribing, that comes before the refused one)."""
        self.before = snapshot(self.app.engine)  # type: ignore[assignment]

    def link(self, member: int, action: str, **kwargs: object) -> str:
        assert self.app.links is not None
        epoch = int(kwargs.pop("epoch", self.epoch(member)))  # type: ignore[call-overload]
        return self.app.links.url(member, action, epoch=epoch, **kwargs)  # type: ignore[arg-type]

    def press(self, member: int, action: str, value: str = "") -> None:
        actor = Actor("email", f"member:{member}", "", None)
        self.app.handle(Inbound(actor, "button", action=action, value=value))

    async def page_form(self, url: str, do: str) -> PageForm:
        status, html = await self.browser.get(url)
        assert status == 200, text_of(html)
        return form(html, do=do)

    async def post(self, url: str, fields: dict[str, str], **kwargs: object) -> tuple[int, str]:
        return await self.browser.post(url, PageForm(fields=fields), (), **kwargs)


def _flip(url: str, index: int) -> str:
    head, token = url.rsplit("/", 1)
    chars = list(token)
    chars[index] = "A" if chars[index] != "A" else "B"
    return f"{head}/{''.join(chars)}"


def _other_member(url: str) -> str:
    """The link's member id edited (the signature kept): someone else's unsubscribe."""
    head, token = url.rsplit("/", 1)
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[10] ^= 1  # the last byte of the member id (after version, action, has-target)
    return f"{head}/{base64.urlsafe_b64encode(bytes(raw)).rstrip(b'=').decode()}"


async def _confirm_form_to(s: Scene, url: str) -> tuple[int, str]:
    good = await s.page_form(s.link(s.dee, "confirm"), "confirm")
    return await s.post(url, good.fields)


async def _unsubscribe_form_to(s: Scene, url: str) -> tuple[int, str]:
    good = await s.page_form(s.link(s.ana, "unsubscribe"), "unsubscribe")
    return await s.post(url, good.fields)


async def _one_click(s: Scene, url: str) -> tuple[int, str]:
    return await s.post(url, dict(ONE_CLICK))


async def _expired_confirm(s: Scene) -> tuple[int, str]:
    url = s.link(s.dee, "confirm", ttl=timedelta(hours=1))
    good = await s.page_form(url, "confirm")
    s.clock.advance(timedelta(hours=2))
    return await s.post(url, good.fields)


async def _expired_unsubscribe(s: Scene) -> tuple[int, str]:
    url = s.link(s.ana, "unsubscribe", ttl=timedelta(hours=1))
    s.clock.advance(timedelta(hours=2))
    return await _one_click(s, url)


async def _confirm_after_unsubscribing(s: Scene) -> tuple[int, str]:
    url = s.link(s.dee, "confirm")  # from the invitation email
    good = await s.page_form(url, "confirm")
    s.press(s.dee, "email.unsubscribe")  # she unsubscribed from that same email
    s.mark()
    return await s.post(url, good.fields)


async def _settings_after_unsubscribing(s: Scene) -> tuple[int, str]:
    url = s.link(s.ana, "settings")
    s.press(s.ana, "email.unsubscribe")
    s.mark()
    return await s.browser.get(url)


async def _unsubscribe_again(s: Scene) -> tuple[int, str]:
    url = s.link(s.ana, "unsubscribe")
    await _one_click(s, url)
    s.mark()
    return await _one_click(s, url)  # the mail client retries


async def _unsubscribe_page_sent_twice(s: Scene) -> tuple[int, str]:
    url = s.link(s.ana, "unsubscribe")
    good = await s.page_form(url, "unsubscribe")
    await s.post(url, good.fields)
    s.mark()
    return await s.post(url, good.fields)  # back, and the button pressed again


async def _unsubscribe_after_forget_me(s: Scene) -> tuple[int, str]:
    url = s.link(s.ana, "unsubscribe")
    s.press(s.ana, "mydata.forget", "all")
    s.mark()
    return await _one_click(s, url)


async def _confirm_without_csrf(s: Scene) -> tuple[int, str]:
    url = s.link(s.dee, "confirm")
    good = await s.page_form(url, "confirm")
    return await s.post(url, {k: v for k, v in good.fields.items() if k != "csrf"})


async def _confirm_cross_site(s: Scene) -> tuple[int, str]:
    url = s.link(s.dee, "confirm")
    good = await s.page_form(url, "confirm")
    return await s.post(url, good.fields, headers={"Sec-Fetch-Site": "cross-site"})


async def _confirm_form_from_anas_page(s: Scene) -> tuple[int, str]:
    anas = await s.page_form(s.link(s.ana, "unsubscribe"), "unsubscribe")
    return await s.post(s.link(s.dee, "confirm"), {**anas.fields, "do": "confirm"})


CORPUS: dict[str, tuple[Attempt, int, str]] = {
    "confirm: a character changed": (
        lambda s: _confirm_form_to(s, _flip(s.link(s.dee, "confirm"), 12)),
        404,
        "doesn't work",
    ),
    "confirm: cut short": (
        lambda s: _confirm_form_to(s, s.link(s.dee, "confirm")[:-4]),
        404,
        "doesn't work",
    ),
    "confirm: expired": (_expired_confirm, 410, "has expired"),
    "confirm: revoked by unsubscribing first": (_confirm_after_unsubscribing, 410, "no longer"),
    "confirm: no CSRF token": (_confirm_without_csrf, 403, "out of date"),
    "confirm: a cross-site form": (_confirm_cross_site, 403, "out of date"),
    "confirm: a form from another member's page": (
        _confirm_form_from_anas_page,
        403,
        "out of date",
    ),
    "confirm: a one-click unsubscribe body": (
        lambda s: _one_click(s, s.link(s.dee, "confirm")),
        403,
        "out of date",
    ),
    "confirm: an old epoch": (
        lambda s: _confirm_form_to(s, s.link(s.dee, "confirm", epoch=7)),
        410,
        "no longer works",
    ),
    "unsubscribe: a character changed": (
        lambda s: _one_click(s, _flip(s.link(s.ana, "unsubscribe"), -3)),
        404,
        "doesn't work",
    ),
    "unsubscribe: someone else's member id": (
        lambda s: _one_click(s, _other_member(s.link(s.ana, "unsubscribe"))),
        404,
        "doesn't work",
    ),
    "unsubscribe: signed with another key": (
        lambda s: _one_click(s, _other_key(s, s.ana, "unsubscribe")),
        404,
        "doesn't work",
    ),
    "unsubscribe: expired": (_expired_unsubscribe, 410, "has expired"),
    "unsubscribe: after forget-me": (_unsubscribe_after_forget_me, 410, "no longer works"),
    "unsubscribe: a settings link": (
        lambda s: _one_click(s, s.link(s.ana, "settings")),
        403,
        "out of date",
    ),
    "unsubscribe: the page's form on a settings link": (
        lambda s: _unsubscribe_form_to(s, s.link(s.ana, "settings")),
        403,
        "out of date",
    ),
    "reused: one-click again after unsubscribing": (
        _unsubscribe_again,
        200,
        "already unsubscribed",
    ),
    "reused: the unsubscribe page's form sent again": (
        _unsubscribe_page_sent_twice,
        200,
        "already unsubscribed",
    ),
    "reused: a settings link after unsubscribing": (
        _settings_after_unsubscribing,
        410,
        "no longer works",
    ),
}


def _other_key(s: Scene, member: int, action: str) -> str:
    from bot.links import Links

    other = Links(b"not the secret key", BASE, s.clock)
    return other.url(member, action, epoch=s.epoch(member))


@pytest.fixture
async def scene(make_app: Callable[..., App], clock: ManualClock) -> AsyncIterator[Scene]:
    settings = make_settings(community(), email=EMAIL_SECTION, web={"base_url": BASE})
    app = make_app(settings)
    mail = FakePlatform(name="email")
    app.dispatcher._platforms["email"] = mail
    page = WebPage(app, app.links, current_epoch())  # type: ignore[arg-type]
    client = TestClient(TestServer(page.application()))
    await client.start_server()
    try:
        found = Scene(app, mail, Browser(client, BASE), clock)
        found.cora = Person(app, "Cora")
        found.ana = found.invite("ana@example.org", "Ana")
        found.dee = found.invite("dee@example.org", "Dee")
        found.press(found.ana, "email.confirm")
        yield found
    finally:
        await client.close()
        await page.stop()


def test_the_confirm_and_unsubscribe_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 15


@pytest.mark.parametrize("case", sorted(CORPUS))
async def test_refused_confirm_and_unsubscribe_links_change_nothing(
    scene: Scene, case: str
) -> None:
    attempt, status, words = CORPUS[case]
    scene.mark()
    got, html = await attempt(scene)
    before, after = scene.before, snapshot(scene.app.engine)
    page = text_of(html)
    assert got == status, page
    assert words in page and "Nothing was changed" in page
    assert after == before, [t for t in before if before[t] != after[t]]


@pytest.mark.parametrize(
    "path",
    [
        "/l/x?next=https://evil.example/",
        "/l//evil.example",
        "/%2F%2Fevil.example",
        "/static/..%2F..%2Fetc%2Fpasswd",
    ],
)
async def test_no_address_redirects_anywhere(scene: Scene, path: str) -> None:
    for method in ("GET", "POST"):
        response = await scene.browser.client.request(method, path, allow_redirects=False)
        assert response.status < 300 or response.status >= 400, (method, response.status)
        assert "Location" not in response.headers
        assert response.headers["Referrer-Policy"] == "no-referrer"
