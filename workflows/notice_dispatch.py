"""Sending the notices a case posted: one activity each, its outcome back into the case file."""

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.case_file import CaseFile
    from domain.notices import NOTICES, Notice, NoticeOutcome, NoticeRecord
    from settings import notice_queue
    from workflows.case_log import case_log
    from workflows.metrics import CaseMetrics

NOTICE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    non_retryable_error_types=["PermanentDeliveryFailure", "ValueError"],
)
NOTICE_ATTEMPT_TIMEOUT = timedelta(seconds=60)
NOTICE_HEARTBEAT = timedelta(seconds=10)  # a dead worker's notice is retried within 15 s
NOTICE_GIVE_UP_AFTER = timedelta(days=3)


class NoticeDispatch:
    """Notices leave while the case goes on: a decision that arrives meanwhile is applied at
    once, never queued behind an activity."""

    def __init__(self, metrics: CaseMetrics) -> None:
        self._metrics = metrics
        self._sending: list[asyncio.Task[None]] = []

    def dispatch(self, case: CaseFile) -> None:
        """Start an activity for every notice the case posted since the last call."""
        for notice in case.take_notices():
            self.start(case, notice)

    def start(self, case: CaseFile, notice: Notice) -> None:
        """Send one notice while the case goes on."""
        self._sending.append(asyncio.create_task(self.send(case, notice)))

    @property
    def in_flight(self) -> bool:
        return bool(self._sending)

    async def drain(self) -> None:
        """Wait until every notice started so far has its outcome."""
        await asyncio.gather(*self._sending)
        self._sending = []

    async def send(self, case: CaseFile, notice: Notice) -> None:
        """One notice activity; its outcome, good or bad, goes into the case's notice log."""
        # Notices go to their own queue, held by the server to the relay's quota.
        queue = notice_queue(workflow.info().task_queue)
        try:
            outcome = await workflow.execute_activity(
                NOTICES[notice.kind].activity,
                notice,
                task_queue=queue,
                result_type=NoticeOutcome,
                start_to_close_timeout=NOTICE_ATTEMPT_TIMEOUT,
                heartbeat_timeout=NOTICE_HEARTBEAT,
                schedule_to_close_timeout=NOTICE_GIVE_UP_AFTER,
                retry_policy=NOTICE_RETRY,
                summary=f"{notice.kind} notice",
            )
            record = NoticeRecord(
                at=workflow.now(),
                kind=notice.kind,
                event_key=notice.event_key,
                outcome="SENT",
                recipients=outcome.delivered + outcome.already_sent,
                withheld=outcome.withheld,
            )
            disclosed = outcome.disclosed
        except ActivityError as err:
            cause = err.cause
            reason = cause.message if isinstance(cause, ApplicationError) else type(cause).__name__
            record = NoticeRecord(
                at=workflow.now(),
                kind=notice.kind,
                event_key=notice.event_key,
                outcome="FAILED",
                error=reason,
            )
            disclosed = []
            case_log("notice.failed", notice=notice.kind, reason=reason)
        self._metrics.notice(notice.kind, record.outcome)
        case.record_notice(record, disclosed)
