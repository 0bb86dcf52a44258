"""An update that lands while a case continues as new is applied or refused in words, never
answered with the server's "unexpected workflow task failure"
(``CaseReviewWorkflow._continue_as_new``).

On the real dev server: signals push the case across its per-run cap again and again while
staff send updates, some the case applies and some it refuses, without a pause."""

import asyncio
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.worker import Replayer

from clients import worker_data_converter
from sandbox import workflow_runner
from settings import Settings
from tests.support import (
    actor,
    signal_politely,
    start_case,
    status_of,
    submission,
    wait_stage,
)
from workflows.case_review import CaseReviewWorkflow
from workflows.server_limits import SIGNALS_BEFORE_CONTINUING

pytestmark = [pytest.mark.usefixtures("worker"), pytest.mark.slow]

HANDOVERS = 10
SIGNALS = HANDOVERS * SIGNALS_BEFORE_CONTINUING
STAGE_REFUSAL = "record_determination is not allowed in stage LOCAL_REVIEW"


def replayer(settings: Settings) -> Replayer:
    return Replayer(
        workflows=[CaseReviewWorkflow],
        data_converter=worker_data_converter(settings),
        workflow_runner=workflow_runner(),
    )


async def stream_of_signals(handle: WorkflowHandle[Any, Any]) -> None:
    """Notes from ten senders at once: some land while the run hands over."""
    senders = asyncio.Semaphore(10)

    async def one(i: int) -> None:
        async with senders:
            await signal_politely(handle, "add_note", {"actor": actor("SRO"), "text": f"s{i}"})

    await asyncio.gather(*(one(i) for i in range(SIGNALS)))


async def test_updates_during_handovers_are_applied_or_refused_in_words(
    client: Client, settings: Settings
) -> None:
    handle = await start_case(client, settings, submission())
    await wait_stage(handle, "LOCAL_REVIEW")
    first_run = (await handle.describe()).run_id
    answers: dict[str, str] = {}  # decision_id or refusal tag -> what the caller saw
    done = asyncio.Event()

    async def staff(desk: int) -> None:
        sent = 0
        while not done.is_set():
            sent += 1
            if desk == 0 and sent % 2:  # a decision the case refuses by its rules
                key, name = f"refused-{sent}", "record_determination"
                body: dict[str, Any] = {
                    "actor": actor("SRO"),
                    "finding": "MEETS_PRIORITIES",
                    "rationale": "r",
                }
            else:
                key, name = f"d{desk}-{sent}", "add_note"
                body = {"actor": actor("SRO"), "text": key, "decision_id": key}
            try:
                await handle.execute_update(name, body)
                answers[key] = "applied"
            except WorkflowUpdateFailedError as err:
                answers[key] = f"refused: {err.cause}"
            except Exception as err:  # what the finding saw: an RPCError
                status = getattr(getattr(err, "status", None), "name", "")
                answers[key] = f"{type(err).__name__} {status}: {err}"

    async def signals_then_stop() -> None:
        await stream_of_signals(handle)
        done.set()

    await asyncio.gather(signals_then_stop(), *(staff(desk) for desk in range(3)))

    broken = {k: v for k, v in answers.items() if not v.startswith(("applied", "refused"))}
    assert not broken, f"{len(broken)} of {len(answers)} updates failed: {broken}"
    notes = {k for k, v in answers.items() if not k.startswith("refused")}
    assert all(answers[k] == "applied" for k in notes), answers
    refused = [v for k, v in answers.items() if k.startswith("refused")]
    assert refused and all(STAGE_REFUSAL in v for v in refused), refused
    # Every applied note is in the case file, once.
    status = await status_of(handle)
    kept = [h.decision_id for h in status.history if h.decision_id in notes]
    assert sorted(kept) == sorted(notes)
    assert (await handle.describe()).run_id != first_run
    runs = [w async for w in client.list_workflows(f"WorkflowId = '{handle.id}'")]
    assert len(runs) > HANDOVERS // 2, "the case handed over again and again"
    # Each run replays: where an update arrived counts by the history, not by the live task.
    for run in runs:
        history = await client.get_workflow_handle(handle.id, run_id=run.run_id).fetch_history()
        replayed = await replayer(settings).replay_workflow(history, raise_on_replay_failure=False)
        assert replayed.replay_failure is None, (run.run_id, replayed.replay_failure)
