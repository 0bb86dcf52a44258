"""Letters in the requestor's language, end to end: a Spanish inquiry by e-mail through the real
gateway, its acknowledgment and determination over real SMTP; correspondents of two languages."""

import asyncio
import uuid
from email.header import decode_header, make_header
from email.message import EmailMessage

import pytest
import structlog
from temporalio.client import Client

from logs import redact
from mailroom.gateway import Gateway
from settings import Settings
from tests.mail import REQUESTOR, inquiry, pdf_bytes, relayed, reply
from tests.support import (
    PII,
    MailSink,
    Received,
    actor,
    eventually,
    represented,
    sro_submission,
    start_case,
    wait_stage,
)
from tests.test_mailroom import gateway, outcome, send  # noqa: F401 (the gateway fixture)
from tests.test_privacy import raw_bytes_of_case

pytestmark = pytest.mark.usefixtures("worker")


def subject(mail: Received) -> str:
    """The subject as a mail client shows it (a Spanish one travels RFC 2047 encoded)."""
    return str(make_header(decode_header(mail.subject)))


def body(mail: Received) -> str:
    """The text with its line ends as written (SMTP carries CRLF)."""
    return mail.body.replace("\r\n", "\n")


SPANISH_INQUIRY = {  # the sample person's data, under the Spanish labels, accents or not
    "Número A": "A-012-345-678",
    "Nombre": "Maria",
    "Apellidos": "Lopez Garcia",
    "Fecha de nacimiento": "1988-04-12",
    "Pais de nacimiento": "Guatemala",
    "Teléfono": "(212) 555-0143",
    "Correo electronico": REQUESTOR,
    "Oficina": "Nueva York",
    "Detenido": "sí",
    "Fecha de la respuesta local": "2026-10-01",
    "Resultado de la respuesta local": "cumple las prioridades",
    "Resumen de la respuesta local": "La oficina local determinó que cumple las prioridades.",
    "Motivos": "Residente desde hace muchos años, con hijos ciudadanos estadounidenses.",
}


async def test_a_spanish_inquiry_is_answered_and_decided_in_spanish(
    gateway: Gateway,  # noqa: F811
    client: Client,
    mail: MailSink,
) -> None:
    # Incomplete: the mailbox's reply is in Spanish and names the Spanish labels.
    stranger = f"alguien-{uuid.uuid4().hex[:6]}@example.net"
    partial = {k: v for k, v in SPANISH_INQUIRY.items() if k not in ("Motivos", "Teléfono")}
    raw = bytes(inquiry(partial, sender=stranger))
    await send(gateway, raw)
    assert (await outcome(gateway, raw)).startswith("incomplete")
    [answer] = await eventually(
        lambda: asyncio.sleep(0, [r for r in mail.received if stranger in r.rcpt_tos]),
        lambda found: len(found) == 1,
    )
    assert subject(answer) == "Su consulta al SRO está incompleta"
    assert body(answer).startswith("English: automatic reply of the ICE SRO inquiry mailbox")
    assert "- Motivos\n" in body(answer) and "- Teléfono\n" in body(answer)
    assert "Número A: \n" in body(answer), "the template to fill in, in Spanish"

    with structlog.testing.capture_logs() as logs:
        raw = bytes(inquiry(SPANISH_INQUIRY))
        result = await outcome_of(gateway, raw)
        assert result.startswith("started ICR-")
        case_id = result.split()[1]
        handle = client.get_workflow_handle(case_id)
        status = await wait_stage(handle, "SRO_REVIEW")
        assert status.language == "es" and status.representative_language is None
        [ack] = await eventually(
            lambda: asyncio.sleep(0, mail.to(case_id, REQUESTOR)), lambda m: len(m) == 1
        )
        # The requestor answers with an archive: refused, and told so in Spanish.
        archive = reply(
            case_id,
            REQUESTOR,
            "Adjunto.",
            [(pdf_bytes(), "application/pdf", "carta"), (b"PK\x03\x04", "application/zip", "a")],
        )
        await send(gateway, relayed(archive))  # the relay's DMARC pass: the requestor's own
        assert (await outcome(gateway, relayed(archive))).startswith(f"attached {case_id}")
        [refused] = await eventually(
            lambda: asyncio.sleep(0, _answers_to(mail, archive)), lambda m: len(m) == 1
        )
        await handle.execute_update(
            "record_determination",
            {
                "actor": actor("SRO"),
                "finding": "DOES_NOT_MEET_PRIORITIES",
                "rationale": "Arraigo familiar sólido.",
            },
        )
        final = await handle.result()
        letters = await eventually(
            lambda: asyncio.sleep(0, mail.to(case_id, REQUESTOR)), lambda m: len(m) == 2
        )
    assert subject(ack) == f"[{case_id}] Consulta al SRO recibida"
    assert body(ack).splitlines()[0] == (
        f"English: ICE case review {case_id}, acknowledgment of the SRO inquiry, in Spanish; "
        "an English copy is on request."
    )
    # A name read from a mail is no one's word: greeted by role until the desk confirms it
    assert "Estimado/a solicitante:" in body(ack) and "Maria" not in body(ack)
    assert "recibió su consulta en el caso" in body(ack)
    determination = letters[1]
    assert subject(determination) == f"[{case_id}] Determinación de la revisión del caso"
    assert body(determination).startswith(
        f"English: ICE case review {case_id}, determination letter, in Spanish;"
    )
    assert "determinó que el caso no cumple las prioridades de ICE" in body(determination)
    assert "Arraigo familiar sólido." in body(determination)
    assert subject(refused) == "Archivos adjuntos no aceptados"
    assert "- un archivo adjunto (de un tipo no aceptado): tipo no aceptado" in body(refused)
    assert "Dear" not in body(ack) + body(determination) + body(refused)
    # No personal data in the history (raw), the status or the logs as they leave the process.
    raw_case = await raw_bytes_of_case(client, case_id)
    text = str([redact(None, "", dict(e)) for e in logs]) + str(final)
    for item in (*PII, "Arraigo"):
        assert item.encode() not in raw_case, item
        assert item not in text, item


def _answers_to(mail: MailSink, sent: EmailMessage) -> list[Received]:
    return [r for r in mail.received if r.message["In-Reply-To"] == sent["Message-ID"]]


async def outcome_of(gw: Gateway, raw: bytes) -> str:
    await send(gw, raw)
    return await outcome(gw, raw)


async def test_a_spanish_requestor_and_an_english_representative_each_read_their_own(
    client: Client, settings: Settings, mail: MailSink
) -> None:
    data = represented(form="ICE-60-001")
    data["requestor"] = {**sro_submission()["requestor"], "language": "es"}
    data["representative"]["language"] = "en"
    handle = await start_case(client, settings, data)
    await wait_stage(handle, "SRO_REVIEW")
    await handle.execute_update(
        "record_determination",
        {"actor": actor("SRO"), "finding": "MEETS_PRIORITIES", "rationale": "r"},
    )
    await handle.result()
    to_requestor = await eventually(
        lambda: asyncio.sleep(0, mail.to(handle.id, REQUESTOR)), lambda m: len(m) == 2
    )
    to_rep = await eventually(
        lambda: asyncio.sleep(0, mail.to(handle.id, "dana@lawfirm.example.org")),
        lambda m: len(m) == 1,
    )
    assert [subject(m) for m in to_requestor] == [
        f"[{handle.id}] Consulta al SRO recibida",
        f"[{handle.id}] Determinación de la revisión del caso",
    ]
    assert "sigue cumpliendo las prioridades de ICE" in body(to_requestor[1])
    [rep_letter] = to_rep
    assert subject(rep_letter) == f"[{handle.id}] Case review determination"
    assert body(rep_letter).startswith("Español: hay disponible a petición una copia en español")
    assert "Dear Dana Advocate,\n\n" in body(rep_letter)
    assert "continues to meet ICE's priorities" in body(rep_letter)
