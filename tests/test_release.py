"""A person's record released in one command, on the real stack: a case walked to its
determination with a representative and a document by mail, released as PDF and read back,
then released again from the store after Temporal deleted the workflow."""

import asyncio
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from fpdf import FPDF
from pypdf import PdfReader
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from mailroom.gateway import Gateway
from records.pdf import bates
from settings import Settings, plain
from tests.conftest import TOKENS, as_service
from tests.mail import RELAYED, REQUESTOR, relayed, reply
from tests.support import (
    BIN,
    Proc,
    actor,
    eventually,
    free_port,
    represented,
    run_starter,
    start_case,
    status_of,
    wait_stage,
)
from tests.test_mailroom import outcome, send
from tests.unit.test_release_pdf import in_order

pytestmark = pytest.mark.usefixtures("worker")
MAILBOX = "sro-inquiries@icr.example"
REP = "dana@lawfirm.example.org"
STAFF = ("sro.one", "intake.one", "svc.mailroom", "svc.starter", "records.one")


def passport() -> bytes:
    doc = FPDF()
    doc.set_creation_date(datetime(2026, 1, 2, tzinfo=UTC))
    doc.add_page()
    doc.set_font("helvetica", size=12)
    doc.cell(0, 10, "Passport of the requestor, page 1")
    return bytes(doc.output())


@pytest_asyncio.fixture
async def gateway(settings: Settings, client: Client, tmp_path: Path) -> AsyncIterator[Gateway]:
    """The mail gateway on the worker's own store (SQLite), so documents and letters meet."""
    gw_settings = as_service(settings, "svc.mailroom").model_copy(
        update={
            "inbound_smtp_port": free_port(),
            "inquiry_mailbox": MAILBOX,
            "documents_dir": tmp_path / "documents",
            **RELAYED,  # the requestor's reply is proven by the relay's DMARC pass
        }
    )

    async def connect() -> Client:
        return client

    gw = Gateway(gw_settings, connect, retry_base=0.3)
    await gw.start()
    yield gw
    await gw.stop()


def cli(client: Client, gw: Gateway, token: str | None = None) -> dict[str, str]:
    s = gw.settings
    assert s.staff_directory is not None
    return {
        "TEMPORAL_ADDRESS": client.service_client.config.target_host,
        "ICR_TASK_QUEUE": s.task_queue,
        "ICR_PAYLOAD_KEYS": plain(s.payload_keys),
        "ICR_NOTICE_LEDGER": str(s.notice_ledger),
        "ICR_DOCUMENTS_DIR": str(s.documents_dir),
        "ICR_STAFF_DIRECTORY": str(s.staff_directory),
        "ICR_CODEC_TOKENS": s.codec_tokens,
        "ICR_STAFF_TOKEN": token or "",
        "ICR_SERVICE_KEY": "",
    }


async def release(env: dict[str, str], case_id: str, out: Path) -> tuple[Proc, list[str]]:
    proc = await run_starter(
        env,
        "release",
        case_id,
        "--officer-name",
        "Ana Ibáñez Núñez",
        "--officer-title",
        "Oficial de FOIA",
        "--out",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    pages = [p.extract_text() for p in PdfReader(out).pages]
    assert f"SHA-256 {hashlib.sha256(out.read_bytes()).hexdigest()}" in proc.stdout
    return proc, pages


async def test_a_walked_case_is_released_and_still_after_its_workflow_is_deleted(
    client: Client, settings: Settings, gateway: Gateway, tmp_path: Path
) -> None:
    data: dict[str, Any] = represented(form="G-28")
    data["requestor"] = {
        "kind": "SELF",
        "name": "Maria Lopez Garcia",
        "phone": "+12125550143",
        "email": REQUESTOR,
    }
    handle = await start_case(client, settings, data)
    case_id = handle.id
    await wait_stage(handle, "SRO_REVIEW")
    mail = relayed(
        reply(case_id, REQUESTOR, attachments=[(passport(), "application/pdf", "pasaporte.pdf")])
    )
    await send(gateway, mail)
    assert await outcome(gateway, mail) == f"attached {case_id} documents=1"
    await eventually(lambda: status_of(handle), lambda s: len(s.documents) == 1)
    await handle.execute_update(
        "record_determination",
        {"actor": actor("SRO"), "finding": "DOES_NOT_MEET_PRIORITIES", "rationale": "Arraigo."},
    )
    await handle.result()
    as_records = cli(client, gateway, TOKENS["records.one"])

    listed = await run_starter(as_records, "disclosures", case_id)
    assert listed.returncode == 0, listed.stderr
    rows = [line for line in listed.stdout.splitlines() if line.endswith(")") and " UTC " in line]
    assert [r.split("  ", 1)[1] for r in rows] == [
        "letter INQUIRY_RECEIVED (SRO inquiry received)",
        "letter DETERMINATION (Case review determination)",
        "letter DETERMINATION (Case review determination)",
    ]
    assert f"Maria Lopez Garcia, {REQUESTOR} (REQUESTOR)" in listed.stdout
    assert f"Dana Advocate, {REP} (REPRESENTATIVE)" in listed.stdout

    released, pages = await release(as_records, case_id, tmp_path / "first.pdf")
    assert "records.released" in released.stderr and "staff_id=records.one" in released.stderr
    assert REQUESTOR not in released.stderr and "Maria" not in released.stderr, "no PII logged"
    text = "\n".join(pages)
    for n, page in enumerate(pages, start=1):
        assert bates(case_id, n) in page, f"page {n} has its Bates number"
    assert in_order(
        text,
        [
            "Ana Ibáñez Núñez",
            "History of the case",
            "record_determination",
            "SRO inquiry received",
            "Case review determination",
            "Arraigo.",
            "Documents on file",
            hashlib.sha256(passport()).hexdigest()[:40],
            "Accounting of disclosures",
            "letter INQUIRY_RECEIVED",
            "letter DETERMINATION",
            "Passport of the requestor, page 1",
        ],
    )
    assert "[staff name withheld: (b)(6)]" in text
    for staff_id in STAFF:
        assert staff_id not in text, f"{staff_id} in clear"

    refused = await run_starter(
        cli(client, gateway, TOKENS["sro.one"]),
        "release",
        case_id,
        "--officer-name",
        "X",
        "--officer-title",
        "Y",
    )
    assert refused.returncode == 3 and refused.stdout == ""
    assert "staff sro.one does not hold role RECORDS" in refused.stderr

    deleted = await asyncio.create_subprocess_exec(
        str(BIN / "temporal"),
        "workflow",
        "delete",
        "--yes",
        "--workflow-id",
        case_id,
        "--address",
        client.service_client.config.target_host,
        "--namespace",
        client.namespace,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert await deleted.wait() == 0, (await deleted.stdout.read()).decode()  # type: ignore[union-attr]

    async def gone() -> str:
        try:
            described = await handle.describe()
        except RPCError as exc:
            return str(exc.status)
        return str(described.status)

    await eventually(gone, lambda s: s == str(RPCStatusCode.NOT_FOUND), timeout=60)
    after = await run_starter(as_records, "disclosures", case_id)
    assert after.stdout.startswith(listed.stdout.splitlines()[0].replace("(3)", "(4)"))
    assert "release package" in after.stdout, "the release itself was accounted for"
    status = await run_starter(cli(client, gateway), "status", case_id)
    assert status.returncode == 0, status.stderr
    assert '"closure_reason": "DETERMINATION_ISSUED"' in status.stdout
    assert "answered from the case record" in status.stderr
    _, again = await release(as_records, case_id, tmp_path / "again.pdf")
    accounting = next(n for n, p in enumerate(pages) if p.startswith("Accounting of disclosures"))
    assert again[1:accounting] == pages[1:accounting], "the same history, letters, documents"
    assert "release package" in "\n".join(again[accounting:])
