"""The status view: the case as staff, systems and the UI read it, free of personal data."""

from typing import TYPE_CHECKING

from domain.desk import next_decisions
from domain.stage import Stage
from domain.status import CaseStatus, ConsultationView, TaskView

if TYPE_CHECKING:
    from domain.case_file import CaseFile


def waiting_for(case: "CaseFile") -> str:
    """In words: what the case waits for, from whom, and by when."""
    if case.stage is Stage.CLOSED:
        return f"nothing: closed ({case.closure_reason})"
    if case.stage is Stage.SRO_INTAKE:
        return "the completeness check of the SRO inquiry (automatic)"
    parts = [
        f"{task.words()} from role {task.role}, due {task.due_at:%Y-%m-%d %H:%M} UTC"
        for task in case.tasks
    ]
    return "; ".join(parts) or "a decision"


def summary_of(status: CaseStatus) -> CaseStatus:
    """The summary status: every field, the lists cut to what the UI's details, the search
    attributes and an update's caller need (the last decision and refusal, failed notices), so
    its size does not grow with the case. The ``status`` query has them all."""
    return status.model_copy(
        update={
            "history": status.history[-1:],
            "rejected": status.rejected[-1:],
            "notices": [n for n in status.notices if n.outcome == "FAILED"],
            "disclosures": [],
            "documents": [],
            "document_reads": [],
        }
    )


def status_of(case: "CaseFile", *, summary: bool = False) -> CaseStatus:
    """The status query's answer, or with ``summary`` the summary status (``summary_of``)."""
    full = CaseStatus(
        case_id=case.case_id,
        entry=case.submission.entry,
        stage=case.stage,
        stage_since=case.stage_since,
        opened_at=case.opened_at,
        closed_at=case.closed_at,
        field_office=case.submission.field_office,
        detained=case.submission.detained,
        finding=case.finding,
        closure_reason=case.closure_reason,
        assigned_reviewer=case.assigned_reviewer,
        waiting_for=waiting_for(case),
        open_tasks=[
            TaskView(kind=t.kind, role=t.role, due_at=t.due_at, consultation_id=t.consultation_id)
            for t in case.tasks
        ],
        next_deadline=case.next_deadline(),
        missing_items=list(case.missing_items),
        consultations=[
            ConsultationView(
                consultation_id=c.consultation_id,
                party=c.party,
                requested_at=c.requested_at,
                due_at=c.due_at,
                answered_at=c.answered_at,
            )
            for c in case.consultations
        ],
        history=list(case.history),
        rejected=list(case.rejected),
        notices=case.notices[:],
        disclosures=list(case.disclosures),
        next_decisions=next_decisions(case),
        history_dropped=case.history_dropped,
        rejected_dropped=case.rejected_dropped,
        notices_dropped=case.notices_dropped,
        documents=list(case.documents),
        document_reads=list(case.document_reads),
        document_reads_dropped=case.document_reads_dropped,
    )
    return summary_of(full) if summary else full
