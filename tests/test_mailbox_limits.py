"""The gateway's limits over real SMTP: a sender's rate per window, and triage retention.

Its own gateway on its own SQLite store, with a rate of 2 per 3-second window and a retention
of a few seconds, so nothing here waits an hour or touches the other mailbox tests' store.
"""

import asyncio
import hashlib
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiosmtplib
import pytest
import pytest_asyncio
import structlog
from temporalio.client import Client

from mailroom.gateway import Gateway
from mailroom.letter import message_key
from settings import Settings
from store.documents import document_id_of
from tests.mail import MAILBOX, inquiry, own_store
from tests.support import eventually

pytestmark = pytest.mark.usefixtures("worker")
RATE, WINDOW = 2, 3
RETENTION_SECONDS = 4


@pytest_asyncio.fixture
async def limited(settings: Settings, client: Client, tmp_path: Path) -> AsyncIterator[Gateway]:
    own = own_store(
        settings,
        tmp_path,
        inbound_sender_rate=RATE,
        inbound_sender_window_seconds=WINDOW,
        triage_retention_days=RETENTION_SECONDS / 86400,
    )
    gw = Gateway(
        own,
        lambda: asyncio.sleep(0, client),
        retry_base=0.3,
        housekeeping_every=timedelta(seconds=0.5),
    )
    await gw.start()
    yield gw
    await gw.stop()


def note(sender: str) -> bytes:
    """A mail with no case and no inquiry fields: it goes to triage, Temporal not needed."""
    return (
        f"From: <{sender}>\r\nTo: <{MAILBOX}>\r\nSubject: hello\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@mail.example.net>\r\n\r\nJust saying hello.\r\n"
    ).encode()


async def send(gw: Gateway, raw: bytes, sender: str) -> tuple[object, str]:
    return await aiosmtplib.send(
        raw, sender=sender, recipients=[MAILBOX], hostname="127.0.0.1", port=gw.port
    )


async def sorted_as(gw: Gateway, raw: bytes) -> str:
    assert gw.store is not None
    done = await eventually(
        lambda: gw.store.inbox.outcome(message_key(raw)),  # type: ignore[union-attr]
        lambda o: o is not None and o[0] == "done",
    )
    assert done is not None and done[1] is not None
    return str(done[1])


async def a_fresh_window() -> None:
    """Start at the beginning of a rate window, so the burst below falls in one."""
    await asyncio.sleep(WINDOW - time.time() % WINDOW + 0.05)


async def test_a_sender_over_its_rate_is_asked_to_retry_and_is_then_accepted(
    limited: Gateway,
) -> None:
    flood = f"flood-{uuid.uuid4().hex[:6]}@example.net"
    await a_fresh_window()
    accepted = [note(flood) for _ in range(RATE)]
    with structlog.testing.capture_logs() as logs:
        for raw in accepted:
            _, answer = await send(limited, raw, flood)
            assert answer.startswith("2.0.0 stored"), answer
        refused = note(flood)
        with pytest.raises(aiosmtplib.SMTPSenderRefused) as over:
            await send(limited, refused, flood.upper())  # the same address, however written
        assert over.value.code == 451 and "4.7.1" in over.value.message
        _, other = await send(limited, note("someone@example.net"), "someone@example.net")
        assert other.startswith("2.0.0 stored"), "another sender is not held"
    assert flood.split("@")[0] not in repr(logs), "an address is never logged"
    assert any(e["event"] == "mailroom.sender_over_rate" for e in logs)
    for raw in accepted:  # every accepted message is applied
        assert (await sorted_as(limited, raw)).startswith("triage T-")
    assert limited.store is not None
    assert await limited.store.inbox.outcome(message_key(refused)) is None, "never stored"
    await a_fresh_window()
    _, answer = await send(limited, refused, flood)  # the sender's server retries: accepted
    assert answer.startswith("2.0.0 stored")
    assert (await sorted_as(limited, refused)).startswith("triage T-")
    rows = await limited.store.db.fetch("SELECT sender_key FROM sender_counts")
    assert rows and not any("flood" in str(r[0]) for r in rows), "kept hashed"


async def test_a_burst_of_sessions_never_passes_the_rate(limited: Gateway) -> None:
    burst = f"burst-{uuid.uuid4().hex[:6]}@example.net"
    await a_fresh_window()
    results = await asyncio.gather(
        *(send(limited, note(burst), burst) for _ in range(12)), return_exceptions=True
    )
    ok = [r for r in results if not isinstance(r, BaseException)]
    # at MAIL FROM when the window is already full, else at the end of DATA (nothing stored)
    refused = [
        r for r in results if isinstance(r, aiosmtplib.SMTPSenderRefused | aiosmtplib.SMTPDataError)
    ]
    assert len(ok) == RATE and len(refused) == 12 - RATE, results
    assert all(r.code == 451 for r in refused)


async def test_mail_from_without_a_message_costs_the_sender_nothing(limited: Gateway) -> None:
    """Finding: 32 x ``MAIL FROM:<victim>`` + ``RSET`` locked the victim out; only accepted
    messages count now, per sender and per client address."""
    victim = f"victim-{uuid.uuid4().hex[:6]}@example.net"
    await a_fresh_window()
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=limited.port)
    await smtp.connect()
    for _ in range(3 * RATE):
        await smtp.mail(victim)
        await smtp.rset()
    await smtp.quit()
    for _ in range(RATE):
        await send(limited, note(victim), victim)  # the victim's own mail still goes through


async def test_triage_older_than_the_retention_is_purged_by_the_gateway(
    limited: Gateway,
) -> None:
    raw = note("old-news@example.net")
    await send(limited, raw, "old-news@example.net")
    said = await sorted_as(limited, raw)
    assert limited.store is not None
    item_id = said.split()[1]
    assert await limited.store.triage.get(item_id) is not None
    assert await limited.store.inbox.raw(message_key(raw)) is not None
    gone = await eventually(
        lambda: limited.store.triage.get(item_id),  # type: ignore[union-attr]
        lambda item: item is None,
        timeout=RETENTION_SECONDS + 10,
    )
    assert gone is None
    assert await limited.store.inbox.outcome(message_key(raw)) is None, "its mail went too"


async def test_odd_senders_are_counted_without_a_crash_and_never_logged(
    limited: Gateway,
) -> None:
    odd = [
        '"quoted \\" local"@example.net',
        "josé@exämple.net",
        "x" * 200 + "@example.net",
        "no-domain",
        "UPPER@Example.NET",
    ]
    with structlog.testing.capture_logs() as logs:
        for sender in odd:
            async with aiosmtplib.SMTP(hostname="127.0.0.1", port=limited.port) as smtp:
                code, _ = await smtp.execute_command(f"MAIL FROM:<{sender}>".encode())
                assert code in (250, 451, 501, 553), (sender, code)
                if code == 250:
                    await smtp.rcpt(MAILBOX)
                    await smtp.data(note("ignored@example.net"))
    for sender in odd:
        assert sender.split("@")[0][:20] not in repr(logs)
    assert not any(e.get("log_level") == "error" for e in logs), logs


async def test_an_incomplete_inquiry_stores_nothing_and_its_row_goes_with_retention(
    limited: Gateway,
) -> None:
    """Attachments of mail that opens nothing were kept forever, and so were inbox rows."""
    pdf = b"%PDF-1.4\n" + uuid.uuid4().bytes * 100
    message = inquiry({"A-Number": "A123456789"}, sender="partial@example.net")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="G-28.pdf")
    raw = bytes(message)
    await send(limited, raw, "partial@example.net")
    assert (await sorted_as(limited, raw)).startswith("incomplete ")
    assert limited.store is not None
    document = document_id_of(hashlib.sha256(pdf).hexdigest())
    assert await limited.store.documents.describe(document) is None
    gone = await eventually(
        lambda: limited.store.inbox.outcome(message_key(raw)),  # type: ignore[union-attr]
        lambda found: found is None,
        timeout=RETENTION_SECONDS + 10,
    )
    assert gone is None
