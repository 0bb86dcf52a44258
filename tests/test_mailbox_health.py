"""Issue 21: the gateway's /health tells how long mail has waited to be sorted, on a real
gateway over PostgreSQL (a database of its own). Temporal out of reach: an inquiry is stored
(250) and waits; past ICR_INBOUND_QUEUE_MAX_AGE_SECONDS /health answers 503 with the reason,
in counts and seconds; once Temporal is back the mail is sorted and /health is 200 again."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import aiosmtplib
import asyncpg
import pytest
import pytest_asyncio
from pydantic import SecretStr
from temporalio.client import Client

from mailroom.gateway import Gateway
from mailroom.letter import message_key
from settings import Settings
from tests.conftest import as_service
from tests.mail import REQUESTOR, inquiry
from tests.support import eventually, free_port

pytestmark = pytest.mark.usefixtures("worker")
MAILBOX = "sro-inquiries@icr.example"
MAX_AGE = 2.0


@pytest_asyncio.fixture
async def own_database(postgres_url: str) -> str:
    name = f"health_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    return postgres_url.rpartition("/")[0] + "/" + name


class Switch:
    """Temporal as the gateway reaches it: out of reach until ``up`` is set."""

    def __init__(self, client: Client) -> None:
        self.client, self.up = client, False

    async def __call__(self) -> Client:
        if not self.up:
            raise RuntimeError("Temporal out of reach (test)")
        return self.client


@pytest_asyncio.fixture
async def gateway(
    settings: Settings, client: Client, own_database: str, tmp_path: Path
) -> AsyncIterator[tuple[Gateway, Switch]]:
    switch = Switch(client)
    gw = Gateway(
        as_service(settings, "svc.mailroom").model_copy(
            update={
                "database_url": SecretStr(own_database),
                "inbound_smtp_port": free_port(),
                "inbound_spool_dir": tmp_path / "spool",
                "inquiry_mailbox": MAILBOX,
                "inbound_health_address": f"127.0.0.1:{free_port()}",
                "inbound_queue_max_age_seconds": MAX_AGE,
            }
        ),
        switch,
        retry_base=0.3,
    )
    await gw.start()
    yield gw, switch
    await gw.stop()


async def health(gw: Gateway) -> tuple[int, dict[str, object], str]:
    url = f"http://{gw.settings.inbound_health_address}/health"
    async with aiohttp.ClientSession() as http, http.get(url) as answer:
        return answer.status, await answer.json(), await answer.text()


async def test_health_turns_unhealthy_while_mail_waits_too_long_to_be_sorted(
    gateway: tuple[Gateway, Switch],
) -> None:
    gw, switch = gateway
    status, body, _ = await health(gw)
    assert status == 200 and body["waiting"] == 0 and body["oldest_waiting_seconds"] == 0
    raw = bytes(inquiry())
    await aiosmtplib.send(raw, sender=REQUESTOR, recipients=[MAILBOX], port=gw.port)
    await asyncio.sleep(1.1)  # the queue is asked at most once a second
    status, body, _ = await health(gw)
    assert status == 200 and body["waiting"] == 1, body
    await asyncio.sleep(MAX_AGE)
    status, body, text = await health(gw)
    assert status == 503 and body["status"] == "queue too old", body
    assert body["waiting"] == 1 and float(str(body["oldest_waiting_seconds"])) > MAX_AGE
    assert body["limits"] == {"sorting_seconds": 100.0, "oldest_waiting_seconds": MAX_AGE}
    assert REQUESTOR not in text and "SRO" not in text and message_key(raw) not in text
    switch.up = True  # Temporal is back: the mail is sorted, the queue empties
    assert gw.store is not None
    await eventually(
        lambda: gw.store.inbox.outcome(message_key(raw)),  # type: ignore[union-attr]
        lambda o: o is not None and o[0] == "done",
    )
    await asyncio.sleep(1.1)
    status, body, _ = await health(gw)
    assert status == 200 and body["status"] == "serving" and body["waiting"] == 0, body


async def test_health_says_so_when_the_store_cannot_answer(
    gateway: tuple[Gateway, Switch], own_database: str, postgres_url: str
) -> None:
    gw, _ = gateway
    admin = await asyncpg.connect(postgres_url)
    try:  # the store gone from under the gateway
        await admin.execute(f"DROP DATABASE {own_database.rpartition('/')[2]} WITH (FORCE)")
    finally:
        await admin.close()
    await asyncio.sleep(1.1)
    status, body, _ = await health(gw)
    assert status == 503 and body["status"] == "queue unknown", body
    assert "waiting" not in body
