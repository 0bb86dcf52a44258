"""Sending the notices a case posted: one activity each, its outcome back into the case file."""

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.case_file import CaseFile
    from domain.notices import NOTICES, Notice, NoticeOutcome, NoticeRecord
    from security.codec import BOUND_TO, SEALED
    from security.readable import unreadable_reason
    from security.stamp import SIGNATURE
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
REASON_KEPT = 300
"""Characters of a failure's message the case keeps and logs: the message can be anybody's
(a raw client may fail a pending activity by its id, with text of any length)."""
UNREAD_OUTCOME = "its outcome was not a worker's sealed answer, so it is not believed"
UNBELIEVED_RESENDS = 2
"""Times a notice whose outcome was not believed is sent again before it is recorded failed."""
RESEND_AFTER = NOTICE_ATTEMPT_TIMEOUT + timedelta(seconds=30)
"""An answer the case does not believe may have come while the worker's own attempt was still
sending: the notice is sent again only once that attempt is over and its letter, if it left,
is in the ledger, so the letter does not leave twice."""


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
        for attempt in range(1 + UNBELIEVED_RESENDS):
            try:
                raw = await workflow.execute_activity(
                    NOTICES[notice.kind].activity,
                    notice,
                    task_queue=queue,
                    result_type=RawValue,  # read below: no answer can fail the workflow task
                    start_to_close_timeout=NOTICE_ATTEMPT_TIMEOUT,
                    heartbeat_timeout=NOTICE_HEARTBEAT,
                    schedule_to_close_timeout=NOTICE_GIVE_UP_AFTER,
                    retry_policy=NOTICE_RETRY,
                    summary=f"{notice.kind} notice",
                )
            except ActivityError as err:
                cause = err.cause
                message = (
                    cause.message if isinstance(cause, ApplicationError) else type(cause).__name__
                )
                outcome: NoticeOutcome | str = kept(message)
                break
            outcome = read_outcome(raw, case.case_id)
            if isinstance(outcome, NoticeOutcome):
                break
            # Not the worker's answer: sent again (the ledger keeps a letter that did leave
            # from leaving twice), a few times, then recorded as failed.
            case_log("notice.unbelieved", notice=notice.kind, attempt=attempt + 1)
            if attempt < UNBELIEVED_RESENDS:
                await workflow.sleep(RESEND_AFTER, summary=f"{notice.kind} notice, again")
        if isinstance(outcome, NoticeOutcome):
            record = NoticeRecord(
                at=workflow.now(),
                kind=notice.kind,
                event_key=notice.event_key,
                outcome="SENT",
                recipients=outcome.delivered + outcome.already_sent,
                withheld=outcome.withheld,
            )
            disclosed = outcome.disclosed
        else:
            record = NoticeRecord(
                at=workflow.now(),
                kind=notice.kind,
                event_key=notice.event_key,
                outcome="FAILED",
                error=outcome,
            )
            disclosed = []
            case_log("notice.failed", notice=notice.kind, reason=outcome)
        self._metrics.notice(notice.kind, record.outcome)
        case.record_notice(record, disclosed)


def read_outcome(raw: object, case_id: str) -> NoticeOutcome | str:
    """The activity's outcome, or why it is not believed. Anyone with write access to the
    namespace can answer a pending activity by its id, or poll the notice queue and answer
    its tasks, with any payload: only an answer the worker could have written counts. The
    worker's codec seals it bound to this case and the worker signs nothing (a stamp means the
    codec server or a service sealed it for someone); its shape is the outcome's alone and it
    names the recipients each letter went to."""
    if not isinstance(raw, RawValue) or unreadable_reason(raw.payload) is not None:
        return UNREAD_OUTCOME
    meta = raw.payload.metadata
    if SEALED not in meta or meta.get(BOUND_TO) != case_id.encode() or SIGNATURE in meta:
        return UNREAD_OUTCOME
    try:
        value = workflow.payload_converter().from_payload(raw.payload)
        if not isinstance(value, dict) or not set(value) <= set(NoticeOutcome.model_fields):
            return UNREAD_OUTCOME
        outcome = NoticeOutcome.model_validate(value)
    except Exception:  # a sealed payload of another shape: a copy of some other answer
        return UNREAD_OUTCOME
    sent = set(outcome.delivered) | set(outcome.already_sent)
    if not (sent or outcome.withheld) or not set(outcome.disclosed) <= sent:
        return UNREAD_OUTCOME
    return outcome


def kept(message: str) -> str:
    """A failure's message as the case keeps it: one line, bounded."""
    line = " ".join(message[: REASON_KEPT * 4].split())
    return line if len(line) <= REASON_KEPT else line[: REASON_KEPT - 1] + "…"
