"""The notice activities, one per name in the notice table.

Each is idempotent through the ledger and a deterministic Message-ID: retrying one, or running
it again after a worker died, never mails twice.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from temporalio import activity
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryReverseRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities.keepalive import kept_alive
from activities.postbox import Postbox
from domain.case_id import is_case_id
from domain.notices import Notice, NoticeKind, NoticeOutcome, kinds_by_activity
from domain.opening import Opening
from domain.staff import StaffSnapshot
from domain.starting import INVALID_SUBMISSION
from security import configured
from security.directory import StaffDirectory
from settings import Settings


class NoticeActivities:
    """One activity per name in the notice table (``domain.notices.NOTICES``); each sends only
    the kinds the table gives it, so a notice can never leave through the wrong door."""

    def __init__(self, postbox: Postbox) -> None:
        self._postbox = postbox

    def all(self) -> list[Callable[..., Any]]:
        return [self._activity(name, kinds) for name, kinds in kinds_by_activity().items()]

    def _activity(self, name: str, kinds: tuple[NoticeKind, ...]) -> Callable[..., Any]:
        postbox = self._postbox

        async def deliver(notice: Notice) -> NoticeOutcome:
            if notice.kind not in kinds:
                raise ValueError(f"{name} cannot send a {notice.kind} notice")
            async with kept_alive():
                return await postbox.deliver(notice)

        deliver.__name__ = deliver.__qualname__ = name
        return activity.defn(name=name)(deliver)


class PolicyActivities:
    """Worker settings a case captures as local activities, so replay never rereads them."""

    def __init__(self, settings: Settings, directory: StaffDirectory | None) -> None:
        self._settings = settings
        self._directory = directory

    @activity.defn(name="load_staff_directory")
    async def load_staff_directory(self) -> StaffSnapshot | None:
        """None when no directory is configured (development: any actor is accepted)."""
        if self._directory is None:
            return None
        return StaffSnapshot(
            members=self._directory.members(),
            loaded_at=datetime.now(UTC),
            refresh_minutes=self._settings.directory_refresh_minutes,
            stamp_keys=configured.stamp_verifying_keys(self._settings),
            stamp_freshness_hours=self._settings.stamp_freshness_hours,
        )

    @activity.defn(name="open_case")
    async def open_case(self, case_id: str, run_id: str) -> Opening:
        """Policy, directory and whether the case id was used before, in one local activity."""
        return Opening(
            policy=self._settings.deadline_policy(),
            staff=await self.load_staff_directory(),
            earlier_runs=await _other_runs(case_id, run_id),
        )

    def all(self) -> list[Callable[..., Any]]:
        return [self.load_staff_directory, self.open_case]


async def _other_runs(case_id: str, run_id: str) -> int:
    """Runs under this id other than this one that opened a case (or may yet): a run that
    failed as an ``InvalidSubmission`` never opened one, so an outsider's unsigned start cannot
    block the real submitter. The id is a checked case id, safe to quote."""
    if not is_case_id(case_id):
        raise ValueError("not a case id")
    client = activity.client()
    try:
        runs = client.list_workflows(f"WorkflowId = '{case_id}'")
        others = [wf.run_id async for wf in runs if wf.run_id != run_id]
        return len([r for r in others if not await _refused_start(client, case_id, r)])
    except RPCError as exc:
        if exc.status is RPCStatusCode.UNIMPLEMENTED:  # the time-skipping test server
            return 0
        raise


async def _refused_start(client: Client, case_id: str, run_id: str) -> bool:
    """Whether the run ended as a start the case refused (read from the history's last event,
    written by a worker: what a client sends cannot fake it)."""
    last = await client.workflow_service.get_workflow_execution_history_reverse(
        GetWorkflowExecutionHistoryReverseRequest(
            namespace=client.namespace,
            execution=WorkflowExecution(workflow_id=case_id, run_id=run_id),
            maximum_page_size=1,
        )
    )
    if not last.history.events:
        return False
    event = last.history.events[0]
    if event.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
        return False
    failure = event.workflow_execution_failed_event_attributes.failure
    return failure.application_failure_info.type == INVALID_SUBMISSION
