"""Consultations: the SRO's questions to the field office or to ICE attorneys."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from domain.roles import Role


class Party(StrEnum):
    FIELD_OFFICE = "FIELD_OFFICE"
    ICE_ATTORNEYS = "ICE_ATTORNEYS"

    @property
    def answering_role(self) -> Role:
        """Only the consulted party may record the answer."""
        return Role.FIELD_OFFICE if self is Party.FIELD_OFFICE else Role.ICE_ATTORNEY


class Consultation(BaseModel):
    """The question and answer texts stay in the case, never in the status."""

    consultation_id: str
    party: Party
    requested_at: datetime
    due_at: datetime
    question: str
    response: str | None = None
    answered_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.answered_at is None
