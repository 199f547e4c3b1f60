"""Pictures of HTML pages: Debian's chromium, headless, driven by Playwright.

`html_to_png` is blocking (it starts a browser, about a second or two): call it in a worker
thread (the outbox does, with asyncio.to_thread), never on the event loop and never inside a
database transaction. The page gets no network and no script: what it shows is what the
HTML holds.
"""

from __future__ import annotations

import os
import shutil

#: Where the browser is (COPBOT_CHROMIUM overrides; else Debian's /usr/bin/chromium).
DEFAULT_CHROMIUM = "/usr/bin/chromium"
WIDTH = 800


class NoBrowser(RuntimeError):
    """No chromium here, or it could not draw the page."""


def chromium_path() -> str | None:
    wanted = os.environ.get("COPBOT_CHROMIUM", DEFAULT_CHROMIUM)
    return wanted if os.path.exists(wanted) else shutil.which("chromium")


def html_to_png(html: str, *, width: int = WIDTH) -> bytes:
    """The whole page `html` as PNG bytes, `width` CSS pixels wide."""
    executable = chromium_path()
    if executable is None:
        raise NoBrowser("no chromium is installed (apt-get install chromium)")
    from playwright.sync_api import Error, sync_playwright

    try:
        with sync_playwright() as playwright:
            # As root (a container) chromium needs --no-sandbox; elsewhere it keeps its sandbox.
            root = hasattr(os, "geteuid") and os.geteuid() == 0
            browser = playwright.chromium.launch(
                executable_path=executable, headless=True, args=["--no-sandbox"] if root else []
            )
            try:
                page = browser.new_page(
                    viewport={"width": width, "height": 600}, java_script_enabled=False
                )
                page.route("**/*", lambda route: route.abort())  # nothing from outside
                page.set_content(html, wait_until="load")
                return page.screenshot(full_page=True, type="png")
            finally:
                browser.close()
    except Error as error:
        raise NoBrowser(f"chromium could not draw the page: {error.message[:200]}") from None
