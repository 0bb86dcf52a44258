"""The contract's search attributes: identifiers and categories only, never the subject's data.

The keys are the one table: the dev server's registration, the client's check at start-up and
the workflow's publisher all derive from ``ALL_KEYS``.
"""

from temporalio.common import SearchAttributeIndexedValueType, SearchAttributeKey

CASE_WORKFLOW = "CaseReviewWorkflow"
"""A case's workflow type, as the workflow is defined and as visibility lists it: readers that
trust only a case's own run (bulk jobs, the decode scope) check it."""

CASE_STAGE = SearchAttributeKey.for_keyword("CaseStage")
FIELD_OFFICE = SearchAttributeKey.for_keyword("FieldOffice")
CASE_FINDING = SearchAttributeKey.for_keyword("CaseFinding")
DETAINED = SearchAttributeKey.for_bool("Detained")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("NextDeadline")
ASSIGNED_REVIEWER = SearchAttributeKey.for_keyword("AssignedReviewer")
SUBJECT_KEY = SearchAttributeKey.for_keyword("SubjectKey")
"""A keyed hash of the normalized A-number (``domain.identity.subject_key``), set at start."""

ALL_KEYS = (
    CASE_STAGE,
    FIELD_OFFICE,
    CASE_FINDING,
    DETAINED,
    NEXT_DEADLINE,
    ASSIGNED_REVIEWER,
    SUBJECT_KEY,
)

PUBLISHED = ALL_KEYS[:-1]
"""What the workflow keeps current as the case moves (``SubjectKey`` never changes)."""

_TYPE_NAMES = {
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.BOOL: "Bool",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
}

REGISTRATION: dict[str, str] = {key.name: _TYPE_NAMES[key.indexed_value_type] for key in ALL_KEYS}
"""Name to type, as ``temporal server start-dev --search-attribute`` takes them."""
