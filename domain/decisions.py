"""Every human decision of the contract: its payload, who may make it and when.

One table (``DECISIONS``) drives both the signal and the update of each name, so the two entry
points can never disagree about what is valid.
"""

import json
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from domain.consultation import Party
from domain.documents import DocumentId, DocumentRef, DocumentSource
from domain.identity import Email, Phone
from domain.inquiry import Authorization, LongText, Representative, schema_requires
from domain.placeholders import left_in
from domain.roles import Actor, Role
from domain.stage import OPEN_STAGES, Finding, Stage

DecisionId = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")
]
StaffId = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._@:-]+$")
]


@dataclass(frozen=True)
class Refusal:
    """Why a decision is refused; ``kind`` is its class for metrics (never its text)."""

    reason: str
    actor: Actor | None = None
    kind: str = "invalid"


class Decision(BaseModel):
    """Fields every decision carries."""

    model_config = ConfigDict(extra="forbid")

    actor: Actor
    decision_id: DecisionId | None = None
    case_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    """The case the decision is for (required of signed decisions: a stamp copied from one
    case into another is refused)."""

    @model_validator(mode="before")
    @classmethod
    def _written_in(cls, data: Any) -> Any:
        """A desk body sent before its placeholders were replaced is refused, fields named."""
        unwritten = left_in(data, cls.model_fields)
        if unwritten:
            raise ValueError(
                f"still the desk's placeholder in {', '.join(unwritten)}: double-click each "
                "WRITE_… word in the Data box and type your text over it"
            )
        return data


class RecordLocalResponse(Decision):
    finding: Finding
    message: LongText


class SubmitSroInquiry(Decision):
    phone: Phone
    email: Email
    representative: Representative | None = None
    statement: LongText | None = None


INFORMATION_ITEMS = ("date_of_birth", "phone", "email", "authorization", "representative")
"""What ``provide_information`` may carry: at least one of them."""
CONTACT_ITEMS = ("phone", "email", "representative")
"""Where letters go and who speaks for the subject: an e-mail's change waits for the desk."""


class ProvideInformation(Decision):
    """Any of the items the requestor was told are missing."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"anyOf": [schema_requires(item) for item in INFORMATION_ITEMS]},
    )

    date_of_birth: date | None = None
    phone: Phone | None = None
    email: Email | None = None
    authorization: Authorization | None = None
    representative: Representative | None = None

    @model_validator(mode="after")
    def _something_provided(self) -> Self:
        if not self.provided_items():
            raise ValueError("provide at least one of " + ", ".join(INFORMATION_ITEMS))
        return self

    def provided_items(self) -> list[str]:
        return [name for name in INFORMATION_ITEMS if getattr(self, name) is not None]


class ReceiveDocuments(Decision):
    """References to documents a correspondent sent (the bytes stay in the document store)."""

    documents: list[DocumentRef] = Field(min_length=1, max_length=50)
    source: DocumentSource


class RecordDocumentRead(Decision):
    """A member of staff read a document of the case (recorded by the codec server)."""

    document_id: DocumentId
    reader: StaffId


class AssignReviewer(Decision):
    reviewer_id: StaffId


class RequestConsultation(Decision):
    party: Party
    question: LongText
    due_in_days: int | None = Field(default=None, ge=1, le=365)


class RecordConsultationResponse(Decision):
    consultation_id: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    response: LongText


class RecordDetermination(Decision):
    finding: Finding
    rationale: LongText


class Withdraw(Decision):
    reason: LongText


class AddNote(Decision):
    text: LongText


class ConfirmContact(Decision):
    """Names and contact from an e-mail, checked with the person: letters greet by name."""


class SendReminders(Decision):
    """A supervisor's reminder round: remind whoever each open task waits for, now."""

    note: LongText | None = None


@dataclass(frozen=True)
class DecisionRule:
    """The static rule of one decision; the case adds what depends on its state."""

    name: str
    model: type[Decision]
    roles: frozenset[Role]
    stages: frozenset[Stage]
    example: dict[str, Any]
    purpose: str

    @property
    def sent_example(self) -> dict[str, Any]:
        """The example as a signed sender sends it: the case takes ``actor`` from the stamp."""
        return {k: v for k, v in self.example.items() if k != "actor"}

    @property
    def example_json(self) -> str:
        return json.dumps(self.sent_example)

    @property
    def description(self) -> str:
        """What staff see in the UI's drop-downs, which list every decision whatever the stage
        (the SDK's metadata lists all declared handlers): one line saying when it applies. The
        body to send is in the case's Current Details, filled in for that case."""
        roles = ", ".join(sorted(self.roles))
        if self.stages == frozenset(Stage):
            stages = "any stage"
        elif self.stages == OPEN_STAGES:
            stages = "any open stage"
        else:
            stages = ", ".join(s for s in Stage if s in self.stages)
        return f"{self.purpose.rstrip('.')}: {roles}, in {stages}."


def _actor(role: Role, staff_id: str) -> dict[str, str]:
    return {"id": staff_id, "role": role.value}


_ALL_ROLES = frozenset(Role)

DECISIONS: dict[str, DecisionRule] = {
    rule.name: rule
    for rule in (
        DecisionRule(
            "record_local_response",
            RecordLocalResponse,
            frozenset({Role.FIELD_OFFICE}),
            frozenset({Stage.LOCAL_REVIEW}),
            {
                "actor": _actor(Role.FIELD_OFFICE, "fo.officer1"),
                "finding": "MEETS_PRIORITIES",
                "message": "Reviewed locally; the case still meets the priorities.",
                "decision_id": "local-1",
            },
            "Record the local field office's response to the case review request.",
        ),
        DecisionRule(
            "submit_sro_inquiry",
            SubmitSroInquiry,
            frozenset({Role.INTAKE}),
            frozenset({Stage.AWAITING_ESCALATION}),
            {
                "actor": _actor(Role.INTAKE, "intake.clerk1"),
                "phone": "+12025550143",
                "email": "requestor@example.org",
                "statement": "Requesting SRO review of the local response.",
            },
            "Enter the requestor's inquiry to the Senior Reviewing Official.",
        ),
        DecisionRule(
            "provide_information",
            ProvideInformation,
            frozenset({Role.INTAKE}),
            frozenset({Stage.AWAITING_INFORMATION}),
            {"actor": _actor(Role.INTAKE, "intake.clerk1"), "date_of_birth": "1990-01-31"},
            "Enter items the requestor sent in answer to a missing-information notice.",
        ),
        DecisionRule(
            "assign_reviewer",
            AssignReviewer,
            frozenset({Role.SRO, Role.SUPERVISOR}),
            frozenset({Stage.SRO_INTAKE, Stage.SRO_REVIEW}),
            {"actor": _actor(Role.SUPERVISOR, "sup.lead1"), "reviewer_id": "sro.reviewer1"},
            "Assign the SRO reviewer who owns the case.",
        ),
        DecisionRule(
            "request_consultation",
            RequestConsultation,
            frozenset({Role.SRO}),
            frozenset({Stage.SRO_REVIEW}),
            {
                "actor": _actor(Role.SRO, "sro.reviewer1"),
                "party": "ICE_ATTORNEYS",
                "question": "Is removal litigation pending?",
                "due_in_days": 7,
            },
            "Ask the field office (FIELD_OFFICE) or ICE attorneys (ICE_ATTORNEYS) a question.",
        ),
        DecisionRule(
            "record_consultation_response",
            RecordConsultationResponse,
            frozenset({Role.FIELD_OFFICE, Role.ICE_ATTORNEY}),
            frozenset({Stage.SRO_REVIEW}),
            {
                "actor": _actor(Role.ICE_ATTORNEY, "opla.attorney1"),
                "consultation_id": "C1",
                "response": "No litigation is pending.",
            },
            "Answer an open consultation (the consulted party's role only).",
        ),
        DecisionRule(
            "record_determination",
            RecordDetermination,
            frozenset({Role.SRO}),
            frozenset({Stage.SRO_REVIEW}),
            {
                "actor": _actor(Role.SRO, "sro.reviewer1"),
                "finding": "DOES_NOT_MEET_PRIORITIES",
                "rationale": "Long residence, no criminal history.",
            },
            "Record the SRO's determination (no consultation may be open); e-mails the notice.",
        ),
        DecisionRule(
            "withdraw",
            Withdraw,
            frozenset({Role.INTAKE, Role.SUPERVISOR}),
            OPEN_STAGES,
            {"actor": _actor(Role.INTAKE, "intake.clerk1"), "reason": "Requestor withdrew."},
            "Close the case as withdrawn.",
        ),
        DecisionRule(
            "send_reminders",
            SendReminders,
            frozenset({Role.SUPERVISOR}),
            frozenset({Stage.LOCAL_REVIEW, Stage.SRO_REVIEW}),
            {
                "actor": _actor(Role.SUPERVISOR, "sup.lead1"),
                "decision_id": "reminder-round-2026-11-27",
            },
            "Remind now whoever each open staff task waits for (a supervisor's round).",
        ),
        DecisionRule(
            "receive_documents",
            ReceiveDocuments,
            frozenset({Role.INTAKE}),
            OPEN_STAGES,
            {
                "actor": _actor(Role.INTAKE, "intake.clerk1"),
                "source": "REQUESTOR",
                "documents": [
                    {
                        "document_id": "DOC-" + "0" * 24,
                        "kind": "G-28",
                        "content_type": "application/pdf",
                        "size": 1024,
                        "sha256": "0" * 64,
                        "received_at": "2026-11-27T10:00:00Z",
                        "source": "REQUESTOR",
                    }
                ],
            },
            "Record documents that arrived by e-mail (the mail gateway sends this; an addition).",
        ),
        DecisionRule(
            "record_document_read",
            RecordDocumentRead,
            _ALL_ROLES,
            OPEN_STAGES,
            {
                "actor": _actor(Role.INTAKE, "intake.clerk1"),
                "document_id": "DOC-" + "0" * 24,
                "reader": "sro.reviewer1",
            },
            "Record who read a document (the codec server sends this; an addition).",
        ),
        DecisionRule(
            "confirm_contact",
            ConfirmContact,
            frozenset({Role.INTAKE}),
            OPEN_STAGES,
            {"actor": _actor(Role.INTAKE, "intake.clerk1")},
            "Confirm the names and contact an e-mail brought: letters greet by name (addition).",
        ),
        DecisionRule(
            "add_note",
            AddNote,
            _ALL_ROLES,
            frozenset(Stage),
            {"actor": _actor(Role.SRO, "sro.reviewer1"), "text": "Called the requestor."},
            "Add a note to the case file.",
        ),
    )
}
