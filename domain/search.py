"""The contract's search attributes: identifiers and categories only, never the subject's data."""

import hashlib
import hmac

from temporalio.common import SearchAttributeKey

CASE_STAGE = SearchAttributeKey.for_keyword("CaseStage")
FIELD_OFFICE = SearchAttributeKey.for_keyword("FieldOffice")
CASE_FINDING = SearchAttributeKey.for_keyword("CaseFinding")
DETAINED = SearchAttributeKey.for_bool("Detained")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("NextDeadline")
ASSIGNED_REVIEWER = SearchAttributeKey.for_keyword("AssignedReviewer")
SUBJECT_KEY = SearchAttributeKey.for_keyword("SubjectKey")

ALL_KEYS = (
    CASE_STAGE,
    FIELD_OFFICE,
    CASE_FINDING,
    DETAINED,
    NEXT_DEADLINE,
    ASSIGNED_REVIEWER,
    SUBJECT_KEY,
)

REGISTRATION: dict[str, str] = {
    "CaseStage": "Keyword",
    "FieldOffice": "Keyword",
    "CaseFinding": "Keyword",
    "Detained": "Bool",
    "NextDeadline": "Datetime",
    "AssignedReviewer": "Keyword",
    "SubjectKey": "Keyword",
}
"""Name to type, as ``temporal server start-dev --search-attribute`` takes them."""


def subject_key(normalized_a_number: str, secret: str) -> str:
    """Keyed hash of the A-number: findable by whoever holds the key, unreadable to others."""
    return hmac.new(secret.encode(), normalized_a_number.encode(), hashlib.sha256).hexdigest()
