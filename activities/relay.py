"""The outgoing mail relay, as the settings name it: one way every e-mail leaves."""

import asyncio
import socket
from email.message import EmailMessage

import aiosmtplib

from settings import Settings, plain

_hostname: str | None = None


async def local_hostname() -> str:
    """The name this host greets the relay with (EHLO): looked up once per process, in a
    thread (a slow resolver must not hold the event loop), where the SMTP client would look it
    up again for every message."""
    global _hostname
    if _hostname is None:
        _hostname = await asyncio.to_thread(socket.getfqdn)
    return _hostname


async def send_via_relay(
    settings: Settings, message: EmailMessage, *, sender: str | None = None
) -> None:
    """``sender``: the envelope's return path ("" for none: an automatic reply's bounce goes
    nowhere); by default the message's From. Raises aiosmtplib's errors as they come."""
    s = settings
    await aiosmtplib.send(
        message,
        sender=sender,
        hostname=s.smtp_host,
        port=s.smtp_port,
        username=s.smtp_username,
        password=plain(s.smtp_password) or None,
        start_tls=s.smtp_starttls,
        timeout=s.smtp_timeout_seconds,
        local_hostname=await local_hostname(),
    )
