"""A release package from the structured record: which sections, in which order, for whom."""

from dataclasses import dataclass
from datetime import date

from domain.status import CaseStatus
from records import content
from records.content import Officer, Release
from records.cover import cover_letter
from store.disclosures import DisclosureEntry, Recipient


@dataclass(frozen=True)
class Request:
    """Who answers, to whom, and whose own data it is (a staff member asking for their own
    record sees their name; everyone else's stays withheld)."""

    officer: Officer
    recipient: Recipient | None
    own_staff_id: str | None = None


def requestor_of(accounting: list[DisclosureEntry]) -> Recipient | None:
    """The requestor as the case last wrote to them (the status holds no personal data)."""
    letters = [e for e in accounting if e.recipient.kind == "REQUESTOR" and e.body]
    return letters[-1].recipient if letters else None


def assemble(
    status: CaseStatus,
    accounting: list[DisclosureEntry],
    files: dict[str, bytes],
    request: Request,
    on: date,
) -> Release:
    """Cover letter, history, letters, documents (with the requestor's own appended) and the
    accounting, in that order."""
    documents, appended = content.documents(status, files)
    release = Release(
        case_id=status.case_id,
        sections=[
            content.history(status, request.own_staff_id),
            content.letters(accounting),
            documents,
            content.accounting(accounting),
        ],
        attachments=appended,
    )
    release.sections.insert(0, cover_letter(release, request.officer, request.recipient, on))
    return release
