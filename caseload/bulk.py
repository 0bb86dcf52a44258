"""Supervisors' bulk actions. Each goes through the normal decisions (validation, audit,
idempotency) with a decision_id derived from the action, so a repeated run changes nothing."""

import dataclasses
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from temporalio.client import Client, WorkflowUpdateFailedError

from caseload.queries import CaseFilter, find_cases
from domain.decisions import DECISIONS
from domain.status import CaseStatus
from workflows import search_attributes as search


class Change(BaseModel):
    case_id: str
    action: str
    outcome: str  # planned | applied | skipped | rejected
    detail: str = ""


def _actor(actor_id: str) -> dict[str, str]:
    return {"id": actor_id, "role": "SUPERVISOR"}


async def _act(
    client: Client,
    case_id: str,
    action: str,
    decision: tuple[str, dict[str, Any]],
    *,
    skip_because: str | None,
    dry_run: bool,
) -> Change:
    """One case of a bulk action: skipped, planned, or sent as a normal decision (update)."""
    if skip_because is not None:
        return Change(case_id=case_id, action=action, outcome="skipped", detail=skip_because)
    if dry_run:
        return Change(case_id=case_id, action=action, outcome="planned")
    name, payload = decision
    try:  # each decision names its case: a signed decision counts only there
        await client.get_workflow_handle(case_id).execute_update(
            name, {**payload, "case_id": case_id}
        )
    except WorkflowUpdateFailedError as exc:
        detail = str(getattr(exc.cause, "message", exc.cause))
        return Change(case_id=case_id, action=action, outcome="rejected", detail=detail)
    return Change(case_id=case_id, action=action, outcome="applied")


async def reassign(
    client: Client, from_id: str, to_id: str, actor_id: str, *, dry_run: bool
) -> list[Change]:
    """Move every open case of one reviewer to another."""
    changes = []
    for wf in await find_cases(client, CaseFilter(reviewer=from_id, running_only=True)):
        status = await client.get_workflow_handle(wf.id).query("status", result_type=CaseStatus)
        payload = {
            "actor": _actor(actor_id),
            "reviewer_id": to_id,
            "decision_id": f"reassign:{from_id}->{to_id}:{len(status.history)}",
        }
        moved = status.assigned_reviewer != from_id
        changes.append(
            await _act(
                client,
                wf.id,
                f"assign_reviewer {from_id} -> {to_id}",
                ("assign_reviewer", payload),
                skip_because=f"reviewer is now {status.assigned_reviewer}" if moved else None,
                dry_run=dry_run,
            )
        )
    return changes


async def reminder_round(
    client: Client,
    case_filter: CaseFilter,
    actor_id: str,
    *,
    round_id: str | None = None,
    dry_run: bool,
) -> list[Change]:
    """Remind whoever each selected open case waits for; one round per ``round_id`` (default:
    today's date), so running it twice the same day sends nothing more."""
    round_id = round_id or datetime.now(UTC).strftime("%Y-%m-%d")
    payload = {"actor": _actor(actor_id), "decision_id": f"reminders:{round_id}"}
    changes = []
    for wf in await find_cases(client, dataclasses.replace(case_filter, running_only=True)):
        stage = wf.typed_search_attributes.get(search.CASE_STAGE)
        idle = stage not in DECISIONS["send_reminders"].stages
        changes.append(
            await _act(
                client,
                wf.id,
                f"send_reminders round {round_id}",
                ("send_reminders", payload),
                skip_because=f"stage {stage} waits for no staff" if idle else None,
                dry_run=dry_run,
            )
        )
    return changes
