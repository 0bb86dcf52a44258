"""``CaseReviewWorkflow``: one durable case, from the first request to its ending.

Thin by design: handlers only take in (``workflows.inbox``), and the run loop judges what
arrived in bounded slices, in order of arrival, changes the case file, sends notices, keeps one
timer on the next deadline and publishes what the case shows outside. A decision that arrives
while a notice is on its way is judged at the next step, never queued behind an activity.
"""

from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.converter import PayloadConverter
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.bounds import CARRY_LIMIT_BYTES
    from domain.case_file import CaseFile
    from domain.case_state import fit_for_carrying
    from domain.correspondence import correspondent_of
    from domain.decisions import Decision, Refusal
    from domain.opening import Opening
    from domain.staff import StaffSnapshot
    from domain.stage import Stage
    from domain.starting import INVALID_SUBMISSION, envelope_problem, read_start
    from domain.status import CaseStatus
    from domain.status_view import summary_of
    from workflows import server_limits
    from workflows.case_log import case_log
    from workflows.case_record import keep_record
    from workflows.deadline_timer import DeadlineTimer
    from workflows.decision_handlers import show_one_raw_argument, with_decision_handlers
    from workflows.inbox import UNKNOWN, Inbox, Message
    from workflows.metrics import CaseMetrics
    from workflows.notice_dispatch import NoticeDispatch
    from workflows.publisher import CasePublisher
    from workflows.refusals import RefusalTally, refusal_error
    from workflows.search_attributes import CASE_WORKFLOW
    from workflows.signatures import judge_signed, remember_stamp
    from workflows.signed_start import decoded, start_payload, start_refusal

POLICY_TIMEOUT = timedelta(seconds=10)
NEXT_SLICE = timedelta(milliseconds=1)
"""A timer this short only ends the task: the inbox's next slice is judged in the next one."""
UNKNOWN_SIGNAL_REASON = "no decision has that name; the decisions are listed in the contract"
INBOX_FULL_REASON = "the case's inbox was full (a flood): refused unread"


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
        self._handing_over = False  # see _continue_as_new
        self._inbox = Inbox()
        info = workflow.info()
        continued = info.continued_run_id is not None
        # A new case opens only under a valid stamp (signed_start); a continued run's carried
        # input is the case's own.
        self._start_payload = start_payload(args)
        self._verify_start = not continued
        args = decoded(args, workflow.payload_converter())
        self._metrics = CaseMetrics()
        self._tally = RefusalTally(self._metrics)
        self._notices = NoticeDispatch(self._metrics)
        self._timer = DeadlineTimer()
        self._publisher = CasePublisher(self._metrics)
        if self._verify_start and envelope_problem(args, info.workflow_id, continued=False):
            self._verify_start = False  # unreadable at all: it fails at once, nothing to verify
        started = read_start(args, info.workflow_id, continued=continued)
        if isinstance(started, str):
            self._invalid: str | None = started
            return
        self._invalid = None
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
        if opening is not None:
            self._open_with(case, opening)
        else:
            case_log("case.continued", stage=case.stage, history=len(case.history))
        self._ready = True
        while True:
            await self._take_in()  # what arrived first: one publish and dispatch for all of it
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
            if self._time_to_continue():
                await self._continue_as_new()
            await self._wait_for_change(seen)
        self._timer.cancel()
        await self._notices.drain()
        await self._settle()
        self._publisher.publish(case.status(summary=True))
        reason, finding = case.closure_reason, case.finding
        self._metrics.closed(str(reason), finding)
        case_log("case.closed", closure_reason=reason, finding=finding)
        return await keep_record(case.status())  # the record outlives the workflow (issue 26)

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
        case.apply_policy(opening.policy)
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

    # ----- decisions: handlers take in, the run loop judges (see decision_handlers) -------

    def on_signal(self, name: str, args: tuple[Any, ...]) -> None:
        """Constant work whatever arrived: judged in order by ``_take_in``."""
        self._inbox.take_signal(name, args)

    def on_unknown_signal(self) -> None:
        """A signal under a name no decision has: refused (its name left out: the sender chose
        it) in its turn, so it wakes the case instead of staying unread."""
        self._inbox.take_signal(UNKNOWN, ())

    def validate(self, name: str, args: tuple[Any, ...]) -> None:
        """Update validator: a refusal here writes nothing to the history. The server holds at
        most ten updates in flight, so judging here stays cheap. While the run hands over, a
        refusal under a valid stamp waits in line instead, so that the run sees it arrive."""
        if not self._ready:
            return  # the case is still opening: it judges the update in its turn
        verdict = self._judge(name, args, workflow.payload_converter(), workflow.now())
        if isinstance(verdict, Refusal) and not (self._handing_over and verdict.actor):
            self._tally.refused(name, "update", verdict)
            self._tally.flush()
            raise refusal_error(verdict.reason)

    async def on_update(self, name: str, args: tuple[Any, ...]) -> CaseStatus:
        """Waits in line behind what arrived before it; judged again in its turn."""
        return await self._inbox.take_update(name, args)

    def _judge(
        self, name: str, args: tuple[Any, ...], converter: PayloadConverter, now: datetime
    ) -> Decision | Refusal:
        """The one path of every decision: stamp, body, directory, the case's rules."""
        if self._invalid is not None:
            return Refusal(f"the case did not start: {self._invalid}", kind="state")
        return judge_signed(self._case, name, args, converter, now)

    async def _take_in(self) -> None:
        """Judge what arrived, in order, a slice per workflow task."""
        while self._inbox:
            await self._refresh_staff()  # judged against a directory no older than its setting
            # One time and one converter for the slice: both are the activation's, fixed.
            converter, now = workflow.payload_converter(), workflow.now()
            for message in self._inbox.slice():
                self._take(message, converter, now)
            unread = self._inbox.take_overflow()
            if unread:
                self._case.record_refused_signal(
                    UNKNOWN, None, INBOX_FULL_REASON, workflow.now(), count=unread
                )
                self._tally.unread(unread)
            self._tally.flush()
            if self._inbox:
                await workflow.sleep(NEXT_SLICE, summary="the inbox's next slice")

    def _take(self, message: Message, converter: PayloadConverter, now: datetime) -> None:
        name, answer = message.name, message.answer
        via = "signal" if answer is None else "update"
        if name == UNKNOWN:
            verdict: Decision | Refusal = Refusal(UNKNOWN_SIGNAL_REASON, kind="unknown")
        else:
            verdict = self._judge(name, message.args, converter, now)
        if isinstance(verdict, Refusal):
            self._tally.refused(name, via, verdict)
            if verdict.actor is not None:  # a verified stamp: a copy of it now names nobody
                remember_stamp(self._case, message.args, now)
            if answer is None:
                self._case.record_refused_signal(name, verdict.actor, verdict.reason, now)
            elif not answer.done():
                answer.set_exception(refusal_error(verdict.reason))
            return
        status = self._case.apply(name, verdict, now, want_result=answer is not None)
        remember_stamp(self._case, message.args, now)
        self._metrics.decision(name, via, "accepted")
        case_log("decision.accepted", decision=name, via=via, role=verdict.actor.role)
        if answer is not None and not answer.done():
            assert status is not None  # an update always gets its result (the summary)
            answer.set_result(summary_of(status))  # its size does not grow with the case

    async def _settle(self) -> None:
        """Before the case ends: judge what is still in line (the closed case refuses it) until
        nothing waits and every handler has its answer."""
        while True:
            await self._take_in()
            if workflow.all_handlers_finished():
                return
            await workflow.wait_condition(
                lambda: bool(self._inbox) or workflow.all_handlers_finished()
            )

    def _time_to_continue(self) -> bool:
        """The server suggests it, or the run nears its caps on signals or updates."""
        return (
            workflow.info().is_continue_as_new_suggested()
            or self._inbox.signals >= server_limits.SIGNALS_BEFORE_CONTINUING
            or self._inbox.updates >= server_limits.UPDATES_BEFORE_CONTINUING
        )

    # ----- the run loop's steps ------------------------------------------------------------

    async def _continue_as_new(self) -> None:
        """Hand the whole case to a fresh run when the history grows long (the server says
        when) or the run nears the server's caps. Nothing is lost: in-flight notices finish
        first, everything in the inbox is judged and answered, and a signal that lands
        meanwhile makes the server retry this task with it.

        It continues in a task that brought no update, never this one (its validator refusals
        are unseen): the server fails each update a retried task answered with "unexpected
        workflow task failure", retrying none. What comes meanwhile is answered in that task."""
        self._timer.cancel()
        self._handing_over = True
        decided = workflow.info().get_current_history_length()
        while True:  # until nothing waits or is in flight and no decision left a notice to send
            await self._notices.drain()
            await self._settle()
            self._notices.dispatch(self._case)
            if self._notices.in_flight:
                continue
            task = workflow.info().get_current_history_length()  # the task, by its start
            if task != decided and self._inbox.last_update_task != task:
                break
            await workflow.sleep(NEXT_SLICE, summary="a task that brings no update")
        size = fit_for_carrying(self._case)
        if size > CARRY_LIMIT_BYTES:  # never, while the rules keep what stays small (room_for)
            case_log("case.too_large_to_carry", case_file_bytes=size)  # this run goes on
            self._handing_over = False
            return
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
        await workflow.wait_condition(
            lambda: bool(self._inbox) or self._case.version != seen or self._timer.fired
        )
        if self._timer.take_firing():
            self._case.expire(workflow.now())
