"""The words of each notice. Case information reaches a representative only with a form on file."""

from dataclasses import dataclass

from domain.inquiry import MISSING_ITEM_WORDS
from domain.notices import CaseBrief, Correspondent, Notice, NoticeKind
from domain.stage import Finding

_FINDING_WORDS = {
    Finding.MEETS_PRIORITIES: "continues to meet ICE's priorities for enforcement, detention "
    "and removal",
    Finding.DOES_NOT_MEET_PRIORITIES: "does not meet ICE's priorities for enforcement, "
    "detention and removal",
}

_SIGNATURE = "\n\nICE Case Review (ICR)\nThis message was sent automatically; do not reply."


@dataclass(frozen=True)
class Letter:
    subject: str
    body: str


def _brief_block(brief: CaseBrief | None) -> str:
    if brief is None:
        return ""
    dob = brief.date_of_birth.isoformat() if brief.date_of_birth else "not on file"
    return (
        f"\n\nPerson concerned: {brief.subject_name}, {brief.a_number}, born {dob}"
        f"\nDetained: {'yes' if brief.detained else 'no'}"
        f"\nGrounds given by the requestor:\n{brief.grounds}"
    )


def staff_letter(notice: Notice) -> Letter:
    """Letters to ICE mailboxes (field office, attorneys, SRO, supervisor)."""
    case = notice.case_id
    deadline = f"{notice.deadline:%Y-%m-%d %H:%M} UTC" if notice.deadline else "none"
    match notice.kind:
        case NoticeKind.CASE_OPENED:
            text = (
                f"Case {case} asks the {notice.field_office} field office for a local case "
                "review. Record the local response with the decision record_local_response."
            )
            return Letter(f"[{case}] Case review requested", text + _brief_block(notice.brief))
        case NoticeKind.CONSULTATION_REQUESTED:
            text = (
                f"The Senior Reviewing Official asks for consultation {notice.consultation_id} "
                f"in case {case}, due {deadline}.\n\nQuestion:\n{notice.text}\n\n"
                "Answer with the decision record_consultation_response."
            )
            return Letter(
                f"[{case}] Consultation {notice.consultation_id} requested",
                text + _brief_block(notice.brief),
            )
        case NoticeKind.REMINDER | NoticeKind.ESCALATION:
            what = (
                f"consultation {notice.consultation_id}"
                if notice.consultation_id
                else str(notice.task_kind)
            )
            lead = "Escalation" if notice.kind is NoticeKind.ESCALATION else "Reminder"
            reviewer = f"\nAssigned reviewer: {notice.reviewer_id}" if notice.reviewer_id else ""
            text = (
                f"{lead}: case {case} ({notice.field_office}, stage {notice.stage}) still waits "
                f"for {what}, which was due {deadline}.{reviewer}"
            )
            return Letter(f"[{case}] {lead}: {what} overdue", text)
        case _:
            raise ValueError(f"{notice.kind} is not a staff notice")


def correspondent_letter(notice: Notice, to: Correspondent) -> Letter:
    """Letters to the requestor and the representative."""
    case = notice.case_id
    if not to.may_receive_case_information and notice.kind in (
        NoticeKind.LOCAL_RESPONSE,
        NoticeKind.DETERMINATION,
    ):
        return Letter(
            f"[{case}] A response to your case review request is available",
            f"Dear {to.name},\n\nA response exists in ICE case review {case}. ICE can send it "
            "to a representative only with a Form G-28 or ICE Form 60-001 on file. Send one "
            "of these forms to receive the response." + _SIGNATURE,
        )
    greeting = f"Dear {to.name},\n\n"
    match notice.kind:
        case NoticeKind.LOCAL_RESPONSE:
            finding = _FINDING_WORDS[notice.finding] if notice.finding else "was reviewed"
            body = (
                f"The local ERO field office reviewed case {case}: the case {finding}.\n\n"
                f"{notice.text}\n\nIf you disagree, you may submit an inquiry to ICE's Senior "
                "Reviewing Official (SRO) with the A-number, a telephone number and an e-mail "
                "address."
            )
            return Letter(f"[{case}] Local case review response", greeting + body + _SIGNATURE)
        case NoticeKind.INQUIRY_RECEIVED:
            body = f"The Senior Reviewing Official received your inquiry in case {case}."
            return Letter(f"[{case}] SRO inquiry received", greeting + body + _SIGNATURE)
        case NoticeKind.INFORMATION_MISSING:
            items = "\n".join(f"- {MISSING_ITEM_WORDS.get(i, i)}" for i in notice.missing_items)
            deadline = f"{notice.deadline:%Y-%m-%d}" if notice.deadline else "soon"
            body = (
                f"To review case {case}, the Senior Reviewing Official needs:\n{items}\n\n"
                f"Please send these by {deadline}; after that date the inquiry is closed as "
                "incomplete."
            )
            return Letter(f"[{case}] Information needed", greeting + body + _SIGNATURE)
        case NoticeKind.WITHDRAWN:
            body = (
                f"Your ICE case review request {case} has been withdrawn and is closed. You may "
                "submit a new request at any time."
            )
            return Letter(f"[{case}] Case review request withdrawn", greeting + body + _SIGNATURE)
        case NoticeKind.DETERMINATION:
            finding = _FINDING_WORDS[notice.finding] if notice.finding else "was determined"
            body = (
                f"The Senior Reviewing Official reviewed case {case} and determined that the "
                f"case {finding}.\n\n{notice.text}"
            )
            return Letter(f"[{case}] Case review determination", greeting + body + _SIGNATURE)
        case _:
            raise ValueError(f"{notice.kind} is not a notice to a requestor")
