"""What a case learns from the worker once, as it opens: recorded, so replay never asks again."""

from pydantic import BaseModel

from domain.deadlines import DeadlinePolicy
from domain.staff import StaffSnapshot


class Opening(BaseModel):
    policy: DeadlinePolicy
    staff: StaffSnapshot | None = None
    """None when no directory is configured (development: any actor is accepted)."""
    earlier_runs: int = 0
    """Runs of the same case id that are not this case's own: a case id is never reused."""
