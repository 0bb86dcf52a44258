"""Privacy: nothing readable at rest in Temporal, a codec server only staff can use, and
decisions only from staff the directory knows in the role and office they claim."""

import secrets
from typing import Any

import pytest
from temporalio.api.common.v1 import Payload, WorkflowExecution
from temporalio.api.query.v1 import WorkflowQuery
from temporalio.api.workflowservice.v1 import (
    GetWorkflowExecutionHistoryRequest,
    QueryWorkflowRequest,
)
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError

from clients import DATA_CONVERTER
from domain.inquiry import Submission
from intake import submit
from security.codec import SEALED, EncryptionCodec, UndecryptablePayload
from security.keys import KeyRing
from security.stamp import unstamped
from settings import Settings
from tests.support import PII, actor, eventually, represented, status_of, wait_stage

pytestmark = pytest.mark.usefixtures("worker")


async def raw_bytes_of_case(client: Client, case_id: str) -> bytes:
    """Everything Temporal holds for the case, read without any codec."""
    plain = await Client.connect(
        client.service_client.config.target_host, data_converter=DATA_CONVERTER
    )
    history = await plain.workflow_service.get_workflow_execution_history(
        GetWorkflowExecutionHistoryRequest(
            namespace=plain.namespace, execution=WorkflowExecution(workflow_id=case_id)
        )
    )
    description = await plain.get_workflow_handle(case_id).describe()
    metadata = await plain.workflow_service.query_workflow(
        QueryWorkflowRequest(
            namespace=plain.namespace,
            execution=WorkflowExecution(workflow_id=case_id),
            query=WorkflowQuery(query_type="__temporal_workflow_metadata"),
        )
    )
    return b"".join(
        [
            history.SerializeToString(),
            description.raw_description.SerializeToString(),
            metadata.SerializeToString(),
            case_id.encode(),
        ]
    )


async def test_raw_history_holds_no_personal_data(client: Client, settings: Settings) -> None:
    result = await submit(client, Submission.model_validate(represented()), settings)
    handle = client.get_workflow_handle(result.case_id)
    await wait_stage(handle, "SRO_REVIEW")
    await handle.signal("add_note", {"actor": actor("SRO"), "text": "Spoke with Dana Advocate."})
    await handle.signal("record_determination", {"actor": {"id": "nobody", "role": "SRO"}})
    await handle.execute_update(
        "record_determination",
        {"actor": actor("SRO"), "finding": "MEETS_PRIORITIES", "rationale": "Maria Lopez Garcia."},
    )
    final = await handle.result()
    raw = await raw_bytes_of_case(client, handle.id)
    assert len(raw) > 2000
    found = [secret for secret in PII if secret.encode() in raw]
    assert found == [], f"readable in Temporal without the key: {found}"
    # With the key (the client's codec) the same case reads normally.
    assert final["closure_reason"] == "DETERMINATION_ISSUED"
    disclosures = [(d["recipient"], d["purpose"]) for d in final["disclosures"]]
    assert ("REQUESTOR", "determination to the requestor") in disclosures


async def test_disclosures_are_accounted_in_the_status(client: Client, settings: Settings) -> None:
    data = represented(entry="LOCAL_REVIEW", local_response=None)
    result = await submit(client, Submission.model_validate(data), settings)
    handle = client.get_workflow_handle(result.case_id)
    await wait_stage(handle, "LOCAL_REVIEW")
    status = await eventually(lambda: status_of(handle), lambda s: bool(s.disclosures))
    first = status.disclosures[0]
    assert (first.recipient, first.purpose, first.event_key) == (
        "FIELD_OFFICE",
        "local case review by the field office",
        "case-opened",
    )
    await handle.terminate("test done")


# ----- payload keys (the codec server's own tests: test_codec_server.py) ------------------


def ring(*ids: str) -> KeyRing:
    return KeyRing(current=ids[-1], keys={i: KEYS[i] for i in ids})


KEYS = {name: secrets.token_bytes(32) for name in ("k1", "k2")}


async def test_key_rotation_keeps_old_payloads_readable() -> None:
    old = EncryptionCodec(ring("k1"))
    rotated = EncryptionCodec(ring("k1", "k2"))
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'"secret"')
    before = (await old.encode([plain]))[0]
    after = (await rotated.encode([plain]))[0]
    assert before.metadata["encryption-key-id"] == b"k1"
    assert after.metadata["encryption-key-id"] == b"k2"
    opened = await rotated.decode([before, after])
    assert [unstamped(p) for p in opened] == [plain, plain]
    assert [p.metadata[SEALED] for p in opened] == [b"k1", b"k2"], "marked as decrypted"
    assert (await rotated.decode([plain])) == [plain], "unencrypted input passes through"
    claimed = Payload(metadata={**plain.metadata, SEALED: b"k1"}, data=plain.data)
    assert (await rotated.decode([claimed])) == [plain], "a sender cannot claim the mark"
    with pytest.raises(UndecryptablePayload, match="no key 'k2'"):
        await old.decode([after])
    tampered = Payload(
        metadata=before.metadata, data=before.data[:-1] + bytes([before.data[-1] ^ 1])
    )
    with pytest.raises(UndecryptablePayload, match="does not decrypt"):
        await old.decode([tampered])


# ----- staff authorization ----------------------------------------------------------------

DETERMINE = {"finding": "MEETS_PRIORITIES", "rationale": "r"}


@pytest.mark.parametrize(
    ("name", "payload", "reason"),
    [
        (
            "add_note",
            {"actor": {"id": "stranger", "role": "SRO"}, "text": "x"},
            "the decision is not signed by anyone in the staff directory",
        ),
        (
            "record_determination",
            {"actor": {"id": "intake.one", "role": "SRO"}, **DETERMINE},
            "staff intake.one does not hold role SRO in the staff directory",
        ),
        (
            "request_consultation",
            {
                "actor": {"id": "fo.boston", "role": "FIELD_OFFICE"},
                "party": "FIELD_OFFICE",
                "question": "q",
            },
            "staff fo.boston is not assigned to this case's field office",
        ),
    ],
)
async def test_unknown_wrong_role_and_wrong_office_are_refused(
    client: Client, settings: Settings, name: str, payload: dict[str, Any], reason: str
) -> None:
    result = await submit(client, Submission.model_validate(represented()), settings)
    handle: WorkflowHandle[Any, Any] = client.get_workflow_handle(result.case_id)
    await wait_stage(handle, "SRO_REVIEW")
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(name, payload)
    assert reason in str(refused.value.cause)
    await handle.signal(name, payload)
    status = await eventually(lambda: status_of(handle), lambda s: bool(s.rejected))
    assert reason in status.rejected[0].reason
    assert status.history == []
    await handle.terminate("test done")
