"""The ``status`` query's answer: where the case stands, free of the subject's data."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from domain.consultation import Party
from domain.documents import DocumentRead, DocumentRef
from domain.field_office import FieldOffice
from domain.language import DEFAULT_LANGUAGE, Language
from domain.notices import Disclosure, NoticeRecord
from domain.roles import Actor, Role
from domain.stage import ClosureReason, Entry, Finding, Stage
from domain.tasks import TaskKind


class TaskView(BaseModel):
    kind: TaskKind
    role: Role
    due_at: datetime
    consultation_id: str | None = None


class ConsultationView(BaseModel):
    consultation_id: str
    party: Party
    requested_at: datetime
    due_at: datetime
    answered_at: datetime | None = None


class HistoryEntry(BaseModel):
    """One accepted decision."""

    at: datetime
    name: str
    actor: Actor
    decision_id: str | None = None


class RefusedSignal(BaseModel):
    """A signal the case refused, kept so staff see why nothing happened (``rejected``)."""

    at: datetime
    name: str
    actor: Actor | None = None
    reason: str


class NextDecision(BaseModel):
    """A decision staff may send now, with a body ready to paste (see ``domain.desk``)."""

    name: str
    roles: list[Role]
    ends_task: bool
    """True where the case waits for this decision (an open task ends with it)."""
    body: dict[str, Any]


class CaseStatus(BaseModel):
    case_id: str
    entry: Entry
    stage: Stage
    stage_since: datetime
    opened_at: datetime
    closed_at: datetime | None = None
    field_office: FieldOffice
    detained: bool
    language: Language = DEFAULT_LANGUAGE
    """The language of letters to the requestor, as a code."""
    representative_language: Language | None = None
    """The language of letters to a representative, where the case has one."""
    finding: Finding | None = None
    closure_reason: ClosureReason | None = None
    assigned_reviewer: str | None = None
    waiting_for: str
    open_tasks: list[TaskView] = []
    next_deadline: datetime | None = None
    missing_items: list[str] = []
    consultations: list[ConsultationView] = []
    history: list[HistoryEntry] = []
    rejected: list[RefusedSignal] = []
    notices: list[NoticeRecord] = []
    disclosures: list[Disclosure] = []
    next_decisions: list[NextDecision] = []
    """The staff desk: what may be decided now, by whom, with a body to paste."""
    history_dropped: int = 0
    """Accepted decisions older than the newest kept in ``history`` (a case's log is bounded)."""
    rejected_dropped: int = 0
    """Refused signals older than the newest kept in ``rejected``."""
    notices_dropped: int = 0
    documents: list[DocumentRef] = []
    document_reads: list[DocumentRead] = []
    document_reads_dropped: int = 0
    """Reads older than the newest kept in ``document_reads`` (the store's log keeps them all)."""


class StatusSnapshot(BaseModel):
    """A status as it stood, kept compact: the list fields as lengths of today's lists.

    Lets a repeated update return its earlier result without storing one status per decision.
    """

    status: CaseStatus
    history_len: int
    rejected_len: int
    notices_len: int
    disclosures_len: int = 0
    documents_len: int = 0
    document_reads_len: int = 0

    @classmethod
    def of(cls, status: CaseStatus) -> "StatusSnapshot":
        """The lengths count the dropped entries too, so they stay true as the logs move."""
        return cls(
            status=status.model_copy(
                update={
                    "history": [],
                    "rejected": [],
                    "notices": [],
                    "disclosures": [],
                    "next_decisions": [],
                    "documents": [],
                    "document_reads": [],
                }
            ),
            history_len=status.history_dropped + len(status.history),
            rejected_len=status.rejected_dropped + len(status.rejected),
            notices_len=status.notices_dropped + len(status.notices),
            disclosures_len=len(status.disclosures),
            documents_len=len(status.documents),
            document_reads_len=status.document_reads_dropped + len(status.document_reads),
        )

    def restore(self, current: CaseStatus) -> CaseStatus:
        return self.status.model_copy(
            update={
                "history": current.history[: max(self.history_len - current.history_dropped, 0)],
                "rejected": current.rejected[
                    : max(self.rejected_len - current.rejected_dropped, 0)
                ],
                "notices": current.notices[: max(self.notices_len - current.notices_dropped, 0)],
                "disclosures": current.disclosures[: self.disclosures_len],
                "next_decisions": current.next_decisions,  # what may be decided now
                "documents": current.documents[: self.documents_len],
                "document_reads": current.document_reads[
                    : max(self.document_reads_len - current.document_reads_dropped, 0)
                ],
            }
        )
