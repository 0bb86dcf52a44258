"""Every stage and every ending of the contract, on a real dev server with real SMTP."""

from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle

from settings import Settings
from tests.support import (
    MailSink,
    actor,
    eventually,
    history_event_types,
    represented,
    sro_submission,
    start_case,
    submission,
    unique,
    wait_stage,
)

pytestmark = pytest.mark.usefixtures("worker")


async def decide(handle: WorkflowHandle[Any, Any], name: str, payload: dict[str, Any]) -> Any:
    return await handle.execute_update(name, payload)


async def test_local_review_to_determination(
    client: Client, settings: Settings, mail: MailSink
) -> None:
    handle = await start_case(client, settings, submission())
    case_id = handle.id
    status = await wait_stage(handle, "LOCAL_REVIEW")
    assert [t.kind for t in status.open_tasks] == ["LOCAL_RESPONSE"]
    await eventually(lambda: _async(mail.for_case(case_id)), lambda m: len(m) == 1)
    assert mail.for_case(case_id)[0].rcpt_tos == ["ero-new-york-city@icr.example"]

    await decide(
        handle,
        "record_local_response",
        {
            "actor": actor("FIELD_OFFICE"),
            "finding": "MEETS_PRIORITIES",
            "message": "Still a priority.",
        },
    )
    await wait_stage(handle, "AWAITING_ESCALATION")
    await decide(
        handle,
        "submit_sro_inquiry",
        {"actor": actor("INTAKE"), "phone": "+12125550143", "email": "maria.lopez@example.org"},
    )
    await wait_stage(handle, "SRO_REVIEW")
    await decide(
        handle, "assign_reviewer", {"actor": actor("SUPERVISOR"), "reviewer_id": "sro.reviewer7"}
    )
    status = await decide(
        handle,
        "request_consultation",
        {"actor": actor("SRO"), "party": "ICE_ATTORNEYS", "question": "Litigation pending?"},
    )
    assert status["consultations"][0]["consultation_id"] == "C1"
    await decide(
        handle,
        "record_consultation_response",
        {"actor": actor("ICE_ATTORNEY"), "consultation_id": "C1", "response": "None pending."},
    )
    await decide(
        handle,
        "record_determination",
        {
            "actor": actor("SRO", "sro.reviewer7"),  # the assigned reviewer decides
            "finding": "DOES_NOT_MEET_PRIORITIES",
            "rationale": "Equities.",
        },
    )
    final = await handle.result()
    assert final["stage"] == "CLOSED"
    assert final["closure_reason"] == "DETERMINATION_ISSUED"
    assert final["finding"] == "DOES_NOT_MEET_PRIORITIES"
    assert [h["name"] for h in final["history"]] == [
        "record_local_response",
        "submit_sro_inquiry",
        "assign_reviewer",
        "request_consultation",
        "record_consultation_response",
        "record_determination",
    ]
    subjects = sorted(m.subject for m in mail.for_case(case_id))
    assert subjects == sorted(
        f"[{case_id}] {s}"
        for s in (
            "Case review requested",
            "Local case review response",
            "SRO inquiry received",
            "Consultation C1 requested",
            "Case review determination",
        )
    )
    events = await history_event_types(client, case_id)
    assert "EVENT_TYPE_WORKFLOW_TASK_FAILED" not in events
    assert events[-1] == "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"


async def _async(value: Any) -> Any:
    return value


async def test_sro_entry_complete_goes_to_review(
    client: Client, settings: Settings, mail: MailSink
) -> None:
    handle = await start_case(client, settings, sro_submission())
    status = await wait_stage(handle, "SRO_REVIEW")
    assert status.entry == "SRO_INQUIRY"
    assert [t.kind for t in status.open_tasks] == ["DETERMINATION"]
    await decide(handle, "withdraw", {"actor": actor("INTAKE"), "reason": "Requestor withdrew."})
    final = await handle.result()
    assert final["closure_reason"] == "WITHDRAWN"
    # The withdrawal notice (patch "withdrawal-notice") tells the requestor, once.
    withdrawn = await eventually(
        lambda: _async(mail.for_case(handle.id)),
        lambda m: any("withdrawn" in x.subject for x in m),
    )
    assert [x.rcpt_tos for x in withdrawn if "withdrawn" in x.subject] == [
        ["maria.lopez@example.org"]
    ]


async def test_incomplete_inquiry_waits_for_information(
    client: Client, settings: Settings, mail: MailSink
) -> None:
    data = represented(form=None)
    data["subject"] = {**data["subject"], "date_of_birth": None}
    handle = await start_case(client, settings, data)
    status = await wait_stage(handle, "AWAITING_INFORMATION")
    assert status.missing_items == ["subject.date_of_birth", "representative.authorization"]
    await eventually(
        lambda: _async(mail.for_case(handle.id)),
        lambda m: any("Information needed" in x.subject for x in m),
    )
    needed = next(m for m in mail.for_case(handle.id) if "Information needed" in m.subject)
    assert "date of birth" in needed.body and "G-28" in needed.body

    status_dict = await decide(
        handle, "provide_information", {"actor": actor("INTAKE"), "date_of_birth": "1988-04-12"}
    )
    assert status_dict["stage"] == "AWAITING_INFORMATION"
    assert status_dict["missing_items"] == ["representative.authorization"]
    await decide(
        handle,
        "provide_information",
        {"actor": actor("INTAKE"), "authorization": {"form": "ICE-60-001", "document_ref": "F-1"}},
    )
    await wait_stage(handle, "SRO_REVIEW")
    await decide(handle, "withdraw", {"actor": actor("SUPERVISOR"), "reason": "Duplicate case."})
    assert (await handle.result())["closure_reason"] == "WITHDRAWN"


async def test_status_query_has_no_pii(client: Client, settings: Settings) -> None:
    handle = await start_case(client, settings, represented())
    status = await wait_stage(handle, "SRO_REVIEW")
    text = status.model_dump_json()
    for secret in ("012345678", "Maria", "Lopez", "1988", "5550143", "example.org", "Dana"):
        assert secret not in text
    await decide(handle, "withdraw", {"actor": actor("INTAKE"), "reason": "done"})
    await handle.result()


async def test_add_note_and_status_fields(client: Client, settings: Settings) -> None:
    handle = await start_case(client, settings, submission(request_id=unique("note")))
    status = await decide(
        handle,
        "add_note",
        {"actor": actor("SRO"), "text": "Called the field office.", "decision_id": "n1"},
    )
    assert status["stage"] == "LOCAL_REVIEW"
    assert status["history"][-1]["decision_id"] == "n1"
    for key in (
        "case_id",
        "stage",
        "field_office",
        "detained",
        "finding",
        "closure_reason",
        "open_tasks",
        "next_deadline",
        "history",
        "rejected",
    ):
        assert key in status
    assert status["open_tasks"][0]["role"] == "FIELD_OFFICE"
    assert status["next_deadline"] == status["open_tasks"][0]["due_at"]
    await decide(handle, "withdraw", {"actor": actor("INTAKE"), "reason": "done"})
    await handle.result()
