"""The envelope attacks of an outsider with a raw Temporal client, on the real dev server:
payloads that do not decrypt, unknown encodings, argument counts, starts with no or too many
inputs, a closed case's id reused, floods. Each case then completes; no workflow task fails."""

import asyncio
import json
from typing import Any

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import (
    Client,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.common import RawValue, WorkflowIDReusePolicy
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.case_id import new_case_id
from security.codec import ENCODING, KEY_ID
from settings import Settings
from tests.support import (
    actor,
    eventually,
    history_event_types,
    signal_politely,
    sro_submission,
    start_case,
    status_of,
    submission,
    wait_stage,
)

pytestmark = pytest.mark.usefixtures("worker")

WITHDRAW = {"actor": actor("INTAKE"), "reason": "Done."}


def raw(client: Client) -> Client:
    """The same server without the payload codec: what an outsider's client sends as is."""
    config = client.config()
    config["data_converter"] = pydantic_data_converter
    return Client(**config)


BAD_PAYLOADS = {
    "short ciphertext": Payload(metadata={"encoding": ENCODING, KEY_ID: b"test1"}, data=b"xyz"),
    "unknown key": Payload(metadata={"encoding": ENCODING, KEY_ID: b"nokey"}, data=b"x" * 40),
    "bad tag": Payload(metadata={"encoding": ENCODING, KEY_ID: b"test1"}, data=bytes(60)),
    "unknown encoding": Payload(metadata={"encoding": b"foo/bar"}, data=b"{}"),
    "no encoding": Payload(data=b"{}"),
}


async def finish(handle: WorkflowHandle[Any, Any], client: Client) -> None:
    """The case still decides, and ends, normally; its tasks never failed."""
    await handle.execute_update("withdraw", WITHDRAW)
    assert (await handle.result())["closure_reason"] == "WITHDRAWN"
    assert "EVENT_TYPE_WORKFLOW_TASK_FAILED" not in await history_event_types(client, handle.id)


async def test_payloads_that_cannot_be_decoded_are_refused(
    client: Client, settings: Settings
) -> None:
    handle = await start_case(client, settings, submission())
    await wait_stage(handle, "LOCAL_REVIEW")
    outsider = raw(client).get_workflow_handle(handle.id)
    for payload in BAD_PAYLOADS.values():
        await outsider.signal("record_local_response", RawValue(payload))
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await outsider.execute_update("record_local_response", RawValue(payload))
        assert "send one JSON object" in str(refused.value.cause)
        with pytest.raises(WorkflowQueryFailedError):
            await outsider.query("status", RawValue(payload))
    status = await eventually(
        lambda: status_of(handle), lambda s: len(s.rejected) == len(BAD_PAYLOADS)
    )
    assert [r.reason.split(";")[0] for r in status.rejected] == [
        "the payload could not be decrypted",
        "the payload could not be decrypted",
        "the payload could not be decrypted",
        "unknown payload encoding",
        "the payload has no encoding",
    ]
    await finish(handle, client)


async def test_any_number_of_arguments_is_refused_by_its_count(
    client: Client, settings: Settings
) -> None:
    handle = await start_case(client, settings, submission())
    await wait_stage(handle, "LOCAL_REVIEW")
    await handle.signal("add_note", args=[{"actor": actor("SRO"), "text": "a"}, "extra"])
    await handle.signal("add_note", args=[1, 2, 3])
    # JSON only a lenient parser reads: the SDK's own decoding of two arguments failed on it
    # and dropped the signal uncounted.
    deep = Payload(metadata={"encoding": b"json/plain"}, data=b"[" * 500 + b"]" * 500)
    utf16 = Payload(metadata={"encoding": b"json/plain"}, data='{"a": 1}'.encode("utf-16"))
    await (
        raw(client)
        .get_workflow_handle(handle.id)
        .signal("add_note", args=[RawValue(deep), RawValue(utf16)])
    )
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update("add_note", args=[{"actor": actor("SRO"), "text": "a"}, 2])
    assert "2 arguments arrived" in str(refused.value.cause)
    with pytest.raises(WorkflowQueryFailedError) as query:
        await handle.query("status", "extra")
    assert "takes no arguments" in str(query.value)
    status = await eventually(lambda: status_of(handle), lambda s: len(s.rejected) == 3)
    assert [r.reason.split(";")[0] for r in status.rejected] == [
        "2 arguments arrived",
        "3 arguments arrived",
        "2 arguments arrived",
    ]
    await finish(handle, client)


@pytest.mark.parametrize("inputs", [[], ["a", "b", "c"]], ids=["none", "three"])
async def test_a_start_with_the_wrong_number_of_inputs_fails_cleanly_at_once(
    client: Client, settings: Settings, inputs: list[Any]
) -> None:
    handle = await client.start_workflow(
        "CaseReviewWorkflow", args=inputs, id=new_case_id(), task_queue=settings.task_queue
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await asyncio.wait_for(handle.result(), 20)
    assert f"{len(inputs)} inputs arrived" in str(failed.value.cause)
    assert "EVENT_TYPE_WORKFLOW_TASK_FAILED" not in await history_event_types(client, handle.id)


async def test_a_start_that_cannot_be_decrypted_fails_cleanly(
    client: Client, settings: Settings
) -> None:
    started = await raw(client).start_workflow(
        "CaseReviewWorkflow",
        RawValue(BAD_PAYLOADS["bad tag"]),
        id=new_case_id(),
        task_queue=settings.task_queue,
    )
    with pytest.raises(WorkflowFailureError) as failed:  # read as staff would: decrypted
        await asyncio.wait_for(client.get_workflow_handle(started.id).result(), 20)
    assert "invalid submission: the payload could not be decrypted" in str(failed.value.cause)


async def test_a_closed_case_id_is_never_taken_again(client: Client, settings: Settings) -> None:
    handle = await start_case(client, settings, submission())
    await wait_stage(handle, "LOCAL_REVIEW")
    await finish(handle, client)
    status = await status_of(handle)
    forged = json.loads(status.model_dump_json())  # a made-up "carried" case file
    for args, why in (
        ([submission(), forged], "carried only by the case's own continue-as-new"),
        ([submission()], "this case id was used before"),
    ):
        again = await client.start_workflow(
            "CaseReviewWorkflow",
            args=args,
            id=handle.id,
            task_queue=settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )
        with pytest.raises(WorkflowFailureError) as failed:
            await asyncio.wait_for(again.result(), 20)
        assert why in str(failed.value.cause)
        assert "EVENT_TYPE_UPDATE_ACCEPTED" not in await history_event_types(client, handle.id)


async def test_a_signal_under_a_name_no_decision_has_is_recorded_without_its_name(
    client: Client, settings: Settings
) -> None:
    """Unhandled, such a signal stayed unread in the worker's memory and never woke the case."""
    handle = await start_case(client, settings, submission())
    await wait_stage(handle, "LOCAL_REVIEW")
    outsider = raw(client).get_workflow_handle(handle.id)
    await outsider.signal("not_a_decision", {"text": "hello"})
    await outsider.signal("Maria Lopez A-123-456-789", RawValue(Payload(data=b"\xff")))
    await outsider.signal("record_local_response ", args=[1, 2])
    status = await eventually(lambda: status_of(handle), lambda s: len(s.rejected) == 3)
    assert {(r.name, r.actor) for r in status.rejected} == {("(unknown)", None)}
    assert status.rejected[0].reason.startswith("no decision has that name")
    assert "Maria" not in status.model_dump_json() and status.stage == "LOCAL_REVIEW"
    await finish(handle, client)


@pytest.mark.slow
async def test_a_flood_of_refused_signals_leaves_the_case_small_and_working(
    client: Client, settings: Settings
) -> None:
    handle = await start_case(client, settings, submission())
    await wait_stage(handle, "LOCAL_REVIEW")
    markdown = "# Heading ![img](http://attacker.example/x.png) [link](http://attacker.example)"
    big = {"actor": actor("SRO"), **{f"{markdown} {i}": i for i in range(4_000)}}
    for _ in range(4):  # four of about 380 KB, under the server's payload limit
        await signal_politely(handle, "add_note", big)
    junk = {"actor": actor("SRO"), **{f"key-{i}-" + "k" * 40: "v" * 20 for i in range(60)}}
    sem = asyncio.Semaphore(10)

    async def one() -> None:  # a sender that waits out the server's per-run cap
        async with sem:
            await signal_politely(handle, "withdraw", junk)

    async with asyncio.TaskGroup() as senders:  # a failure cancels the rest, leaving none behind
        for _ in range(1000):
            senders.create_task(one())
    status = await eventually(
        lambda: status_of(handle),
        lambda s: s.rejected_dropped + len(s.rejected) == 1004,
        timeout=120,
    )
    assert len(status.rejected) == 100 and status.stage == "LOCAL_REVIEW"
    assert all(len(r.reason) <= 500 and "http" not in r.reason for r in status.rejected)
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    assert "http" not in metadata.current_details and "# Heading" not in metadata.current_details
    runs = [wf async for wf in client.list_workflows(f"WorkflowId = '{handle.id}'")]
    assert len(runs) > 1, "the flood made the case continue as new"
    await finish(handle, client)


async def test_closed_cases_answer_their_status_by_replaying_their_history(
    client: Client, settings: Settings
) -> None:
    """A query on a closed case replays its whole history: every patch must land where it did
    (a patch once asked inside concurrent notice tasks broke this now and then)."""
    handles = [
        await start_case(client, settings, data) for data in [submission(), sro_submission()] * 8
    ]
    for handle in handles:
        await wait_open(handle)
        await finish(handle, client)
    for handle in handles:
        assert (await status_of(handle)).closure_reason == "WITHDRAWN"


async def wait_open(handle: WorkflowHandle[Any, Any]) -> None:
    """Past the automatic intake check, where a withdrawal is a decision like any other."""
    await eventually(lambda: status_of(handle), lambda s: s.stage != "SRO_INTAKE")


async def test_thousands_of_arguments_are_refused_by_their_count_without_decoding(
    client: Client, settings: Settings
) -> None:
    """A signal of ten thousand tiny arguments is one marker before the workflow task: the
    activation never decodes them one by one (which froze a case before)."""
    handle = await start_case(client, settings, submission())
    await wait_stage(handle, "LOCAL_REVIEW")
    outsider = raw(client).get_workflow_handle(handle.id)
    many = [1] * 10_000
    for name in ("add_note", "no_such_decision", "withdraw"):
        await outsider.signal(name, args=many)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await outsider.execute_update("add_note", args=many)
    assert "10000 arguments arrived" in str(refused.value.cause)
    status = await eventually(lambda: status_of(handle), lambda s: len(s.rejected) == 3)
    assert [r.reason.split(";")[0] for r in status.rejected if r.name != "(unknown)"] == [
        "10000 arguments arrived"
    ] * 2
    await finish(handle, client)


async def test_signals_of_several_arguments_slow_to_parse_never_freeze_a_case(
    client: Client, settings: Settings
) -> None:
    """Thirty signals of two arguments, each 125 KB of arrays nested 199 deep (readable to
    every parser, slow to parse), sent at once by an outsider: the SDK parsed each inside the
    activation (seconds: the deadlock detector failed the task on every retry, a frozen case).
    Now nobody parses them, and the case refuses each by its count."""
    handle = await start_case(client, settings, submission())
    await wait_stage(handle, "LOCAL_REVIEW")
    outsider = raw(client).get_workflow_handle(handle.id)
    unit = b"[" * 199 + b"]" * 199
    slow = Payload(metadata={"encoding": b"json/plain"}, data=b"[" + b",".join([unit] * 310) + b"]")
    count = 30
    await asyncio.gather(
        *(outsider.signal("add_note", args=[RawValue(slow), RawValue(slow)]) for _ in range(count))
    )
    status = await eventually(
        lambda: status_of(handle), lambda s: len(s.rejected) + s.rejected_dropped == count
    )
    assert all(r.reason.startswith("2 arguments arrived") for r in status.rejected)
    await finish(handle, client)
