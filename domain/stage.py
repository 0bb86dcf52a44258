"""Where a case stands and how it can end."""

from enum import StrEnum


class Stage(StrEnum):
    LOCAL_REVIEW = "LOCAL_REVIEW"
    AWAITING_ESCALATION = "AWAITING_ESCALATION"
    SRO_INTAKE = "SRO_INTAKE"
    AWAITING_INFORMATION = "AWAITING_INFORMATION"
    SRO_REVIEW = "SRO_REVIEW"
    CLOSED = "CLOSED"


OPEN_STAGES: frozenset[Stage] = frozenset(s for s in Stage if s is not Stage.CLOSED)


class Entry(StrEnum):
    LOCAL_REVIEW = "LOCAL_REVIEW"
    SRO_INQUIRY = "SRO_INQUIRY"


class Finding(StrEnum):
    MEETS_PRIORITIES = "MEETS_PRIORITIES"
    DOES_NOT_MEET_PRIORITIES = "DOES_NOT_MEET_PRIORITIES"


class ClosureReason(StrEnum):
    DETERMINATION_ISSUED = "DETERMINATION_ISSUED"
    WITHDRAWN = "WITHDRAWN"
    NOT_ESCALATED = "NOT_ESCALATED"
    INCOMPLETE = "INCOMPLETE"


ENTRY_STAGE: dict[Entry, Stage] = {
    Entry.LOCAL_REVIEW: Stage.LOCAL_REVIEW,
    Entry.SRO_INQUIRY: Stage.SRO_INTAKE,
}
"""The stage a case starts in, by its entry."""
