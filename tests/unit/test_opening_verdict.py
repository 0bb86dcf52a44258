"""Whether a started case opened, read from its history's events in order (``opening_verdict``):
the histories below are those the dev server recorded for each entry and each refusal."""

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent, WorkflowExecutionStartedEventAttributes

from opening_verdict import Verdict, opening_verdict

STARTED = ["WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED"]
OPENING_TASK = [*STARTED, "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_COMPLETED", "MARKER_RECORDED"]


def events(*names: str) -> list[HistoryEvent]:
    return [HistoryEvent(event_type=EventType.Value(f"EVENT_TYPE_{n}")) for n in names]


def test_each_entry_opens_with_a_command_only_an_opened_case_issues() -> None:
    # A local review and a complete SRO inquiry: publish, first notice, deadline timer.
    local = events(*OPENING_TASK, "UPSERT_WORKFLOW_SEARCH_ATTRIBUTES", "ACTIVITY_TASK_SCHEDULED")
    assert opening_verdict(local) is Verdict.OPENED
    # An SRO inquiry with missing items: only its acknowledgement in the opening task.
    missing = events(*OPENING_TASK, "ACTIVITY_TASK_SCHEDULED", "ACTIVITY_TASK_STARTED")
    assert opening_verdict(missing) is Verdict.OPENED
    assert opening_verdict(events(*OPENING_TASK, "TIMER_STARTED")) is Verdict.OPENED
    # Opened, then closed (terminated, say): the first decisive event counts.
    later = events(*OPENING_TASK, "TIMER_STARTED", "WORKFLOW_EXECUTION_TERMINATED")
    assert opening_verdict(later) is Verdict.OPENED


def test_a_refused_start_fails_in_the_task_that_learns_the_verdict() -> None:
    assert opening_verdict(events(*OPENING_TASK, "WORKFLOW_EXECUTION_FAILED")) is Verdict.CLOSED
    # An unreadable start fails in its first task, without the local activity.
    unreadable = events(*STARTED, "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_COMPLETED")
    assert opening_verdict([*unreadable, *events("WORKFLOW_EXECUTION_FAILED")]) is Verdict.CLOSED
    # An update taken in while the case was opening, and a signal, decide nothing.
    taken = events(
        *STARTED,
        "WORKFLOW_EXECUTION_SIGNALED",
        "WORKFLOW_TASK_STARTED",
        "WORKFLOW_TASK_COMPLETED",
        "MARKER_RECORDED",
        "WORKFLOW_EXECUTION_UPDATE_ACCEPTED",
        "WORKFLOW_EXECUTION_FAILED",
    )
    assert opening_verdict(taken) is Verdict.CLOSED
    terminated = events(*STARTED, "WORKFLOW_EXECUTION_TERMINATED")
    assert opening_verdict(terminated) is Verdict.CLOSED


def test_no_verdict_until_a_task_decides() -> None:
    assert opening_verdict([]) is Verdict.PENDING
    assert opening_verdict(events(*STARTED)) is Verdict.PENDING
    # A task that failed, one that timed out (a worker gone), and an empty one (a heartbeat
    # while the local activity runs) decide nothing; nor does the local activity's marker.
    retried = events(
        *STARTED,
        "WORKFLOW_TASK_STARTED",
        "WORKFLOW_TASK_FAILED",
        "WORKFLOW_TASK_SCHEDULED",
        "WORKFLOW_TASK_STARTED",
        "WORKFLOW_TASK_TIMED_OUT",
        "WORKFLOW_TASK_SCHEDULED",
        "WORKFLOW_TASK_STARTED",
        "WORKFLOW_TASK_COMPLETED",
        "WORKFLOW_TASK_SCHEDULED",
        "WORKFLOW_TASK_STARTED",
        "WORKFLOW_TASK_COMPLETED",
        "MARKER_RECORDED",
    )
    assert opening_verdict(retried) is Verdict.PENDING


def test_a_continued_run_opened_by_definition() -> None:
    """Found again for its request_id, a long case's current run: only an opened case
    continues as new, and that run's first task may issue nothing."""
    continued = HistoryEvent(
        event_type=EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
        workflow_execution_started_event_attributes=WorkflowExecutionStartedEventAttributes(
            continued_execution_run_id="earlier-run"
        ),
    )
    assert opening_verdict([continued, *events("WORKFLOW_TASK_SCHEDULED")]) is Verdict.OPENED
    assert opening_verdict(events(*STARTED)) is Verdict.PENDING  # a first run is not
