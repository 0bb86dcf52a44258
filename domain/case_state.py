"""The state of one case: what it holds and carries across continue-as-new, nothing it does.

``domain.case_file`` changes it; the rules, the outbox, the desk and the status view read it.
Here so that they all stand below the case file that calls them. The field names are carried
across continue-as-new: never rename one.
"""

import json
from datetime import datetime

from pydantic import BaseModel, PrivateAttr

from domain.bounds import CARRY_LIMIT_BYTES, KEPT_TEXT_BYTES, keep_newest
from domain.consultation import Consultation
from domain.deadlines import DeadlinePolicy
from domain.deadlines import next_deadline as _next_deadline
from domain.deadlines import next_wakeup as _next_wakeup
from domain.documents import DocumentRead, DocumentRef
from domain.inquiry import LocalResponse, Submission
from domain.notices import Disclosure, Notice, NoticeRecord
from domain.roles import Actor
from domain.staff import StaffSnapshot
from domain.stage import ClosureReason, Finding, Stage
from domain.stamps import SeenStamps
from domain.status import HistoryEntry, RefusedSignal, StatusSnapshot
from domain.tasks import OpenTask


class Note(BaseModel):
    at: datetime
    actor: Actor
    text: str


class AppliedDecision(BaseModel):
    name: str
    result: StatusSnapshot


class CaseState(BaseModel):
    case_id: str
    submission: Submission
    policy: DeadlinePolicy = DeadlinePolicy()
    stage: Stage
    stage_since: datetime
    opened_at: datetime
    closed_at: datetime | None = None
    finding: Finding | None = None
    closure_reason: ClosureReason | None = None
    assigned_reviewer: str | None = None
    local_response: LocalResponse | None = None
    statement: str | None = None
    tasks: list[OpenTask] = []
    consultations: list[Consultation] = []
    missing_items: list[str] = []
    history: list[HistoryEntry] = []
    rejected: list[RefusedSignal] = []
    notices: list[NoticeRecord] = []
    notes: list[Note] = []
    applied: dict[str, AppliedDecision] = {}
    staff: StaffSnapshot | None = None
    disclosures: list[Disclosure] = []
    documents: list[DocumentRef] = []
    document_reads: list[DocumentRead] = []
    missing_notices_sent: int = 0
    history_dropped: int = 0
    rejected_dropped: int = 0
    notices_dropped: int = 0
    notes_dropped: int = 0
    document_reads_dropped: int = 0
    reminder_rounds: list[str] = []
    seen_stamps: SeenStamps = SeenStamps()
    version: int = 0
    _outbox: list[Notice] = PrivateAttr(default_factory=list)

    def consultation(self, consultation_id: str) -> Consultation | None:
        return next((c for c in self.consultations if c.consultation_id == consultation_id), None)

    def next_wakeup(self) -> datetime | None:
        return _next_wakeup(self.tasks)

    def next_deadline(self) -> datetime | None:
        return _next_deadline(self.tasks)


_LOGS = (
    ("history", "history_dropped"),
    ("rejected", "rejected_dropped"),
    ("notes", "notes_dropped"),
    ("notices", "notices_dropped"),
    ("document_reads", "document_reads_dropped"),
)


_TRIMMED = {log for log, _ in _LOGS} | {"applied"}


def kept_bytes(case: CaseState) -> int:
    """The bytes of what the case never trims (all but its logs and remembered answers)."""
    return len(case.model_dump_json(exclude=_TRIMMED))


def room_for(case: CaseState, text: str) -> str | None:
    """Why ``text`` cannot be kept for good in this case (``KEPT_TEXT_BYTES``), or None."""
    kept, adding = kept_bytes(case), len(json.dumps(text, ensure_ascii=False).encode())
    if kept + adding <= KEPT_TEXT_BYTES:
        return None
    return (
        f"the case keeps {kept} bytes for good and this text would take it past "
        f"{KEPT_TEXT_BYTES}; shorten it (a long text belongs in a document)"
    )


def fit_for_carrying(case: CaseState, limit: int = CARRY_LIMIT_BYTES) -> int:
    """Halve the case's logs until its file fits ``limit`` bytes (before continue-as-new);
    the size it has then. Disclosures are never dropped: they are the Privacy Act record.
    Ends when the logs are empty; what is kept for good stays under half the limit
    (``room_for``), so the file then fits."""
    size = len(case.model_dump_json())
    while size > limit and any(getattr(case, log) for log, _ in _LOGS):
        for log, count in _LOGS:
            items = getattr(case, log)
            kept, dropped = keep_newest(items, len(items) // 2)
            setattr(case, log, kept)
            setattr(case, count, getattr(case, count) + dropped)
        case.applied = dict(list(case.applied.items())[len(case.applied) // 2 :])
        size = len(case.model_dump_json())
    return size
