"""Documents of a case: references to bytes kept outside the case (a claim check).

A reference says what a document is and where it came from, never what it holds: no file
name, no content. The bytes stay in the document store, sealed; staff read them through the
codec server; each read is recorded in the case (the newest ``MAX_DOCUMENT_READS``) and in the
store's access log (all of them). A case holds at most ``MAX_DOCUMENTS``.
"""

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from domain.bounds import MAX_DOCUMENT_READS, MAX_DOCUMENTS, keep_newest

if TYPE_CHECKING:
    from domain.case_file import CaseFile
    from domain.decisions import Decision

DocumentId = Annotated[str, StringConstraints(pattern=r"^DOC-[0-9A-F]{24}$")]
MAX_DOCUMENT_BYTES = 25 * 1024 * 1024


class DocumentKind(StrEnum):
    G_28 = "G-28"
    ICE_60_001 = "ICE-60-001"
    OTHER = "OTHER"


class DocumentSource(StrEnum):
    """Who sent it: the inquiry that opened the case, or a later mail of a correspondent."""

    INQUIRY = "INQUIRY"
    REQUESTOR = "REQUESTOR"
    REPRESENTATIVE = "REPRESENTATIVE"
    TRIAGE = "TRIAGE"


class ContentType(StrEnum):
    PDF = "application/pdf"
    PNG = "image/png"
    JPEG = "image/jpeg"
    GIF = "image/gif"
    TIFF = "image/tiff"
    TEXT = "text/plain"


class DocumentRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    document_id: DocumentId
    kind: DocumentKind
    content_type: ContentType
    size: int = Field(ge=1, le=MAX_DOCUMENT_BYTES)
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    received_at: datetime
    source: DocumentSource


class DocumentRead(BaseModel):
    """One reading of a document by a member of staff, for the case's own record."""

    document_id: DocumentId
    reader: str
    at: datetime


def file(case: "CaseFile", decision: "Decision", now: datetime) -> None:
    """Apply ``receive_documents`` (each document once) or ``record_document_read``."""
    from domain.decisions import ReceiveDocuments, RecordDocumentRead

    if isinstance(decision, ReceiveDocuments):
        case.documents += new_documents(case, decision.documents)
    elif isinstance(decision, RecordDocumentRead):
        read = DocumentRead(document_id=decision.document_id, reader=decision.reader, at=now)
        case.document_reads, dropped = keep_newest([*case.document_reads, read], MAX_DOCUMENT_READS)
        case.document_reads_dropped += dropped


def new_documents(case: "CaseFile", refs: list[DocumentRef]) -> list[DocumentRef]:
    """The references the case does not hold yet, each once (a mail may list one twice)."""
    known = {d.document_id for d in case.documents}
    fresh: dict[str, DocumentRef] = {}
    for ref in refs:
        if ref.document_id not in known:
            fresh.setdefault(ref.document_id, ref)
    return list(fresh.values())


def over_the_limit(case: "CaseFile", refs: list[DocumentRef]) -> str | None:
    """Why the case refuses these documents: it would hold more than ``MAX_DOCUMENTS``."""
    held, fresh = len(case.documents), len(new_documents(case, refs))
    if fresh and held + fresh > MAX_DOCUMENTS:
        return (
            f"the case holds {held} documents and takes at most {MAX_DOCUMENTS}; "
            f"{fresh} more refused (they stay in the document store, unreferenced)"
        )
    return None
