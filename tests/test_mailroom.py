"""The SRO mailbox end to end: real SMTP into the gateway, a real Temporal dev server and
worker, the store on a real PostgreSQL, automatic replies read back from a real SMTP sink."""

import asyncio
import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

import aiohttp
import aiosmtplib
import pytest
import pytest_asyncio
import structlog
from aiohttp import web
from pydantic import SecretStr
from temporalio import workflow
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.worker import Worker

from clients import data_converter
from codec_server.app import make_app
from codec_server.document_reading import DocumentReading
from codec_server.tokens import StaticTokens
from domain.bounds import MAX_DOCUMENT_READS, MAX_DOCUMENTS
from domain.decisions import DECISIONS
from domain.inquiry import Submission
from intake import Submitted, submit
from logs import redact
from mailroom.answers import Answers
from mailroom.desk import (
    GATEWAY_IDENTITY,
    CaseDesk,
    DecisionRefused,
    NoSuchCase,
    ServiceKeyMissing,
)
from mailroom.example import example_inquiry
from mailroom.gateway import Gateway
from mailroom.letter import message_key
from mailroom.sorting import Sorter
from security import configured
from security.directory import FileStaffDirectory
from settings import Settings, plain
from store.documents import document_id_of
from store.shared import Store
from tests.conftest import TOKENS, as_service
from tests.mail import (
    INQUIRY_FIELDS,
    RELAYED,
    REQUESTOR,
    inquiry,
    odd_mime,
    own_store,
    pdf_bytes,
    relayed,
    reply,
)
from tests.support import (
    PII,
    MailSink,
    eventually,
    free_port,
    run_starter,
    sro_submission,
    start_case,
    status_of,
    wait_stage,
)
from tests.test_privacy import raw_bytes_of_case

pytestmark = pytest.mark.usefixtures("worker")
MAILBOX = "sro-inquiries@icr.example"
SRO_SIGNED_IN = {"Authorization": f"Bearer {TOKENS['sro.one']}"}


@pytest_asyncio.fixture(scope="module")
async def gateway(settings: Settings, client: Client, postgres_url: str) -> AsyncIterator[Gateway]:
    gw_settings = as_service(settings, "svc.mailroom").model_copy(
        update={
            "database_url": SecretStr(postgres_url),
            "inbound_smtp_port": free_port(),
            "inquiry_mailbox": MAILBOX,
            **RELAYED,  # a reply changes a case only with the relay's DMARC pass
        }
    )

    async def connect() -> Client:
        return client

    gw = Gateway(gw_settings, connect, retry_base=0.3)
    await gw.start()
    yield gw
    await gw.stop()


async def send(gw: Gateway, message: EmailMessage | bytes, sender: str = REQUESTOR) -> Any:
    """The bytes ``outcome`` keys on go out as they are (the inbox key hashes them)."""
    if isinstance(message, EmailMessage):
        sender = parseaddr(str(message["From"]))[1] or sender
    return await aiosmtplib.send(
        bytes(message), sender=sender, recipients=[MAILBOX], hostname="127.0.0.1", port=gw.port
    )


def store_of(gw: Gateway) -> Store:
    assert gw.store is not None
    return gw.store


async def outcome(gw: Gateway, raw: bytes) -> str:
    """Wait until the gateway applied the mail; its recorded outcome."""
    key = message_key(raw)
    done = await eventually(
        lambda: store_of(gw).inbox.outcome(key), lambda o: o is not None and o[0] == "done"
    )
    assert done is not None and done[1] is not None
    return done[1]


async def test_a_complete_inquiry_starts_a_case_once(
    gateway: Gateway, client: Client, mail: MailSink
) -> None:
    message = inquiry()
    raw = bytes(message)
    with structlog.testing.capture_logs() as logs:
        answer = await send(gateway, raw)
        assert answer[1].startswith("2.0.0 stored as")
        result = await outcome(gateway, raw)
        again = await send(gateway, raw)  # the relay delivers the same mail twice
    assert again[1] == answer[1]
    assert result.startswith("started ICR-")
    case_id = result.split()[1]
    handle = client.get_workflow_handle(case_id)
    status = await wait_stage(handle, "SRO_REVIEW")
    assert status.entry == "SRO_INQUIRY" and status.field_office == "NEW_YORK_CITY"
    acks = await eventually(
        lambda: asyncio.sleep(0, mail.to(case_id, REQUESTOR)), lambda m: len(m) == 1
    )
    assert acks[0].subject == f"[{case_id}] SRO inquiry received"
    await asyncio.sleep(1)
    assert len(mail.to(case_id, REQUESTOR)) == 1, "the duplicate started nothing"
    # No personal data in the history (raw), the status or the gateway's logs.
    raw_case = await raw_bytes_of_case(client, case_id)
    # Log lines as they leave the process: the redact processor drops the bound names.
    text = str([redact(None, "", dict(e)) for e in logs]) + status.model_dump_json()
    for item in PII:
        assert item.encode() not in raw_case, item
        assert item not in text, item


async def test_a_gateway_killed_midway_applies_nothing_twice(
    settings: Settings, client: Client, mail: MailSink, tmp_path: Any
) -> None:
    """The sorter dies after applying a mail and before recording it; its lease runs out and
    the mail is applied again, by a gateway started later on the same store. (A store of its
    own: a running gateway on a shared one may claim the mail before the dying sorter does.)"""
    gw = own_gateway(settings, client, tmp_path, **RELAYED)
    raw = bytes(inquiry())
    key = message_key(raw)

    class Killed(BaseException):
        pass

    async def die(*_: object, **__: object) -> None:
        raise Killed

    store = await Store.open(gw.settings)
    sorter = Sorter(
        store,
        CaseDesk.for_service(gw.settings, lambda: asyncio.sleep(0, client), GATEWAY_IDENTITY),
        Answers(gw.settings, store.ledger),
    )
    try:
        await store.inbox.accept(key, raw)
        message = await store.inbox.claim(timedelta(minutes=5))
        assert message is not None and message.message_key == key
        store.inbox.settle = die  # type: ignore[method-assign]
        with pytest.raises(Killed):
            await sorter.sort(message)
        # Time passes: the dead sorter's lease runs out.
        await store.db.execute(
            "UPDATE inbox SET not_before = $1 WHERE message_key = $2", "2000-01-01", key
        )
    finally:
        sorter.close()
        await store.close()
    await gw.start()  # takes the mail over
    try:
        result = await outcome(gw, raw)
        case_id = result.split()[1]
        assert result == f"started {case_id}"
        await wait_stage(client.get_workflow_handle(case_id), "SRO_REVIEW")
        await asyncio.sleep(1)
        assert len(mail.to(case_id, REQUESTOR)) == 1, "acknowledged once"
        assert (await store_of(gw).inbox.outcome(key)) == ("done", result)
    finally:
        await gw.stop()


async def test_an_incomplete_inquiry_gets_a_reply_naming_each_item(
    gateway: Gateway, mail: MailSink
) -> None:
    fields = dict(INQUIRY_FIELDS)
    del fields["Phone"], fields["Local response summary"]
    fields["Field office"] = "Atlantis"
    sender = f"someone-{uuid.uuid4().hex[:6]}@example.net"
    raw = bytes(inquiry(fields, sender=sender))
    await send(gateway, raw)
    assert (await outcome(gateway, raw)).startswith("incomplete")
    replies = await eventually(
        lambda: asyncio.sleep(0, [r for r in mail.received if sender in r.rcpt_tos]),
        lambda found: len(found) == 1,
    )
    body = replies[0].body
    assert "- Phone" in body and "- Local response summary" in body
    assert "- Field office: not one of the 25 ERO field offices" in body
    assert "Atlantis" not in body and "Maria" not in body, "no value is echoed"
    assert replies[0].message["Auto-Submitted"] == "auto-replied"
    assert replies[0].mail_from == "<>", "a null return path: no bounce loops"


async def missing_birth_date(client: Client, settings: Settings) -> WorkflowHandle[Any, Any]:
    """An SRO inquiry without the date of birth, waiting for it."""
    data = sro_submission()
    del data["subject"]["date_of_birth"]
    handle = await start_case(client, settings, data)
    await wait_stage(handle, "AWAITING_INFORMATION")
    return handle


async def test_a_reply_from_the_requestor_provides_the_missing_information(
    gateway: Gateway, client: Client, settings: Settings, mail: MailSink
) -> None:
    handle = await missing_birth_date(client, settings)
    asked = await eventually(
        lambda: asyncio.sleep(
            0, [m for m in mail.to(handle.id, REQUESTOR) if "needed" in m.subject]
        ),
        lambda m: len(m) == 1,
    )
    answer = reply(
        handle.id,
        "Maria Lopez <Maria.Lopez@example.org>",
        text="Here it is.\n\nDate of birth: 1988-04-12\n",
        in_reply_to=asked[0].message_id,
    )
    raw = relayed(answer)
    await send(gateway, raw)
    assert (await outcome(gateway, raw)).startswith(
        f"attached {handle.id} documents=0 information=applied"
    )
    status = await wait_stage(handle, "SRO_REVIEW")
    assert status.missing_items == []
    assert [h.name for h in status.history][-1] == "provide_information"
    assert status.history[-1].actor.id == "svc.mailroom"


async def test_a_stranger_is_triaged_and_told_nothing(
    gateway: Gateway, client: Client, settings: Settings, mail: MailSink
) -> None:
    handle = await missing_birth_date(client, settings)
    before = await status_of(handle)
    stranger = f"stranger-{uuid.uuid4().hex[:6]}@evil.example"
    forged = reply(handle.id, stranger, text="Date of birth: 1970-01-01\n")
    await send(gateway, forged, sender=stranger)
    item = await outcome(gateway, bytes(forged))
    assert item.startswith("triage T-")
    await asyncio.sleep(1)
    after = await status_of(handle)
    assert after.history == before.history and after.stage == "AWAITING_INFORMATION"
    assert [r for r in mail.received if stranger in r.rcpt_tos] == []
    listed = await store_of(gateway).triage.list()
    assert item.split()[1] in [i.item_id for i in listed]


async def test_unreadable_mail_is_triaged(gateway: Gateway) -> None:
    raw = b"Subject: hello\r\nMessage-ID: <" + uuid.uuid4().hex.encode() + b"@x>\r\n\r\nhi\r\n"
    await send(gateway, raw, sender="who@example.net")
    assert (await outcome(gateway, raw)).startswith("triage T-")


async def test_only_the_mailbox_and_only_25_mb(gateway: Gateway) -> None:
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        await aiosmtplib.send(
            bytes(inquiry()),
            sender=REQUESTOR,
            recipients=["postmaster@icr.example"],
            hostname="127.0.0.1",
            port=gateway.port,
        )
    huge = bytes(inquiry()) + (b"x" * 76 + b"\r\n") * (26 * 1024 * 1024 // 78)
    with pytest.raises(aiosmtplib.SMTPSenderRefused) as announced:
        await send(gateway, huge)  # the client announces SIZE: refused at MAIL FROM
    assert announced.value.code == 552
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=gateway.port) as smtp:
        await smtp.mail(REQUESTOR)  # no SIZE: refused once the data passes the limit
        await smtp.rcpt(MAILBOX)
        with pytest.raises(aiosmtplib.SMTPDataError) as streamed:
            await smtp.data(huge)
    assert streamed.value.code == 552
    assert await store_of(gateway).inbox.accept(message_key(huge), b"probe"), "never stored"


@pytest_asyncio.fixture(scope="module")
async def documents_url(gateway: Gateway, client: Client) -> AsyncIterator[str]:
    """A codec server on the gateway's store; ``sro.one`` signs in with its test token."""
    s = gateway.settings
    keys = configured.keyring(s)
    assert keys is not None
    stamp_keys = configured.stamp_keys(s)
    assert stamp_keys is not None and s.staff_directory is not None
    reading = DocumentReading(as_service(s, "svc.codec"), client)
    app = make_app(
        keys,
        StaticTokens.parse(f"sro.one:{TOKENS['sro.one']},fo.boston:{TOKENS['fo.boston']}"),
        "http://ui",
        stamp_keys,
        FileStaffDirectory(s.staff_directory),
        documents=reading,
    )
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}/documents"
    await runner.cleanup()
    await reading.close()


async def in_review(client: Client, settings: Settings) -> tuple[Submitted, Any]:
    """A case started from JSON, in SRO review: any correspondent's mail may come."""
    result = await submit(client, Submission.model_validate(sro_submission()), settings)
    handle = client.get_workflow_handle(result.case_id)
    await wait_stage(handle, "SRO_REVIEW")
    return result, handle


async def test_a_reply_with_a_pdf_files_a_document_staff_can_read(
    gateway: Gateway, client: Client, settings: Settings, documents_url: str
) -> None:
    result, handle = await in_review(client, settings)
    pdf = pdf_bytes()
    answer = reply(
        result.case_id, REQUESTOR, attachments=[(pdf, "application/pdf", "Maria-passport.pdf")]
    )
    raw = relayed(answer)
    await send(gateway, raw)
    assert await outcome(gateway, raw) == f"attached {result.case_id} documents=1"
    status = await eventually(lambda: status_of(handle), lambda s: len(s.documents) == 1)
    doc = status.documents[0]
    assert (doc.kind, doc.content_type, doc.size, doc.source) == (
        "OTHER",
        "application/pdf",
        len(pdf),
        "REQUESTOR",
    )
    assert doc.sha256 == hashlib.sha256(pdf).hexdigest()
    assert "passport" not in status.model_dump_json(), "no file name in the status"
    url = f"{documents_url}/{result.case_id}/{doc.document_id}"
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as anonymous:
            assert anonymous.status == 401
        # Field-office staff of another office: for them the case has no such document.
        boston = {"Authorization": f"Bearer {TOKENS['fo.boston']}"}
        async with http.get(url, headers=boston) as other_office:
            assert other_office.status == 404
        async with http.get(url, headers=SRO_SIGNED_IN) as got:
            assert got.status == 200, await got.text()
            body = await got.read()
            assert got.headers["Content-Type"] == "application/pdf"
            assert got.headers["X-Content-Type-Options"] == "nosniff"
        async with http.head(url, headers=SRO_SIGNED_IN) as head:
            assert head.status == 405, "HEAD is not a read"
        ranged = {**SRO_SIGNED_IN, "Range": "bytes=0-10"}
        async with http.get(url, headers=ranged) as part:
            assert part.status == 416, "a part is refused, not counted"
        other = f"{documents_url}/{result.case_id}/DOC-{'A' * 24}"
        async with http.get(other, headers=SRO_SIGNED_IN) as missing:
            assert missing.status == 404
    assert hashlib.sha256(body).hexdigest() == doc.sha256
    status = await status_of(handle)
    assert [(r.document_id, r.reader) for r in status.document_reads] == [
        (doc.document_id, "sro.one")
    ]
    # An open case's read is in the case and in the store's access log.
    log = await store_of(gateway).reads.of_case(result.case_id)
    assert [(e.document_id, e.reader) for e in log] == [(doc.document_id, "sro.one")]
    assert log[0].read_at >= status.document_reads[0].at, "the case first, then the log"
    late = relayed(
        reply(result.case_id, REQUESTOR, attachments=[(pdf_bytes(), "application/pdf", "x")])
    )
    # A closed case takes no more decisions: its documents still open, the log records it.
    await handle.execute_update(
        "withdraw", {"actor": {"id": "intake.one", "role": "INTAKE"}, "reason": "done"}
    )
    await handle.result()
    async with (
        aiohttp.ClientSession() as http,
        http.get(url, headers=SRO_SIGNED_IN) as closed,
    ):
        assert closed.status == 200, await closed.text()
        assert hashlib.sha256(await closed.read()).hexdigest() == doc.sha256
    log = await store_of(gateway).reads.of_case(result.case_id)
    assert [(e.document_id, e.reader) for e in log] == [(doc.document_id, "sro.one")] * 2
    assert log[1].read_at > log[0].read_at
    assert len((await status_of(handle)).document_reads) == 1, "the closed case is unchanged"
    listed = await run_starter(starter_env(gateway, client), "documents", "reads", result.case_id)
    assert listed.returncode == 0, listed.stderr
    assert [r["reader"] for r in json.loads(listed.stdout)] == ["sro.one", "sro.one"]
    assert "passport" not in listed.stdout
    # A late reply to the closed case waits for a person.
    await send(gateway, late)
    assert (await outcome(gateway, late)).startswith("triage T-")
    item = await store_of(gateway).triage.get((await outcome(gateway, late)).split()[1])
    assert item is not None and item.reason == "the case is closed"
    # The same document from another case's id: not listed there, not served.
    second = await submit(client, Submission.model_validate(sro_submission()), settings)
    async with aiohttp.ClientSession() as http:
        wrong_case = f"{documents_url}/{second.case_id}/{doc.document_id}"
        async with http.get(wrong_case, headers=SRO_SIGNED_IN) as got:
            assert got.status == 404


async def test_only_the_codec_server_s_identity_records_a_read_of_a_person(
    gateway: Gateway, client: Client, settings: Settings
) -> None:
    """A person cannot record a read (their own or another's), a service identity cannot name
    another service as reader, and a desk without its own service key does not start."""
    result, handle = await in_review(client, settings)
    desk = CaseDesk.for_service(
        gateway.settings, lambda: asyncio.sleep(0, client), GATEWAY_IDENTITY
    )
    filed = json.loads(DECISIONS["receive_documents"].example_json)["documents"]
    await desk.receive_documents(result.case_id, "REQUESTOR", filed, "test-filed-1")
    read = {"case_id": result.case_id, "document_id": filed[0]["document_id"]}
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(
            "record_document_read",
            {**read, "reader": "intake.one", "actor": {"id": "intake.one", "role": "INTAKE"}},
        )
    assert "recorded by the codec server's service identity" in str(refused.value.cause)
    config = client.config()
    config["data_converter"] = data_converter(as_service(settings, "svc.codec"))
    codec = Client(**config).get_workflow_handle(result.case_id)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await codec.execute_update("record_document_read", {**read, "reader": "svc.mailroom"})
    assert "for a person in the staff directory" in str(refused.value.cause)
    answer = await codec.execute_update("record_document_read", {**read, "reader": "sro.one"})
    assert answer["history"][-1]["actor"]["id"] == "svc.codec"
    assert answer["document_reads"] == [], "an update answers with the summary status"
    status = await status_of(handle)
    assert [(r.reader, r.document_id) for r in status.document_reads] == [
        ("sro.one", read["document_id"])
    ]
    with pytest.raises(ServiceKeyMissing, match=r"svc\.mailroom's signing key"):
        CaseDesk.for_service(settings, lambda: asyncio.sleep(0, client), GATEWAY_IDENTITY)
    with pytest.raises(ServiceKeyMissing):  # another service's key is not the gateway's
        CaseDesk.for_service(
            as_service(settings, "svc.codec"), lambda: asyncio.sleep(0, client), GATEWAY_IDENTITY
        )


async def test_a_stranger_s_pdf_is_triaged_not_attached(
    gateway: Gateway, client: Client, settings: Settings, mail: MailSink
) -> None:
    result, handle = await in_review(client, settings)
    stranger = f"x-{uuid.uuid4().hex[:6]}@evil.example"
    forged = reply(
        result.case_id, stranger, attachments=[(pdf_bytes(), "application/pdf", "g-28.pdf")]
    )
    raw = relayed(forged)  # proven: the stranger's own domain passed DMARC
    await send(gateway, raw, sender=stranger)
    said = await outcome(gateway, raw)
    assert said.startswith("triage T-"), said
    item = await store_of(gateway).triage.get(said.split()[1])
    assert item is not None and item.reason == "sender is not a correspondent of the case"
    await asyncio.sleep(1)
    assert (await status_of(handle)).documents == []
    assert [r for r in mail.received if stranger in r.rcpt_tos] == []


async def test_odd_mime_from_the_requestor_keeps_the_good_part(
    gateway: Gateway, client: Client, settings: Settings, mail: MailSink
) -> None:
    result, handle = await in_review(client, settings)
    pdf = pdf_bytes()
    raw = relayed(odd_mime(result.case_id, REQUESTOR, pdf))
    await send(gateway, raw)
    assert await outcome(gateway, raw) == f"attached {result.case_id} documents=1"
    status = await eventually(lambda: status_of(handle), lambda s: len(s.documents) == 1)
    assert status.documents[0].sha256 == hashlib.sha256(pdf).hexdigest()
    told = await eventually(
        lambda: asyncio.sleep(
            0,
            [
                r
                for r in mail.received
                if r.subject == "Attachments not accepted"
                and REQUESTOR in r.rcpt_tos
                and "of a type not accepted" in r.body
            ],
        ),
        lambda found: len(found) == 1,
    )
    assert "broken base64" in told[0].body and "not opened" in told[0].body
    assert "application/zip" not in told[0].body, "a type is named from a fixed list only"


async def test_contact_details_by_mail_wait_for_the_desk_and_letters_stay_on_file(
    gateway: Gateway, client: Client, settings: Settings, mail: MailSink
) -> None:
    """Finding: a reply (forgeable From) with ``Email: eve@…`` and a G-28 made the attacker
    the case's requestor. Even with the relay's DMARC pass (a mailbox can be taken over) the
    new address is held for the intake desk (triage); the case still answers for the address
    on file only."""
    result, handle = await in_review(client, settings)
    eve = f"eve-{uuid.uuid4().hex[:6]}@attacker.example"
    forged = reply(
        result.case_id,
        REQUESTOR,
        text=f"Email: {eve}\nPhone: (212) 555-0199\n",
        attachments=[(pdf_bytes(), "application/pdf", "G-28.pdf")],
    )
    raw = relayed(forged)
    await send(gateway, raw)
    said = await outcome(gateway, raw)
    assert said.startswith("triage T-"), said
    item = await store_of(gateway).triage.get(said.split()[1])
    assert item is not None and item.reason == "contact change by mail waits for the desk"
    status = await eventually(lambda: status_of(handle), lambda s: len(s.documents) == 1)
    assert "provide_information" not in [h.name for h in status.history]
    assert gateway.sorter is not None
    desk = gateway.sorter._desk  # the gateway's own view of who writes for the case
    assert await desk.correspondent(result.case_id, eve) is None
    assert await desk.correspondent(result.case_id, REQUESTOR) == "REQUESTOR"
    await asyncio.sleep(1)
    assert [r for r in mail.received if eve in r.rcpt_tos] == []


async def test_a_free_text_reply_is_kept_for_a_person(
    gateway: Gateway, client: Client, settings: Settings
) -> None:
    """F7: a correspondent's reply with nothing to apply was answered 250 and dropped."""
    result, _ = await in_review(client, settings)
    note = relayed(reply(result.case_id, REQUESTOR, text="Please call me about my case."))
    await send(gateway, note)
    said = await outcome(gateway, note)
    item = await store_of(gateway).triage.get(said.split()[1])
    assert item is not None and item.reason == "a reply with nothing to apply"


async def test_a_representative_s_inquiry_points_its_authorization_at_the_form(
    gateway: Gateway, client: Client, mail: MailSink
) -> None:
    rep = f"dana-{uuid.uuid4().hex[:6]}@lawfirm.example.org"
    fields = dict(
        INQUIRY_FIELDS,
        **{
            "Representative name": "Dana Advocate",
            "Representative email": rep,
            "Representative phone": "+1 415 555 0188",
            "Representative organization": "Advocates LLP",
        },
    )
    form, photo = pdf_bytes(), b"\x89PNG\r\n\x1a\n" + uuid.uuid4().bytes * 40
    message = inquiry(
        fields,
        sender=rep,
        attachments=[(form, "application/pdf", "G-28.pdf"), (photo, "image/png", "id.png")],
    )
    await send(gateway, message, sender=rep)
    result = await outcome(gateway, bytes(message))
    case_id = result.split()[1]
    handle = client.get_workflow_handle(case_id)
    status = await eventually(lambda: status_of(handle), lambda s: len(s.documents) == 2)
    assert [(d.kind, d.content_type, d.source) for d in status.documents] == [
        ("G-28", "application/pdf", "INQUIRY"),
        ("OTHER", "image/png", "INQUIRY"),
    ]
    submission = await handle.query("whose_address", rep)
    assert submission == "REQUESTOR", "the representative wrote, and is the requestor"
    # The authorization in the case's input points at the stored form.
    history = await handle.fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    decoded = await client.data_converter.decode(started.input.payloads, [Submission])
    sub = Submission.model_validate(decoded[0])
    assert sub.representative is not None and sub.representative.authorization is not None
    assert sub.representative.authorization.document_ref == status.documents[0].document_id
    acks = await eventually(lambda: asyncio.sleep(0, mail.to(case_id, rep)), lambda m: len(m) == 1)
    assert acks[0].subject == f"[{case_id}] SRO inquiry received"


def starter_env(gateway: Gateway, client: Client, codec: str = "") -> dict[str, str]:
    """The CLI's environment; with ``codec``, signed in as ``intake.one`` (triage assign)."""
    s = gateway.settings
    signed_in = {"ICR_CODEC_ENDPOINT": codec, "ICR_STAFF_TOKEN": TOKENS["intake.one"]}
    return {
        **(signed_in if codec else {}),
        "TEMPORAL_ADDRESS": client.service_client.config.target_host,
        "ICR_TASK_QUEUE": s.task_queue,
        "ICR_PAYLOAD_KEYS": plain(s.payload_keys),
        "ICR_DATABASE_URL": plain(s.database_url),
        "ICR_INBOUND_SMTP_PORT": str(gateway.port),
        "ICR_INQUIRY_MAILBOX": s.inquiry_mailbox,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(s.smtp_port),
    }


async def test_intake_staff_list_show_and_assign_triage(
    gateway: Gateway, client: Client, settings: Settings, codec_server: str
) -> None:
    result, handle = await in_review(client, settings)
    stranger = f"lawyer-{uuid.uuid4().hex[:6]}@newfirm.example"
    pdf = pdf_bytes()
    mail = reply(result.case_id, stranger, attachments=[(pdf, "application/pdf", "statement.pdf")])
    await send(gateway, mail, sender=stranger)
    item_id = (await outcome(gateway, bytes(mail))).split()[1]
    env = starter_env(gateway, client, codec_server)
    listed = await run_starter(env, "triage", "list")
    assert listed.returncode == 0, listed.stderr
    assert item_id in [i["item_id"] for i in json.loads(listed.stdout)]
    assert stranger not in listed.stdout, "the list names no one"
    shown = await run_starter(env, "triage", "show", item_id)
    assert shown.returncode == 0 and stranger in shown.stdout and result.case_id in shown.stdout
    bad = await run_starter(env, "triage", "assign", "T-NOPE", result.case_id, "--actor", "x")
    assert bad.returncode == 2 and "is not open" in bad.stderr
    assigned = await run_starter(
        env, "triage", "assign", item_id, result.case_id, "--actor", "intake.one"
    )
    assert assigned.returncode == 0, assigned.stderr
    status = await eventually(lambda: status_of(handle), lambda s: len(s.documents) == 1)
    assert status.documents[0].source == "TRIAGE"
    assert status.documents[0].sha256 == hashlib.sha256(pdf).hexdigest()
    assert status.history[-1].actor.id == "intake.one"
    again = await run_starter(
        env, "triage", "assign", item_id, result.case_id, "--actor", "intake.one"
    )
    assert again.returncode == 2, "assigned once"


async def test_mail_example_starts_the_readme_case_once(gateway: Gateway, client: Client) -> None:
    env = starter_env(gateway, client)
    first = await run_starter(env, "mail-example")
    assert first.returncode == 0 and "2.0.0 stored as" in first.stdout, first.stderr
    raw = bytes(example_inquiry(MAILBOX))
    result = await outcome(gateway, raw)
    assert result.startswith("started ICR-"), result
    case_id = result.split()[1]
    status = await wait_stage(client.get_workflow_handle(case_id), "SRO_REVIEW")
    assert [d.kind for d in status.documents] == ["G-28"]
    second = await run_starter(env, "mail-example")
    assert second.returncode == 0 and second.stdout == first.stdout


def own_gateway(settings: Settings, client: Client, tmp_path: Any, **update: Any) -> Gateway:
    """A gateway (not started) on a SQLite store of its own, ``update`` on its settings."""
    return Gateway(
        own_store(settings, tmp_path, **update), lambda: asyncio.sleep(0, client), retry_base=0.3
    )


async def test_behind_a_relay_a_forged_from_is_triaged(
    client: Client, settings: Settings, tmp_path: Any
) -> None:
    """A stranger who writes the requestor's address into From: the relay's DMARC verdict
    decides, and without a pass the mail waits in triage."""
    gw = own_gateway(settings, client, tmp_path, **RELAYED)
    await gw.start()
    try:
        result, handle = await in_review(client, settings)
        forged = reply(
            result.case_id, REQUESTOR, attachments=[(pdf_bytes(), "application/pdf", "a.pdf")]
        )
        await send(gw, forged)
        assert (await outcome(gw, bytes(forged))).startswith("triage T-")
        verified = reply(
            result.case_id, REQUESTOR, attachments=[(pdf_bytes(), "application/pdf", "b.pdf")]
        )
        raw = (
            b"Authentication-Results: relay.icr.example; dmarc=pass header.from=example.org\r\n"
            + bytes(verified)
        )
        await send(gw, raw)
        assert await outcome(gw, raw) == f"attached {result.case_id} documents=1"
        status = await status_of(handle)
        assert len(status.documents) == 1
    finally:
        await gw.stop()


def _fake_refs(count: int, first: int) -> list[dict[str, Any]]:
    """References to ``count`` distinct documents, as the gateway would send them."""
    example = json.loads(DECISIONS["receive_documents"].example_json)["documents"][0]
    return [{**example, "document_id": f"DOC-{n:024X}"} for n in range(first, first + count)]


async def test_past_the_document_bound_a_mail_waits_in_triage_with_its_bytes_kept(
    gateway: Gateway, client: Client, settings: Settings
) -> None:
    result, handle = await in_review(client, settings)
    desk = CaseDesk.for_service(
        gateway.settings, lambda: asyncio.sleep(0, client), GATEWAY_IDENTITY
    )
    for batch in range(MAX_DOCUMENTS // 50):
        refs = _fake_refs(50, 1 + batch * 50)
        await desk.receive_documents(result.case_id, "REQUESTOR", refs, f"fill-{batch}")
    assert len((await status_of(handle)).documents) == MAX_DOCUMENTS
    with pytest.raises(DecisionRefused, match=f"takes at most {MAX_DOCUMENTS}"):
        await desk.receive_documents(result.case_id, "REQUESTOR", _fake_refs(1, 0), "one-more")
    pdf = pdf_bytes()
    late = relayed(
        reply(result.case_id, REQUESTOR, attachments=[(pdf, "application/pdf", "more.pdf")])
    )
    await send(gateway, late)
    said = await outcome(gateway, late)
    assert said.startswith("triage T-"), said
    item = await store_of(gateway).triage.get(said.split()[1])
    assert item is not None and item.reason == "the case holds its maximum of documents"
    assert await store_of(gateway).inbox.raw(message_key(bytes(late))) is not None
    document_id = document_id_of(hashlib.sha256(pdf).hexdigest())
    stored = await store_of(gateway).documents.read(document_id)
    assert stored is not None and stored[1] == pdf, "nothing lost: the bytes stay stored"
    # F12: not referred to by the case that refused it, so the item's retention purges it
    assert not await store_of(gateway).documents.filed_to(result.case_id, document_id)
    status = await status_of(handle)
    assert len(status.documents) == MAX_DOCUMENTS
    assert status.rejected == [], "an update's refusal is answered, not kept as a signal's"


async def test_a_case_keeps_its_newest_reads_and_the_access_log_keeps_all(
    gateway: Gateway, client: Client, settings: Settings, documents_url: str
) -> None:
    result, handle = await in_review(client, settings)
    answer = reply(
        result.case_id, REQUESTOR, attachments=[(pdf_bytes(), "application/pdf", "p.pdf")]
    )
    raw = relayed(answer)
    await send(gateway, raw)
    await outcome(gateway, raw)
    [doc] = (await eventually(lambda: status_of(handle), lambda s: len(s.documents) == 1)).documents
    extra = 3
    url = f"{documents_url}/{result.case_id}/{doc.document_id}"
    async with aiohttp.ClientSession() as http:
        for _ in range(MAX_DOCUMENT_READS + extra):
            async with http.get(url, headers=SRO_SIGNED_IN) as got:
                assert got.status == 200, await got.text()
    status = await status_of(handle)
    assert len(status.document_reads) == MAX_DOCUMENT_READS
    assert status.document_reads_dropped == extra
    log = await store_of(gateway).reads.of_case(result.case_id)
    assert len(log) == MAX_DOCUMENT_READS + extra
    kept = zip(log[extra:], status.document_reads, strict=True)
    assert all(e.read_at >= r.at for e, r in kept), "each: the case first, then the log"


async def test_the_documents_endpoint_refuses_odd_ids_and_cookies_and_logs_nothing(
    gateway: Gateway, client: Client, settings: Settings, documents_url: str
) -> None:
    result, _ = await in_review(client, settings)
    doc = f"DOC-{'A' * 24}"
    odd = [
        f"{result.case_id}/{doc.lower()}",
        f"{result.case_id.lower()}/{doc}",
        f"{result.case_id}/{doc}%00",
        f"{result.case_id}/{doc}/..",
        f"{result.case_id}%2F{doc}",
        f"{result.case_id}/{'DOC-' + 'A' * 5000}",
        f"ICR-IIIIIIIIIIII/{doc}",
        f"{result.case_id}/DOC-{'A' * 23}Z",
    ]
    async with aiohttp.ClientSession() as http:
        for path in odd:
            async with http.get(f"{documents_url}/{path}", headers=SRO_SIGNED_IN) as got:
                assert 400 <= got.status < 500, (path, got.status)
                assert got.content_type != "application/pdf"
        forged = {"Cookie": "icr_codec_session=sro.one.forged"}
        async with http.get(f"{documents_url}/{result.case_id}/{doc}", headers=forged) as got:
            assert got.status == 401
    assert await store_of(gateway).reads.of_case(result.case_id) == []


@workflow.defn(name="CaseReviewWorkflow", sandboxed=False)
class FakeCase:
    """An outsider's run under a case id, on a queue of its own: it answers whatever it likes,
    in plaintext (it holds no key)."""

    def __init__(self) -> None:
        self._answer: dict[str, Any] = {}

    @workflow.run
    async def run(self, answer: dict[str, Any]) -> None:
        self._answer = answer
        await workflow.wait_condition(lambda: False)

    @workflow.query
    def status(self) -> dict[str, Any]:
        return self._answer

    @workflow.query
    def whose_address(self, _address: str) -> str:
        return "REQUESTOR"


async def test_a_document_is_served_only_to_the_case_the_store_filed_it_to(
    gateway: Gateway, client: Client, settings: Settings, documents_url: str
) -> None:
    """The case's own answer listing a document is not enough: the store must have filed it
    there; and a fake run answering in plaintext gets neither documents nor a logged read."""
    result, handle = await in_review(client, settings)
    pdf = pdf_bytes()
    stored = await store_of(gateway).documents.put(pdf, "application/pdf")
    desk = CaseDesk.for_service(
        gateway.settings, lambda: asyncio.sleep(0, client), GATEWAY_IDENTITY
    )
    ref = {
        "document_id": stored.document_id,
        "kind": "OTHER",
        "content_type": "application/pdf",
        "size": len(pdf),
        "sha256": stored.sha256,
        "received_at": "2026-11-01T00:00:00+00:00",
        "source": "REQUESTOR",
    }
    await desk.receive_documents(result.case_id, "REQUESTOR", [ref], "test-unfiled-1")
    url = f"{documents_url}/{result.case_id}/{stored.document_id}"
    async with aiohttp.ClientSession() as http, http.get(url, headers=SRO_SIGNED_IN) as got:
        assert got.status == 404, "listed by the case, never filed to it by the store"
    await store_of(gateway).documents.refer(result.case_id, [stored.document_id])
    async with aiohttp.ClientSession() as http, http.get(url, headers=SRO_SIGNED_IN) as got:
        assert got.status == 200, await got.text()

    # The outsider: a run of its own under another case id, claiming the same document.
    fake_id = "ICR-0000FAKE0001"
    claim = (await status_of(handle)).model_dump(mode="json")
    claim.update(case_id=fake_id, field_office="ST_PAUL", closed_at="2026-11-01T00:00:00Z")
    raw = await Client.connect(client.service_client.config.target_host)
    async with Worker(raw, task_queue="outsider", workflows=[FakeCase]):
        fake = await raw.start_workflow(FakeCase.run, claim, id=fake_id, task_queue="outsider")
        assert (await fake.query(FakeCase.status))["field_office"] == "ST_PAUL"
        await store_of(gateway).documents.refer(fake_id, [stored.document_id])  # even so
        stolen = f"{documents_url}/{fake_id}/{stored.document_id}"
        async with aiohttp.ClientSession() as http, http.get(stolen, headers=SRO_SIGNED_IN) as got:
            assert got.status == 404, await got.text()
        with pytest.raises(NoSuchCase):
            await desk.correspondent(fake_id, REQUESTOR)
        with pytest.raises(NoSuchCase):
            await desk.status(fake_id)
        await fake.terminate("done")
    assert await store_of(gateway).reads.of_case(fake_id) == [], "no read logged for it"
    assert await desk.correspondent(result.case_id, REQUESTOR) == "REQUESTOR"
