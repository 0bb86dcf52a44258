"""Rejections, signals that cannot hurt a case, idempotent decisions and submissions."""

from typing import Any

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import RawValue

from domain.inquiry import Submission
from intake import SubmissionConflict, submit
from settings import Settings
from tests.support import (
    actor,
    eventually,
    history_event_types,
    sro_submission,
    start_case,
    status_of,
    submission,
    unique,
    wait_stage,
)

pytestmark = pytest.mark.usefixtures("worker")

LOCAL = {"actor": actor("FIELD_OFFICE"), "finding": "MEETS_PRIORITIES", "message": "Reviewed."}


async def rejection(handle: WorkflowHandle[Any, Any], name: str, payload: Any) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await handle.execute_update(name, payload)
    return str(info.value.cause)


@pytest.mark.parametrize(
    ("name", "payload", "expected"),
    [
        (
            "record_determination",
            {"actor": actor("FIELD_OFFICE"), "finding": "MEETS_PRIORITIES", "rationale": "x"},
            "role FIELD_OFFICE may not record_determination; allowed: SRO",
        ),
        (
            "record_determination",
            {"actor": actor("SRO"), "finding": "MEETS_PRIORITIES", "rationale": "x"},
            "record_determination is not allowed in stage LOCAL_REVIEW; allowed in: SRO_REVIEW",
        ),
        (
            "record_local_response",
            {"actor": actor("FIELD_OFFICE"), "finding": "MAYBE", "message": "x"},
            "finding: Input should be 'MEETS_PRIORITIES' or 'DOES_NOT_MEET_PRIORITIES'",
        ),
        (
            "record_local_response",
            {"actor": actor("FIELD_OFFICE"), "finding": "MEETS_PRIORITIES"},
            "message: Field required",
        ),
        (
            "record_local_response",
            {**LOCAL, "colour": "blue"},
            "1 unknown field(s); allowed: actor, case_id, decision_id, finding, message",
        ),
        ("record_local_response", [LOCAL], "must be one JSON object, not a list"),
        (
            "add_note",
            {"actor": {"id": "sro.one", "role": "JANITOR"}, "text": "hi"},
            "actor.role: Input",
        ),
    ],
)
async def test_update_rejections_name_the_problem(
    client: Client, settings: Settings, name: str, payload: Any, expected: str
) -> None:
    handle = await start_case(client, settings, submission())
    await wait_stage(handle, "LOCAL_REVIEW")
    assert expected in await rejection(handle, name, payload)
    status = await status_of(handle)
    assert status.history == [] and status.stage == "LOCAL_REVIEW"
    events = await history_event_types(client, handle.id)
    assert not [e for e in events if "UPDATE" in e], "a rejected update must not reach history"
    await handle.terminate("test done")


async def test_unknown_consultation_and_wrong_party_are_rejected(
    client: Client, settings: Settings
) -> None:
    handle = await start_case(client, settings, sro_submission())
    await wait_stage(handle, "SRO_REVIEW")
    await handle.execute_update(
        "request_consultation",
        {
            "actor": actor("SRO"),
            "party": "FIELD_OFFICE",
            "question": "Any new arrests?",
            "due_in_days": 3,
        },
    )
    reason = await rejection(
        handle,
        "record_consultation_response",
        {"actor": actor("FIELD_OFFICE"), "consultation_id": "C9", "response": "x"},
    )
    assert "unknown consultation_id 'C9' (known: C1)" in reason
    reason = await rejection(
        handle,
        "record_consultation_response",
        {"actor": actor("ICE_ATTORNEY"), "consultation_id": "C1", "response": "x"},
    )
    assert "only role FIELD_OFFICE may answer it" in reason
    reason = await rejection(
        handle,
        "record_determination",
        {"actor": actor("SRO"), "finding": "MEETS_PRIORITIES", "rationale": "x"},
    )
    assert "consultations still open: C1" in reason
    status = await status_of(handle)
    assert status.open_tasks[-1].consultation_id == "C1"
    assert (status.open_tasks[-1].due_at - status.consultations[0].requested_at).days == 3
    await handle.terminate("test done")


async def test_broken_signals_are_recorded_and_the_case_completes(
    client: Client, settings: Settings
) -> None:
    handle = await start_case(client, settings, submission())
    await wait_stage(handle, "LOCAL_REVIEW")
    malformed = RawValue(Payload(metadata={"encoding": b"json/plain"}, data=b"{not json"))
    await handle.signal("record_local_response")  # empty Data box: no payload at all
    await handle.signal("record_local_response", malformed)
    await handle.signal("record_local_response", [1, 2])
    await handle.signal("record_local_response", None)
    await handle.signal("record_local_response", "finding=MEETS")
    await handle.signal("record_local_response", {**LOCAL, "actor": actor("SRO", "sro.x")})
    await handle.signal(
        "record_determination", {"actor": actor("SRO"), "finding": "MEETS_PRIORITIES"}
    )
    status = await eventually(lambda: status_of(handle), lambda s: len(s.rejected) == 7)
    reasons = [r.reason for r in status.rejected]
    assert reasons[0].startswith("the payload is empty; send one JSON object, e.g. {")
    assert reasons[1].startswith("the payload is not valid JSON")
    assert reasons[2].startswith("the payload must be one JSON object, not a list")
    assert reasons[3].startswith("the payload is empty (null)")
    assert reasons[4].startswith("the payload must be one JSON object, not a string")
    assert reasons[5] == "role SRO may not record_local_response; allowed: FIELD_OFFICE"
    assert status.rejected[5].actor is not None and status.rejected[5].actor.id == "sro.x"
    assert "rationale: Field required" in reasons[6]
    assert status.rejected[6].actor is not None  # readable even though the payload was invalid
    assert status.stage == "LOCAL_REVIEW" and status.history == []

    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    details = metadata.current_details
    assert "Last rejected signal" in details and "record_determination" in details
    assert "rationale: Field required" in details

    await handle.signal("record_local_response", LOCAL)
    await wait_stage(handle, "AWAITING_ESCALATION")
    await handle.signal("withdraw", {"actor": actor("INTAKE"), "reason": "Done."})
    assert (await handle.result())["closure_reason"] == "WITHDRAWN"
    events = await history_event_types(client, handle.id)
    assert "EVENT_TYPE_WORKFLOW_TASK_FAILED" not in events


async def test_duplicate_decision_ids_change_nothing(client: Client, settings: Settings) -> None:
    handle = await start_case(client, settings, submission())
    await wait_stage(handle, "LOCAL_REVIEW")
    first = await handle.execute_update("record_local_response", {**LOCAL, "decision_id": "d-1"})
    await handle.execute_update(
        "add_note", {"actor": actor("SRO"), "text": "later", "decision_id": "d-2"}
    )
    again = await handle.execute_update("record_local_response", {**LOCAL, "decision_id": "d-1"})
    assert again == first, "a repeated update returns the earlier result"
    await handle.signal("record_local_response", {**LOCAL, "decision_id": "d-1"})
    await handle.signal("add_note", {"actor": actor("SRO"), "text": "x", "decision_id": "d-2"})
    reason = await rejection(
        handle, "add_note", {"actor": actor("SRO"), "text": "x", "decision_id": "d-1"}
    )
    assert "decision_id 'd-1' was already used for record_local_response" in reason
    await handle.signal("add_note", {"actor": actor("SRO"), "text": "marker", "decision_id": "d-3"})
    status = await eventually(lambda: status_of(handle), lambda s: len(s.history) == 3)
    assert [h.decision_id for h in status.history] == ["d-1", "d-2", "d-3"]
    assert status.rejected == []
    await handle.terminate("test done")


async def test_submit_is_idempotent_on_request_id(client: Client, settings: Settings) -> None:
    request_id = unique("req")
    data = submission(request_id=request_id)
    one = await submit(client, Submission.model_validate(data), settings)
    # The same content, formatted differently, is the same submission.
    same = {**data, "subject": {**data["subject"], "a_number": "A012345678"}}
    two = await submit(client, Submission.model_validate(same), settings)
    assert (two.case_id, two.run_id, two.created) == (one.case_id, one.run_id, False)
    with pytest.raises(SubmissionConflict, match="already belongs to case"):
        await submit(client, Submission.model_validate({**data, "detained": True}), settings)
    count = await client.count_workflows(f"WorkflowId = '{one.case_id}'")
    assert count.count == 1
    await client.get_workflow_handle(one.case_id).terminate("test done")


async def test_signals_during_activities_are_not_lost(client: Client, settings: Settings) -> None:
    """Decisions sent back to back, while notices and the intake are in flight, all apply."""
    handle = await start_case(client, settings, submission())
    await handle.signal("record_local_response", LOCAL)
    await handle.signal(
        "submit_sro_inquiry",
        {"actor": actor("INTAKE"), "phone": "2125550143", "email": "maria.lopez@example.org"},
    )
    await handle.signal("add_note", {"actor": actor("INTAKE"), "text": "Inquiry entered."})
    await handle.signal("assign_reviewer", {"actor": actor("SUPERVISOR"), "reviewer_id": "sro.x"})
    status = await wait_stage(handle, "SRO_REVIEW")
    assert [h.name for h in status.history] == [
        "record_local_response",
        "submit_sro_inquiry",
        "add_note",
        "assign_reviewer",
    ]
    assert status.assigned_reviewer == "sro.x" and status.rejected == []
    await handle.signal(
        "record_determination",
        {"actor": actor("SRO", "sro.x"), "finding": "MEETS_PRIORITIES", "rationale": "ok"},
    )
    result = await handle.result()
    assert result["closure_reason"] == "DETERMINATION_ISSUED"


async def test_an_update_answers_with_the_summary_status(
    client: Client, settings: Settings
) -> None:
    """Its size does not grow with the case: the newest decision, the query has them all."""
    handle = await start_case(client, settings, submission())
    await wait_stage(handle, "LOCAL_REVIEW")
    for i in range(3):
        await handle.signal("add_note", {"actor": actor("SRO"), "text": f"note {i}"})
    answer = await handle.execute_update("record_local_response", LOCAL)
    # The letter's disclosure is recorded once its notice has gone (an activity, later).
    status = await eventually(lambda: status_of(handle), lambda s: s.disclosures != [])
    assert answer["stage"] == status.stage == "AWAITING_ESCALATION"
    assert [h["name"] for h in answer["history"]] == ["record_local_response"]
    assert answer["history_dropped"] == status.history_dropped == 0
    assert [h.name for h in status.history] == ["add_note"] * 3 + ["record_local_response"]
    assert answer["disclosures"] == []
    assert answer["next_decisions"] == [d.model_dump(mode="json") for d in status.next_decisions]
    await handle.terminate("test done")
