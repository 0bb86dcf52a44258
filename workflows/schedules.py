"""Scheduled work: the daily reminder round and the daily backlog report, each a small workflow
started by a Temporal Schedule (created by setup, visible on the UI's Schedules page). The work
itself is an activity; a retried or repeated run changes nothing (one round per day)."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

JOB_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=30), backoff_coefficient=2, maximum_attempts=6
)
JOB_TIMEOUT = timedelta(minutes=30)


@dataclass(frozen=True)
class ScheduledJob:
    schedule_id: str
    workflow_type: str
    hour: int  # UTC
    minute: int
    note: str


SCHEDULES = (
    ScheduledJob(
        "icr-daily-reminder-round",
        "ReminderRoundWorkflow",
        7,
        0,
        "Daily reminder round: whoever an open case waits for is reminded once a day.",
    ),
    ScheduledJob(
        "icr-daily-backlog-report",
        "BacklogReportWorkflow",
        6,
        30,
        "Daily backlog report: open, overdue, detained past target, frozen cases.",
    ),
)


def only_under_its_schedule(workflow_type: str) -> None:
    """A Schedule starts its workflow as ``<schedule id>-<scheduled time>``; any other id (a
    raw client's start under a case id, to stand in for the case) fails the run at once."""
    [job] = [j for j in SCHEDULES if j.workflow_type == workflow_type]
    workflow_id = workflow.info().workflow_id
    if not workflow_id.startswith(f"{job.schedule_id}-"):
        raise ApplicationError(
            f"{workflow_type} runs only when Schedule {job.schedule_id} starts it",
            type="NotScheduled",
            non_retryable=True,
        )


@workflow.defn(name="ReminderRoundWorkflow")
class ReminderRoundWorkflow:
    @workflow.run
    async def run(self) -> dict[str, int]:
        only_under_its_schedule("ReminderRoundWorkflow")
        # The round is named by the day it was scheduled for, so a retry or a second start that
        # day sends nothing more (each case keeps one reminder per decision_id).
        round_id = workflow.now().strftime("%Y-%m-%d")
        result: dict[str, int] = await workflow.execute_activity(
            "run_reminder_round",
            round_id,
            start_to_close_timeout=JOB_TIMEOUT,
            retry_policy=JOB_RETRY,
            summary=f"reminder round {round_id}",
        )
        return result


@workflow.defn(name="BacklogReportWorkflow")
class BacklogReportWorkflow:
    @workflow.run
    async def run(self) -> dict[str, Any]:
        only_under_its_schedule("BacklogReportWorkflow")
        report: dict[str, Any] = await workflow.execute_activity(
            "report_backlog",
            start_to_close_timeout=JOB_TIMEOUT,
            retry_policy=JOB_RETRY,
            summary="backlog report",
        )
        return report
