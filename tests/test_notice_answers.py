"""Anyone who can reach the frontend can answer a case's pending notice activity by its id
(RespondActivityTask{Completed,Failed}ById need only the case id and the activity id, which a
describe lists). Found by an attack: a junk result failed the case's workflow task on every
retry, and a 400 KB failure message, logged by the case, held the worker for minutes. Now an
answer the worker did not seal is not believed, a failure's message is kept bounded, and the
case goes on: the next signed decision applies."""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
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
from temporalio.converter import WorkflowSerializationContext
from temporalio.testing import WorkflowEnvironment

from clients import data_converter
from settings import Settings
from tests.conftest import as_service
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
from workflows import notice_dispatch
from workflows.notice_dispatch import REASON_KEPT, UNBELIEVED_RESENDS, UNREAD_OUTCOME

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
    # A resend waits out the worker's own attempt (90 s); here a second is as good.
    waited, notice_dispatch.RESEND_AFTER = notice_dispatch.RESEND_AFTER, timedelta(seconds=1)
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
        notice_dispatch.RESEND_AFTER = waited


async def _pending(
    handle: WorkflowHandle[Any, Any], besides: set[str] | None = None
) -> tuple[str, PendingActivityInfo]:
    """The case's notice activity under way (not one of ``besides``, already answered)."""

    def under_way(d: Any) -> list[PendingActivityInfo]:
        return [
            p
            for p in d.raw_description.pending_activities
            if p.HasField("last_started_time") and p.activity_id not in (besides or set())
        ]

    described = await eventually(handle.describe, lambda d: bool(under_way(d)), timeout=60)
    raw = described.raw_description
    return raw.workflow_execution_info.execution.run_id, under_way(described)[0]


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


FORGED = {"delivered": ["REQUESTOR"], "disclosed": ["REQUESTOR"]}
"""A forgery of "sent and disclosed"."""


async def _answer(
    client: Client, handle: WorkflowHandle[Any, Any], shape: str, own: Settings
) -> Payload:
    """An answer of the given shape, built as an outsider (or an insider) could."""
    plain = {"encoding": b"json/plain"}
    if shape == "junk":
        return Payload(metadata=plain, data=b'"not an outcome"')
    if shape == "stored-elsewhere":
        return Payload(metadata={"encoding": b"json/external-storage-reference"}, data=b"{}")
    if shape == "unsealed":
        return Payload(metadata=plain, data=json.dumps(FORGED).encode())
    if shape == "sealed-for-no-case":  # what any process with the payload keys seals bare
        [sealed] = await data_converter(own).encode([FORGED])
        return sealed
    if shape == "staff-sealed":  # through the codec server: sealed for the case, and stamped
        context = WorkflowSerializationContext(
            namespace=own.temporal_namespace, workflow_id=handle.id
        )
        [sealed] = await client.data_converter.with_context(context).encode([FORGED])
        return sealed
    # "echo": the worker's own sealed payload of this case, the notice it was asked to send
    history = await handle.fetch_history()
    scheduled = [
        e for e in history.events if e.HasField("activity_task_scheduled_event_attributes")
    ]
    return scheduled[0].activity_task_scheduled_event_attributes.input.payloads[0]


@pytest.mark.parametrize(
    "shape",
    ["junk", "stored-elsewhere", "unsealed", "sealed-for-no-case", "staff-sealed", "echo"],
)
async def test_an_answer_the_worker_did_not_write_is_not_believed(
    held: tuple[Client, Settings], shape: str
) -> None:
    """Each is answered to the notice and to each time it is sent again; then the notice is a
    failure in words, with no disclosure, and the case goes on."""
    client, own = held
    handle = await start_case(client, own, submission())
    answered: set[str] = set()
    for _ in range(1 + UNBELIEVED_RESENDS):
        run_id, activity = await _pending(handle, besides=answered)
        answered.add(activity.activity_id)
        await client.workflow_service.respond_activity_task_completed_by_id(
            RespondActivityTaskCompletedByIdRequest(
                namespace=own.temporal_namespace,
                workflow_id=handle.id,
                run_id=run_id,
                activity_id=activity.activity_id,
                result=Payloads(payloads=[await _answer(client, handle, shape, own)]),
                identity="outsider",
            )
        )
    status = await eventually(lambda: status_of(handle), lambda s: bool(s.notices))
    assert [(n.outcome, n.error) for n in status.notices] == [("FAILED", UNREAD_OUTCOME)]
    assert status.disclosures == []
    await wait_stage(handle, "LOCAL_REVIEW")
    await _goes_on(client, handle)


async def test_a_worker_that_also_signs_as_a_service_has_its_outcomes_believed(
    env: WorkflowEnvironment, settings: Settings
) -> None:
    """Found by the third attack: `make run` gives the worker a service key for its reminder
    rounds, its converter stamped everything it sealed, and the case refused every notice
    outcome as stamped. What the worker writes is sealed, never stamped."""
    client, own = await own_namespace(env, as_service(settings, "svc.starter"), "notice-signer")
    async with build_worker(client, own):
        handle = await start_case(client, own, submission())
        status = await eventually(lambda: status_of(handle), lambda s: bool(s.notices))
    assert [(n.kind, n.outcome) for n in status.notices] == [("CASE_OPENED", "SENT")]
