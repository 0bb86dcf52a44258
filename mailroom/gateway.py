"""The mail gateway process: ``python -m mailroom.gateway``. The front door takes mail and
stores it; the sorter applies it to cases, as the gateway's service identity; housekeeping
purges old triage and the senders' past counts every hour."""

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import timedelta

import structlog
from temporalio.client import Client

import logs
from clients import connect
from mailroom.answers import Answers
from mailroom.desk import GATEWAY_IDENTITY, CaseDesk
from mailroom.front_door import open_front_door
from mailroom.housekeeping import INTERVAL, keep_house
from mailroom.sorting import Sorter
from settings import Settings, get_settings
from store.shared import Store

log = structlog.get_logger("icr.mailroom")


class Gateway:
    def __init__(
        self,
        settings: Settings,
        connect_client: Callable[[], Awaitable[Client]] | None = None,
        retry_base: float = 5.0,
        housekeeping_every: timedelta = INTERVAL,
    ) -> None:
        self.settings = settings
        self._housekeeping_every = housekeeping_every
        self._connect = connect_client or (lambda: connect(settings))
        self._retry_base = retry_base
        self._server: asyncio.Server | None = None
        self._sorting: asyncio.Task[None] | None = None
        self._housekeeping: asyncio.Task[None] | None = None
        self.store: Store | None = None
        self.port = settings.inbound_smtp_port

    async def start(self) -> None:
        desk = CaseDesk.for_service(self.settings, self._connect, GATEWAY_IDENTITY)
        self.store = await Store.open(self.settings)
        wake = asyncio.Event()
        sorter = Sorter(
            self.store,
            desk,
            Answers(self.settings, self.store.ledger),
            self._retry_base,
            self.settings.inbound_authserv_id,
        )
        self._server = await open_front_door(self.settings, self.store, wake)
        self.port = self._server.sockets[0].getsockname()[1]
        self._sorting = asyncio.create_task(sorter.run(wake))
        retention = timedelta(days=self.settings.triage_retention_days)
        self._housekeeping = asyncio.create_task(
            keep_house(self.store, retention, self._housekeeping_every)
        )
        log.info("mailroom.started", port=self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in (self._sorting, self._housekeeping):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if self.store is not None:
            await self.store.close()
        log.info("mailroom.stopped")


async def serve(settings: Settings) -> None:
    gateway = Gateway(settings)
    await gateway.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await gateway.stop()


def main() -> None:
    settings = get_settings()
    logs.configure(settings.log_format, settings.log_level)
    # aiosmtpd logs what a client typed at INFO; a sender could type anything, data included.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
