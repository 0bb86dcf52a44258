"""Deadline policy: worker settings captured once per case, so replay never depends on env."""

from datetime import timedelta

from pydantic import BaseModel, Field


class DeadlinePolicy(BaseModel):
    """Durations in days; the contract's defaults."""

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
