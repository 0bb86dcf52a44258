"""The worker's health endpoint, ``GET /health`` on ``ICR_HEALTH_ADDRESS``: 200 while the worker
runs and its Temporal server answers, 503 otherwise (a container's healthcheck reads it)."""

import asyncio

from aiohttp import web
from temporalio.client import Client

from settings import Settings


class HealthServer:
    def __init__(self, client: Client, settings: Settings) -> None:
        self._client = client
        self._settings = settings
        self._serving = True
        self._runner: web.AppRunner | None = None

    async def _health(self, _request: web.Request) -> web.Response:
        body: dict[str, object] = {
            "task_queues": [self._settings.task_queue, self._settings.notice_task_queue]
        }
        try:
            server = await asyncio.wait_for(self._client.service_client.check_health(), 3)
        except Exception:
            server = False
        ok = self._serving and server
        body |= {"status": "serving" if ok else "not serving", "server": server}
        return web.json_response(body, status=200 if ok else 503)

    async def start(self) -> None:
        if not self._settings.health_address:
            return
        app = web.Application()
        app.add_routes([web.get("/health", self._health)])
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        host, _, port = self._settings.health_address.rpartition(":")
        await web.TCPSite(self._runner, host, int(port)).start()

    def stopping(self) -> None:
        self._serving = False

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
