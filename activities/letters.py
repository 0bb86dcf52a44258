"""The words of each notice. Case information reaches a representative only with a form on file.

Letters to correspondents come from the catalogue of their language (``activities.catalogues``);
letters to ICE staff stay English.
"""

from dataclasses import dataclass

from activities.catalogues import CATALOGUES, words, written_date
from domain.language import Language
from domain.notices import CaseBrief, Correspondent, Notice, NoticeKind


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


#: The catalogue's name of each correspondent letter.
LETTER_KEYS = {
    NoticeKind.LOCAL_RESPONSE: "local_response",
    NoticeKind.INQUIRY_RECEIVED: "inquiry_received",
    NoticeKind.INFORMATION_MISSING: "information_missing",
    NoticeKind.WITHDRAWN: "withdrawn",
    NoticeKind.DETERMINATION: "determination",
}
WITHHELD_KEY = "response_withheld"


def correspondent_letter(notice: Notice, to: Correspondent) -> Letter:
    """Letters to the requestor and the representative, each in their own language: a note in
    the other language first, so either reader knows what they hold."""
    if notice.kind not in LETTER_KEYS:
        raise ValueError(f"{notice.kind} is not a notice to a requestor")
    key = LETTER_KEYS[notice.kind]
    if not to.may_receive_case_information and notice.kind in (
        NoticeKind.LOCAL_RESPONSE,
        NoticeKind.DETERMINATION,
    ):
        key = WITHHELD_KEY
    lang = to.language
    values = {"case": notice.case_id, **_values(notice, to)}
    body = "\n\n".join(
        (
            words(lang, f"{key}.note", **values),
            _greeting(to),
            words(lang, f"{key}.body", **values),
            words(lang, "signature"),
        )
    )
    return Letter(words(lang, f"{key}.subject", **values), body)


def _greeting(to: Correspondent) -> str:
    """By name only where the name is confirmed: one read from an e-mail may be a stranger's
    words (backscatter), so until the intake desk confirms it the letter greets by role."""
    if to.name_confirmed:
        return words(to.language, "greeting", name=to.name)
    role = "representative" if to.is_representative else "requestor"
    return words(to.language, f"greeting.{role}")


def _values(notice: Notice, to: Correspondent) -> dict[str, str]:
    """The placeholders of the notice's letter, in the reader's language."""
    lang = to.language
    match notice.kind:
        case NoticeKind.LOCAL_RESPONSE | NoticeKind.DETERMINATION:
            none = "reviewed" if notice.kind is NoticeKind.LOCAL_RESPONSE else "determined"
            finding = words(lang, f"finding.{notice.finding or none}")
            return {"finding": finding, "text": notice.text or ""}
        case NoticeKind.INFORMATION_MISSING:
            items = "\n".join(f"- {_missing(lang, item)}" for item in notice.missing_items)
            deadline = (
                words(lang, "deadline.by", date=written_date(notice.deadline.date(), lang))
                if notice.deadline
                else words(lang, "deadline.none")
            )
            return {"items": items, "deadline": deadline}
        case _:
            return {}


def _missing(lang: Language, item: str) -> str:
    """A missing item in words; a field path the catalogue does not know, as the path."""
    key = f"missing.{item}"
    return words(lang, key) if key in CATALOGUES[lang] else item
