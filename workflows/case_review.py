"""``CaseReviewWorkflow``: one durable case, from the first request to its ending.

Thin by design: handlers read and judge decisions and change the case file at once (they never
wait on I/O), while the run loop sends notices, keeps one timer on the next deadline and
publishes what the case shows outside. A decision that arrives while a notice is on its way is
therefore applied immediately, never queued behind an activity and never lost.
"""

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.bounds import fit_for_carrying
    from domain.case_file import CaseFile
    from domain.correspondence import correspondent_of
    from domain.deadlines import DeadlinePolicy
    from domain.decisions import Decision, Refusal
    from domain.opening import Opening
    from domain.staff import StaffSnapshot
    from domain.stage import Stage
    from domain.starting import INVALID_SUBMISSION, envelope_problem, read_start
    from domain.status import CaseStatus
    from domain.status_view import summary_of
    from workflows.behaviours import (
        DAILY_REMINDER_ROUNDS,
        ONE_OPENING_ACTIVITY,
        ONE_STEP_PER_TASK,
        SIGNED_DECISIONS,
        SIGNED_STARTS,
        SUMMARY_RESULTS,
        UNKNOWN_SIGNALS_REFUSED,
        Behaviours,
    )
    from workflows.case_log import case_log
    from workflows.deadline_timer import DeadlineTimer
    from workflows.decision_handlers import show_one_raw_argument, with_decision_handlers
    from workflows.messages import read_decision
    from workflows.metrics import CaseMetrics
    from workflows.notice_dispatch import NoticeDispatch
    from workflows.publisher import CasePublisher
    from workflows.refusals import refusal_error
    from workflows.search_attributes import CASE_WORKFLOW
    from workflows.signatures import judge_signed, remember_stamp
    from workflows.signed_start import decoded, start_payload, start_refusal

POLICY_TIMEOUT = timedelta(seconds=10)
UNKNOWN_SIGNAL = "(unknown)"
UNKNOWN_SIGNAL_REASON = "no decision has that name; the decisions are listed in the contract"


@workflow.defn(name=CASE_WORKFLOW)
@with_decision_handlers
class CaseReviewWorkflow:
    @workflow.init
    def __init__(self, *args: Any) -> None:
        # The start input is read here, whatever arrived, so that no input can fail a workflow
        # task: one input arrives undecoded (RawValue, see show_one_raw_argument), any other
        # count decoded without type hints, and a bad start fails the case cleanly in run(),
        # naming the problem (see domain.starting).
        self._ready = False
        info = workflow.info()
        continued = info.continued_run_id is not None
        # Patch "signed-decisions": every case started since requires signed decisions; cases
        # recorded before it replay (and run on) as they were, until they continue as new.
        self._behaviours = Behaviours()
        self._signed = self._behaviours.has(SIGNED_DECISIONS)
        # Patch "signed-starts": a new case opens only under a valid stamp (signed_start);
        # a continued run's carried input is the case's own.
        self._start_payload = start_payload(args)
        self._verify_start = self._behaviours.has(SIGNED_STARTS) and not continued
        args = decoded(args, workflow.payload_converter())
        self._metrics = CaseMetrics()
        self._notices = NoticeDispatch(self._metrics, self._behaviours)
        self._timer = DeadlineTimer()
        self._publisher = CasePublisher(self._metrics)
        if self._verify_start and envelope_problem(args, info.workflow_id, continued=False):
            self._verify_start = False  # unreadable at all: it fails at once, nothing to verify
        started = read_start(args, info.workflow_id, continued=continued)
        if isinstance(started, str):
            self._invalid: str | None = started
            return
        self._invalid = None
        self._carried = started.carried is not None
        self._case = started.carried or CaseFile.from_submission(
            info.workflow_id, started.submission, workflow.now()
        )

    show_one_raw_argument(__init__)

    @workflow.run
    async def run(self, *args: Any) -> CaseStatus:
        opening: Opening | None = None
        if self._verify_start:
            # Judged before the content, once the directory is captured: nothing leaks or leaves.
            opening = await self._opening()
            case_id = workflow.info().workflow_id
            refused = start_refusal(self._start_payload, opening.staff, workflow.now(), case_id)
            if refused is not None:
                case_log("security.start_refused", reason=refused)
                raise ApplicationError(refused, type=INVALID_SUBMISSION, non_retryable=True)
        if self._invalid is not None:
            raise ApplicationError(self._invalid, type=INVALID_SUBMISSION, non_retryable=True)
        case = self._case
        # Patch "one-step-per-task": the loop acts once per task, after all its decisions, and a
        # complete SRO inquiry does not hold SRO_INTAKE for its acknowledgment.
        self._one_step = self._behaviours.has(ONE_STEP_PER_TASK)
        if opening is not None:
            self._open_with(case, opening)
        elif not self._carried:
            await self._open(case)
        else:
            case_log("case.continued", stage=case.stage, history=len(case.history))
        self._ready = True
        while True:
            if self._one_step:  # the task's decisions first: one publish and dispatch for all
                await workflow.wait_condition(workflow.all_handlers_finished)
                self._pass_complete_intake()
            self._notices.dispatch(case)
            seen = case.version
            self._publisher.publish(case.status(summary=True))
            if case.stage is Stage.CLOSED:
                break
            if case.stage is Stage.SRO_INTAKE:
                await self._intake()
                continue
            await self._refresh_staff()
            if workflow.info().is_continue_as_new_suggested():
                await self._continue_as_new()
            await self._wait_for_change(seen)
        self._timer.cancel()
        await self._notices.drain()
        self._publisher.publish(case.status(summary=True))
        await workflow.wait_condition(workflow.all_handlers_finished)
        reason, finding = case.closure_reason, case.finding
        self._metrics.closed(str(reason), finding)
        case_log("case.closed", closure_reason=reason, finding=finding)
        return case.status()

    show_one_raw_argument(run)

    async def _opening(self) -> Opening:
        """The worker's policy and directory, and whether the case id was used before."""
        info = workflow.info()
        opening: Opening = await workflow.execute_local_activity(
            "open_case",
            args=[info.workflow_id, info.run_id],
            result_type=Opening,
            start_to_close_timeout=POLICY_TIMEOUT,
        )
        return opening

    def _open_with(self, case: CaseFile, opening: Opening) -> None:
        """Refuse a reused case id, then take the policy and directory and set the deadlines."""
        if opening.earlier_runs:
            raise ApplicationError(
                "this case id was used before; a case is started once (starter.py submit)",
                type=INVALID_SUBMISSION,
                non_retryable=True,
            )
        case.staff = opening.staff
        self._opened(case, opening.policy)

    async def _open(self, case: CaseFile) -> None:
        """Capture the worker's policy and directory, then set the first deadlines."""
        if self._behaviours.has(ONE_OPENING_ACTIVITY):
            self._open_with(case, await self._opening())
        else:  # cases opened before the patch recorded two local activities
            policy = await workflow.execute_local_activity(
                "load_deadline_policy",
                result_type=DeadlinePolicy,
                start_to_close_timeout=POLICY_TIMEOUT,
            )
            case.staff = await self._load_staff()
            self._opened(case, policy)

    def _opened(self, case: CaseFile, policy: DeadlinePolicy) -> None:
        case.apply_policy(policy)
        entry, office = case.submission.entry, case.submission.field_office
        self._metrics.opened(entry, office)
        case_log("case.opened", stage=case.stage, entry=entry)

    @workflow.query(
        name="status",
        description="Where the case stands: stage, open tasks, "
        "deadlines, accepted decisions and rejected signals (no personal data).",
    )
    def status(self, *args: Any) -> CaseStatus:
        if self._invalid is not None:
            raise ApplicationError(f"the case did not start: {self._invalid}")
        if args:
            raise refusal_error(f"the status query takes no arguments; {len(args)} arrived")
        return self._case.status()

    @workflow.query(
        name="whose_address",
        description="For the mail gateway: REQUESTOR or REPRESENTATIVE when the given e-mail "
        "address is that correspondent's, else null (addresses stay in encrypted payloads).",
    )
    def whose_address(self, address: str) -> str | None:
        # Named to sort after ``status``: the UI's Queries tab opens on the first name.
        if self._invalid is not None:
            return None
        kind = correspondent_of(self._case.submission, address)
        return None if kind is None else kind.value

    # ----- decisions: one path for signals and updates (see decision_handlers) -------------

    def _judge(self, name: str, args: tuple[Any, ...]) -> Decision | Refusal:
        """Read the arguments and judge the decision: the one path of every decision."""
        if self._invalid is not None:
            return Refusal(f"the case did not start: {self._invalid}", kind="state")
        if self._signed:
            converter = workflow.payload_converter()
            return judge_signed(self._case, name, args, converter, workflow.now())
        decision = read_decision(name, args, workflow.payload_converter())
        if isinstance(decision, Refusal):
            return decision
        return self._case.judge(name, decision) or decision

    def _refused(self, name: str, via: str, refusal: Refusal) -> None:
        self._metrics.decision(name, via, "rejected", refusal.kind)
        case_log("decision.rejected", decision=name, via=via, reason_class=refusal.kind)
        if refusal.kind in ("directory", "unsigned", "forged", "replayed"):
            actor = refusal.actor
            case_log(
                "security.decision_refused",
                decision=name,
                via=via,
                staff_id=actor.id if actor else None,
                claimed_role=actor.role if actor else None,
                reason=refusal.reason,
            )

    def _accept(self, name: str, via: str, decision: Decision) -> CaseStatus | None:
        if name == "send_reminders" and not self._case.daily_reminder_rounds:
            self._case.daily_reminder_rounds = self._behaviours.has(DAILY_REMINDER_ROUNDS)
        status = self._case.apply(name, decision, workflow.now(), want_result=via == "update")
        self._metrics.decision(name, via, "accepted")
        case_log("decision.accepted", decision=name, via=via, role=decision.actor.role)
        return status

    async def on_signal(self, name: str, args: tuple[Any, ...]) -> None:
        """Never raises: whatever arrived is applied or recorded as refused."""
        await workflow.wait_condition(lambda: self._ready)
        if self._signed:  # judged against a directory no older than the refresh interval
            await self._refresh_staff()
        verdict = self._judge(name, args)
        if isinstance(verdict, Refusal):
            self._case.record_refused_signal(name, verdict.actor, verdict.reason, workflow.now())
            self._refused(name, "signal", verdict)
        else:
            self._accept(name, "signal", verdict)
            if self._signed:
                remember_stamp(self._case, args, workflow.now())

    async def on_unknown_signal(self) -> None:
        """A signal under a name no decision has: recorded like any refusal (its name left
        out: the sender chose it), so it wakes the case instead of staying unread."""
        if not self._behaviours.has_new(UNKNOWN_SIGNALS_REFUSED):
            return
        await workflow.wait_condition(lambda: self._ready)
        refusal = Refusal(UNKNOWN_SIGNAL_REASON)
        self._case.record_refused_signal(UNKNOWN_SIGNAL, None, refusal.reason, workflow.now())
        self._refused(UNKNOWN_SIGNAL, "signal", refusal)

    def validate(self, name: str, args: tuple[Any, ...]) -> None:
        """Update validator: a refusal here writes nothing to the history."""
        if self._signed and not self._ready:
            return  # the case is still opening: its handler judges once it is open
        verdict = self._judge(name, args)
        if isinstance(verdict, Refusal):
            self._refused(name, "update", verdict)
            raise refusal_error(verdict.reason)

    async def on_update(self, name: str, args: tuple[Any, ...]) -> CaseStatus:
        await workflow.wait_condition(lambda: self._ready)
        if self._signed:
            await self._refresh_staff()
        # Judged again: another update validated in the same task may have moved the case.
        verdict = self._judge(name, args)
        if isinstance(verdict, Refusal):
            self._refused(name, "update", verdict)
            raise refusal_error(verdict.reason)
        status = self._accept(name, "update", verdict)
        if self._signed:
            remember_stamp(self._case, args, workflow.now())
        assert status is not None  # an update always gets its result; its size not the case's
        return summary_of(status) if self._behaviours.has_new(SUMMARY_RESULTS) else status

    # ----- the run loop's steps ------------------------------------------------------------

    async def _continue_as_new(self) -> None:
        """Hand the whole case to a fresh run when the history grows long (the server says
        when). Nothing is lost: in-flight notices finish first, every handler has finished,
        and a signal that lands meanwhile makes the server retry this task with it."""
        self._timer.cancel()
        while True:  # until nothing is in flight and no decision left a notice to send
            await self._notices.drain()
            await workflow.wait_condition(workflow.all_handlers_finished)
            self._notices.dispatch(self._case)
            if not self._notices.in_flight:
                break
        size = fit_for_carrying(self._case)
        case_log(
            "case.continuing_as_new",
            history_events=workflow.info().get_current_history_length(),
            case_file_bytes=size,
        )
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

    def _pass_complete_intake(self) -> None:
        """A complete SRO inquiry goes on to review in the task that brought it, acknowledged
        alongside: nobody waits on SRO_INTAKE. An incomplete one takes ``_intake``'s path."""
        case = self._case
        if case.stage is Stage.SRO_INTAKE and not case.submission.missing_items():
            self._publisher.note_stage(case.status(summary=True))
            self._notices.start(case, case.receipt_notice())
            case.finish_intake(workflow.now())

    async def _intake(self) -> None:
        """The SRO's completeness check: acknowledge, then review or ask for what is missing
        (the request for what is missing never overtakes the acknowledgment)."""
        await self._notices.send(self._case, self._case.receipt_notice())
        self._case.finish_intake(workflow.now())

    async def _wait_for_change(self, seen: int) -> None:
        """Sleep until a decision changes the case or the next deadline comes, on one timer."""
        self._timer.aim(self._case.next_wakeup())
        await workflow.wait_condition(lambda: self._case.version != seen or self._timer.fired)
        if self._timer.take_firing():
            self._case.expire(workflow.now())
