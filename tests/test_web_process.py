"""What `copbot run` runs (adapters.runtime.serve): with a `[web]` section it serves the web
page on the configured port, and an address from a community's `invite` list confirms and
unsubscribes through it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine
from sqlmodel import Session, select

from adapters.runtime import serve
from bot.clock import SystemClock
from bot.config import ConfigError
from bot.links import Links
from bot.storage.tables_contact import ContactRoute
from tests.browser_helpers import EMAIL_SECTION, free_port
from tests.conftest import community, make_settings
from tests.web_helpers import form, text_of

SECRET = "a long random test key, not used anywhere else"


def _route(database: str, address: str) -> ContactRoute | None:
    engine = create_engine(database)
    try:
        with Session(engine) as session:
            return session.exec(select(ContactRoute).where(ContactRoute.address == address)).first()
    finally:
        engine.dispose()


async def _until(check: Any, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await asyncio.to_thread(check):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"never {what}")


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


async def test_the_page_is_served_and_an_invited_address_confirms_and_unsubscribes(
    tmp_path: Path,
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    database = f"sqlite:///{tmp_path / 'copbot.db'}"
    settings = make_settings(
        community(invite=["ana@example.org"]),
        email=EMAIL_SECTION,
        web={"base_url": base, "port": port},
        database_url=database,
    ).model_copy(update={"secret_key": SecretStr(SECRET)})  # as COPBOT_SECRET_KEY gives it
    stop = asyncio.Event()
    running = asyncio.create_task(serve(settings, [], stop))
    try:
        await _until(lambda: _listening(port), "listened")
        await _until(lambda: _route(database, "ana@example.org"), "invited Ana")
        route = _route(database, "ana@example.org")
        assert route is not None
        links = Links(SECRET.encode(), base, SystemClock())
        confirm = links.url(route.member_id, "confirm", epoch=route.link_epoch)
        unsubscribe = links.url(route.member_id, "unsubscribe", epoch=route.link_epoch)
        async with aiohttp.ClientSession() as http:
            async with http.get(confirm) as response:
                html = await response.text()
                assert response.status == 200, text_of(html)
            assert "Yes, I'd like to join wound-care" in text_of(html)
            fields = form(html, do="confirm").fields
            async with http.post(confirm, data=fields, headers={"Origin": base}) as response:
                assert response.status == 200
                assert "you're a member of wound-care" in text_of(await response.text())
            confirmed = _route(database, "ana@example.org")
            assert confirmed is not None and confirmed.verified_at is not None
            async with http.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}) as answer:
                assert answer.status == 200
                assert "You're unsubscribed" in text_of(await answer.text())
        gone = _route(database, "ana@example.org")
        assert gone is not None and gone.unsubscribed_at is not None
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
    assert not _listening(port)  # stopped with the rest


@pytest.mark.parametrize(
    ("base_url", "fine"),
    [
        ("https://copbot.example.org", True),
        ("http://127.0.0.1:8080", True),
        ("http://localhost:8080", True),
        ("http://copbot.example.org", False),
        ("copbot.example.org", False),
        ("https://copbot.example.org/?next=//evil.example", False),
    ],
)
def test_the_web_address_is_https_except_on_this_machine(base_url: str, fine: bool) -> None:
    if fine:
        assert make_settings(community(), web={"base_url": base_url}).web is not None
    else:
        with pytest.raises(ConfigError, match=r"web\.base_url"):
            make_settings(community(), web={"base_url": base_url})
