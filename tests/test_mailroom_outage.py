"""Outages while mail arrives. Temporal down: the gateway still says 250 and applies the mail,
once, when the server is back (the store here is SQLite). The store down: 451, so the
sender's server keeps the mail, and everything resumes when the store is back."""

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import aiosmtplib
import pytest
import pytest_asyncio
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.service import RPCError

from domain.status import CaseStatus
from mailroom.gateway import Gateway
from mailroom.letter import message_key
from settings import Settings
from tests.cluster import Cluster, SlowSink, connect_when_up
from tests.conftest import as_service
from tests.mail import REQUESTOR, inquiry
from tests.postgres import postgres_server
from tests.support import eventually, free_port, status_of

pytestmark = pytest.mark.slow
MAILBOX = "sro-inquiries@icr.example"


@pytest_asyncio.fixture
async def gateway(
    cluster: tuple[Cluster, SlowSink, Client],
    tmp_path: Path,
) -> AsyncIterator[Gateway]:
    c = cluster[0]
    own: Settings = as_service(c.settings, "svc.mailroom").model_copy(
        update={
            "inbound_smtp_port": free_port(),
            "inquiry_mailbox": MAILBOX,
            "notice_ledger": tmp_path / "gateway-store.sqlite3",
            "documents_dir": tmp_path / "documents",
        }
    )
    gw = Gateway(own, retry_base=0.5)
    await gw.start()
    yield gw
    await gw.stop()


async def test_mail_waits_for_temporal_and_is_applied_once(
    cluster: tuple[Cluster, SlowSink, Client],
    gateway: Gateway,
) -> None:
    c, sink, _ = cluster
    assert c.server is not None and gateway.store is not None
    c.server.send_signal(signal.SIGKILL)  # Temporal goes down
    c.server.wait(timeout=30)
    raw = bytes(inquiry())
    answer = await aiosmtplib.send(
        raw, sender=REQUESTOR, recipients=[MAILBOX], hostname="127.0.0.1", port=gateway.port
    )
    assert answer[1].startswith("2.0.0 stored as"), "accepted while Temporal is down"
    key = message_key(raw)
    await asyncio.sleep(3)
    waiting = await gateway.store.inbox.outcome(key)
    assert waiting is not None and waiting[0] != "done", waiting
    tries = await gateway.store.db.fetch("SELECT attempts FROM inbox WHERE message_key = $1", key)
    assert tries[0][0] >= 2, "the gateway kept trying"

    c.start_server()  # back, on the same database
    done = await eventually(
        lambda: gateway.store.inbox.outcome(key),  # type: ignore[union-attr]
        lambda o: o is not None and o[0] == "done",
        timeout=90,
    )
    assert done is not None and done[1] is not None and done[1].startswith("started ICR-")
    case_id = done[1].split()[1]
    fresh = await connect_when_up(c.settings)
    if c.worker is not None and c.worker.poll() is not None:
        c.start_worker()  # a worker may give up on a long-dead server; its supervisor restarts it

    async def status() -> CaseStatus | None:
        try:
            return await status_of(fresh.get_workflow_handle(case_id))
        except RPCError:  # the worker is still reconnecting to the restarted server
            return None

    found = await eventually(
        status,
        lambda s: s is not None and s.stage == "SRO_REVIEW" and len(s.notices) == 1,
        timeout=90,
    )
    assert found is not None and found.entry == "SRO_INQUIRY"
    await eventually(
        lambda: asyncio.sleep(0, sink.to(case_id, REQUESTOR)), lambda m: len(m) == 1, timeout=60
    )
    await asyncio.sleep(2)
    assert len(sink.to(case_id, REQUESTOR)) == 1, "acknowledged once"


async def test_the_store_down_means_451_and_no_lost_mail(
    client: Client, settings: Settings, tmp_path: Path
) -> None:
    """PostgreSQL stops: the front door answers 451 (the sender's server keeps the mail and
    retries), the sorter waits; once it is back, mail is stored and applied."""
    with postgres_server() as database:
        own = as_service(settings, "svc.mailroom").model_copy(
            update={
                "database_url": SecretStr(database.url),
                "inbound_smtp_port": free_port(),
                "inquiry_mailbox": MAILBOX,
            }
        )
        gw = Gateway(own, lambda: asyncio.sleep(0, client), retry_base=0.3)
        await gw.start()
        try:
            assert gw.store is not None
            database.stop()
            raw = bytes(inquiry())
            # 451 at MAIL FROM now (the sender's count is in the store), else at DATA
            with pytest.raises(aiosmtplib.SMTPResponseException) as refused:
                await aiosmtplib.send(
                    raw, sender=REQUESTOR, recipients=[MAILBOX], hostname="127.0.0.1", port=gw.port
                )
            assert refused.value.code == 451
            await asyncio.sleep(1)  # the sorter meets the dead store, and survives it
            database.start()
            answer = await eventually(
                lambda: _try_send(raw, gw.port), lambda a: a.startswith("2.0.0"), timeout=30
            )
            assert answer.startswith("2.0.0 stored as")
            key = message_key(raw)
            done = await eventually(
                lambda: gw.store.inbox.outcome(key),  # type: ignore[union-attr]
                lambda o: o is not None and o[0] == "done",
                timeout=30,
            )
            assert done is not None and (done[1] or "").startswith("started ICR-")
        finally:
            await gw.stop()


async def _try_send(raw: bytes, port: int) -> str:
    """The SMTP answer, or the refusal's text (a retrying relay, in one call)."""
    try:
        _, message = await aiosmtplib.send(
            raw, sender=REQUESTOR, recipients=[MAILBOX], hostname="127.0.0.1", port=port
        )
    except aiosmtplib.SMTPResponseException as exc:
        return f"{exc.code} {exc.message}"
    return message
