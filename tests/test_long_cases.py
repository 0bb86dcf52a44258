"""Cases that run for months: continue-as-new carries the whole case; the logs keep their newest
entries and count every older one, so nothing is lost unaccounted."""

import asyncio
from typing import Any

import pytest
from temporalio.client import Client

from domain.inquiry import Submission
from intake import submit
from settings import Settings
from tests.conftest import SUGGEST_CONTINUE_AS_NEW_AT
from tests.support import (
    actor,
    eventually,
    history_event_types,
    represented,
    signal_politely,
    status_of,
    wait_stage,
)

pytestmark = [pytest.mark.usefixtures("worker"), pytest.mark.slow]

NOTES, REFUSED = 2000, 600


async def test_thousands_of_notes_and_refusals_cross_runs_and_complete(
    client: Client, settings: Settings
) -> None:
    started = await submit(client, Submission.model_validate(represented(detained=True)), settings)
    handle = client.get_workflow_handle(started.case_id)
    await wait_stage(handle, "SRO_REVIEW")
    await handle.execute_update("assign_reviewer", {"actor": actor("SRO"), "reviewer_id": "r9"})
    await handle.execute_update(
        "request_consultation",
        {"actor": actor("SRO"), "party": "ICE_ATTORNEYS", "question": "q", "decision_id": "c1"},
    )
    before = await status_of(handle)

    async def send(i: int) -> None:
        if i % 4 == 3 and i // 4 < REFUSED:
            await signal_politely(
                handle, "record_determination", {"actor": actor("INTAKE"), "x": i}
            )
        else:
            await signal_politely(handle, "add_note", {"actor": actor("SRO"), "text": f"note {i}"})

    total = NOTES + REFUSED
    for batch in range(0, total, 100):  # concurrent senders, some signals land mid-handover
        # (a sender waits out the server's per-run signal cap while the case hands over)
        await asyncio.gather(*(send(i) for i in range(batch, min(batch + 100, total))))
    # An update in flight while runs change hands is answered too.
    again: Any = await handle.execute_update(
        "request_consultation",
        {"actor": actor("SRO"), "party": "ICE_ATTORNEYS", "question": "q", "decision_id": "c1"},
    )
    assert len(again["consultations"]) == 1, "the applied decision_id survived the handover"

    status = await eventually(
        lambda: status_of(handle),
        lambda s: (
            s.history_dropped + len(s.history) == 2 + NOTES
            and s.rejected_dropped + len(s.rejected) == REFUSED
        ),
        timeout=60,
    )
    description = await handle.describe()
    assert description.run_id != started.run_id, "the case continued as new at least once"
    # Deadlines stay absolute, the consultation and reviewer are carried over.
    assert status.open_tasks == before.open_tasks
    assert status.assigned_reviewer == "r9"
    await handle.execute_update(
        "record_consultation_response",
        {"actor": actor("ICE_ATTORNEY"), "consultation_id": "C1", "response": "none"},
    )
    await handle.execute_update(
        "record_determination",
        {"actor": actor("SRO", "r9"), "finding": "DOES_NOT_MEET_PRIORITIES", "rationale": "r"},
    )
    final = await handle.result()
    assert final["closure_reason"] == "DETERMINATION_ISSUED"
    assert final["history_dropped"] + len(final["history"]) == NOTES + 4
    assert final["rejected_dropped"] + len(final["rejected"]) == REFUSED
    assert len(final["history"]) == 1000 and len(final["rejected"]) == 100  # bounded
    notices = [n["kind"] for n in final["notices"]]
    assert notices.count("INQUIRY_RECEIVED") == 1 and notices.count("DETERMINATION") == 1
    events = await history_event_types(client, handle.id)  # the last run
    assert len(events) < SUGGEST_CONTINUE_AS_NEW_AT * 2
    assert "EVENT_TYPE_WORKFLOW_TASK_FAILED" not in events
