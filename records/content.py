"""What a release package says, decided from the structured record before anything is drawn.

Nothing is redacted from a rendered page: each value is released or withheld here, and a
withheld value never reaches the renderer, only its marker (what, under which exemption).
Staff names are withheld under (b)(6) unless the request is the staff member's own; the
requestor's own submissions are released in full, anything else on file is listed with its
hash and its content withheld.
"""

from dataclasses import dataclass, field
from datetime import datetime

from domain.documents import DocumentRef, DocumentSource
from domain.status import CaseStatus
from store.disclosures import DisclosureEntry

STAFF_PRIVACY = "(b)(6)"
"""5 U.S.C. 552(b)(6): names of agency staff, a clearly unwarranted invasion of their privacy."""
OWN_SUBMISSIONS = frozenset(
    {DocumentSource.INQUIRY, DocumentSource.REQUESTOR, DocumentSource.REPRESENTATIVE}
)


@dataclass(frozen=True)
class Withheld:
    what: str
    exemption: str


Cell = str | Withheld


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[Cell]]
    widths: list[float]
    """Each column's share of the line (they add up to 1)."""


@dataclass(frozen=True)
class Text:
    text: str
    bold: bool = False


Block = Table | Text


@dataclass(frozen=True)
class Section:
    title: str
    blocks: list[Block]


@dataclass(frozen=True)
class Attachment:
    """A document appended in full: one of the requestor's own submissions."""

    document: DocumentRef
    data: bytes


@dataclass(frozen=True)
class Officer:
    name: str
    title: str


@dataclass
class Release:
    case_id: str
    sections: list[Section]
    attachments: list[Attachment] = field(default_factory=list)

    def withheld(self) -> list[Withheld]:
        found = []
        for section in self.sections:
            for block in section.blocks:
                if isinstance(block, Table):
                    found += [c for row in block.rows for c in row if isinstance(c, Withheld)]
        return found


def _when(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d %H:%M:%S} UTC" if at else "-"


def _staff(staff_id: str, own: str | None) -> Cell:
    return staff_id if staff_id == own else Withheld("staff name", STAFF_PRIVACY)


def history(status: CaseStatus, own: str | None) -> Section:
    rows: list[list[Cell]] = [
        [_when(h.at), h.name, str(h.actor.role), _staff(h.actor.id, own)] for h in status.history
    ]
    blocks: list[Block] = [
        Text(
            f"Case {status.case_id}, {status.entry} at the {status.field_office} field office, "
            f"opened {_when(status.opened_at)}; stage {status.stage}"
            + (
                f", closed {_when(status.closed_at)} ({status.closure_reason})"
                if status.closed_at
                else ""
            )
            + (f"; determination: {status.finding}." if status.finding else ".")
        ),
        Table(["date", "decision", "role", "by"], rows, [0.22, 0.36, 0.17, 0.25]),
    ]
    if status.history_dropped:
        blocks.append(Text(f"{status.history_dropped} earlier decisions are not in the record."))
    return Section("History of the case", blocks)


def letters(accounting: list[DisclosureEntry]) -> Section:
    blocks: list[Block] = []
    for entry in accounting:
        if not entry.body:
            continue
        blocks.append(
            Text(
                f"{_when(entry.disclosed_at)} to the {entry.recipient.kind.lower()}, "
                f"{entry.recipient.name} <{entry.recipient.address}>: {entry.subject}",
                bold=True,
            )
        )
        blocks.append(Text(entry.body))
    return Section(
        "Letters sent to the requestor and the representative", blocks or [Text("None.")]
    )


def documents(status: CaseStatus, files: dict[str, bytes]) -> tuple[Section, list[Attachment]]:
    rows: list[list[Cell]] = []
    appended: list[Attachment] = []
    for n, doc in enumerate(status.documents, start=1):
        own = doc.source in OWN_SUBMISSIONS and doc.document_id in files
        content: Cell = (
            f"appended as attachment {len(appended) + 1}"
            if own
            else Withheld("content", STAFF_PRIVACY)
        )
        if own:
            appended.append(Attachment(doc, files[doc.document_id]))
        rows.append(
            [
                f"{n}. {doc.kind}, {doc.content_type}, {doc.size} bytes, from {doc.source}, "
                f"received {_when(doc.received_at)}; SHA-256 {doc.sha256}",
                content,
            ]
        )
    blocks: list[Block] = (
        [Table(["document", "content"], rows, [0.72, 0.28])]
        if rows
        else [Text("No documents on file.")]
    )
    return Section("Documents on file", blocks), appended


def accounting(entries: list[DisclosureEntry]) -> Section:
    rows: list[list[Cell]] = [
        [_when(e.disclosed_at), e.nature, e.purpose, f"{e.recipient.name}, {e.recipient.address}"]
        for e in entries
    ]
    table = Table(["date", "nature", "purpose", "recipient"], rows, [0.18, 0.32, 0.25, 0.25])
    return Section(
        "Accounting of disclosures (5 U.S.C. 552a(c))", [table] if rows else [Text("None.")]
    )
