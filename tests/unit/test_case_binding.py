"""A payload sealed for one case decrypts as that case's only; older, unbound payloads still
decrypt; the bound case id cannot be changed or dropped; only decryption marks the bound case."""

import base64
import secrets

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.converter import ActivitySerializationContext, WorkflowSerializationContext

from domain.case_id import new_case_id
from security.codec import (
    BOUND_TO,
    CASE_ID,
    SEALED,
    EncryptionCodec,
    UndecryptablePayload,
    bound_case,
)
from security.keys import KeyRing
from security.readable import ReadableCodec, unreadable_reason

RING = KeyRing.parse(f"k1:{base64.b64encode(secrets.token_bytes(32)).decode()}")
PLAIN = Payload(metadata={"encoding": b"json/plain"}, data=b'{"grounds": "private"}')


def codec_for(workflow_id: str) -> EncryptionCodec:
    return EncryptionCodec(RING).with_context(WorkflowSerializationContext("default", workflow_id))


async def test_a_case_payload_decrypts_in_its_case_and_nowhere_else() -> None:
    case_a, case_b = new_case_id(), new_case_id()
    [sealed] = await codec_for(case_a).encode([PLAIN])
    assert bound_case(sealed) == case_a and b"private" not in sealed.data
    [back] = await codec_for(case_a).decode([sealed])
    assert back.data == PLAIN.data and SEALED in back.metadata
    assert back.metadata[BOUND_TO] == case_a.encode(), "the worker learns the bound case"
    with pytest.raises(UndecryptablePayload, match="bound to another case"):
        await codec_for(case_b).decode([sealed])
    [anywhere] = await EncryptionCodec(RING).decode([sealed])  # no context: the codec server
    assert anywhere.data == PLAIN.data
    [marker] = (
        await ReadableCodec(EncryptionCodec(RING))
        .with_context(WorkflowSerializationContext("default", case_b))
        .decode([sealed])
    )
    assert unreadable_reason(marker) == "the payload could not be decrypted"


async def test_the_bound_case_cannot_be_changed_or_dropped() -> None:
    case_a, case_b = new_case_id(), new_case_id()
    [sealed] = await codec_for(case_a).encode([PLAIN])
    moved = Payload()
    moved.CopyFrom(sealed)
    moved.metadata[CASE_ID] = case_b.encode()
    dropped = Payload()
    dropped.CopyFrom(sealed)
    del dropped.metadata[CASE_ID]
    junk = Payload()
    junk.CopyFrom(sealed)
    junk.metadata[CASE_ID] = b"\xff not a case"
    for forged in (moved, dropped, junk):
        with pytest.raises(UndecryptablePayload):
            await EncryptionCodec(RING).decode([forged])
        with pytest.raises(UndecryptablePayload):
            await codec_for(case_b).decode([forged])


async def test_unbound_payloads_and_other_workflows_still_decrypt() -> None:
    [old] = await EncryptionCodec(RING).encode([PLAIN])  # sealed before binding
    assert CASE_ID not in old.metadata
    [back] = await codec_for(new_case_id()).decode([old])
    assert back.data == PLAIN.data and BOUND_TO not in back.metadata
    [schedule] = await codec_for("icr-daily-reminder-round").encode([PLAIN])
    assert CASE_ID not in schedule.metadata, "only case ids are bound"
    case = new_case_id()
    activity = EncryptionCodec(RING).with_context(
        ActivitySerializationContext(
            namespace="default",
            activity_id="1",
            activity_type="notify",
            activity_task_queue="q",
            workflow_id=case,
            workflow_type="CaseReviewWorkflow",
            is_local=False,
        )
    )
    [sent] = await activity.encode([PLAIN])
    assert bound_case(sent) == case
    [read] = await codec_for(case).decode([sent])
    assert read.data == PLAIN.data


async def test_a_bound_mark_the_sender_brings_is_stripped() -> None:
    """In clear, or sealed inside an unbound payload (as a key holder could): never kept."""
    case = new_case_id()
    claiming = Payload(metadata={**PLAIN.metadata, BOUND_TO: case.encode()}, data=PLAIN.data)
    [clear] = await codec_for(case).decode([claiming])
    assert BOUND_TO not in clear.metadata and clear.data == PLAIN.data
    [unbound] = await EncryptionCodec(RING).encode([claiming])
    [opened] = await codec_for(case).decode([unbound])
    assert BOUND_TO not in opened.metadata and SEALED in opened.metadata
    other = new_case_id()
    [sealed] = await codec_for(other).encode([claiming])
    [anywhere] = await EncryptionCodec(RING).decode([sealed])
    assert anywhere.metadata[BOUND_TO] == other.encode(), "the seal's case, not the claim"
