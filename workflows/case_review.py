"""``CaseReviewWorkflow``: one durable case, from the first request to its ending.

Thin by design: handlers read and check decisions and change the case file at once (they never
wait on I/O), while the run loop sends notices, keeps one timer on the next deadline and
publishes search attributes. A decision that arrives while a notice is on its way is therefore
applied immediately, never queued behind an activity and never lost.
"""

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    import structlog
    from pydantic import ValidationError

    from domain import search
    from domain.decisions import DECISIONS, Decision, DecisionRule, Refusal
    from domain.errors import describe
    from domain.inquiry import Submission
    from domain.notices import (
        ACTIVITY_FOR_NOTICE,
        Notice,
        NoticeKind,
        NoticeOutcome,
        NoticeRecord,
    )
    from domain.policy import DeadlinePolicy
    from domain.rejection import rejected
    from domain.staff import StaffSnapshot
    from domain.stage import Stage
    from domain.status import CaseStatus
    from workflows.case_file import CaseFile
    from workflows.details import current_details
    from workflows.messages import NO_PAYLOAD, read_decision
    from workflows.metrics import CaseMetrics

NOTICE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    non_retryable_error_types=["PermanentDeliveryFailure", "ValueError"],
)
NOTICE_ATTEMPT_TIMEOUT = timedelta(seconds=60)
NOTICE_HEARTBEAT = timedelta(seconds=30)  # a dead worker's notice is retried within 30 s
NOTICE_GIVE_UP_AFTER = timedelta(days=3)
POLICY_TIMEOUT = timedelta(seconds=10)
WITHDRAWAL_NOTICE = "withdrawal-notice"


def _log(event: str, **fields: Any) -> None:
    """structlog bound to the case; silent on replay so history never logs twice.

    Best effort: a log sink that fails (a closed pipe, a full disk) must never fail the
    workflow task and so stall the case; the bench found exactly that with a broken stdout.
    """
    if workflow.unsafe.is_replaying():
        return
    info = workflow.info()
    with contextlib.suppress(Exception):
        structlog.get_logger("icr.workflow").info(
            event,
            case_id=info.workflow_id,
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            workflow_type=info.workflow_type,
            **fields,
        )


def _with_decision_handlers(cls: type) -> type:
    """Install a signal and an update, of the same name, for every decision of the contract."""
    for rule in DECISIONS.values():
        _install(cls, rule)
    return cls


def _install(cls: type, rule: DecisionRule) -> None:
    # ``self`` stays unannotated: the SDK skips only an unannotated first parameter.
    name = rule.name

    async def on_signal(self, payload: RawValue = NO_PAYLOAD) -> None:  # type: ignore[no-untyped-def]
        await self.on_signal(name, payload)

    async def on_update(self, payload: RawValue = NO_PAYLOAD) -> CaseStatus:  # type: ignore[no-untyped-def]
        status: CaseStatus = await self.on_update(name, payload)
        return status

    def validate(self, payload: RawValue = NO_PAYLOAD) -> None:  # type: ignore[no-untyped-def]
        self.validate(name, payload)

    for fn, kind in ((on_signal, "signal"), (on_update, "update"), (validate, "validate")):
        fn.__name__ = fn.__qualname__ = f"{kind}_{name}"
    update = workflow.update(name=name, description=rule.description)(on_update)
    update.validator(validate)
    setattr(
        cls, f"signal_{name}", workflow.signal(name=name, description=rule.description)(on_signal)
    )
    setattr(cls, f"update_{name}", update)


@workflow.defn(name="CaseReviewWorkflow")
@_with_decision_handlers
class CaseReviewWorkflow:
    @workflow.init
    def __init__(self, submission: Submission, carried: CaseFile | None = None) -> None:
        # ``carried``: the whole case, handed over by continue-as-new (absolute deadlines,
        # applied decision_ids, the rejected log, notices and disclosures included). The SDK
        # applies type hints only when every parameter has a payload, so a case started with
        # the submission alone arrives as plain JSON: validate both here.
        # A start input that is not a valid submission (someone bypassing starter.py) must not
        # fail workflow tasks forever: run() fails the case cleanly, naming the fields.
        self._invalid: str | None = None
        try:
            if carried is not None:
                self._case = CaseFile.model_validate(carried)
            else:
                self._case = CaseFile.start(
                    workflow.info().workflow_id,
                    Submission.model_validate(submission),
                    workflow.now(),
                )
        except ValidationError as exc:
            self._invalid = "invalid submission: " + "; ".join(describe(exc))
        self._ready = False
        self._sending: list[asyncio.Task[None]] = []
        self._published: dict[str, Any] | None = None
        self._timer: asyncio.Task[None] | None = None
        self._timer_target: datetime | None = None
        self._timer_fired = False
        self._metrics = CaseMetrics()
        self._stage_seen: tuple[str, datetime] | None = None

    @workflow.run
    async def run(self, submission: Submission, carried: CaseFile | None = None) -> CaseStatus:
        if self._invalid is not None:
            raise ApplicationError(self._invalid, type="InvalidSubmission", non_retryable=True)
        if carried is None:
            policy = await workflow.execute_local_activity(
                "load_deadline_policy",
                result_type=DeadlinePolicy,
                start_to_close_timeout=POLICY_TIMEOUT,
            )
            self._case.staff = await self._load_staff()
            self._case.open(policy)
            entry, office = self._case.submission.entry, self._case.submission.field_office
            self._metrics.opened(entry, office)
            _log("case.opened", stage=self._case.stage, entry=entry)
        else:
            _log("case.continued", stage=self._case.stage, history=len(self._case.history))
        self._ready = True
        while True:
            self._dispatch_notices()
            seen = self._case.version
            self._publish()
            if self._case.stage is Stage.CLOSED:
                break
            if self._case.stage is Stage.SRO_INTAKE:
                await self._intake()
                continue
            await self._refresh_staff()
            if workflow.info().is_continue_as_new_suggested():
                await self._continue_as_new()
            await self._wait_for_change(seen)
        self._cancel_timer()
        await asyncio.gather(*self._sending)
        self._publish()
        await workflow.wait_condition(workflow.all_handlers_finished)
        reason, finding = self._case.closure_reason, self._case.finding
        self._metrics.closed(str(reason), finding)
        _log("case.closed", closure_reason=reason, finding=finding)
        return self._case.status()

    @workflow.query(
        name="status",
        description="Where the case stands: stage, open tasks, "
        "deadlines, accepted decisions and rejected signals (no personal data).",
    )
    def status(self) -> CaseStatus:
        if self._invalid is not None:
            raise ApplicationError(f"the case did not start: {self._invalid}")
        return self._case.status()

    # ----- decisions: one path for signals and updates -------------------------------------

    def _judge(self, name: str, payload: RawValue) -> Decision | Refusal:
        """Read the payload and check it against the case: the one path of every decision."""
        if self._invalid is not None:
            return Refusal(f"the case did not start: {self._invalid}", kind="state")
        decision = read_decision(name, payload, workflow.payload_converter())
        if isinstance(decision, Refusal):
            return decision
        return self._case.check(name, decision) or decision

    def _refused(self, name: str, via: str, refusal: Refusal) -> None:
        self._metrics.decision(name, via, "rejected", refusal.kind)
        _log("decision.rejected", decision=name, via=via, reason_class=refusal.kind)
        if refusal.kind == "directory":
            actor = refusal.actor
            _log(
                "security.decision_refused",
                decision=name,
                via=via,
                staff_id=actor.id if actor else None,
                claimed_role=actor.role if actor else None,
                reason=refusal.reason,
            )

    def _accept(self, name: str, via: str, decision: Decision) -> CaseStatus | None:
        status = self._case.apply(name, decision, workflow.now(), want_result=via == "update")
        self._metrics.decision(name, via, "accepted")
        _log("decision.accepted", decision=name, via=via, role=decision.actor.role)
        return status

    async def on_signal(self, name: str, payload: RawValue) -> None:
        """Never raises: whatever arrived is applied or recorded as rejected."""
        await workflow.wait_condition(lambda: self._ready)
        verdict = self._judge(name, payload)
        if isinstance(verdict, Refusal):
            self._case.reject(name, verdict.actor, verdict.reason, workflow.now())
            self._refused(name, "signal", verdict)
        else:
            self._accept(name, "signal", verdict)

    def validate(self, name: str, payload: RawValue) -> None:
        """Update validator: a rejection here writes nothing to the history."""
        verdict = self._judge(name, payload)
        if isinstance(verdict, Refusal):
            self._refused(name, "update", verdict)
            raise rejected(verdict.reason)

    async def on_update(self, name: str, payload: RawValue) -> CaseStatus:
        await workflow.wait_condition(lambda: self._ready)
        # Judged again: another update validated in the same task may have moved the case.
        verdict = self._judge(name, payload)
        if isinstance(verdict, Refusal):
            self._refused(name, "update", verdict)
            raise rejected(verdict.reason)
        status = self._accept(name, "update", verdict)
        assert status is not None  # an update always gets its result
        return status

    # ----- the run loop's steps ------------------------------------------------------------

    async def _continue_as_new(self) -> None:
        """Hand the whole case to a fresh run when the history grows long (the server says
        when). Nothing is lost: in-flight notices finish first, every handler has finished,
        and a signal that lands meanwhile makes the server retry this task with it."""
        self._cancel_timer()
        while True:  # until nothing is in flight and no decision left a notice to send
            await asyncio.gather(*self._sending)
            self._sending = []
            await workflow.wait_condition(workflow.all_handlers_finished)
            self._dispatch_notices()
            if not self._sending:
                break
        _log("case.continuing_as_new", history_events=workflow.info().get_current_history_length())
        workflow.continue_as_new(args=[self._case.submission, self._case])

    async def _load_staff(self) -> StaffSnapshot | None:
        snapshot: StaffSnapshot | None = await workflow.execute_local_activity(
            "load_staff_directory",
            result_type=StaffSnapshot | None,  # type: ignore[arg-type]
            start_to_close_timeout=POLICY_TIMEOUT,
        )
        return snapshot

    async def _refresh_staff(self) -> None:
        """Reread the directory when the case's copy is older than the worker's setting."""
        staff = self._case.staff
        if staff is None:
            return
        if workflow.now() - staff.loaded_at >= timedelta(minutes=staff.refresh_minutes):
            self._case.staff = await self._load_staff()

    async def _intake(self) -> None:
        """The SRO's completeness check: acknowledge, then review or ask for what is missing."""
        await self._send(self._case.receipt_notice())
        self._case.finish_intake(workflow.now())

    async def _wait_for_change(self, seen: int) -> None:
        """Sleep until a decision changes the case or the next deadline comes, on one timer."""
        target = self._case.next_wakeup()
        if target != self._timer_target:
            self._cancel_timer()
            if target is not None:
                self._timer_target = target
                self._timer = asyncio.create_task(self._sleep_until(target))
        await workflow.wait_condition(lambda: self._case.version != seen or self._timer_fired)
        if self._timer_fired:
            self._timer_fired = False
            self._timer_target = None
            self._case.expire(workflow.now())

    async def _sleep_until(self, target: datetime) -> None:
        delay = (target - workflow.now()).total_seconds()
        if delay > 0:
            await workflow.sleep(delay, summary=f"next deadline {target:%Y-%m-%d %H:%M}Z")
        self._timer_fired = True

    def _cancel_timer(self) -> None:
        if self._timer is not None and not self._timer.done():
            self._timer.cancel()
        self._timer = None
        self._timer_target = None

    def _dispatch_notices(self) -> None:
        for notice in self._case.take_effects():
            # Patch "withdrawal-notice": cases that withdrew before it existed replay without
            # the notice. Retire it (deprecate_patch, then remove) once no such case is open.
            if notice.kind is NoticeKind.WITHDRAWN and not workflow.patched(WITHDRAWAL_NOTICE):
                continue
            self._sending.append(asyncio.create_task(self._send(notice)))

    async def _send(self, notice: Notice) -> None:
        """One notice activity; its outcome, good or bad, goes into the case's notice log."""
        try:
            outcome = await workflow.execute_activity(
                ACTIVITY_FOR_NOTICE[notice.kind],
                notice,
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
            _log("notice.failed", notice=notice.kind, reason=reason)
        self._metrics.notice(notice.kind, record.outcome)
        self._case.record_notice(record, disclosed)

    def _note_stage(self, status: CaseStatus) -> None:
        """Time spent per stage, measured when the case leaves it."""
        seen = self._stage_seen
        if seen is None or seen[0] != status.stage:
            if seen is not None:
                self._metrics.stage_left(seen[0], status.stage_since - seen[1])
            self._stage_seen = (status.stage, status.stage_since)

    def _publish(self) -> None:
        """Search attributes (one upsert of what changed) and the UI's current details."""
        status = self._case.status(summary=True)
        self._note_stage(status)
        wanted: dict[str, Any] = {
            search.CASE_STAGE.name: status.stage.value,
            search.FIELD_OFFICE.name: status.field_office.value,
            search.CASE_FINDING.name: status.finding.value if status.finding else None,
            search.DETAINED.name: status.detained,
            search.NEXT_DEADLINE.name: status.next_deadline,
            search.ASSIGNED_REVIEWER.name: status.assigned_reviewer,
        }
        if self._published is None:
            current = workflow.info().typed_search_attributes
            self._published = {key.name: current.get(key) for key in search.ALL_KEYS}
        updates: list[SearchAttributeUpdate[Any]] = []
        for key in (
            search.CASE_STAGE,
            search.FIELD_OFFICE,
            search.CASE_FINDING,
            search.DETAINED,
            search.NEXT_DEADLINE,
            search.ASSIGNED_REVIEWER,
        ):
            value = wanted[key.name]
            if self._published.get(key.name) != value:
                updates.append(key.value_unset() if value is None else key.value_set(value))
                self._published[key.name] = value
        if updates:
            workflow.upsert_search_attributes(updates)
        workflow.set_current_details(current_details(status))
