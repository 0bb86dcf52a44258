"""The release package drawn from a structured record, read back with pypdf."""

import hashlib
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fpdf import FPDF
from pypdf import PdfReader

from domain.status import CaseStatus
from records.content import Officer
from records.package import Request, assemble, requestor_of
from records.pdf import FontMissing, bates, render
from settings import Settings
from store.disclosures import DisclosureEntry, Recipient

CASE = "ICR-0123456789AB"
FONT = Settings().release_font
AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def in_order(text: str, parts: list[str]) -> bool:
    """Each part found after the one before it."""
    at = 0
    for part in parts:
        found = text.find(part, at)
        if found < 0:
            raise AssertionError(f"{part!r} not found after offset {at}")
        at = found + len(part)
    return True


def _pdf(pages: int) -> bytes:
    doc = FPDF()
    for n in range(pages):
        doc.add_page()
        doc.set_font("helvetica", size=12)
        doc.cell(0, 10, f"passport page {n + 1}")
    return bytes(doc.output())


PASSPORT = _pdf(2)


def _status() -> CaseStatus:
    return CaseStatus.model_validate(
        {
            "case_id": CASE,
            "entry": "SRO_INQUIRY",
            "stage": "CLOSED",
            "stage_since": AT,
            "opened_at": AT,
            "closed_at": AT,
            "closure_reason": "DETERMINATION_ISSUED",
            "finding": "DOES_NOT_MEET_PRIORITIES",
            "field_office": "NEW_YORK_CITY",
            "detained": False,
            "waiting_for": "nothing",
            "history": [
                {
                    "at": AT,
                    "name": "assign_reviewer",
                    "actor": {"id": "sup.lead9", "role": "SUPERVISOR"},
                },
                {
                    "at": AT,
                    "name": "record_determination",
                    "actor": {"id": "sro.ramirez", "role": "SRO"},
                },
            ],
            "documents": [
                {
                    "document_id": "DOC-" + hashlib.sha256(PASSPORT).hexdigest()[:24].upper(),
                    "kind": "OTHER",
                    "content_type": "application/pdf",
                    "size": len(PASSPORT),
                    "sha256": hashlib.sha256(PASSPORT).hexdigest(),
                    "received_at": AT,
                    "source": "REQUESTOR",
                },
                {
                    "document_id": "DOC-" + "B" * 24,
                    "kind": "OTHER",
                    "content_type": "image/png",
                    "size": 10,
                    "sha256": "b" * 64,
                    "received_at": AT,
                    "source": "TRIAGE",
                },
            ],
        }
    )


def _letter(n: int, subject: str, body: str) -> DisclosureEntry:
    return DisclosureEntry(
        disclosure_id=f"<m{n}@icr>",
        case_id=CASE,
        disclosed_at=AT.replace(hour=10 + n),
        nature=f"letter {n}",
        purpose="determination to the requestor",
        recipient=Recipient(kind="REQUESTOR", name="José Núñez Peña", address="jose@example.org"),
        subject=subject,
        body=body,
    )


def _release(own: str | None = None) -> tuple[bytes, list[str]]:
    status = _status()
    accounting = [
        _letter(
            1, f"[{CASE}] SRO inquiry received", "Estimado José Núñez Peña: recibimos su consulta."
        ),
        _letter(
            2, f"[{CASE}] Case review determination", "La decisión: no cumple las prioridades."
        ),
    ]
    files = {status.documents[0].document_id: PASSPORT}
    request = Request(Officer("Ana Ibáñez", "FOIA Officer"), requestor_of(accounting), own)
    package = render(assemble(status, accounting, files, request, date(2026, 12, 3)), FONT, AT)
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(package)).pages]
    return package, pages


def test_every_page_has_its_bates_number_and_the_text_reads_back_in_order() -> None:
    _, pages = _release()
    for n, text in enumerate(pages, start=1):
        assert bates(CASE, n) in text, f"page {n}"
    assert bates(CASE, 1) == "ICR-0123456789AB-000001"
    text = "\n".join(pages)
    assert "José Núñez Peña" in text and "Ana Ibáñez" in text, "Spanish names render as written"
    order = [
        "Response to your records request",
        "History of the case",
        "recibimos su consulta",
        "no cumple las prioridades",
        "Documents on file",
        "Accounting of disclosures",
        "Attachment 1",
        "passport page 1",
        "passport page 2",
    ]
    assert in_order(text, order)
    assert text.index("letter 1") < text.index("letter 2"), "accounting rows in order"
    assert pages[-1].count(bates(CASE, len(pages))) == 1, "an appended page: one number"


def test_staff_names_are_withheld_with_their_exemption_unless_their_own() -> None:
    _, pages = _release()
    text = "\n".join(pages)
    assert "sro.ramirez" not in text and "sup.lead9" not in text
    assert text.count("[staff name withheld: (b)(6)]") == 2
    assert "[content withheld: (b)(6)]" in text, "a document not the requestor's own"
    assert "2 x staff name, withheld under (b)(6)" in text, "the cover letter counts them"
    _, own = _release(own="sro.ramirez")
    text = "\n".join(own)
    assert "sro.ramirez" in text and "sup.lead9" not in text


def test_the_same_record_draws_the_same_package_and_a_missing_font_is_named(tmp_path: Path) -> None:
    first, _ = _release()
    again, _ = _release()
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(again).hexdigest()
    with pytest.raises(FontMissing, match="ICR_RELEASE_FONT"):
        render(
            assemble(_status(), [], {}, Request(Officer("A", "B"), None), date.today()),
            tmp_path / "none.ttf",
        )


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("officer_name", " "),
        ("officer_title", "x" * 201),
        ("to_name", "a\nb"),
        ("own_data_of", "a b"),
    ],
)
def test_what_the_officer_types_is_bounded_and_named_when_wrong(option: str, value: str) -> None:
    from argparse import Namespace

    from cli_exits import InputError
    from records.commands import _bounded

    args = Namespace(
        officer_name="Ana",
        officer_title="FOIA Officer",
        to_name=None,
        to_address=None,
        own_data_of=None,
    )
    _bounded(args)
    setattr(args, option, value)
    with pytest.raises(InputError, match="--" + option.replace("_", "-")):
        _bounded(args)
