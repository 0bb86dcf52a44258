"""Supervisors' bulk actions. Each goes through the normal decisions (validation, audit,
idempotency) with a decision_id derived from the action, so a repeated run changes nothing."""

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError

from caseload.queries import CaseFilter, find_cases, row
from domain.decisions import DECISIONS
from domain.status import CaseStatus
from workflows import search_attributes as search

ANSWER_WITHIN = timedelta(seconds=30)


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
    answer_within: timedelta = ANSWER_WITHIN,
) -> Change:
    """One case of a bulk action: skipped, planned, or sent as a normal decision (update).
    Whatever goes wrong with one case (no answer by its deadline, an RPC error) is that case's
    refusal, never the end of the whole action."""
    if skip_because is not None:
        return Change(case_id=case_id, action=action, outcome="skipped", detail=skip_because)
    if dry_run:
        return Change(case_id=case_id, action=action, outcome="planned")
    name, payload = decision
    update = client.get_workflow_handle(case_id).execute_update(
        name,
        {**payload, "case_id": case_id},  # each decision names its case: signed for it only
        rpc_timeout=answer_within,
    )
    try:
        await asyncio.wait_for(update, answer_within.total_seconds())
    except WorkflowUpdateFailedError as exc:
        detail = str(getattr(exc.cause, "message", exc.cause))
        return Change(case_id=case_id, action=action, outcome="rejected", detail=detail)
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        detail = f"no answer within {answer_within.seconds}s (is its workflow task failing?)"
        return Change(case_id=case_id, action=action, outcome="rejected", detail=detail)
    except RPCError as exc:
        detail = f"the server refused the update: {exc.message}"
        return Change(case_id=case_id, action=action, outcome="rejected", detail=detail)
    return Change(case_id=case_id, action=action, outcome="applied")


def _stuck(wf: WorkflowExecution) -> str | None:
    """A case Temporal flags as failing its workflow tasks would never answer: skip it."""
    return "its workflow task keeps failing" if row(wf)["problems"] else None


async def reassign(
    client: Client,
    from_id: str,
    to_id: str,
    actor_id: str,
    *,
    task_queue: str,
    dry_run: bool,
) -> list[Change]:
    """Move every open case of one reviewer (on the workers' ``task_queue``) to another."""
    changes = []
    mine = CaseFilter(reviewer=from_id, running_only=True, task_queue=task_queue)
    for wf in await find_cases(client, mine, None):
        if _stuck(wf):
            changes.append(
                Change(
                    case_id=wf.id,
                    action="assign_reviewer",
                    outcome="skipped",
                    detail=_stuck(wf) or "",
                )
            )
            continue
        try:
            status = await client.get_workflow_handle(wf.id).query(
                "status", result_type=CaseStatus, rpc_timeout=ANSWER_WITHIN
            )
        except (RPCError, WorkflowQueryFailedError) as exc:
            detail = f"its status could not be read: {exc}"
            changes.append(
                Change(case_id=wf.id, action="assign_reviewer", outcome="rejected", detail=detail)
            )
            continue
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
    task_queue: str,
    round_id: str | None = None,
    dry_run: bool,
) -> list[Change]:
    """Remind whoever each selected open case (on the workers' ``task_queue``) waits for; one
    round per ``round_id`` (default: today's date), so running it twice the same day sends
    nothing more."""
    round_id = round_id or datetime.now(UTC).strftime("%Y-%m-%d")
    payload = {"actor": _actor(actor_id), "decision_id": f"reminders:{round_id}"}
    changes = []
    open_cases = dataclasses.replace(case_filter, running_only=True, task_queue=task_queue)
    for wf in await find_cases(client, open_cases, None):
        stage = wf.typed_search_attributes.get(search.CASE_STAGE)
        idle = stage not in DECISIONS["send_reminders"].stages
        changes.append(
            await _act(
                client,
                wf.id,
                f"send_reminders round {round_id}",
                ("send_reminders", payload),
                skip_because=f"stage {stage} waits for no staff" if idle else _stuck(wf),
                dry_run=dry_run,
            )
        )
    return changes
