"""The SMTP front door of the inquiry mailbox: a mail is 250 only once it is safely stored.

Only the inquiry mailbox is a valid recipient; over the size limit the answer is 552 and the
bytes are dropped as they arrive. The rates count accepted messages, per sender
(``ICR_INBOUND_SENDER_RATE``) and per client address (``ICR_INBOUND_CLIENT_RATE``): a sender or
client over its rate gets ``451`` at ``MAIL FROM`` (its server retries later), and a ``MAIL
FROM`` that sends nothing costs nobody anything. Nothing about a case is decided here, so a
sender's server waits for a disk write, never for Temporal, and none is taken while the disks
it lands on are short of ``ICR_INBOUND_MIN_FREE_BYTES`` (``452``, ``mailroom.disk_room``).
The session rules (who may connect, how many at once, how long a session may idle) are
``mailroom.door``'s.
"""

import asyncio
import hashlib
from pathlib import Path

import structlog
from aiosmtpd.smtp import SMTP, Envelope, Session

from mailroom.disk_room import INSUFFICIENT, DiskRoom
from mailroom.door import NOT_STORED, Admission, Door
from mailroom.letter import message_key
from mailroom.spool import Spool, return_large_buffers
from settings import Settings
from store.inbox import Inbox
from store.senders import SenderRate
from store.shared import Store

log = structlog.get_logger("icr.mailroom")


def _host(session: Session) -> str:
    """The client's address as the session saw it ("" when it has none)."""
    peer = session.peer
    return str(peer[0]) if isinstance(peer, tuple) and peer else ""


def _client(session: Session) -> str:
    return "client:" + (_host(session) or "unknown")


class FrontDoor:
    """The aiosmtpd handler."""

    def __init__(
        self,
        inbox: Inbox,
        senders: SenderRate,
        mailbox: str,
        wake: asyncio.Event,
        client_rate: int = 300,
        admission: Admission | None = None,
        room: DiskRoom | None = None,
        largest: int = 25 * 1024 * 1024,
    ) -> None:
        self._room = room or DiskRoom([], 0)
        self._largest = largest
        self._inbox = inbox
        self._senders = senders
        self._mailbox = mailbox.strip().lower()
        self._wake = wake
        self._client_rate = client_rate
        self._admission = admission or Admission()

    def _client_rated(self, session: Session) -> bool:
        """A relay carries everyone's mail: a per-client rate there would let 300 junk mails
        close the mailbox to all for the window (the per-sender rate still holds)."""
        return not self._admission.is_relay(_host(session))

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        # Room for the largest message from every session open now (each may be sending one
        # to the spool): parallel sessions cannot overshoot the floor. Before any rate.
        if not self._room.has_room(self._largest * max(1, self._admission.open.total())):
            return INSUFFICIENT
        try:
            within = await self._senders.within(address) and (
                not self._client_rated(session)
                or await self._senders.within(_client(session), self._client_rate)
            )
        except Exception as exc:  # cannot count: cannot store either; the sender retries
            log.error("mailroom.rate_unavailable", error=type(exc).__name__)
            return "451 4.3.0 try again later"
        if not within:  # the address is personal data: never logged, only counted hashed
            log.warning("mailroom.sender_over_rate")
            return "451 4.7.1 too many messages from this sender; try again later"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.strip().lower() != self._mailbox:
            return "550 5.1.1 no such mailbox here"
        if address not in envelope.rcpt_tos:
            envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if not isinstance(raw, bytes):
            raw = bytes(raw) if isinstance(raw, bytearray) else str(raw or "").encode()
        envelope.original_content = envelope.content = None  # one copy held, not two
        if not self._room.has_room(2 * len(raw)):  # the sealed copy, then its documents
            return INSUFFICIENT
        key = await asyncio.to_thread(message_key, raw)  # a hash of 25 MB: off the loop
        try:
            counted = await self._senders.take(envelope.mail_from or "")
            if counted and self._client_rated(session):
                counted = await self._senders.take(_client(session), self._client_rate)
            if not counted:
                log.warning("mailroom.sender_over_rate")
                return "451 4.7.1 too many messages from this sender; try again later"
            fresh = await self._inbox.accept(key, raw)
        except Exception as exc:  # not stored: the sender's server must keep it and retry
            log.error("mailroom.store_failed", error=type(exc).__name__)
            return NOT_STORED
        self._wake.set()
        ref = hashlib.sha256(key.encode()).hexdigest()[:12]
        log.info("mailroom.accepted", message=ref, size=len(raw), duplicate=not fresh)
        return f"250 2.0.0 stored as {ref}"


def _landing_folders(settings: Settings) -> list[Path]:
    """Where a mail's bytes land on this host: the spool, the documents, a SQLite store."""
    folders = [settings.inbound_spool_dir, settings.documents_dir]
    if settings.database_url is None:
        folders.append(settings.notice_ledger.parent)
    return folders


async def open_front_door(
    settings: Settings, store: Store, wake: asyncio.Event, port: int | None = None
) -> asyncio.Server:
    admission = Admission.from_settings(settings)
    # No session outlives ten idle periods; a file older than that (and the store's time) is
    # a killed process's.
    spool = Spool(
        settings.inbound_spool_dir,
        10 * settings.inbound_idle_seconds + 600,
        budget=settings.inbound_max_bytes,
    )
    return_large_buffers()
    swept = spool.sweep()
    if swept:
        log.info("mailroom.spool_swept", files=swept)
    handler = FrontDoor(
        store.inbox,
        store.senders,
        settings.inquiry_mailbox,
        wake,
        settings.inbound_client_rate,
        admission,
        DiskRoom(_landing_folders(settings), settings.inbound_min_free_bytes),
        settings.inbound_max_bytes,
    )

    def protocol() -> SMTP:
        return Door(
            handler,
            admission,
            spool,
            idle_seconds=settings.inbound_idle_seconds,
            data_size_limit=settings.inbound_max_bytes,
            enable_SMTPUTF8=True,
            hostname=settings.inquiry_mailbox.rpartition("@")[2] or "icr",
            ident="ICR inquiry mailbox",
        )

    loop = asyncio.get_running_loop()
    # A deep accept queue: a burst of connections (a relay flushing its queue, or a flood)
    # must not overflow it, or the kernel leaves clients waiting a minute for the greeting.
    return await loop.create_server(
        protocol,
        settings.inbound_smtp_host,
        settings.inbound_smtp_port if port is None else port,
        backlog=1024,
    )
