"""A real browser (Debian's chromium, driven by Playwright) on the real web page served by
`WebPage.start` on loopback: a community with the page in front, and keyboard helpers.

Without a chromium the browser tests are skipped, loudly (see conftest.py); under CI they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlmodel import Session, select

from adapters.web import WebPage, current_epoch, member_urls
from bot.bootstrap import App
from bot.commands import Actor, Inbound
from bot.contact import current_link_epoch
from bot.storage.tables_contact import ContactRoute
from tests.conftest import IN_CI, Person
from tests.fakes import FakePlatform

CHROMIUM = os.environ.get("COPBOT_TEST_CHROMIUM", "/usr/bin/chromium")
EMAIL_SECTION = {"smtp_host": "127.0.0.1", "from_address": "copbot@example.org"}
PHONE = {"width": 375, "height": 740}


def chromium() -> str | None:
    """The chromium to drive, or None when none is installed here."""
    found = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    return found


def need_chromium(in_ci: bool = IN_CI) -> str:
    """The chromium to drive; else skip (fail under CI)."""
    found = chromium()
    if found is None:
        message = f"no chromium at {CHROMIUM} (apt-get install -y chromium)"
        if in_ci:
            pytest.fail(message + ": CI requires the browser tests", pytrace=False)
        pytest.skip(message)
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Community:
    """Cora convenes in chat; Ana takes part by email (invited, confirmed); Dee is invited
    and hasn't confirmed yet. Everything is reached through signed links to the real page."""

    def __init__(self, app: App, page: WebPage) -> None:
        self.app, self.page = app, page
        self.mail = FakePlatform(name="email")
        app.dispatcher._platforms["email"] = self.mail
        self.cora = Person(app, "Cora")
        self.ana = self._invite("ana@example.org", "Ana")
        self.dee = self._invite("dee@example.org", "Dee")
        self.press(self.ana, "email.confirm")

    def _invite(self, address: str, name: str) -> int:
        assert "Invitation sent" in self.cora.says(f"invite {address} {name}")
        with Session(self.app.engine) as session:
            route = session.exec(select(ContactRoute).where(ContactRoute.address == address)).one()
        return route.member_id

    def press(self, member: int, action: str, value: str = "") -> None:
        actor = Actor("email", f"member:{member}", "", None)
        self.app.handle(Inbound(actor, "button", action=action, value=value))

    def say(self, member: int, text: str) -> str:
        actor = Actor("email", f"member:{member}", "", None)
        answer = self.app.handle(Inbound(actor, "text", text=f"/cop {text}"))
        return answer.message.as_text() if answer.message else ""

    def link(self, action: str, target: int | None = None, member: int | None = None) -> str:
        who = self.ana if member is None else member
        assert self.app.links is not None
        with Session(self.app.engine) as session:
            epoch = current_link_epoch(session, who)
        assert epoch is not None
        if action == "unsubscribe":
            return member_urls(self.app.links, who, epoch).unsubscribe
        return self.app.links.url(who, action, target, epoch=epoch)


@asynccontextmanager
async def served(app: App) -> AsyncIterator[Community]:
    """The app's web page listening on its configured loopback port."""
    assert app.links is not None
    page = WebPage(app, app.links, current_epoch())
    port = int(app.links.base_url.rsplit(":", 1)[1])
    await page.start("127.0.0.1", port)
    try:
        yield Community(app, page)
    finally:
        await page.stop()


def button(page: Any, label: str) -> Any:
    """The button that reads exactly `label`."""
    return page.get_by_role("button", name=label, exact=True)


async def tab_to(page: Any, selector: Any, limit: int = 120) -> None:
    """Press Tab until `selector` (a CSS selector or a locator) has the focus, as a keyboard
    user would."""
    target = page.locator(selector) if isinstance(selector, str) else selector
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await target.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"the keyboard never reaches {selector}")


async def fits_a_phone(page: Any) -> bool:
    """No horizontal scrolling at the page's width."""
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    return bool(width <= page.viewport_size["width"])
