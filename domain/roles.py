"""Staff roles and the actor that every decision names."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Role(StrEnum):
    FIELD_OFFICE = "FIELD_OFFICE"
    SRO = "SRO"
    ICE_ATTORNEY = "ICE_ATTORNEY"
    SUPERVISOR = "SUPERVISOR"
    INTAKE = "INTAKE"
    RECORDS = "RECORDS"
    """Records officers: answer records requests (``starter.py release``); decide nothing."""


class Actor(BaseModel):
    """A staff member; ``id`` is a staff identifier, never a subject's data."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._@:-]+$")
    role: Role
