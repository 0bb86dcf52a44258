"""Where a patch is asked decides whether a closed case can still be read.

A patch asked right after a local activity can be recorded one workflow task later than the
local activity's marker (the result raced the task's completion), while on replay the SDK
resolves the local activity inside the earlier task, asks the patch there, finds no marker
in that task and answers False: the closed case's history no longer replays, and its status
query fails (TMPRL1100, "patch marker ... but there is no corresponding change command"). It
was seen now and then with ``notice-task-queue`` asked in each notice task; the patch is now
asked in the workflow's ``__init__``, before any local activity. This test makes the race
happen every time: it records a real case, then splits its first workflow task right after
the opening local activity's marker, as the race does, and replays it.
"""

import json
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Replayer

from clients import worker_data_converter
from settings import Settings
from tests.support import sro_submission, start_case, wait_stage
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


async def test_a_closed_case_replays_when_its_first_task_split_after_the_local_activity(
    client: Client, settings: Settings
) -> None:
    handle = await start_case(client, settings, sro_submission())
    await wait_stage(handle, "SRO_REVIEW")
    await handle.execute_update("withdraw", WITHDRAW)
    await handle.result()
    recorded = json.loads((await handle.fetch_history()).to_json())
    raced = split_after(recorded, _local_activities(recorded["events"])[0])
    replayer = Replayer(
        workflows=[CaseReviewWorkflow],
        data_converter=worker_data_converter(settings),
        workflow_runner=workflow_runner(),
    )
    for history in (recorded, raced):
        replayed = await replayer.replay_workflow(
            WorkflowHistory.from_json(handle.id, json.dumps(history)),
            raise_on_replay_failure=False,
        )
        assert replayed.replay_failure is None, replayed.replay_failure
