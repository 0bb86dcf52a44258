"""Whether a case that ``starter.py submit`` started opened: the start RPC only says the server
took it, and the case itself judges the start (``workflows.signed_start``) and fails with
``InvalidSubmission`` when it refuses it. Without waiting for that verdict a starter without a
valid key would exit 0 for submissions that are lost moments later.

The verdict is read from the run's history, not from timing, with a long poll: one request
outstanding at a time, which the server answers as events arrive (a handful of answers until the
verdict, no polling loop), bounded by the CLI's answer timeout.
"""

import asyncio
import contextlib
from collections.abc import Iterable
from enum import Enum
from typing import Any, NoReturn

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import (
    Client,
    WorkflowContinuedAsNewError,
    WorkflowFailureError,
    WorkflowHandle,
)
from temporalio.exceptions import ApplicationError

from cli_exits import ANSWER_TIMEOUT, CaseStuck, Refused
from domain.starting import INVALID_SUBMISSION


class Verdict(Enum):
    OPENED = "opened"
    CLOSED = "closed"  # before it opened: refused (InvalidSubmission) or ended otherwise
    PENDING = "pending"  # no verdict in the history yet


OPENING_COMMANDS = frozenset(
    {
        EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
        EventType.EVENT_TYPE_TIMER_STARTED,
        EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    }
)
"""Commands only an opened case issues: its notices, its deadline timer, what it publishes."""
CLOSING = frozenset(
    {
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    }
)


def opening_verdict(events: Iterable[HistoryEvent]) -> Verdict:
    """The first decisive event of a run's history, read in order, gives the verdict.

    Exact because of how the case opens (``CaseReviewWorkflow.run``): before its verdict it
    runs only the ``open_case`` local activity, recorded as a MARKER_RECORDED; a refused start
    raises in the activation that learns the verdict, so its task's commands are that marker
    and WORKFLOW_EXECUTION_FAILED, never one of ``OPENING_COMMANDS``. An opened case's opening
    task issues at least one of them: seen on the dev server, a local review and a complete SRO
    inquiry issue UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, ACTIVITY_TASK_SCHEDULED (the first notice)
    and TIMER_STARTED; an SRO inquiry with missing items only ACTIVITY_TASK_SCHEDULED (its
    acknowledgement, awaited before anything else). So a closing event before any opening
    command is a run that never opened, and an opening command before any closing event is a
    case that opened (whatever becomes of it later). A continued run (found again for its
    request_id) opened by definition: only an opened case continues as new. Signals, updates,
    markers and workflow tasks that fail or time out decide nothing.
    """
    for event in events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            if event.workflow_execution_started_event_attributes.continued_execution_run_id:
                return Verdict.OPENED
        elif event.event_type in OPENING_COMMANDS:
            return Verdict.OPENED
        elif event.event_type in CLOSING:
            return Verdict.CLOSED
    return Verdict.PENDING


PAGE_SIZE = 50
"""Events per answer: the verdict comes within the first dozen events of a run."""


async def await_opening(client: Client, case_id: str, run_id: str) -> str | None:
    """Wait (at most ``ANSWER_TIMEOUT``) for the started run's verdict. Opened: None. Refused:
    ``Refused`` naming the case and its reason (exit 3). Ended otherwise, or its workflow task
    failing: ``CaseStuck`` (exit 7). No verdict in time: a note for standard error (the start
    was accepted; a worker may be restarting)."""
    handle = client.get_workflow_handle(case_id, run_id=run_id)
    seen: set[int] = set()
    verdict = Verdict.PENDING

    async def read() -> None:
        nonlocal verdict
        events = handle.fetch_history_events(page_size=PAGE_SIZE, wait_new_event=True)
        async for event in events:  # one at a time: memory stays bounded whatever arrives
            seen.add(event.event_type)
            verdict = opening_verdict([event])
            if verdict is not Verdict.PENDING:
                return

    with contextlib.suppress(TimeoutError):  # no verdict in time: said below
        await asyncio.wait_for(read(), ANSWER_TIMEOUT)
    if verdict is Verdict.OPENED:
        return None
    if verdict is Verdict.CLOSED:
        await _closed(handle)
    if EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED in seen:
        raise CaseStuck(
            f"case {case_id} has not opened: its first workflow task keeps failing; "
            "see docs/operating.md, 'Runbook: a case whose workflow task fails'"
        )
    why = (
        "its first workflow task has not finished"
        if EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED in seen
        else "no worker took its first task"
    )
    return (
        f"note: case {case_id} has not opened yet ({why} within {ANSWER_TIMEOUT:.0f}s); "
        f"`starter.py status {case_id}` shows it once it does"
    )


async def _closed(handle: WorkflowHandle[Any, Any]) -> NoReturn:
    """The run ended before it opened: why, decoded as the caller's client decodes results."""
    try:
        await handle.result(follow_runs=False)
    except WorkflowFailureError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type == INVALID_SUBMISSION:
            raise Refused(f"case {handle.id} refused its start: {cause.message}") from None
        why = str(cause).splitlines()[0][:160] if str(cause) else type(cause).__name__
        raise CaseStuck(f"case {handle.id} ended before it opened: {why}") from None
    except WorkflowContinuedAsNewError:
        pass
    raise CaseStuck(f"case {handle.id} ended before it opened")
