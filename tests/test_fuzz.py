"""Random and adversarial input at every signal, update and the start input (Hypothesis):
no workflow task ever fails, every refusal names the problem, and the case then completes."""

import asyncio
import contextlib
import json
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import (
    Client,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.common import RawValue
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError

from domain.case_id import new_case_id
from domain.decisions import DECISIONS
from domain.errors import describe
from domain.inquiry import Submission
from intake import submit
from security import stamp
from security.codec import BOUND_TO, CASE_ID, ENCODING, KEY_ID, SEALED
from security.readable import UNREADABLE
from settings import Settings
from tests.support import (
    PII,
    actor,
    history_event_types,
    represented,
    status_of,
    wait_stage,
)

pytestmark = [pytest.mark.usefixtures("worker"), pytest.mark.slow]

STAMP_KEYS = [stamp.SIGNER, stamp.SIGNED_AT, stamp.NONCE, stamp.KEY_ID, stamp.SIGNATURE]
FIELDS = sorted({f for rule in DECISIONS.values() for f in rule.model.model_fields} | {"x", ""})
text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20),
    st.just("A" * 20_000),
    st.sampled_from(["SRO", "FIELD_OFFICE", "C1", "MEETS_PRIORITIES", "G-28", "null", "{"]),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(FIELDS), inner, max_size=5)
    ),
    max_leaves=12,
)


@st.composite
def near_valid(draw: st.DrawFn) -> dict[str, Any]:
    """A valid example payload with one field dropped, replaced or added."""
    rule = DECISIONS[draw(st.sampled_from(sorted(DECISIONS)))]
    payload: dict[str, Any] = dict(rule.example)
    key = draw(st.sampled_from([*payload, "actor", "extra"]))
    if draw(st.booleans()) and key in payload:
        del payload[key]
    else:
        payload[key] = draw(json_values)
    return payload


payloads = st.one_of(
    json_values, near_valid(), st.dictionaries(st.sampled_from(FIELDS), json_values)
)


@pytest_asyncio.fixture(scope="module")
async def case(client: Client, settings: Settings) -> WorkflowHandle[Any, Any]:
    started = await submit(client, Submission.model_validate(represented()), settings)
    handle = client.get_workflow_handle(started.case_id)
    await wait_stage(handle, "SRO_REVIEW")
    return handle


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.sampled_from(sorted(DECISIONS)), payload=payloads)
async def test_any_payload_is_applied_or_refused_by_name(
    case: WorkflowHandle[Any, Any], name: str, payload: Any
) -> None:
    await case.signal(name, payload)
    try:
        await case.execute_update(name, payload)
    except WorkflowUpdateFailedError as exc:
        message = str(getattr(exc.cause, "message", exc.cause))
        assert message and message != "rejected", message
    assert (await status_of(case)).stage in ("SRO_REVIEW", "CLOSED")


envelopes = st.builds(
    lambda metadata, data: RawValue(Payload(metadata=metadata, data=data)),
    st.dictionaries(
        st.sampled_from(
            [
                "encoding",
                KEY_ID,
                UNREADABLE,
                "messageType",
                "__temporal_external_storage_reference",
                "x",
                CASE_ID,
                SEALED,
                BOUND_TO,
                *STAMP_KEYS,
            ]
        ),
        st.one_of(
            st.sampled_from(
                [
                    ENCODING,
                    b"json/plain",
                    b"binary/null",
                    b"json/protobuf",
                    b"test1",
                    b"nokey",
                    b"true",
                    b"json/external-storage-reference",
                    b"temporal.api.common.v1.ExternalStorageReference",
                ]
            ),
            st.binary(max_size=16),
        ),
        max_size=4,
    ),
    st.one_of(st.binary(max_size=300), st.sampled_from([b"{}", b"null", b"[1]", b'"x"'])),
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    name=st.sampled_from(sorted(DECISIONS)),
    args=st.lists(st.one_of(envelopes, json_values), max_size=4),
)
async def test_any_envelope_and_argument_count_is_refused_in_words(
    client: Client, case: WorkflowHandle[Any, Any], name: str, args: list[Any]
) -> None:
    """Raw payloads, any metadata and encoding, any number of arguments, unencrypted."""
    config = client.config()
    config["data_converter"] = pydantic_data_converter  # no codec: sent exactly as built
    outsider = Client(**config).get_workflow_handle(case.id)
    await outsider.signal(name, args=args)
    try:
        await outsider.execute_update(name, args=args)
    except WorkflowUpdateFailedError as exc:  # refused: in words, never a TypeError
        assert "TypeError" not in str(exc.cause) and str(exc.cause), exc.cause
    with contextlib.suppress(WorkflowQueryFailedError):
        await outsider.query("status", args=args, result_type=RawValue)
    assert (await status_of(case)).stage in ("SRO_REVIEW", "CLOSED")


STORED_ELSEWHERE = [
    {"__temporal_external_storage_reference": b"true", "encoding": b"json/plain"},
    {"encoding": b"json/external-storage-reference"},
    {
        "encoding": b"json/protobuf",
        "messageType": b"temporal.api.common.v1.ExternalStorageReference",
    },
]
"""Metadata by which the SDK takes a payload for a reference to external storage; without any
configured it raised while decoding the activation, so the task failed on every retry."""


async def test_a_payload_claiming_to_be_stored_elsewhere_is_refused_not_a_frozen_case(
    client: Client, case: WorkflowHandle[Any, Any]
) -> None:
    config = client.config()
    config["data_converter"] = pydantic_data_converter
    outsider = Client(**config).get_workflow_handle(case.id)
    for metadata in STORED_ELSEWHERE:
        envelope = RawValue(Payload(metadata=metadata, data=b"{}"))
        await outsider.signal("add_note", envelope)
        with pytest.raises(WorkflowUpdateFailedError):
            await outsider.execute_update("add_note", envelope)
    # Each update was refused after the signals before it were taken in, in the same task.
    rejected = (await status_of(case)).rejected
    assert [r.name for r in rejected[-len(STORED_ELSEWHERE) :]] == ["add_note"] * 3
    assert "EVENT_TYPE_WORKFLOW_TASK_FAILED" not in await history_event_types(client, case.id)


async def test_the_fuzzed_case_then_completes(
    client: Client, case: WorkflowHandle[Any, Any]
) -> None:
    status = await status_of(case)
    if status.stage != "CLOSED":
        for c in status.consultations:
            if c.answered_at is None:
                role = "FIELD_OFFICE" if c.party == "FIELD_OFFICE" else "ICE_ATTORNEY"
                await case.execute_update(
                    "record_consultation_response",
                    {"actor": actor(role), "consultation_id": c.consultation_id, "response": "r"},
                )
        await case.execute_update(
            "record_determination",
            {"actor": actor("SRO"), "finding": "MEETS_PRIORITIES", "rationale": "after the storm"},
        )
    final = await case.result()
    assert final["stage"] == "CLOSED"
    assert final["rejected"], "the storm left its refusals on record"
    runs = [events async for events in _runs(client, case.id)]
    assert runs
    for events in runs:
        assert "EVENT_TYPE_WORKFLOW_TASK_FAILED" not in events
    description = await case.describe()
    problems = description.raw_description.workflow_execution_info.search_attributes
    assert "TemporalReportedProblems" not in problems.indexed_fields


async def _runs(client: Client, case_id: str) -> Any:
    """Every run of the case (it may have continued as new under the storm)."""
    async for wf in client.list_workflows(f"WorkflowId = '{case_id}'"):
        history = await client.get_workflow_handle(case_id, run_id=wf.run_id).fetch_history()
        yield [EventType.Name(e.event_type) for e in history.events]


@settings(max_examples=300, deadline=None)
@given(
    data=st.one_of(
        json_values,
        st.builds(
            lambda d, k, v: {**d, k: v},
            st.just(represented()),
            st.sampled_from([*represented(), "subject", "extra"]),
            json_values,
        ),
    )
)
def test_any_start_input_is_accepted_or_every_problem_named(data: Any) -> None:
    try:
        Submission.model_validate(data)
    except ValidationError as exc:
        lines = describe(exc)
        assert lines and all(": " in line for line in lines), lines


async def test_a_workflow_started_with_junk_fails_cleanly(
    client: Client, settings: Settings
) -> None:
    """Bypassing starter.py with an invalid start input fails the case, never its tasks."""
    handle = await client.start_workflow(
        "CaseReviewWorkflow",
        {"field_office": "GOTHAM"},
        id="ICR-JUNKJUNKJUNK",
        task_queue=settings.task_queue,
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()
    assert "invalid submission: field_office" in str(failed.value.cause)
    events = await history_event_types(client, handle.id)
    assert "EVENT_TYPE_WORKFLOW_TASK_FAILED" not in events


PLAIN_START = RawValue(
    Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(represented()).encode())
)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(args=st.lists(st.one_of(envelopes, json_values, st.just(PLAIN_START)), max_size=3))
async def test_any_start_envelope_from_an_outsider_fails_at_once_in_words(
    client: Client, settings: Settings, args: list[Any]
) -> None:
    """Any metadata (forged stamps, seal marks, case bindings), encoding and count of inputs:
    without the keys no start opens a case, none fails a task, none sends a notice, and the
    reason repeats nothing of the input."""
    config = client.config()
    config["data_converter"] = pydantic_data_converter  # no codec: sent exactly as built
    started = await Client(**config).start_workflow(
        "CaseReviewWorkflow", args=args, id=new_case_id(), task_queue=settings.task_queue
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await asyncio.wait_for(client.get_workflow_handle(started.id).result(), 30)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "InvalidSubmission", cause
    assert cause.message and not any(p in cause.message for p in PII), cause.message
    events = await history_event_types(client, started.id)
    assert "EVENT_TYPE_WORKFLOW_TASK_FAILED" not in events
    assert "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED" not in events
