"""Who started the case is proven too: a start without a valid stamp of a principal who may
start cases fails the case at once (nothing sent, nothing of the input repeated), and the id it
took stays free for the real submitter; a start opens only the case it is sealed for; on the
real dev server, from a raw client."""

import asyncio
import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

from clients import DATA_CONVERTER
from domain.case_id import case_id_for_request, new_case_id
from domain.inquiry import Submission
from intake import _squatted, submit
from security import configured, stamp
from security.codec import BOUND_TO, EncryptionCodec, bound_case
from security.remote_codec import RemoteCodec
from settings import Settings, plain
from tests.conftest import SERVICE_KEYS, TOKENS
from tests.support import PII, MailSink, history_event_types, submission, wait_stage
from worker import Workers


async def raw_client(client: Client) -> Client:
    """What an outsider with network access to Temporal has: no key, no token."""
    return await Client.connect(
        client.service_client.config.target_host, data_converter=DATA_CONVERTER
    )


def sealed_start(
    settings: Settings,
    body: dict[str, Any],
    signer: str,
    at: datetime | None = None,
    case_id: str | None = None,
    claims: dict[str, bytes] | None = None,
) -> Payload:
    """A submission sealed with the payload key (for ``case_id``, or for no case, as the codec
    server sealed a staff start before it named its case) and stamped with the codec server's
    key; ``claims``: metadata the sender adds before the stamp."""
    keys, ring = configured.stamp_keys(settings), configured.keyring(settings)
    assert keys is not None and ring is not None
    metadata = {"encoding": b"json/plain", **(claims or {})}
    plain = Payload(metadata=metadata, data=json.dumps(body).encode())
    signed = stamp.sign(plain, signer, keys.current, keys.keys[keys.current], now=at)
    return EncryptionCodec(ring).encrypt(signed, case_id)


async def refused_at_once(
    client: Client, handle: WorkflowHandle[Any, Any], mail: MailSink, reason: str
) -> str:
    """The start failed as an InvalidSubmission naming ``reason``, with nothing sent."""
    with pytest.raises(WorkflowFailureError) as failed:
        await asyncio.wait_for(client.get_workflow_handle(handle.id).result(), 20)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "InvalidSubmission"
    assert reason in str(cause), cause
    assert not any(p in str(cause) for p in PII), "nothing of the input is repeated"
    events = await history_event_types(client, handle.id)
    assert "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED" not in events, "no notice leaves"
    assert "EVENT_TYPE_WORKFLOW_TASK_FAILED" not in events
    await asyncio.sleep(0.5)
    assert mail.for_case(handle.id) == []
    return str(cause)


async def test_an_unsigned_start_fails_at_once_and_the_real_submitter_then_starts(
    client: Client, settings: Settings, worker: Workers, mail: MailSink
) -> None:
    """The squatting attack: a raw client takes the request's case id with text of its own."""
    raw = await raw_client(client)
    request_id = f"squat-{new_case_id()}"
    case_id = case_id_for_request(request_id, plain(settings.subject_key_secret))
    squat = await raw.start_workflow(
        "CaseReviewWorkflow",
        submission(request_id=request_id, grounds="Text of the sender's choosing."),
        id=case_id,
        task_queue=settings.task_queue,
    )
    await refused_at_once(client, squat, mail, "the submission is not signed")
    real = Submission.model_validate(submission(request_id=request_id))
    started = await submit(client, real, settings)
    assert started.created and started.case_id == case_id
    handle = client.get_workflow_handle(case_id)
    await wait_stage(handle, "LOCAL_REVIEW")
    again = await submit(client, real, settings)  # a harmless repeat finds the real case
    assert (again.created, again.run_id) == (False, started.run_id)


async def test_a_squatter_still_running_is_waited_out(
    client: Client, settings: Settings, worker: Workers
) -> None:
    raw = await raw_client(client)
    request_id = f"race-{new_case_id()}"
    await raw.start_workflow(
        "CaseReviewWorkflow",
        submission(request_id=request_id),
        id=case_id_for_request(request_id, plain(settings.subject_key_secret)),
        task_queue=settings.task_queue,
    )
    started = await submit(client, Submission.model_validate(submission()), settings)
    real = await submit(
        client, Submission.model_validate(submission(request_id=request_id)), settings
    )
    assert real.created and started.created
    await wait_stage(client.get_workflow_handle(real.case_id), "LOCAL_REVIEW")


async def test_a_squatter_that_failed_between_the_start_and_the_look_frees_the_id(
    client: Client, settings: Settings, worker: Workers
) -> None:
    """The race seen in CI: the real start found the squatter running, and by the time it
    looked, the squatter had failed; the id is free then, not taken by another case."""
    raw = await raw_client(client)
    request_id = f"race-{new_case_id()}"
    case_id = case_id_for_request(request_id, plain(settings.subject_key_secret))
    squatter = await raw.start_workflow(
        "CaseReviewWorkflow",
        submission(request_id=request_id),
        id=case_id,
        task_queue=settings.task_queue,
    )
    with pytest.raises(WorkflowFailureError):
        await squatter.result()
    description = await client.get_workflow_handle(case_id).describe()
    assert await _squatted(client, case_id, description)


@pytest.mark.parametrize(
    ("signer", "age", "reason"),
    [
        ("sro.one", timedelta(0), "the submission's signer may not start cases"),
        ("intake.one", timedelta(days=30), "the submission's signature has expired"),
        ("intake.one", timedelta(hours=-2), "the submission's signature is dated in the future"),
        ("nobody.known", timedelta(0), "not signed by anyone in the staff directory"),
    ],
    ids=["not-a-starter", "stale", "future", "unknown"],
)
async def test_a_start_signed_by_the_wrong_principal_or_at_the_wrong_time_fails(
    client: Client,
    settings: Settings,
    worker: Workers,
    mail: MailSink,
    signer: str,
    age: timedelta,
    reason: str,
) -> None:
    raw = await raw_client(client)
    case_id = new_case_id()
    payload = sealed_start(settings, submission(), signer, datetime.now(UTC) - age, case_id)
    handle = await raw.start_workflow(
        "CaseReviewWorkflow", RawValue(payload), id=case_id, task_queue=settings.task_queue
    )
    await refused_at_once(client, handle, mail, reason)


async def test_a_staff_start_opens_its_case_and_no_copy_opens_another(
    client: Client, settings: Settings, worker: Workers, mail: MailSink, codec_server: str
) -> None:
    """The replay attack: a clerk's signed start copied out of one case's history into new
    case ids by a raw client (no key). Sealed for its case, the copy does not decrypt in
    another; sealed for none (as /encode sealed a start before), it is refused as unbound; a
    bound mark the sender writes into the payload gains nothing."""
    staff = await Client.connect(
        client.service_client.config.target_host,
        data_converter=dataclasses.replace(
            DATA_CONVERTER, payload_codec=RemoteCodec(codec_server, TOKENS["intake.one"])
        ),
    )
    started = await submit(staff, Submission.model_validate(submission()), settings)
    assert started.created
    await wait_stage(client.get_workflow_handle(started.case_id), "LOCAL_REVIEW")
    history = await client.get_workflow_handle(started.case_id).fetch_history()
    [copied] = history.events[0].workflow_execution_started_event_attributes.input.payloads
    assert bound_case(copied) == started.case_id, "the codec server sealed it for its case"
    raw = await raw_client(client)
    again = await raw.start_workflow(
        "CaseReviewWorkflow", RawValue(copied), id=new_case_id(), task_queue=settings.task_queue
    )
    await refused_at_once(client, again, mail, "the payload could not be decrypted")
    unbound = sealed_start(settings, submission(), "intake.one")
    for _ in range(2):  # the same signed start, into two new cases
        handle = await raw.start_workflow(
            "CaseReviewWorkflow",
            RawValue(unbound),
            id=new_case_id(),
            task_queue=settings.task_queue,
        )
        await refused_at_once(client, handle, mail, "the submission is not bound to this case")
    case_id = new_case_id()
    claiming = sealed_start(
        settings, submission(), "intake.one", claims={BOUND_TO: case_id.encode()}
    )
    handle = await raw.start_workflow(
        "CaseReviewWorkflow", RawValue(claiming), id=case_id, task_queue=settings.task_queue
    )
    await refused_at_once(client, handle, mail, "the submission is not bound to this case")


async def test_sealed_but_unstamped_and_tampered_starts_fail(
    client: Client, settings: Settings, worker: Workers, mail: MailSink
) -> None:
    """A key holder's encryption alone proves no one; a stamp over other content proves
    nothing either."""
    ring = configured.keyring(settings)
    assert ring is not None
    raw = await raw_client(client)
    plain = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(submission()).encode())
    signed = stamp.sign(
        plain,
        "svc.mailroom",
        SERVICE_KEYS["svc.mailroom"].key_id,
        SERVICE_KEYS["svc.mailroom"].key,
    )
    signed.data = signed.data.replace(b"NEW_YORK_CITY", b"BOSTON")
    for payload, reason in (
        (EncryptionCodec(ring).encrypt(plain), "the submission is not signed"),
        (EncryptionCodec(ring).encrypt(signed), "does not match its content"),
    ):
        handle = await raw.start_workflow(
            "CaseReviewWorkflow",
            RawValue(payload),
            id=new_case_id(),
            task_queue=settings.task_queue,
        )
        await refused_at_once(client, handle, mail, reason)


async def test_a_service_identity_that_opens_cases_may_start_one(
    client: Client, settings: Settings, worker: Workers
) -> None:
    """The mail gateway's own key (it holds INTAKE), as the gateway starts inquiries."""
    ring = configured.keyring(settings)
    assert ring is not None
    raw = await raw_client(client)
    plain = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(submission()).encode())
    case_id = new_case_id()
    payload = EncryptionCodec(ring).encrypt(SERVICE_KEYS["svc.mailroom"].sign(plain), case_id)
    handle = await raw.start_workflow(
        "CaseReviewWorkflow", RawValue(payload), id=case_id, task_queue=settings.task_queue
    )
    await wait_stage(client.get_workflow_handle(handle.id), "LOCAL_REVIEW")
