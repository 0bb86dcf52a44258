"""The SMTP session's rules: who may connect, how many at once, how long one may idle, and a
message body written to the spool as it arrives (aiosmtpd keeps a list of lines: ~80 bytes per
empty line; here a session holds a 64 KB buffer, ``mailroom.spool``).

- Only the configured relays (``ICR_INBOUND_RELAYS``) may connect when any are set; others
  get ``554`` before the greeting.
- At most ``ICR_INBOUND_MAX_SESSIONS`` sessions at once, ``…_PER_CLIENT`` from one address and
  ``…_PER_NETWORK`` from one IPv4 /24 or IPv6 /64 (a host with many addresses is one network;
  IPv4-mapped IPv6 counts as IPv4); the next gets ``421`` naming which cap, and is closed.
- A session that has not moved a message on (``DATA`` bytes) for ``ICR_INBOUND_IDLE_SECONDS``
  is closed, whatever else it sends (``MAIL``, ``RSET`` and ``NOOP`` cost nothing, so they do
  not count: a session kept alive by them held the session cap); no session outlives ten idle
  periods.
"""

import asyncio
import ipaddress
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiosmtpd.smtp import SMTP

from mailroom.spool import Spool, SpooledData
from settings import Settings

log = structlog.get_logger("icr.mailroom")
NOT_STORED = "451 4.3.0 mail not stored; try again later"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def relay_networks(spec: str) -> tuple[Network, ...]:
    """``ICR_INBOUND_RELAYS`` parsed: addresses or networks, comma-separated."""
    return tuple(
        ipaddress.ip_network(p.strip(), strict=False) for p in spec.split(",") if p.strip()
    )


def client_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """A client's address as it is compared: an IPv4-mapped IPv6 one as IPv4; None when
    it does not parse."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def network_of(host: str) -> str:
    """The /24 (IPv4, mapped IPv6 included) or /64 (IPv6) a client address belongs to; an
    address that does not parse is its own network."""
    address = client_address(host)
    if address is None:
        return host
    prefix = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


@dataclass
class Admission:
    """The sessions open now, shared by every session of one front door."""

    relays: tuple[Network, ...] = ()
    max_sessions: int = 200
    per_client: int = 20
    per_network: int = 50
    open: Counter[str] = field(default_factory=Counter)
    networks: Counter[str] = field(default_factory=Counter)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Admission":
        return cls(
            relay_networks(settings.inbound_relays),
            settings.inbound_max_sessions,
            settings.inbound_max_sessions_per_client,
            settings.inbound_max_sessions_per_network,
        )

    def is_relay(self, host: str) -> bool:
        address = client_address(host)
        return address is not None and any(address in network for network in self.relays)

    def admit(self, host: str) -> str | None:
        """None and a place taken, or the refusal to say."""
        if self.relays and not self.is_relay(host):
            return "554 5.7.1 this mailbox takes mail only from the agency's relays"
        network = network_of(host)
        if self.open.total() >= self.max_sessions:
            return "421 4.7.0 too many connections in all; try again later"
        if self.open[host] >= self.per_client:
            return "421 4.7.0 too many connections from your address; try again later"
        if self.networks[network] >= self.per_network:
            return "421 4.7.0 too many connections from your network; try again later"
        self.open[host] += 1
        self.networks[network] += 1
        return None

    def release(self, host: str) -> None:
        for counter, key in ((self.open, host), (self.networks, network_of(host))):
            counter[key] -= 1
            if counter[key] <= 0:
                del counter[key]


class Door(SMTP):
    def __init__(
        self,
        handler: Any,
        admission: Admission,
        spool: Spool,
        idle_seconds: float,
        **kwargs: Any,
    ) -> None:
        super().__init__(handler, timeout=idle_seconds, **kwargs)
        self._admission = admission
        self._spool = spool
        self._idle = idle_seconds
        self._host = ""
        self._refusal: str | None = None
        self._admitted = False
        self._started = self._progress = 0.0
        self._storing = False  # the gateway's own time (a turn, the store): never idle

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if not self._started:  # not again on STARTTLS
            peer = transport.get_extra_info("peername")
            self._host = str(peer[0]) if isinstance(peer, tuple) and peer else ""
            self._refusal = self._admission.admit(self._host)
            self._admitted = self._refusal is None
            self._started = self._progress = asyncio.get_running_loop().time()
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if self._admitted:
            self._admitted = False
            self._admission.release(self._host)
        super().connection_lost(error)

    async def _handle_client(self) -> None:
        if self._refusal is not None:
            await self.push(self._refusal)
            if self.transport is not None:
                self.transport.close()
            return
        await super()._handle_client()

    def _reset_timeout(self, duration: float | None = None) -> None:
        """Every command resets aiosmtpd's timer; here it runs from the last progress."""
        if self._timeout_handle is not None:
            self._timeout_handle.cancel()
        now = self.loop.time()
        until = min(self._progress + self._idle, self._started + 10 * self._idle)
        self._timeout_handle = self.loop.call_later(max(until - now, 0.01), self._timeout_cb)

    def _timeout_cb(self) -> None:
        """Fired: close, unless the session moved on since the timer was set."""
        now = self.loop.time()
        if self._storing:  # looked at again later, the session's clock stopped meanwhile
            self._timeout_handle = self.loop.call_later(self._idle, self._timeout_cb)
            return
        if self._progress + self._idle > now + 0.01 and now < self._started + 10 * self._idle:
            self._reset_timeout()
            return
        super()._timeout_cb()  # type: ignore[no-untyped-call]

    def _moved(self) -> None:
        self._progress = self.loop.time()  # the timer reads it when it fires: no new timer

    async def smtp_DATA(self, arg: str) -> None:
        """aiosmtpd's DATA, written to the spool as lines arrive (dots unstuffed), then read
        back whole for the handler once the session has its turn to store."""
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        try:
            data = self._spool.open()
        except OSError as exc:
            log.error("mailroom.spool_unavailable", error=type(exc).__name__)
            await self.push(NOT_STORED)
            return
        try:
            status = await self._receive(data)
            if status is None:
                self._storing = True
                try:
                    async with self._spool.turn(data.size):
                        status = await self._store(data)
                finally:
                    self._storing = False
                    self._moved()
        finally:
            data.discard()
        self._set_post_data_state()  # type: ignore[no-untyped-call]
        await self.push(status)

    async def _store(self, data: SpooledData) -> str:
        assert self.envelope is not None
        try:
            content = await data.read()
        except OSError as exc:
            log.error("mailroom.spool_failed", error=type(exc).__name__)
            return NOT_STORED
        data.discard()
        self.envelope.original_content = self.envelope.content = content
        del content  # the handler takes the one copy from the envelope
        try:
            return str(await self._call_handler_hook("DATA"))
        finally:
            self.envelope.original_content = self.envelope.content = None

    async def _receive(self, data: SpooledData) -> str | None:
        """Lines to the spool until the lone dot; the refusal to answer, or None."""
        self._moved()
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        size, line_size, too_much, too_long, failed, ended = 0, 0, False, False, False, False
        limit = self.data_size_limit
        while self.transport is not None:
            try:
                line = await self._reader.readuntil(b"\r\n")
            except asyncio.CancelledError:
                self._writer.close()
                raise
            except asyncio.LimitOverrunError as exc:
                line = await self._reader.read(exc.consumed)
            if line_size == 0 and line == b".\r\n":
                ended = True
                break
            self._moved()
            size += len(line)
            line_size += len(line)
            too_much = too_much or bool(limit and size > limit)
            too_long = too_long or line_size > self.line_length_limit
            if not (too_much or too_long or failed):
                try:
                    data.write(line[1:] if line_size == len(line) and line[:1] == b"." else line)
                except OSError as exc:  # the disk is full or gone: read on, then 451
                    log.error("mailroom.spool_failed", error=type(exc).__name__)
                    failed = True
            if line.endswith(b"\r\n"):
                line_size = 0
        if too_long:
            return "500 Line too long (see RFC5321 4.5.3.1.6)"
        if too_much:
            return "552 Error: Too much mail data"
        return NOT_STORED if failed or not ended else None  # a cut message is never stored
