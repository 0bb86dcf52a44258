"""The status view: the case as staff, systems and the UI read it, free of personal data."""

from collections.abc import Callable
from typing import Any

from domain.case_state import CaseState
from domain.desk import next_decisions
from domain.stage import Stage
from domain.status import CaseStatus, ConsultationView, StatusSnapshot, TaskView


def waiting_for(case: CaseState) -> str:
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


_SUMMARY: dict[str, Callable[[list[Any]], list[Any]]] = {
    "history": lambda entries: entries[-1:],
    "rejected": lambda entries: entries[-1:],
    "notices": lambda entries: [n for n in entries if n.outcome == "FAILED"],
    "disclosures": lambda _: [],
    "documents": lambda _: [],
    "document_reads": lambda _: [],
}
"""The lists that grow with the case, and how the summary cuts each: to what the UI's details,
the search attributes and an update's caller need (the last decision and refusal, failed
notices), so a summary's size does not grow with the case."""


def _growing(source: CaseState | CaseStatus, summary: bool) -> dict[str, list[Any]]:
    """The growing lists of a case file or a whole status, whole or cut for the summary."""
    if summary:
        return {name: cut(getattr(source, name)) for name, cut in _SUMMARY.items()}
    return {name: list(getattr(source, name)) for name in _SUMMARY}


def summary_of(status: CaseStatus) -> CaseStatus:
    """The summary status of a whole one (an update's answer); the ``status`` query has all."""
    return status.model_copy(update=_growing(status, summary=True))


def status_of(case: CaseState, *, summary: bool = False) -> CaseStatus:
    """The status query's answer, or with ``summary`` the summary status (``summary_of``), its
    lists cut before the status is built: the run loop asks for it after every task."""
    return CaseStatus(
        case_id=case.case_id,
        entry=case.submission.entry,
        stage=case.stage,
        stage_since=case.stage_since,
        opened_at=case.opened_at,
        closed_at=case.closed_at,
        field_office=case.submission.field_office,
        detained=case.submission.detained,
        language=case.submission.requestor.language,
        representative_language=(
            (rep.language or case.submission.requestor.language)
            if (rep := case.submission.representative)
            else None
        ),
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
        next_decisions=next_decisions(case),
        history_dropped=case.history_dropped,
        rejected_dropped=case.rejected_dropped,
        notices_dropped=case.notices_dropped,
        document_reads_dropped=case.document_reads_dropped,
        **_growing(case, summary),
    )


def snapshot_of(case: CaseState) -> StatusSnapshot:
    """``StatusSnapshot.of(status_of(case))`` without building the whole status: a flood of
    signals with decision ids costs a summary each, not the growing lists."""
    return StatusSnapshot.of(status_of(case, summary=True)).model_copy(
        update={
            "history_len": case.history_dropped + len(case.history),
            "rejected_len": case.rejected_dropped + len(case.rejected),
            "notices_len": case.notices_dropped + len(case.notices),
            "disclosures_len": len(case.disclosures),
            "documents_len": len(case.documents),
            "document_reads_len": case.document_reads_dropped + len(case.document_reads),
        }
    )
