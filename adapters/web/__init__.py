"""The small web page every button in copbot's emails leads to (aiohttp + Jinja2).

`copbot run` serves it when the settings have a `[web]` section (see adapters/runtime.py).
"""

from __future__ import annotations

import importlib
import logging

from sqlmodel import Session

from adapters.web.server import EpochOf, WebPage
from adapters.web.urls import MemberUrls, button_url, member_urls
from bot.bootstrap import App

log = logging.getLogger(__name__)

__all__ = [
    "MemberUrls",
    "WebPage",
    "button_url",
    "current_epoch",
    "make_web_page",
    "member_urls",
]


def current_epoch() -> EpochOf:
    """The core's query for a member's current link epoch. Without it (no contact routes in
    this copbot) every link counts as revoked: the page never admits what it can't check."""
    try:
        module = importlib.import_module("bot.contact")
        return module.current_link_epoch  # type: ignore[no-any-return]
    except (ImportError, AttributeError):
        log.warning("the web page can't check links against contact routes: it admits none")

        def none(_session: Session, _member_id: int) -> int | None:
            return None

        return none


def make_web_page(app: App, epoch_of: EpochOf | None = None) -> WebPage | None:
    """The web page for `app`, or None when the settings have no `[web]` section."""
    if app.links is None:
        return None
    return WebPage(app, app.links, epoch_of or current_epoch())
