"""500 cases at once, each driven by its own client with every decision sent twice (as a signal
and as an update, concurrently) and in a shuffled order: each case ends as its decisions imply."""

import asyncio
import random
from typing import Any

import pytest
from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError

from domain.inquiry import Submission
from intake import submit
from settings import Settings
from tests.support import actor, status_of, submission

pytestmark = [pytest.mark.usefixtures("worker"), pytest.mark.slow]

CASES = 500


def decisions(i: int) -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            "record_local_response",
            {"actor": actor("FIELD_OFFICE"), "finding": "MEETS_PRIORITIES", "message": "m"},
        ),
        (
            "submit_sro_inquiry",
            {"actor": actor("INTAKE"), "phone": "2125550143", "email": "maria.lopez@example.org"},
        ),
        ("assign_reviewer", {"actor": actor("SUPERVISOR"), "reviewer_id": f"r{i % 7}"}),
        ("add_note", {"actor": actor("SRO"), "text": f"case {i}"}),
    ]


def finding(i: int) -> str:
    return "MEETS_PRIORITIES" if i % 2 else "DOES_NOT_MEET_PRIORITIES"


async def send_twice(client: Client, case_id: str, name: str, payload: dict[str, Any]) -> bool:
    """The same decision as a signal and as an update at once; True once it is applied."""
    handle = client.get_workflow_handle(case_id)
    signal = handle.signal(name, payload)
    update = handle.execute_update(name, payload)
    results = await asyncio.gather(signal, update, return_exceptions=True)
    if not isinstance(results[1], BaseException):
        return True
    if isinstance(results[1], WorkflowUpdateFailedError):
        # Refused (too early): the signal was judged against the same case, so refused too
        # (had it come first and been applied, the update would have answered its result).
        return False
    # The signal won and closed the case first (applied is applied), or the update's long poll
    # timed out on a busy machine: resent below, applied at most once.
    retry = RPCError | WorkflowUpdateRPCTimeoutOrCancelledError
    if not isinstance(results[1], retry):
        raise results[1]
    try:
        status = await status_of(handle)
    except RPCError:  # a query that timed out on a busy machine: unknown, so sent again
        return False
    return any(h.decision_id == payload["decision_id"] for h in status.history)


async def drive(client: Client, settings: Settings, i: int, rng: random.Random) -> str:
    started = await submit(client, Submission.model_validate(submission()), settings)
    pending = [(name, {**p, "decision_id": f"{i}-{name}"}) for name, p in decisions(i)]
    rng.shuffle(pending)
    for _ in range(200):  # out of order ones are refused until their stage comes
        if not pending:
            break
        name, payload = pending.pop(0)
        if not await send_twice(client, started.case_id, name, payload):
            pending.append((name, payload))
            await asyncio.sleep(0.05)
    assert not pending, f"case {i}: never applied {[n for n, _ in pending]}"
    final = {
        "actor": actor("SRO", f"r{i % 7}"),  # the assigned reviewer
        "finding": finding(i),
        "rationale": "r",
        "decision_id": f"{i}-d",
    }
    for _ in range(200):  # the SRO's intake may still be running
        if await send_twice(client, started.case_id, "record_determination", final):
            return started.case_id
        await asyncio.sleep(0.05)
    raise AssertionError(f"case {i}: the determination never applied")


async def test_500_cases_with_duplicated_and_reordered_decisions(
    client: Client, settings: Settings
) -> None:
    rng = random.Random(20261127)
    case_ids = await asyncio.gather(
        *(drive(client, settings, i, random.Random(rng.random())) for i in range(CASES))
    )
    for i, case_id in enumerate(case_ids):
        result = await client.get_workflow_handle(case_id).result()
        assert (result["stage"], result["closure_reason"]) == ("CLOSED", "DETERMINATION_ISSUED")
        assert result["finding"] == finding(i)
        assert result["assigned_reviewer"] == f"r{i % 7}"
        applied = [h["decision_id"] for h in result["history"]]
        assert sorted(applied) == sorted(
            [f"{i}-{name}" for name, _ in decisions(i)] + [f"{i}-d"]
        ), f"case {i}: each decision exactly once"
