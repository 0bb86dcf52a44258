"""Case files for the rule tests: built and moved in memory, no server, no clock."""

from datetime import UTC, datetime, timedelta
from typing import Any

from domain.case_file import CaseFile
from domain.deadlines import DeadlinePolicy
from domain.decisions import DECISIONS, Decision
from domain.inquiry import Submission
from domain.roles import Actor, Role
from domain.staff import StaffMember, StaffSnapshot
from tests.support import represented, sro_submission, submission

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CASE_ID = "ICR-UNITTEST0001"


def days(n: float) -> timedelta:
    return timedelta(days=n)


def opened(data: dict[str, Any] | None = None, *, policy: DeadlinePolicy | None = None) -> CaseFile:
    """A case as the workflow has it after start: policy applied, opening notices posted."""
    case = CaseFile.from_submission(CASE_ID, Submission.model_validate(data or submission()), T0)
    case.apply_policy(policy or DeadlinePolicy())
    return case


def local_review() -> CaseFile:
    return opened(submission())


def at_sro(data: dict[str, Any] | None = None, *, now: datetime = T0) -> CaseFile:
    """An SRO inquiry after its completeness check."""
    case = opened(data or sro_submission())
    case.take_notices()
    case.finish_intake(now)
    return case


def in_review(**overrides: Any) -> CaseFile:
    case = at_sro(sro_submission(**overrides))
    case.take_notices()
    return case


def incomplete() -> CaseFile:
    """A represented inquiry without the authorization form: waits for information."""
    case = at_sro(represented(form=None))
    return case


def actor(role: Role, staff_id: str | None = None) -> Actor:
    return Actor(id=staff_id or f"{role.value.lower()}.one", role=role)


def decision(name: str, role: Role, **fields: Any) -> Decision:
    """A decision built through its own model, exactly as the workflow reads one."""
    return DECISIONS[name].model.model_validate(
        {"actor": actor(role, fields.pop("staff_id", None)).model_dump(), **fields}
    )


def decide(case: CaseFile, name: str, role: Role, now: datetime = T0, **fields: Any) -> None:
    """Judge, then apply: the path every signal and update takes."""
    made = decision(name, role, **fields)
    refusal = case.judge(name, made)
    assert refusal is None, refusal
    case.apply(name, made, now)


def directory(*members: StaffMember) -> StaffSnapshot:
    return StaffSnapshot(members={m.id: m for m in members}, loaded_at=T0)
