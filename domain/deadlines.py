"""Deadlines: the policy that sets them, and what each one does when it passes.

Pure: the case file asks which tasks are due at ``now`` and acts on the answer, so the rules of
time are tested without a timer, and the workflow keeps a single timer on ``next_wakeup``.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.roles import Role
from domain.stage import ClosureReason
from domain.tasks import OnDue, OpenTask, TaskKind


class DeadlinePolicy(BaseModel):
    """Durations in days; the contract's defaults, stated here and nowhere else.

    A case captures the worker's policy once, when it opens, so replay never depends on env.
    """

    field_office_reminder_days: float = Field(default=7, gt=0)
    supervisor_escalation_days: float = Field(default=21, gt=0)
    escalation_window_days: float = Field(default=30, gt=0)
    information_deadline_days: float = Field(default=30, gt=0)
    consultation_due_days: float = Field(default=7, gt=0)
    determination_target_days: float = Field(default=30, gt=0)
    determination_target_detained_days: float = Field(default=14, gt=0)

    @property
    def escalate_after_due(self) -> timedelta:
        """From a missed due date to the supervisor: 21 - 7 = 14 days by default."""
        gap = self.supervisor_escalation_days - self.field_office_reminder_days
        return timedelta(days=max(gap, 0))

    def determination_target(self, detained: bool) -> timedelta:
        days = (
            self.determination_target_detained_days if detained else self.determination_target_days
        )
        return timedelta(days=days)

    def task(
        self,
        kind: TaskKind,
        role: Role,
        due: datetime,
        on_due: OnDue,
        consultation_id: str | None = None,
    ) -> OpenTask:
        """A new open task; one that reminds is escalated to the supervisor later."""
        escalate_at = due + self.escalate_after_due if on_due is OnDue.REMIND else None
        return OpenTask(
            kind=kind,
            role=role,
            due_at=due,
            on_due=on_due,
            escalate_at=escalate_at,
            consultation_id=consultation_id,
        )


CLOSURE_ON_EXPIRY: dict[TaskKind, ClosureReason] = {
    TaskKind.SRO_INQUIRY: ClosureReason.NOT_ESCALATED,
    TaskKind.INFORMATION: ClosureReason.INCOMPLETE,
}
"""How a case ends when a task that expires (``OnDue.EXPIRE``) is not done in time."""


class Due(StrEnum):
    EXPIRE = "EXPIRE"
    REMIND = "REMIND"
    ESCALATE = "ESCALATE"


@dataclass(frozen=True)
class DueAction:
    what: Due
    task: OpenTask


def due_actions(tasks: list[OpenTask], now: datetime) -> list[DueAction]:
    """Every action the passing of time asks for at ``now``, in task order; marks reminders
    and escalations as done so each goes out once."""
    actions: list[DueAction] = []
    for task in tasks:
        if task.on_due is OnDue.EXPIRE and task.due_at <= now:
            actions.append(DueAction(Due.EXPIRE, task))
            continue
        if not task.reminded and task.due_at <= now:
            task.reminded = True
            actions.append(DueAction(Due.REMIND, task))
        if task.escalate_at is not None and not task.escalated and task.escalate_at <= now:
            task.escalated = True
            actions.append(DueAction(Due.ESCALATE, task))
    return actions


def next_wakeup(tasks: list[OpenTask]) -> datetime | None:
    """The next moment any task needs the case's attention."""
    return min((m for task in tasks if (m := task.next_wakeup()) is not None), default=None)


def next_deadline(tasks: list[OpenTask]) -> datetime | None:
    return min((task.due_at for task in tasks), default=None)
