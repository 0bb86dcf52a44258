"""Each letter to a requestor or representative, as a row of the accounting of disclosures.

The postbox writes the row once the letter has left (or an earlier attempt sent it), under the
letter's Message-ID, so a retried notice activity accounts for it once.
"""

from datetime import datetime

from domain.notices import NOTICES, Notice
from store.disclosures import DisclosureEntry, Recipient

CORRESPONDENCE_PURPOSE = "correspondence with the requestor about the case review request"


def letter_disclosure(
    notice: Notice,
    *,
    message_id: str,
    recipient: Recipient,
    subject: str,
    body: str,
    at: datetime,
) -> DisclosureEntry:
    """Nature: which letter; purpose: the notice table's, or the request's own correspondence."""
    purpose = NOTICES[notice.kind].disclosure_purpose or CORRESPONDENCE_PURPOSE
    return DisclosureEntry(
        disclosure_id=message_id,
        case_id=notice.case_id,
        disclosed_at=at,
        nature=f"letter {notice.kind} ({subject.removeprefix(f'[{notice.case_id}] ')})",
        purpose=purpose,
        recipient=recipient,
        subject=subject,
        body=body,
    )
