"""The outgoing mail relay, as the settings name it: one way every e-mail leaves."""

from email.message import EmailMessage

import aiosmtplib

from settings import Settings, plain


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
    )
