"""Visibility queries over the contract's search attributes (identifiers and categories only)."""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter
from temporalio.client import Client, WorkflowExecution
from temporalio.common import SearchAttributeKey

from domain.decisions import StaffId
from domain.field_office import FieldOffice
from domain.identity import normalize_a_number, subject_key
from domain.stage import Stage
from workflows import search_attributes as search

WORKFLOW_TYPE = f"WorkflowType = '{search.CASE_WORKFLOW}'"
RUNNING = "ExecutionStatus = 'Running'"
# Temporal sets this system attribute on a run whose workflow tasks keep failing (a frozen case).
PROBLEMS = "TemporalReportedProblems"
_PROBLEMS_KEY = SearchAttributeKey.for_keyword_list(PROBLEMS)
PAGE_LIMIT = 1000
_STAFF_ID: TypeAdapter[str] = TypeAdapter(StaffId)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class CaseFilter:
    """Each field narrows the list; values are validated so none can break out of the query."""

    stage: Stage | None = None
    office: FieldOffice | None = None
    reviewer: str | None = None
    detained: bool | None = None
    overdue: bool = False
    closed_since: datetime | None = None
    subject_key: str | None = None
    subject_keys: tuple[str, ...] = ()
    """Any of these keys: the A-number's hash under the current and the previous secrets."""
    running_only: bool = False
    problems: bool = False
    task_queue: str | None = None
    """Only runs on this task queue: bulk jobs act on the worker's cases, never on a run a raw
    client started under the case type on a queue nobody (or only an attacker) polls."""

    def query(self, now: datetime | None = None) -> str:
        clauses = [WORKFLOW_TYPE]
        if self.stage is not None:
            clauses.append(f"{search.CASE_STAGE.name} = '{Stage(self.stage)}'")
        if self.office is not None:
            clauses.append(f"{search.FIELD_OFFICE.name} = '{FieldOffice(self.office)}'")
        if self.reviewer is not None:
            reviewer = _STAFF_ID.validate_python(self.reviewer)
            clauses.append(f"{search.ASSIGNED_REVIEWER.name} = '{reviewer}'")
        if self.detained is not None:
            clauses.append(f"{search.DETAINED.name} = {str(self.detained).lower()}")
        if self.overdue:
            clauses += [
                RUNNING,
                f"{search.NEXT_DEADLINE.name} < '{_iso(now or datetime.now(UTC))}'",
            ]
        if self.closed_since is not None:
            clauses.append(f"CloseTime >= '{_iso(self.closed_since)}'")
        keys = (*((self.subject_key,) if self.subject_key else ()), *self.subject_keys)
        if keys:
            if not all(c in "0123456789abcdef" for key in keys for c in key):
                raise ValueError("subject key must be a hex digest")
            listed = ", ".join(f"'{key}'" for key in keys)
            clauses.append(f"{search.SUBJECT_KEY.name} IN ({listed})")
        if self.problems:
            clauses.append(f"{PROBLEMS} IS NOT NULL")
        if self.task_queue is not None:
            if not self.task_queue or not all(c.isalnum() or c in "-_." for c in self.task_queue):
                raise ValueError("task queue must be letters, digits, '-', '_' or '.'")
            clauses.append(f"TaskQueue = '{self.task_queue}'")
        if self.running_only and not self.overdue:
            clauses.append(RUNNING)
        return " AND ".join(clauses)


def subject_filter(a_number: str, secret: str, previous: tuple[str, ...] = ()) -> CaseFilter:
    """Find by A-number: the keyed hash is computed here, so the number never leaves. Cases
    opened before a rotation of the secret carry the hash under a ``previous`` one."""
    number = normalize_a_number(a_number)
    return CaseFilter(subject_keys=tuple(subject_key(number, s) for s in (secret, *previous)))


def row(wf: WorkflowExecution, now: datetime | None = None) -> dict[str, Any]:
    attrs = wf.typed_search_attributes
    deadline = attrs.get(search.NEXT_DEADLINE)
    running = wf.status is not None and wf.status.name == "RUNNING"
    return {
        "case_id": wf.id,
        "status": wf.status.name if wf.status else "",
        "stage": attrs.get(search.CASE_STAGE) or "",
        "field_office": attrs.get(search.FIELD_OFFICE) or "",
        "reviewer": attrs.get(search.ASSIGNED_REVIEWER) or "",
        "detained": bool(attrs.get(search.DETAINED)),
        "finding": attrs.get(search.CASE_FINDING) or "",
        "next_deadline": _iso(deadline) if deadline else "",
        "overdue": bool(running and deadline and deadline < (now or datetime.now(UTC))),
        "problems": bool(attrs.get(_PROBLEMS_KEY)),
    }


async def find_cases(
    client: Client, case_filter: CaseFilter, limit: int | None = PAGE_LIMIT
) -> list[WorkflowExecution]:
    """The matching cases, newest first, at most ``limit`` of them (None: all, page by page)."""
    found: list[WorkflowExecution] = []
    async for wf in client.list_workflows(case_filter.query(), limit=limit):
        found.append(wf)
    return found


async def count_cases(client: Client, case_filter: CaseFilter, now: datetime | None = None) -> int:
    return (await client.count_workflows(case_filter.query(now))).count


async def counts(client: Client) -> dict[str, Any]:
    """Cases per stage (all), open cases per field office and open cases whose workflow task
    keeps failing, one count query each."""
    stages = list(Stage)
    offices = list(FieldOffice)
    results = await asyncio.gather(
        *(count_cases(client, CaseFilter(stage=s)) for s in stages),
        *(count_cases(client, CaseFilter(office=o, running_only=True)) for o in offices),
        count_cases(client, CaseFilter(problems=True, running_only=True)),
    )
    by_stage = dict(zip((s.value for s in stages), results[: len(stages)], strict=True))
    by_office = dict(zip((o.value for o in offices), results[len(stages) : -1], strict=True))
    return {
        "by_stage": by_stage,
        "open_by_office": {k: v for k, v in by_office.items() if v},
        "with_problems": results[-1],
    }
