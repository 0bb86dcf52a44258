"""Notice requests: what the workflow asks its activities to e-mail, and what came of it."""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel

from domain.consultation import Party
from domain.field_office import FieldOffice
from domain.inquiry import AuthorizationForm, RequestorKind, Submission
from domain.language import DEFAULT_LANGUAGE, Language
from domain.stage import Finding, Stage
from domain.tasks import TaskKind


class NoticeKind(StrEnum):
    CASE_OPENED = "CASE_OPENED"
    LOCAL_RESPONSE = "LOCAL_RESPONSE"
    INQUIRY_RECEIVED = "INQUIRY_RECEIVED"
    INFORMATION_MISSING = "INFORMATION_MISSING"
    CONSULTATION_REQUESTED = "CONSULTATION_REQUESTED"
    DETERMINATION = "DETERMINATION"
    REMINDER = "REMINDER"
    ESCALATION = "ESCALATION"
    WITHDRAWN = "WITHDRAWN"


class RecipientKind(StrEnum):
    REQUESTOR = "REQUESTOR"
    REPRESENTATIVE = "REPRESENTATIVE"
    FIELD_OFFICE = "FIELD_OFFICE"
    ICE_ATTORNEYS = "ICE_ATTORNEYS"
    SRO = "SRO"
    SUPERVISOR = "SUPERVISOR"


class Correspondent(BaseModel):
    """A person outside ICE who may receive notices about the case."""

    kind: RecipientKind
    name: str
    email: str | None
    authorized_form: AuthorizationForm | None = None
    is_representative: bool = False
    language: Language = DEFAULT_LANGUAGE
    """The catalogue their letters come from."""
    name_confirmed: bool = True
    """False while ``name`` came from an e-mail no one has confirmed: letters greet by role."""

    @property
    def may_receive_case_information(self) -> bool:
        """The representative rule: case information only with a G-28 or ICE-60-001 on file."""
        return not self.is_representative or self.authorized_form is not None


def correspondents(submission: Submission, *, include_representative: bool) -> list[Correspondent]:
    """The requestor, and an authorized representative where it is a separate addressee.

    A requestor who is an unauthorized representative still gets the notice, but only the
    letter saying that a response exists and which form is needed (see ``activities.letters``).
    """
    form = (
        submission.representative.authorization.form
        if submission.representative and submission.representative.authorization
        else None
    )
    requestor_is_rep = submission.requestor.kind is RequestorKind.REPRESENTATIVE
    people = [
        Correspondent(
            kind=RecipientKind.REQUESTOR,
            name=submission.requestor.name,
            email=submission.requestor.email,
            authorized_form=form if requestor_is_rep else None,
            is_representative=requestor_is_rep,
            language=submission.requestor.language,
            name_confirmed=submission.contact_confirmed,
        )
    ]
    rep = submission.representative
    if (
        include_representative
        and rep is not None
        and form is not None  # the contract: the representative only with a form on file
        and rep.email != submission.requestor.email
    ):
        people.append(
            Correspondent(
                kind=RecipientKind.REPRESENTATIVE,
                name=rep.name,
                email=rep.email,
                authorized_form=form,
                is_representative=True,
                language=rep.language or submission.requestor.language,
                name_confirmed=submission.contact_confirmed,
            )
        )
    return people


class CaseBrief(BaseModel):
    """What staff mailboxes need to act on a case: internal, so it may carry case information."""

    case_id: str
    field_office: FieldOffice
    detained: bool
    subject_name: str
    a_number: str
    date_of_birth: date | None
    grounds: str


class Notice(BaseModel):
    """One notice event. ``event_key`` makes its Message-ID, so it goes out once."""

    case_id: str
    kind: NoticeKind
    event_key: str
    field_office: FieldOffice
    to: list[Correspondent] = []
    brief: CaseBrief | None = None
    finding: Finding | None = None
    text: str | None = None
    missing_items: list[str] = []
    deadline: datetime | None = None
    party: Party | None = None
    consultation_id: str | None = None
    task_kind: TaskKind | None = None
    stage: Stage | None = None
    reviewer_id: str | None = None


class NoticeOutcome(BaseModel):
    """What an activity reports back: delivered, or already delivered before (dedupe), and to
    whom the letter carried case information (a disclosure)."""

    delivered: list[RecipientKind] = []
    already_sent: list[RecipientKind] = []
    withheld: list[RecipientKind] = []
    disclosed: list[RecipientKind] = []


class Disclosure(BaseModel):
    """Privacy Act accounting: case information went to this kind of recipient, for this."""

    at: datetime
    recipient: RecipientKind
    purpose: str
    event_key: str


class NoticeRecord(BaseModel):
    """The case's log of notices, PII-free, shown in the status."""

    at: datetime
    kind: NoticeKind
    event_key: str
    outcome: Literal["SENT", "FAILED"]
    recipients: list[RecipientKind] = []
    withheld: list[RecipientKind] = []
    error: str | None = None


class Audience(StrEnum):
    STAFF = "STAFF"  # an ICE mailbox (field office, attorneys, SRO, supervisors)
    CORRESPONDENTS = "CORRESPONDENTS"  # the requestor and an authorized representative


@dataclass(frozen=True)
class NoticeRule:
    """Everything about one kind of notice but its words (``activities.letters``) and the case
    rule that sends it. Activities, their registry, mailboxes and disclosures derive from it."""

    kind: NoticeKind
    activity: str
    audience: Audience
    disclosure_purpose: str | None = None
    """Set where the letter carries case information: each delivery is then a disclosure."""


NOTICES: dict[NoticeKind, NoticeRule] = {
    rule.kind: rule
    for rule in (
        NoticeRule(
            NoticeKind.CASE_OPENED,
            "notify_field_office",
            Audience.STAFF,
            "local case review by the field office",
        ),
        NoticeRule(
            NoticeKind.LOCAL_RESPONSE,
            "notify_local_response",
            Audience.CORRESPONDENTS,
            "local response to the requestor",
        ),
        NoticeRule(NoticeKind.INQUIRY_RECEIVED, "acknowledge_sro_inquiry", Audience.CORRESPONDENTS),
        NoticeRule(
            NoticeKind.INFORMATION_MISSING, "request_missing_information", Audience.CORRESPONDENTS
        ),
        NoticeRule(
            NoticeKind.CONSULTATION_REQUESTED,
            "request_consultation",
            Audience.STAFF,
            "consultation requested by the SRO",
        ),
        NoticeRule(
            NoticeKind.DETERMINATION,
            "send_determination_notice",
            Audience.CORRESPONDENTS,
            "determination to the requestor",
        ),
        NoticeRule(NoticeKind.REMINDER, "send_deadline_notice", Audience.STAFF),
        NoticeRule(NoticeKind.ESCALATION, "send_deadline_notice", Audience.STAFF),
        NoticeRule(NoticeKind.WITHDRAWN, "notify_withdrawal", Audience.CORRESPONDENTS),
    )
}


def kinds_by_activity() -> dict[str, tuple[NoticeKind, ...]]:
    """Each notice activity's name and the kinds it sends (one activity may send several)."""
    table: dict[str, tuple[NoticeKind, ...]] = {}
    for rule in NOTICES.values():
        table[rule.activity] = (*table.get(rule.activity, ()), rule.kind)
    return table
