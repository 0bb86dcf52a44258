"""Issue 21, what a stranger's mail may do, against a real gateway over real SMTP and a real
Temporal worker, read back from what arrived at the SMTP sink: a name from the mail is never
greeted, the same inquiry relayed again opens one case, and an unproven reply files nothing."""

import asyncio
import uuid
from pathlib import Path

import pytest
from temporalio.client import Client

from mailroom.gateway import Gateway
from settings import Settings
from tests.mail import INQUIRY_FIELDS, REQUESTOR, inquiry, pdf_bytes, relayed, reply
from tests.support import MailSink, actor, eventually, status_of, wait_stage
from tests.test_mailroom import (  # noqa: F401 (the gateway fixture: relays and authserv-id set)
    gateway,
    in_review,
    outcome,
    own_gateway,
    send,
    store_of,
)

pytestmark = pytest.mark.usefixtures("worker")


async def test_an_acknowledgment_greets_no_name_taken_from_the_mail(
    gateway: Gateway,  # noqa: F811
    client: Client,
    mail: MailSink,
) -> None:
    """Finding: a junk inquiry in a victim's name made the system send the victim official
    mail greeting "Dear … URGENT from ICE …" (backscatter with the attacker's words)."""
    victim = f"victim-{uuid.uuid4().hex[:6]}@example.org"
    fields = dict(INQUIRY_FIELDS, **{"Given name": "URGENT from", "Family name": "ICE"})
    fields["Email"] = victim
    raw = bytes(inquiry(fields, sender=victim))
    await send(gateway, raw, sender=victim)
    result = await outcome(gateway, raw)
    assert result.startswith("started ICR-"), result
    case_id = result.split()[1]
    await wait_stage(client.get_workflow_handle(case_id), "SRO_REVIEW")
    [ack] = await eventually(
        lambda: asyncio.sleep(0, mail.to(case_id, victim)), lambda m: len(m) == 1
    )
    arrived = ack.message.as_bytes()
    assert b"URGENT" not in arrived and b"from ICE" not in arrived
    assert "from" not in ack.body.split(), "none of the name's words"
    assert "Dear requestor," in ack.body.splitlines()
    assert ack.subject == f"[{case_id}] SRO inquiry received"
    # Later letters too, until the intake desk confirms; then by the name on file.
    handle = client.get_workflow_handle(case_id)
    desk = [d.name for d in (await status_of(handle)).next_decisions]
    assert "confirm_contact" in desk
    await handle.execute_update(
        "record_determination",
        {"actor": actor("SRO"), "finding": "MEETS_PRIORITIES", "rationale": "Reviewed."},
    )
    letters = await eventually(
        lambda: asyncio.sleep(0, mail.to(case_id, victim)), lambda m: len(m) == 2
    )
    assert b"URGENT" not in letters[1].message.as_bytes()
    assert "Dear requestor," in letters[1].body.splitlines()


async def test_the_same_inquiry_relayed_again_opens_one_case(
    gateway: Gateway,  # noqa: F811
    client: Client,
    mail: MailSink,
) -> None:
    """A second delivery by another path: one more Received line and its own Return-Path
    and Authentication-Results; the content is the same, so it is the same inquiry."""
    requestor = f"twice-{uuid.uuid4().hex[:6]}@example.org"
    raw = bytes(inquiry(dict(INQUIRY_FIELDS, Email=requestor), sender=requestor))
    again = (
        b"Return-Path: <" + requestor.encode() + b">\r\n"
        b"Received: from relay2.example.org (relay2.example.org [192.0.2.9])\r\n"
        b"\tby mx.icr.example with ESMTPS; Mon, 1 Dec 2026 10:00:09 +0000\r\n"
        b"Authentication-Results: relay.icr.example; dmarc=pass header.from=example.org\r\n" + raw
    )
    first = await send(gateway, raw, sender=requestor)
    started = await outcome(gateway, raw)
    assert started.startswith("started ICR-"), started
    second = await send(gateway, again, sender=requestor)
    assert second[1] == first[1], "stored as the same mail"
    case_id = started.split()[1]
    await wait_stage(client.get_workflow_handle(case_id), "SRO_REVIEW")
    await eventually(lambda: asyncio.sleep(0, mail.to(case_id, requestor)), lambda m: len(m) == 1)
    await asyncio.sleep(2)
    opened = [m for m in mail.received if requestor in m.rcpt_tos]
    assert len(opened) == 1, "one case, one acknowledgment"
    assert (await outcome(gateway, again)) == started


async def test_an_unproven_reply_files_nothing_and_waits_in_triage(
    client: Client, settings: Settings, tmp_path: Path, mail: MailSink
) -> None:
    """Finding: with no ICR_INBOUND_AUTHSERV_ID (development, tests) a reply with the
    requestor's From filed its PDF on the case. Now nothing proves it, so it changes nothing:
    triage for the intake desk; the sender is told nothing. Even an Authentication-Results
    header that claims a pass proves nothing to a gateway that knows no relay."""
    gw = own_gateway(settings, client, tmp_path, inbound_authserv_id=None, inbound_relays="")
    await gw.start()
    try:
        result, handle = await in_review(client, settings)
        before = await status_of(handle)
        forged = [
            reply(
                result.case_id,
                REQUESTOR,
                text="Date of birth: 1970-01-01\n",
                attachments=[(pdf_bytes(), "application/pdf", "G-28.pdf")],
            )
            for _ in range(2)
        ]
        for raw in (bytes(forged[0]), relayed(forged[1])):
            await send(gw, raw)
            said = await outcome(gw, raw)
            assert said.startswith("triage T-"), said
            item = await store_of(gw).triage.get(said.split()[1])
            assert item is not None and item.reason == "sender not verified by the relay"
        await asyncio.sleep(1)
        after = await status_of(handle)
        assert after.documents == [] and after.history == before.history
        ids = {str(f["Message-ID"]) for f in forged}
        assert [r for r in mail.received if str(r.message["In-Reply-To"]) in ids] == []
    finally:
        await gw.stop()


async def test_a_proven_reply_files_its_documents(
    gateway: Gateway,  # noqa: F811
    client: Client,
    settings: Settings,
) -> None:
    """The relay's DMARC pass, from a relay's address: the reply is the requestor's."""
    result, handle = await in_review(client, settings)
    proven = relayed(
        reply(result.case_id, REQUESTOR, attachments=[(pdf_bytes(), "application/pdf", "a.pdf")])
    )
    await send(gateway, proven)
    assert await outcome(gateway, proven) == f"attached {result.case_id} documents=1"
    status = await eventually(lambda: status_of(handle), lambda s: len(s.documents) == 1)
    assert status.documents[0].source == "REQUESTOR"
