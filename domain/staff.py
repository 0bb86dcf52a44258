"""Staff as the directory knows them: who holds which role, and for field offices, where."""

from datetime import datetime

from pydantic import BaseModel, Field

from domain.field_office import FieldOffice
from domain.roles import Role


class StaffMember(BaseModel):
    """``service``: a system, not a person (an integrating system's starter, reminder rounds);
    it signs with its own keys (``public_keys``: key id to base64 Ed25519 public key)."""

    id: str
    roles: list[Role]
    field_offices: list[FieldOffice] = []
    service: bool = False
    public_keys: dict[str, str] = {}


class StaffSnapshot(BaseModel):
    """The directory as a case last read it (a local activity), so replay never rereads it."""

    members: dict[str, StaffMember]
    loaded_at: datetime
    refresh_minutes: float = Field(default=10, gt=0)
    stamp_keys: dict[str, str] = {}
    """The codec server's public stamp keys the workers accept (several during rotation)."""
    stamp_freshness_hours: float = Field(default=72, gt=0)

    def refusal(self, actor_id: str, role: Role, case_office: FieldOffice) -> str | None:
        member = self.members.get(actor_id)
        if member is None:
            return (
                f"unknown staff id {actor_id!r} (directory as of {self.loaded_at:%Y-%m-%d %H:%M}"
                " UTC; if just added, send again in a minute)"
            )
        if role not in member.roles:
            return f"staff {actor_id} does not hold role {role} in the staff directory"
        if role is Role.FIELD_OFFICE and case_office not in member.field_offices:
            return f"staff {actor_id} is not assigned to this case's field office"
        return None
