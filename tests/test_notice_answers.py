"""Anyone who can reach the frontend can answer a case's pending notice activity by its id
(RespondActivityTask{Completed,Failed}ById need only the case id and the activity id, which a
describe lists). Found by an attack: a junk result failed the case's workflow task on every
retry, and a 400 KB failure message, logged by the case, held the worker for minutes. Now an
answer the worker did not seal is not believed, a failure's message is kept bounded, and the
case goes on: the next signed decision applies."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.failure.v1 import ApplicationFailureInfo, Failure
from temporalio.api.workflow.v1 import PendingActivityInfo
from temporalio.api.workflowservice.v1 import (
    RespondActivityTaskCompletedByIdRequest,
    RespondActivityTaskFailedByIdRequest,
)
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from settings import Settings
from tests.support import (
    actor,
    eventually,
    history_event_types,
    own_namespace,
    start_case,
    status_of,
    submission,
    wait_stage,
)
from worker import build_worker
from workflows.notice_dispatch import REASON_KEPT, UNREAD_OUTCOME

pytestmark = pytest.mark.slow

NAMESPACE = "notice-answers"


@pytest_asyncio.fixture(scope="module")
async def held(
    env: WorkflowEnvironment, settings: Settings
) -> AsyncIterator[tuple[Client, Settings]]:
    """A relay that takes the connection and never greets: every notice stays pending."""

    held_open: list[asyncio.StreamWriter] = []
    letting_go = asyncio.Event()

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held_open.append(writer)
        if not letting_go.is_set():
            await reader.read()
        writer.close()

    relay = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = relay.sockets[0].getsockname()[1]
    client, own = await own_namespace(
        env, settings, NAMESPACE, smtp_port=port, smtp_timeout_seconds=55
    )
    try:
        async with build_worker(client, own):
            yield client, own
            letting_go.set()  # every send, held or still connecting, ends: the worker stops
            for writer in held_open:
                writer.close()
    finally:
        relay.close()


async def _pending(handle: WorkflowHandle[Any, Any]) -> tuple[str, PendingActivityInfo]:
    def started(d: Any) -> bool:
        return any(
            p.attempt >= 1 and p.HasField("last_started_time")
            for p in d.raw_description.pending_activities
        )

    described = await eventually(handle.describe, started, timeout=60)
    raw = described.raw_description
    return raw.workflow_execution_info.execution.run_id, raw.pending_activities[0]


async def _goes_on(client: Client, handle: WorkflowHandle[Any, Any]) -> None:
    decision = {"actor": actor("FIELD_OFFICE"), "finding": "MEETS_PRIORITIES", "message": "m"}
    await asyncio.wait_for(handle.execute_update("record_local_response", decision), 60)
    assert "EVENT_TYPE_WORKFLOW_TASK_FAILED" not in await history_event_types(client, handle.id)


async def test_a_failure_of_any_length_is_kept_short_and_the_case_goes_on(
    held: tuple[Client, Settings],
) -> None:
    client, own = held
    namespace = own.temporal_namespace
    handle = await start_case(client, own, submission())
    run_id, activity = await _pending(handle)
    await client.workflow_service.respond_activity_task_failed_by_id(
        RespondActivityTaskFailedByIdRequest(
            namespace=namespace,
            workflow_id=handle.id,
            run_id=run_id,
            activity_id=activity.activity_id,
            failure=Failure(
                message="an outsider says: " + "x" * 400_000,
                application_failure_info=ApplicationFailureInfo(type="Nope", non_retryable=True),
            ),
            identity="outsider",
        )
    )
    status = await eventually(
        lambda: status_of(handle), lambda s: any(n.outcome == "FAILED" for n in s.notices)
    )
    (failed,) = [n for n in status.notices if n.outcome == "FAILED"]
    assert failed.error is not None and len(failed.error) <= REASON_KEPT
    assert failed.error.startswith("an outsider says: xxx")
    await _goes_on(client, handle)


@pytest.mark.parametrize(
    "answer",
    [
        Payload(metadata={"encoding": b"json/plain"}, data=b'"not an outcome"'),
        Payload(metadata={"encoding": b"json/external-storage-reference"}, data=b"{}"),
        # Well formed, but not sealed by a key holder: a forgery of "sent and disclosed".
        Payload(
            metadata={"encoding": b"json/plain"},
            data=b'{"delivered": ["REQUESTOR"], "disclosed": ["REQUESTOR"]}',
        ),
    ],
    ids=["junk", "stored-elsewhere", "forged"],
)
async def test_an_answer_the_worker_did_not_seal_is_not_believed(
    held: tuple[Client, Settings], answer: Payload
) -> None:
    client, own = held
    namespace = own.temporal_namespace
    handle = await start_case(client, own, submission())
    run_id, activity = await _pending(handle)
    await client.workflow_service.respond_activity_task_completed_by_id(
        RespondActivityTaskCompletedByIdRequest(
            namespace=namespace,
            workflow_id=handle.id,
            run_id=run_id,
            activity_id=activity.activity_id,
            result=Payloads(payloads=[answer]),
            identity="outsider",
        )
    )
    status = await eventually(lambda: status_of(handle), lambda s: bool(s.notices))
    assert [(n.outcome, n.error) for n in status.notices] == [("FAILED", UNREAD_OUTCOME)]
    assert status.disclosures == []
    await wait_stage(handle, "LOCAL_REVIEW")
    await _goes_on(client, handle)
