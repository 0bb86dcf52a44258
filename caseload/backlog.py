"""The backlog as numbers: open and overdue cases per stage and per field office, detained
cases past their determination target, and cases whose workflow task keeps failing. Counted
with visibility count queries (categories only); the worker publishes them as gauges and the
daily backlog report returns them."""

import asyncio
from datetime import UTC, datetime

from pydantic import BaseModel
from temporalio.client import Client

from caseload.queries import CaseFilter, count_cases
from domain.field_office import FieldOffice
from domain.stage import OPEN_STAGES, Stage


class Backlog(BaseModel):
    at: datetime
    open_by_stage: dict[str, int]
    overdue_by_stage: dict[str, int]
    open_by_office: dict[str, int]
    overdue_by_office: dict[str, int]
    # Detained, waiting for the determination, and its target date (NextDeadline) has passed.
    detained_past_target: int
    with_problems: int


async def backlog(client: Client, now: datetime | None = None) -> Backlog:
    now = now or datetime.now(UTC)
    stages = sorted(OPEN_STAGES)
    offices = list(FieldOffice)
    filters = [
        *(CaseFilter(stage=s, running_only=True) for s in stages),
        *(CaseFilter(stage=s, overdue=True) for s in stages),
        *(CaseFilter(office=o, running_only=True) for o in offices),
        *(CaseFilter(office=o, overdue=True) for o in offices),
        CaseFilter(stage=Stage.SRO_REVIEW, detained=True, overdue=True),
        CaseFilter(problems=True, running_only=True),
    ]
    counts = iter(await asyncio.gather(*(count_cases(client, f, now) for f in filters)))

    def take(keys: list[Stage] | list[FieldOffice]) -> dict[str, int]:
        return {k.value: next(counts) for k in keys}

    return Backlog(
        at=now,
        open_by_stage=take(stages),
        overdue_by_stage=take(stages),
        open_by_office=take(offices),
        overdue_by_office=take(offices),
        detained_past_target=next(counts),
        with_problems=next(counts),
    )
