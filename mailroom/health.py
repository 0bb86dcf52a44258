"""The gateway's health endpoint, ``GET /health`` on ``ICR_INBOUND_HEALTH_ADDRESS``: 200 while
mail is sorted, 503 once one mail has been sorting for longer than its budget allows (a stuck
sorter); no answer at all when the event loop itself is stuck (the healthcheck times out)."""

from aiohttp import web

from mailroom.sorting import Sorter


class SortingHealth:
    def __init__(self, sorter: Sorter, allowed_seconds: float) -> None:
        self._sorter = sorter
        self._allowed = allowed_seconds
        self._runner: web.AppRunner | None = None

    async def _health(self, _request: web.Request) -> web.Response:
        stuck = self._sorter.stuck(self._allowed)
        body = {"status": "sorting stuck" if stuck else "serving"}
        return web.json_response(body, status=503 if stuck else 200)

    async def start(self, address: str) -> None:
        if not address:
            return
        app = web.Application()
        app.add_routes([web.get("/health", self._health)])
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        host, _, port = address.rpartition(":")
        await web.TCPSite(self._runner, host, int(port)).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
