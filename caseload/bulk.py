"""Supervisors' bulk actions. Each goes through the normal decisions (validation, audit,
idempotency) with a decision_id derived from the action, so a repeated run changes nothing."""

import dataclasses
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from temporalio.client import Client, WorkflowUpdateFailedError

from caseload.queries import CaseFilter, find_cases
from domain import search
from domain.stage import Stage
from domain.status import CaseStatus


class Change(BaseModel):
    case_id: str
    action: str
    outcome: str  # planned | applied | skipped | rejected
    detail: str = ""


def _actor(actor_id: str) -> dict[str, str]:
    return {"id": actor_id, "role": "SUPERVISOR"}


async def _decide(client: Client, case_id: str, name: str, payload: dict[str, Any]) -> str | None:
    try:
        await client.get_workflow_handle(case_id).execute_update(name, payload)
    except WorkflowUpdateFailedError as exc:
        return str(getattr(exc.cause, "message", exc.cause))
    return None


async def reassign(
    client: Client, from_id: str, to_id: str, actor_id: str, *, dry_run: bool
) -> list[Change]:
    """Move every open case of one reviewer to another."""
    changes = []
    for wf in await find_cases(client, CaseFilter(reviewer=from_id, running_only=True)):
        handle = client.get_workflow_handle(wf.id)
        status = await handle.query("status", result_type=CaseStatus)
        action = f"assign_reviewer {from_id} -> {to_id}"
        if status.assigned_reviewer != from_id:
            changes.append(
                Change(
                    case_id=wf.id,
                    action=action,
                    outcome="skipped",
                    detail=f"reviewer is now {status.assigned_reviewer}",
                )
            )
            continue
        if dry_run:
            changes.append(Change(case_id=wf.id, action=action, outcome="planned"))
            continue
        refused = await _decide(
            client,
            wf.id,
            "assign_reviewer",
            {
                "actor": _actor(actor_id),
                "reviewer_id": to_id,
                "decision_id": f"reassign:{from_id}->{to_id}:{len(status.history)}",
            },
        )
        changes.append(
            Change(
                case_id=wf.id,
                action=action,
                outcome="rejected" if refused else "applied",
                detail=refused or "",
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
    changes = []
    selected = dataclasses.replace(case_filter, running_only=True)
    for wf in await find_cases(client, selected):
        stage = wf.typed_search_attributes.get(search.CASE_STAGE)
        action = f"send_reminders round {round_id}"
        if stage not in (Stage.LOCAL_REVIEW, Stage.SRO_REVIEW):
            changes.append(
                Change(
                    case_id=wf.id,
                    action=action,
                    outcome="skipped",
                    detail=f"stage {stage} waits for no staff",
                )
            )
            continue
        if dry_run:
            changes.append(Change(case_id=wf.id, action=action, outcome="planned"))
            continue
        refused = await _decide(
            client,
            wf.id,
            "send_reminders",
            {"actor": _actor(actor_id), "decision_id": f"reminders:{round_id}"},
        )
        changes.append(
            Change(
                case_id=wf.id,
                action=action,
                outcome="rejected" if refused else "applied",
                detail=refused or "",
            )
        )
    return changes
