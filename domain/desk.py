"""The staff desk: for the stage a case is in, each decision staff may send now, who may send
it, and a body ready to paste, with the case's own values filled in.

Staff decide in the Temporal UI's *Send an Update* dialog; the desk (shown in Current Details
and in the status) spares them the JSON scaffolding: no keys to type, no enum to spell. A body
names its case (``case_id``) and leaves the actor out: the codec server signs each decision as
the person signed in. A word in capitals beginning ``WRITE_`` marks the text staff write (see
``domain.placeholders``: a double-click selects exactly that word in the UI's Data box).
Where a field takes one of a few values, each value has a body of its own. A closed case
offers nothing: its workflow has completed and takes no signal or update.
"""

from typing import Any

from domain.case_state import CaseState
from domain.consultation import Party
from domain.decisions import DECISIONS
from domain.inquiry import AuthorizationForm
from domain.placeholders import WRITE, WRITE_DATE
from domain.roles import Role
from domain.stage import Finding, Stage
from domain.status import NextDecision

_ITEM_FIELDS: dict[str, tuple[str, Any]] = {
    "subject.date_of_birth": ("date_of_birth", WRITE_DATE),
    "requestor.phone": ("phone", WRITE),
    "requestor.email": ("email", WRITE),
    "representative.authorization": ("authorization", {}),  # one body per form, below
}
"""A missing item's field in ``provide_information`` and what to write there."""

_BODIES: dict[str, list[dict[str, Any]]] = {
    "record_local_response": [{"finding": f.value, "message": WRITE} for f in Finding],
    "submit_sro_inquiry": [{"phone": WRITE, "email": WRITE, "statement": WRITE}],
    "assign_reviewer": [{"reviewer_id": WRITE}],
    "request_consultation": [{"party": p.value, "question": WRITE} for p in Party],
    "record_determination": [{"finding": f.value, "rationale": WRITE} for f in Finding],
    "withdraw": [{"reason": WRITE}],
    "add_note": [{"text": WRITE}],
    "send_reminders": [{}],
}
"""Each decision's bodies beyond ``case_id``: one per value where a field takes one of a few
(a finding, a party), so staff pick a line instead of spelling a value. The two that depend on
the case are built below."""

BY_SERVICES = frozenset({"receive_documents", "record_document_read"})
"""Sent by the mail gateway and the codec server, never typed by staff: not on the desk."""


def next_decisions(case: CaseState) -> list[NextDecision]:
    """The decisions valid in the case's stage, those that end an open task first."""
    if case.stage is Stage.SRO_INTAKE:
        return []  # the completeness check is automatic and takes a moment
    if case.stage is Stage.CLOSED:
        return []  # the workflow completes: no signal or update reaches it any more
    firsts = [t.decision for t in case.tasks]
    allowed = [
        name
        for name, rule in DECISIONS.items()
        if case.stage in rule.stages and name not in BY_SERVICES
    ]
    ordered = sorted(allowed, key=lambda n: firsts.index(n) if n in firsts else len(firsts))
    desk: list[NextDecision] = []
    for name in ordered:
        for body, roles in _bodies(case, name):
            desk.append(
                NextDecision(
                    name=name,
                    roles=roles or sorted(DECISIONS[name].roles),
                    ends_task=name in firsts,
                    body={"case_id": case.case_id, **body},
                )
            )
    return desk


def _bodies(case: CaseState, name: str) -> list[tuple[dict[str, Any], list[Role]]]:
    """One body per open consultation, answered by its party's role only; one per form when
    the authorization is missing."""
    if name == "record_consultation_response":
        return [
            ({"consultation_id": c.consultation_id, "response": WRITE}, [c.party.answering_role])
            for c in case.consultations
            if c.is_open
        ]
    if name == "confirm_contact":  # only while the names came from an e-mail
        return [] if case.submission.contact_confirmed else [({}, [])]
    if name == "provide_information":
        items = dict(_ITEM_FIELDS[i] for i in case.missing_items if i in _ITEM_FIELDS)
        if "authorization" not in items:
            return [(items, [])]
        return [
            ({**items, "authorization": {"form": form.value, "document_ref": WRITE}}, [])
            for form in AuthorizationForm
        ]
    return [(body, []) for body in _BODIES[name]]
