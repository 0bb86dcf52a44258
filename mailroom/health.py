"""The gateway's health endpoint, ``GET /health`` on ``ICR_INBOUND_HEALTH_ADDRESS``.

200 while mail is sorted; 503 with the reason once one mail has been sorting for longer than
its budget allows (a stuck sorter), once the oldest mail received and not yet sorted has
waited longer than ``ICR_INBOUND_QUEUE_MAX_AGE_SECONDS`` (sorting not keeping up, or Temporal
gone for that long), or when the store cannot say. No answer at all when the event loop itself
is stuck (the healthcheck times out). The body holds counts and seconds only, never a mail's
key, sender or subject. The queue is asked at most once a second, however often /health is.
"""

import time
from typing import Any

import structlog
from aiohttp import web

from mailroom.sorting import Sorter
from store.inbox import Inbox, Waiting

log = structlog.get_logger("icr.mailroom")
ASK_EVERY = 1.0


class SortingHealth:
    def __init__(
        self, sorter: Sorter, allowed_seconds: float, inbox: Inbox, queue_max_age: float
    ) -> None:
        self._sorter = sorter
        self._allowed = allowed_seconds
        self._inbox = inbox
        self._queue_max_age = queue_max_age
        self._asked = -ASK_EVERY
        self._waiting: Waiting | None = None
        self._runner: web.AppRunner | None = None

    async def _queue(self) -> Waiting | None:
        now = time.monotonic()
        if now - self._asked >= ASK_EVERY:
            self._asked = now
            try:
                self._waiting = await self._inbox.waiting()
            except Exception as exc:
                log.error("mailroom.health_queue_unknown", error=type(exc).__name__)
                self._waiting = None
        return self._waiting

    async def report(self) -> tuple[int, dict[str, Any]]:
        """The status code and body: what /health answers."""
        since = self._sorter.busy_since
        sorting = round(time.monotonic() - since, 1) if since is not None else 0.0
        waiting = await self._queue()
        body: dict[str, Any] = {"status": "serving", "sorting_seconds": sorting}
        if waiting is not None:
            body["waiting"] = waiting.count
            body["oldest_waiting_seconds"] = round(waiting.oldest_seconds, 1)
        problems = []
        if self._sorter.stuck(self._allowed):
            problems.append("sorting stuck")
        if waiting is None:
            problems.append("queue unknown")
        elif waiting.oldest_seconds > self._queue_max_age:
            problems.append("queue too old")
        if problems:
            body["status"] = ", ".join(problems)
            body["limits"] = {
                "sorting_seconds": self._allowed,
                "oldest_waiting_seconds": self._queue_max_age,
            }
        return (503 if problems else 200), body

    async def _health(self, _request: web.Request) -> web.Response:
        status, body = await self.report()
        return web.json_response(body, status=status)

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
