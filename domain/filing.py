"""Filing documents into a case: each reference once, at most ``MAX_DOCUMENTS``, and each read
of one recorded (the newest ``MAX_DOCUMENT_READS``)."""

from datetime import datetime

from domain.bounds import MAX_DOCUMENT_READS, MAX_DOCUMENTS, keep_newest
from domain.case_state import CaseState
from domain.decisions import Decision, ReceiveDocuments, RecordDocumentRead
from domain.documents import DocumentRead, DocumentRef


def file(case: CaseState, decision: Decision, now: datetime) -> None:
    """Apply ``receive_documents`` (each document once) or ``record_document_read``."""
    if isinstance(decision, ReceiveDocuments):
        case.documents += new_documents(case, decision.documents)
    elif isinstance(decision, RecordDocumentRead):
        read = DocumentRead(document_id=decision.document_id, reader=decision.reader, at=now)
        case.document_reads, dropped = keep_newest([*case.document_reads, read], MAX_DOCUMENT_READS)
        case.document_reads_dropped += dropped


def new_documents(case: CaseState, refs: list[DocumentRef]) -> list[DocumentRef]:
    """The references the case does not hold yet, each once (a mail may list one twice)."""
    known = {d.document_id for d in case.documents}
    fresh: dict[str, DocumentRef] = {}
    for ref in refs:
        if ref.document_id not in known:
            fresh.setdefault(ref.document_id, ref)
    return list(fresh.values())


def over_the_limit(case: CaseState, refs: list[DocumentRef]) -> str | None:
    """Why the case refuses these documents: it would hold more than ``MAX_DOCUMENTS``."""
    held, fresh = len(case.documents), len(new_documents(case, refs))
    if fresh and held + fresh > MAX_DOCUMENTS:
        return (
            f"the case holds {held} documents and takes at most {MAX_DOCUMENTS}; "
            f"{fresh} more refused (they stay in the document store, unreferenced)"
        )
    return None
