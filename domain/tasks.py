"""What a case waits for: the open tasks behind reminders, escalations and expiries."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from domain.roles import Role


class TaskKind(StrEnum):
    LOCAL_RESPONSE = "LOCAL_RESPONSE"
    SRO_INQUIRY = "SRO_INQUIRY"
    INFORMATION = "INFORMATION"
    DETERMINATION = "DETERMINATION"
    CONSULTATION_RESPONSE = "CONSULTATION_RESPONSE"


class OnDue(StrEnum):
    REMIND = "REMIND"
    EXPIRE = "EXPIRE"


TASKS: dict[TaskKind, tuple[str, str]] = {
    TaskKind.LOCAL_RESPONSE: ("the local field office's response", "record_local_response"),
    TaskKind.SRO_INQUIRY: ("the requestor's SRO inquiry", "submit_sro_inquiry"),
    TaskKind.INFORMATION: ("the missing information from the requestor", "provide_information"),
    TaskKind.DETERMINATION: ("the SRO's determination", "record_determination"),
    TaskKind.CONSULTATION_RESPONSE: (
        "an answer to consultation {consultation_id}",
        "record_consultation_response",
    ),
}
"""What each task waits for, in words, and the decision that ends it; ``{consultation_id}``
is filled in for a consultation."""


class OpenTask(BaseModel):
    """A task the case waits for; its flags make each reminder and escalation go out once."""

    kind: TaskKind
    role: Role
    due_at: datetime
    consultation_id: str | None = None
    on_due: OnDue = OnDue.REMIND
    escalate_at: datetime | None = None
    reminded: bool = False
    escalated: bool = False

    def next_wakeup(self) -> datetime | None:
        """The next moment this task needs the workflow's attention, if any."""
        moments = []
        if self.on_due is OnDue.EXPIRE or not self.reminded:
            moments.append(self.due_at)
        if self.escalate_at is not None and not self.escalated:
            moments.append(self.escalate_at)
        return min(moments, default=None)

    @property
    def decision(self) -> str:
        """The name of the decision that ends this task."""
        return TASKS[self.kind][1]

    def words(self) -> str:
        words = TASKS[self.kind][0].format(consultation_id=self.consultation_id)
        return f"{words} ({self.decision})"
