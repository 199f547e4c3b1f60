"""The web page's HTTP side: routes, security headers, link admission, the worker threads.

Every request for `/l/{token}` is admitted first: the link must be well formed, signed by
us, unexpired and not revoked (its epoch is the member's current one). A refused link gets a
clear page and reaches nothing else. The work (database, the core, rendering) runs in worker
threads; the event loop only receives and answers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from urllib.parse import urlsplit

from aiohttp import web
from sqlmodel import Session

from adapters.web.page_base import Answer, Visit
from adapters.web.pages import Pages, one_click
from adapters.web.render import environment
from adapters.web.signing import Signer
from bot import pages as queries
from bot.bootstrap import App
from bot.links import LinkRefused, Links

log = logging.getLogger(__name__)

#: The member's current link epoch (None: no route left, so every link of theirs is void).
EpochOf = Callable[[Session, int], "int | None"]

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
MAX_BODY = 64 * 1024


class WebPage:
    """The aiohttp application and its server."""

    def __init__(self, core: App, links: Links, epoch_of: EpochOf, *, threads: int = 4) -> None:
        if not core.secret:
            raise ValueError("the web page needs the secret key")
        self.core = core
        self.links = links
        self._epoch_of = epoch_of
        self._env = environment()
        self._pages = Pages(core, links, Signer(core.secret), self._env)
        self._css = resources.files("adapters.web").joinpath("static/site.css").read_bytes()
        self._origin = _origin(links.base_url)
        self._executor: ThreadPoolExecutor | None = None
        self._threads = threads
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY, middlewares=[self._headers])
        app.router.add_get("/", self._index)
        app.router.add_get("/healthz", self._health)
        app.router.add_get("/static/site.css", self._stylesheet)
        app.router.add_get("/l/{token}", self._get)
        app.router.add_post("/l/{token}", self._post)
        app.on_shutdown.append(self._shutdown)
        return app

    async def start(self, host: str, port: int) -> None:
        """Listen on `host:port` (port 0: any free port, then in `self.port`)."""
        self._runner = web.AppRunner(self.application(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._close_executor()

    # ---- routes ----------------------------------------------------------------------

    @web.middleware
    async def _headers(self, request: web.Request, handler):  # type: ignore[no-untyped-def]
        try:
            response = await handler(request)
        except web.HTTPException as error:
            if error.status >= 400:
                response = self._html(Answer(error.status, self._pages.refused("missing")))
            else:
                raise
        response.headers.update(HEADERS)
        if request.path != "/static/site.css":
            response.headers["Cache-Control"] = "no-store"
        return response

    async def _index(self, _request: web.Request) -> web.StreamResponse:
        return self._html(Answer(200, self._pages.index()))

    async def _health(self, _request: web.Request) -> web.StreamResponse:
        return web.Response(text="ok", content_type="text/plain")

    async def _stylesheet(self, _request: web.Request) -> web.StreamResponse:
        response = web.Response(body=self._css, content_type="text/css", charset="utf-8")
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    async def _get(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        return self._html(await self._work(self._show, token))

    async def _post(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        try:
            body = await request.post()
        except (ValueError, web.HTTPException):
            return self._html(Answer(400, self._pages.refused("stale")))
        pairs = [(k, v) for k, v in body.items() if isinstance(v, str)]
        # A mail client's one-click unsubscribe comes from anywhere; the signed link decides.
        if not one_click(pairs) and not self._same_site(request):
            return self._html(Answer(403, self._pages.refused("stale")))
        return self._html(await self._work(self._submit, token, pairs))

    # ---- work (in worker threads) ------------------------------------------------------

    def _show(self, token: str) -> Answer:
        visit = self._admit(token)
        if isinstance(visit, str):
            return Answer(_STATUS[visit], self._pages.refused(visit))
        if isinstance(visit, Answer):
            return visit
        return self._pages.show(visit)

    def _submit(self, token: str, pairs: list[tuple[str, str]]) -> Answer:
        visit = self._admit(token)
        if isinstance(visit, str):
            return Answer(_STATUS[visit], self._pages.refused(visit))
        if isinstance(visit, Answer):
            return visit
        return self._pages.submit(visit, pairs)

    def _admit(self, token: str) -> Visit | Answer | str:
        """The visit a link grants, or why it is refused (a word from bot.links.REASONS), or
        the calm page for an unsubscribe link used again after unsubscribing."""
        try:
            grant = self.links.read(token)
        except LinkRefused as refused:
            log.info("refused a web link: %s", refused.reason)
            return refused.reason
        with Session(self.core.engine) as session:
            epoch = self._epoch_of(session, grant.member_id)
            where = queries.place(session, grant.member_id)
        if where is None or epoch is None:
            log.info("refused a web link: revoked")
            return "revoked"
        if epoch != grant.epoch:
            log.info("refused a web link: revoked")
            already = self._pages.unsubscribed_already(Visit(token, grant, where))
            return already or "revoked"
        return Visit(token, grant, where)

    async def _work(self, fn: Callable[..., Answer], *args: object) -> Answer:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self._threads, thread_name_prefix="copbot-web")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, fn, *args)
        except Exception:
            log.exception("the web page could not answer")
            return Answer(500, self._pages.refused("broken"))

    # ---- helpers -----------------------------------------------------------------------

    def _same_site(self, request: web.Request) -> bool:
        """A browser's POST comes from our own page: refuse other sites' forms outright.
        Our pages say `Referrer-Policy: no-referrer`, so a browser sends `Origin: null` with
        their forms; that is ours only when the browser also says the form was same-origin."""
        site = request.headers.get("Sec-Fetch-Site")
        if site == "cross-site":
            return False
        origin = request.headers.get("Origin")
        if origin == "null":
            return site == "same-origin"
        return origin is None or origin == self._origin

    def _html(self, answer: Answer) -> web.Response:
        return web.Response(
            status=answer.status, text=answer.html, content_type="text/html", charset="utf-8"
        )

    async def _shutdown(self, _app: web.Application) -> None:
        self._close_executor()

    def _close_executor(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


_STATUS = {"malformed": 404, "forged": 404, "expired": 410, "revoked": 410}


def _origin(base_url: str) -> str:
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"
