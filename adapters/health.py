"""`GET /healthz` for a running copbot, in every mode.

Ready (200) only when the database answers within `DATABASE_TIMEOUT` (its figures are read
in a worker thread, one look at a time) and every platform is connected; 503 otherwise.
The JSON body says why, with the outbox backlog, the dead letters and the time of the
scheduler's last pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.bootstrap import App
from bot.health import Figures, read_figures

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
#: How long the database may take to answer before copbot says it is not ready.
DATABASE_TIMEOUT = 2.0


class Health:
    """Answers "is this copbot ready?" from the database, the platforms and the timers."""

    def __init__(
        self,
        app: App,
        platforms: Sequence[Any],
        last_pass: Callable[[], datetime | None] = lambda: None,
        timeout: float = DATABASE_TIMEOUT,
    ) -> None:
        self._app = app
        self._platforms = list(platforms)
        self._last_pass = last_pass
        self._timeout = timeout
        self._looking: asyncio.Future[Figures] | None = None

    async def report(self) -> tuple[bool, dict[str, Any]]:
        """(ready, the JSON body)."""
        body: dict[str, Any] = {}
        figures, problem = await self._figures()
        if figures is not None:
            body.update(figures.as_json())
        body["database"] = problem or "ok"
        platforms = {
            adapter.name: bool(getattr(adapter, "connected", True)) for adapter in self._platforms
        }
        body["platforms"] = {
            name: "connected" if up else "not connected" for name, up in platforms.items()
        }
        last = self._last_pass()
        body["last_scheduler_pass"] = last.isoformat() if last else None
        ready = problem is None and all(platforms.values())
        body["status"] = "ready" if ready else "not ready"
        return ready, body

    async def _figures(self) -> tuple[Figures | None, str | None]:
        """The database's figures, or why there are none. A look still under way (a slow
        database) is shared, so waiting checks never pile up threads."""
        if self._looking is None or self._looking.done():
            self._looking = asyncio.ensure_future(asyncio.to_thread(read_figures, self._app.engine))
        try:
            return await asyncio.wait_for(asyncio.shield(self._looking), self._timeout), None
        except TimeoutError:
            return None, f"no answer within {self._timeout:g} s"
        except Exception as error:  # the database refused: say so, never a traceback
            return None, f"error ({type(error).__name__})"

    async def handle(self, _request: web.Request) -> web.Response:
        ready, body = await self.report()
        return web.json_response(body, status=200 if ready else 503)


class HealthServer:
    """A tiny HTTP server for `/healthz` alone, on its own port."""

    def __init__(self, health: Health) -> None:
        self._health = health
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self, host: str, port: int) -> None:
        """Listen on `host:port` (port 0: any free port, then in `self.port`)."""
        application = web.Application()
        application.router.add_get(HEALTH_PATH, self._health.handle)
        self._runner = web.AppRunner(application, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else port
        log.warning("copbot health: GET %s on %s:%d", HEALTH_PATH, host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            with contextlib.suppress(Exception):
                await self._runner.cleanup()
            self._runner = None
