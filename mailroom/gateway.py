"""The mail gateway process: ``python -m mailroom.gateway``. The front door takes mail and
stores it; the sorter applies it to cases, as the gateway's service identity; housekeeping
purges old triage and the senders' past counts every hour.

In production it refuses to start unless it knows its relays (``ICR_INBOUND_RELAYS``) and their
authserv-id (``ICR_INBOUND_AUTHSERV_ID``): without them any host could claim any sender.
"""

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta

import structlog
from temporalio.client import Client

import logs
from clients import connect
from mailroom.answers import Answers
from mailroom.desk import GATEWAY_IDENTITY, CaseDesk
from mailroom.door import relay_networks
from mailroom.front_door import open_front_door
from mailroom.health import SortingHealth
from mailroom.housekeeping import INTERVAL, keep_house
from mailroom.reading import Reader
from mailroom.sorting import Sorter
from settings import Settings, get_settings
from store.shared import Store

log = structlog.get_logger("icr.mailroom")


_NARROWEST = {4: 24, 6: 64}
"""The widest relay network production takes: a relay is a host or a few, never a whole
container network or a provider's block (every address inside would prove senders)."""


class GatewayMisconfigured(ValueError):
    """A production gateway without what proves a sender."""


def check_settings(settings: Settings) -> None:
    """What the gateway cannot run without, named before it takes any mail."""
    try:
        relays = relay_networks(settings.inbound_relays)
    except ValueError as exc:
        raise GatewayMisconfigured(
            f"ICR_INBOUND_RELAYS is not a list of addresses: {exc}"
        ) from None
    if settings.environment != "production":
        return
    if not (settings.inbound_authserv_id or "").strip():
        raise GatewayMisconfigured(
            "ICR_INBOUND_AUTHSERV_ID must name the relay's authserv-id in production"
        )
    if not relays:
        raise GatewayMisconfigured(
            "ICR_INBOUND_RELAYS must list the relays' addresses in production"
        )
    wide = [str(n) for n in relays if n.prefixlen < _NARROWEST[n.version]]
    if wide:
        raise GatewayMisconfigured(
            f"ICR_INBOUND_RELAYS names networks wider than a /24 (IPv6 /64): {', '.join(wide)}; "
            "list the relays' own addresses (anything inside would be believed as a relay)"
        )


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
        self.sorter: Sorter | None = None
        self._health: SortingHealth | None = None
        self.port = settings.inbound_smtp_port

    async def start(self) -> None:
        check_settings(self.settings)
        desk = CaseDesk.for_service(self.settings, self._connect, GATEWAY_IDENTITY)
        self.store = await Store.open(self.settings)
        wake = asyncio.Event()
        # Without relays to trust, an Authentication-Results header proves nothing: a set
        # authserv-id then holds every reply for a person (triage).
        relays = bool(relay_networks(self.settings.inbound_relays))
        authserv = self.settings.inbound_authserv_id
        self.sorter = sorter = Sorter(
            self.store,
            desk,
            Answers(self.settings, self.store.ledger, self.store.senders),
            self._retry_base,
            authserv,
            Reader(self.settings.inbound_read_seconds),
            authserv_trusted=relays,
        )
        try:
            self._server = await open_front_door(self.settings, self.store, wake)
        except OSError as exc:
            raise GatewayMisconfigured(
                f"ICR_INBOUND_SMTP_HOST:ICR_INBOUND_SMTP_PORT {self.settings.inbound_smtp_host}:"
                f"{self.settings.inbound_smtp_port} cannot be used ({exc.strerror}): another "
                "gateway on this host?"
            ) from None
        self.port = self._server.sockets[0].getsockname()[1]
        self._sorting = asyncio.create_task(sorter.run(wake))
        self._health = SortingHealth(
            sorter,
            2 * self.settings.inbound_read_seconds + 60,
            self.store.inbox,
            self.settings.inbound_queue_max_age_seconds,
        )
        address = self.settings.inbound_health_address
        try:
            await self._health.start(address)
        except OSError as exc:  # taken (another gateway on this host?): one line, exit 2
            raise GatewayMisconfigured(
                f"ICR_INBOUND_HEALTH_ADDRESS={address} cannot be used ({exc.strerror}): another "
                "gateway on this host? Give each its own, or set it empty to turn it off"
            ) from None
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
        if self._health is not None:
            await self._health.stop()
        if self.sorter is not None:
            self.sorter.close()
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
    try:
        asyncio.run(serve(settings))
    except GatewayMisconfigured as exc:  # one line, as the worker says it (exit status 2)
        print(f"mail gateway: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
