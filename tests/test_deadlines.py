"""Deadlines on the time-skipping test server: each fires at its day, 30 days pass in seconds."""

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest_asyncio
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.status import CaseStatus
from settings import Settings
from tests.support import (
    MailSink,
    actor,
    represented,
    sro_submission,
    start_case,
    status_of,
    submission,
    time_skipping_cases,
)


@pytest_asyncio.fixture(scope="module")
async def skipping(settings: Settings) -> AsyncIterator[WorkflowEnvironment]:
    async with time_skipping_cases(settings) as env:
        yield env


async def after(
    env: WorkflowEnvironment, handle: WorkflowHandle[Any, Any], days: float
) -> CaseStatus:
    """Skip ``days`` of workflow time (real seconds), then read the case."""
    await env.sleep(timedelta(days=days))
    return await status_of(handle)


def notice_kinds(status: CaseStatus) -> list[str]:
    return [f"{n.kind}:{n.event_key}" for n in status.notices]


async def test_local_review_reminder_escalation_and_escalation_window(
    skipping: WorkflowEnvironment, settings: Settings, mail: MailSink
) -> None:
    handle = await start_case(skipping.client, settings, submission())
    status = await after(skipping, handle, 6.9)
    assert notice_kinds(status) == ["CASE_OPENED:case-opened"]
    status = await after(skipping, handle, 0.2)  # day 7.1
    assert notice_kinds(status)[-1] == "REMINDER:reminder-local_response"
    reminder = mail.for_case(handle.id)[-1]
    assert reminder.rcpt_tos == ["ero-new-york-city@icr.example"] and "Reminder" in reminder.subject
    status = await after(skipping, handle, 13.8)  # day 20.9
    assert "ESCALATION:escalation-local_response" not in notice_kinds(status)
    status = await after(skipping, handle, 0.2)  # day 21.1
    assert notice_kinds(status)[-1] == "ESCALATION:escalation-local_response"
    assert mail.for_case(handle.id)[-1].rcpt_tos == ["icr-supervisors@icr.example"]

    await handle.signal(
        "record_local_response",
        {"actor": actor("FIELD_OFFICE"), "finding": "MEETS_PRIORITIES", "message": "Late, sorry."},
    )
    status = await after(skipping, handle, 29.9)
    assert status.stage == "AWAITING_ESCALATION"
    deadline = status.next_deadline
    status = await after(skipping, handle, 0.2)  # the escalation window runs out at day 30
    assert (status.stage, status.closure_reason) == ("CLOSED", "NOT_ESCALATED")
    assert deadline is not None and status.closed_at is not None and status.closed_at >= deadline


async def test_information_deadline_closes_incomplete(
    skipping: WorkflowEnvironment, settings: Settings
) -> None:
    data = sro_submission()
    data["subject"] = {**data["subject"], "date_of_birth": None}
    handle = await start_case(skipping.client, settings, data)
    status = await after(skipping, handle, 29.9)
    assert status.stage == "AWAITING_INFORMATION"
    assert status.open_tasks[0].kind == "INFORMATION"
    status = await after(skipping, handle, 0.2)
    assert (status.stage, status.closure_reason) == ("CLOSED", "INCOMPLETE")


async def test_detained_determination_and_consultation_deadlines(
    skipping: WorkflowEnvironment, settings: Settings, mail: MailSink
) -> None:
    handle = await start_case(skipping.client, settings, represented(detained=True))
    status = await after(skipping, handle, 0.01)
    assert status.stage == "SRO_REVIEW"
    determination_due = status.open_tasks[0].due_at
    assert round((determination_due - status.stage_since) / timedelta(days=1)) == 14
    await handle.signal(
        "request_consultation",
        {"actor": actor("SRO"), "party": "ICE_ATTORNEYS", "question": "Pending?", "due_in_days": 3},
    )
    status = await after(skipping, handle, 3.1)
    assert notice_kinds(status)[-1] == "REMINDER:reminder-C1"
    assert mail.for_case(handle.id)[-1].rcpt_tos == ["ice-attorneys@icr.example"]
    await handle.signal(
        "record_consultation_response",
        {"actor": actor("ICE_ATTORNEY"), "consultation_id": "C1", "response": "None."},
    )
    status = await after(skipping, handle, 11)  # day 14.1: the determination target passed
    assert notice_kinds(status)[-1] == "REMINDER:reminder-determination"
    assert mail.for_case(handle.id)[-1].rcpt_tos == ["ice-case-review@icr.example"]
    assert status.next_deadline == determination_due  # overdue: the deadline stays visible
    status = await after(skipping, handle, 14)  # day 28.1: escalated to the supervisor
    assert notice_kinds(status)[-1] == "ESCALATION:escalation-determination"
    await handle.signal("withdraw", {"actor": actor("SUPERVISOR"), "reason": "Released."})
    status = await after(skipping, handle, 0.01)
    assert (status.stage, status.closure_reason) == ("CLOSED", "WITHDRAWN")
