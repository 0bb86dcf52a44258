"""The outbox: notices a case decides to send, built in one place.

A rule never sends anything; it posts a ``Notice`` here, and the workflow hands what the case
posted to the notice activities after the change is applied. One builder makes every notice, so
who receives what (the representative rule included) is decided once.
"""

from datetime import datetime

from domain.case_state import CaseState
from domain.consultation import Consultation, Party
from domain.deadlines import Due
from domain.notices import CaseBrief, Notice, NoticeKind, correspondents
from domain.stage import Finding
from domain.tasks import OpenTask, TaskKind


def notice(
    case: CaseState,
    kind: NoticeKind,
    event_key: str,
    *,
    to_requestor: bool = False,
    include_representative: bool = False,
    **fields: object,
) -> Notice:
    """``event_key`` names the event within the case: the same key is the same e-mail."""
    to = (
        correspondents(case.submission, include_representative=include_representative)
        if to_requestor
        else []
    )
    return Notice.model_validate(
        {
            "case_id": case.case_id,
            "kind": kind,
            "event_key": event_key,
            "field_office": case.submission.field_office,
            "to": to,
            **fields,
        }
    )


def case_opened(case: CaseState) -> Notice:
    return notice(case, NoticeKind.CASE_OPENED, "case-opened", brief=case_brief(case))


def local_response(case: CaseState, finding: Finding, message: str) -> Notice:
    return notice(
        case,
        NoticeKind.LOCAL_RESPONSE,
        "local-response",
        to_requestor=True,
        finding=finding,
        text=message,
    )


def inquiry_received(case: CaseState) -> Notice:
    return notice(case, NoticeKind.INQUIRY_RECEIVED, "sro-inquiry-received", to_requestor=True)


def consultation_requested(case: CaseState, consultation: Consultation) -> Notice:
    return notice(
        case,
        NoticeKind.CONSULTATION_REQUESTED,
        f"consultation-{consultation.consultation_id}",
        brief=case_brief(case),
        party=consultation.party,
        consultation_id=consultation.consultation_id,
        text=consultation.question,
        deadline=consultation.due_at,
    )


def determination(case: CaseState, finding: Finding, rationale: str) -> Notice:
    """To the requestor and, with a form on file, the representative."""
    return notice(
        case,
        NoticeKind.DETERMINATION,
        "determination",
        to_requestor=True,
        include_representative=True,
        finding=finding,
        text=rationale,
    )


def withdrawn(case: CaseState) -> Notice:
    return notice(case, NoticeKind.WITHDRAWN, "withdrawn", to_requestor=True)


def reminder(case: CaseState, task: OpenTask, round_key: str) -> Notice:
    """A supervisor's reminder round: one e-mail per round and task."""
    return deadline_notice(case, Due.REMIND, task, round_key)


_DEADLINE_NOTICE = {Due.REMIND: NoticeKind.REMINDER, Due.ESCALATE: NoticeKind.ESCALATION}


def deadline_notice(
    case: CaseState, due: Due, task: OpenTask, round_key: str | None = None
) -> Notice:
    """A reminder or escalation about one open task, to whoever the task waits for."""
    kind = _DEADLINE_NOTICE[due]
    suffix = task.consultation_id or task.kind.value.lower()
    if round_key is not None:
        suffix = f"{round_key}-{suffix}"
    party = None
    if task.consultation_id is not None:
        consultation = case.consultation(task.consultation_id)
        party = consultation.party if consultation else None
    elif task.kind is TaskKind.LOCAL_RESPONSE:
        party = Party.FIELD_OFFICE
    return notice(
        case,
        kind,
        f"{kind.value.lower()}-{suffix}",
        task_kind=task.kind,
        consultation_id=task.consultation_id,
        party=party,
        deadline=task.due_at,
        stage=case.stage,
        reviewer_id=case.assigned_reviewer,
    )


def missing_information(case: CaseState, deadline: datetime) -> Notice:
    """Numbered per case: each request for missing items is its own e-mail."""
    return notice(
        case,
        NoticeKind.INFORMATION_MISSING,
        f"information-missing-{case.missing_notices_sent}",
        to_requestor=True,
        missing_items=list(case.missing_items),
        deadline=deadline,
    )


def case_brief(case: CaseState) -> CaseBrief:
    """What a staff mailbox needs to act on the case (internal: it may carry case data)."""
    subject = case.submission.subject
    return CaseBrief(
        case_id=case.case_id,
        field_office=case.submission.field_office,
        detained=case.submission.detained,
        subject_name=f"{subject.given_name} {subject.family_name}",
        a_number=subject.a_number,
        date_of_birth=subject.date_of_birth,
        grounds=case.submission.grounds,
    )
