"""The rules that judge a decision against a case: who may make it, when, and in what state.

Read-only: judging never changes the case, so an update's validator, its handler and a signal
all ask the same question and get the same answer.
"""

from domain.bounds import MAX_CONSULTATIONS
from domain.case_state import CaseState, room_for
from domain.decisions import (
    DECISIONS,
    ConfirmContact,
    Decision,
    ReceiveDocuments,
    RecordConsultationResponse,
    RecordDetermination,
    RecordDocumentRead,
    Refusal,
    RequestConsultation,
    SendReminders,
)
from domain.filing import over_the_limit
from domain.stage import Stage
from domain.tasks import OnDue


def judge(case: CaseState, name: str, decision: Decision) -> Refusal | None:
    """Why the case refuses this decision now, or None when it may be applied."""
    rule = DECISIONS[name]
    if decision.decision_id is not None and decision.decision_id in case.applied:
        earlier = case.applied[decision.decision_id].name
        if earlier != name:
            return _refusal(
                decision,
                f"decision_id {decision.decision_id!r} was already used for {earlier}",
                "duplicate_id",
            )
        return None
    role = decision.actor.role
    if case.staff is not None:
        refused = case.staff.refusal(decision.actor.id, role, case.submission.field_office)
        if refused is not None:
            return _refusal(decision, refused, "directory")
    if role not in rule.roles:
        allowed = ", ".join(sorted(rule.roles))
        return _refusal(decision, f"role {role} may not {name}; allowed: {allowed}", "role")
    if case.stage not in rule.stages:
        allowed = ", ".join(s for s in Stage if s in rule.stages)
        return _refusal(
            decision, f"{name} is not allowed in stage {case.stage}; allowed in: {allowed}", "stage"
        )
    reason = _state_rule(case, decision)
    return None if reason is None else _refusal(decision, reason, "state")


def _refusal(decision: Decision, reason: str, kind: str) -> Refusal:
    return Refusal(reason, decision.actor, kind)


def _state_rule(case: CaseState, decision: Decision) -> str | None:
    """What the case's own state adds to the decision table."""
    if isinstance(decision, RequestConsultation):
        if len(case.consultations) >= MAX_CONSULTATIONS:
            return f"the case holds {MAX_CONSULTATIONS} consultations, the most it keeps"
        return room_for(case, decision.question)
    if isinstance(decision, RecordConsultationResponse):
        consultation = case.consultation(decision.consultation_id)
        if consultation is None:
            known = ", ".join(c.consultation_id for c in case.consultations) or "none"
            return f"unknown consultation_id {decision.consultation_id!r} (known: {known})"
        if not consultation.is_open:
            return f"consultation {decision.consultation_id} was already answered"
        if decision.actor.role is not consultation.party.answering_role:
            return (
                f"consultation {consultation.consultation_id} asks {consultation.party}; "
                f"only role {consultation.party.answering_role} may answer it"
            )
        return room_for(case, decision.response)
    if isinstance(decision, ConfirmContact):
        if case.submission.contact_confirmed:
            return "the contact details are already confirmed (or came from a trusted system)"
        member = case.staff.members.get(decision.actor.id) if case.staff else None
        if member is not None and member.service:  # the mail gateway is one: it proves nothing
            return "only a person who checked with the requestor may confirm the contact"
    if isinstance(decision, SendReminders) and not any(
        t.on_due is OnDue.REMIND for t in case.tasks
    ):
        return "no open task waits for staff"
    if isinstance(decision, RecordDocumentRead) and not any(
        d.document_id == decision.document_id for d in case.documents
    ):
        return f"document {decision.document_id} is not on file in this case"
    if isinstance(decision, ReceiveDocuments):
        return over_the_limit(case, decision.documents)
    if isinstance(decision, RecordDetermination):
        still_open = [c.consultation_id for c in case.consultations if c.is_open]
        if still_open:
            return "consultations still open: " + ", ".join(still_open)
    return None
