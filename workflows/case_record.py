"""Before a closed case returns, its record goes to the store (``activities.case_records``):
Temporal forgets a closed workflow after the namespace's retention, the records schedule not.

A local activity: one short, idempotent write by the worker that holds the case, so the
closing task writes it and completes the case in one go (a marker in the history) instead of
scheduling a task for another worker and waking the case again for its answer.
*(Changed before 1.0: it was an activity.)*"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.status import CaseStatus

KEEP_CASE_RECORD = "keep_case_record"
"""The activity's name (``activities.case_records``; the worker registers it on the case queue)."""
KEEP_TIMEOUT = timedelta(seconds=30)
# The store may be down for a while: the case waits for it rather than close without a record
# (a local activity's longer backoffs become durable timers, so a long outage costs no task).
KEEP_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=5)
)


async def keep_record(status: CaseStatus) -> CaseStatus:
    """The final status, once written to the store; the workflow returns it."""
    await workflow.execute_local_activity(
        KEEP_CASE_RECORD,
        status,
        start_to_close_timeout=KEEP_TIMEOUT,
        retry_policy=KEEP_RETRY,
    )
    return status
