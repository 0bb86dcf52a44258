"""The scheduled jobs' side effects: a reminder round over the open cases and the backlog
report. Both act through the worker's own client and are idempotent (see workflows.schedules)."""

from collections import Counter
from typing import Any

from temporalio import activity
from temporalio.client import Client

from caseload.backlog import backlog
from caseload.bulk import reminder_round
from caseload.queries import CaseFilter
from logs import activity_logger


class CaseloadJobs:
    def __init__(self, client: Client, actor: str, task_queue: str) -> None:
        self._client = client
        self._actor = actor
        self._task_queue = task_queue

    @activity.defn(name="run_reminder_round")
    async def run_reminder_round(self, round_id: str) -> dict[str, int]:
        changes = await reminder_round(
            self._client,
            CaseFilter(),
            self._actor,
            task_queue=self._task_queue,
            round_id=round_id,
            dry_run=False,
        )
        outcomes = dict(Counter(c.outcome for c in changes))
        activity_logger("icr.jobs").info("reminders.round", round_id=round_id, **outcomes)
        return outcomes

    @activity.defn(name="report_backlog")
    async def report_backlog(self) -> dict[str, Any]:
        report = await backlog(self._client)
        activity_logger("icr.jobs").info("backlog.report", **report.model_dump(mode="json"))
        return report.model_dump(mode="json")

    def all(self) -> list[Any]:
        return [self.run_reminder_round, self.report_backlog]
