"""Where a patch is asked decides whether a closed case can still be read.

A patch asked right after a local activity can be recorded one workflow task later than the
local activity's marker (the result raced the task's completion), while on replay the SDK
resolves the local activity inside the earlier task, asks the patch there, finds no marker
in that task and answers False: the closed case's history no longer replays, and its status
query fails (TMPRL1100, "patch marker ... but there is no corresponding change command"). It
was seen now and then with ``notice-task-queue`` asked in each notice task; the patch is now
asked in the workflow's ``__init__``, before any local activity, and a case started since
``settled-2026-11`` asks only that one, there (``workflows/behaviours.py``). These tests make
the race happen every time: they record a real case, split a workflow task right after a
local activity's marker, as the race does, and replay it.
"""

import json
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Replayer

from clients import worker_data_converter
from settings import Settings
from tests.support import sro_submission, start_case, time_skipping_cases, wait_stage
from worker import workflow_runner
from workflows.case_review import CaseReviewWorkflow

pytestmark = pytest.mark.usefixtures("worker")
WITHDRAW = {"actor": {"id": "intake.one", "role": "INTAKE"}, "reason": "done"}


def _shift(node: Any, after: int, by: int) -> Any:
    """Every event id (and reference to one) past ``after`` moves ``by`` places."""
    if isinstance(node, dict):
        moved = {}
        for key, value in node.items():
            if (key == "eventId" or key.endswith("EventId")) and int(value) > after:
                value = str(int(value) + by)
            moved[key] = _shift(value, after, by)
        return moved
    if isinstance(node, list):
        return [_shift(item, after, by) for item in node]
    return node


def _local_activities(events: list[dict[str, Any]]) -> list[int]:
    return [
        i
        for i, e in enumerate(events)
        if e.get("markerRecordedEventAttributes", {}).get("markerName") == "core_local_activity"
    ]


def split_after(history: dict[str, Any], marker: int) -> dict[str, Any]:
    """The history as the race records it: a workflow task ends right after the local
    activity's marker at index ``marker``; the commands that followed it go to the next."""
    events = history["events"]
    at = int(events[marker]["eventId"])
    first_task = next(e for e in events if "workflowTaskScheduledEventAttributes" in e)
    started = next(e for e in events if "workflowTaskStartedEventAttributes" in e)
    completed = next(e for e in events if "workflowTaskCompletedEventAttributes" in e)
    time = events[marker]["eventTime"]
    scheduled_id, started_id = at + 1, at + 2
    new_task = [
        {**first_task, "eventId": str(scheduled_id), "eventTime": time},
        {
            **started,
            "eventId": str(started_id),
            "eventTime": time,
            "workflowTaskStartedEventAttributes": {
                **started["workflowTaskStartedEventAttributes"],
                "scheduledEventId": str(scheduled_id),
            },
        },
        {
            "eventId": str(at + 3),
            "eventTime": time,
            "eventType": completed["eventType"],
            "workflowTaskCompletedEventAttributes": {
                "scheduledEventId": str(scheduled_id),
                "startedEventId": str(started_id),
                "identity": completed["workflowTaskCompletedEventAttributes"].get("identity", ""),
            },
        },
    ]
    rest = _shift(events[marker + 1 :], at, 3)
    return {**history, "events": [*events[: marker + 1], *new_task, *rest]}


async def assert_replays(settings: Settings, case_id: str, *histories: dict[str, Any]) -> None:
    replayer = Replayer(
        workflows=[CaseReviewWorkflow],
        data_converter=worker_data_converter(settings),
        workflow_runner=workflow_runner(),
    )
    for history in histories:
        replayed = await replayer.replay_workflow(
            WorkflowHistory.from_json(case_id, json.dumps(history)),
            raise_on_replay_failure=False,
        )
        assert replayed.replay_failure is None, replayed.replay_failure


async def test_a_closed_case_replays_when_its_first_task_split_after_the_local_activity(
    client: Client, settings: Settings
) -> None:
    handle = await start_case(client, settings, sro_submission())
    await wait_stage(handle, "SRO_REVIEW")
    await handle.execute_update("withdraw", WITHDRAW)
    await handle.result()
    recorded = json.loads((await handle.fetch_history()).to_json())
    raced = split_after(recorded, _local_activities(recorded["events"])[0])
    await assert_replays(settings, handle.id, recorded, raced)


async def test_a_withdrawal_after_a_directory_refresh_replays_when_its_task_split(
    settings: Settings,
) -> None:
    """The same race one step later: a decision that rereads the staff directory first (a
    local activity), then posts the withdrawal notice, whose patch is asked only then."""
    async with time_skipping_cases(
        settings.model_copy(update={"directory_refresh_minutes": 1})
    ) as env:
        handle = await start_case(env.client, settings, sro_submission())
        await wait_stage(handle, "SRO_REVIEW")
        await env.sleep(timedelta(minutes=5))
        await handle.execute_update("withdraw", WITHDRAW)
        await handle.result()
        recorded = json.loads((await handle.fetch_history()).to_json())
    events = recorded["events"]
    notice = next(
        i
        for i, e in enumerate(events)
        if e.get("activityTaskScheduledEventAttributes", {}).get("activityType", {}).get("name")
        == "notify_withdrawal"
    )
    before = [i for i in _local_activities(events) if i < notice]
    assert before and before[-1] > _local_activities(events)[0], "a refresh preceded it"
    raced = split_after(recorded, before[-1])
    await assert_replays(settings, handle.id, recorded, raced)
