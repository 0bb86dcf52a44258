"""The case file: the transitions that change one case's state (held in ``domain.case_state``).

Pure and deterministic (time comes in as ``now``), so the workflow stays a thin loop of waits
and the rules are tested without Temporal. Whether a decision may be applied is judged in
``domain.rules``; what passing time does, in ``domain.deadlines``; notices leave through the
outbox (``domain.outbox``) as requests the workflow hands to activities; the status is built in
``domain.status_view``; documents are filed in ``domain.filing``.
"""

from datetime import datetime, timedelta
from hashlib import sha256

from domain import bounds, filing, outbox, rules, status_view
from domain.case_state import AppliedDecision, CaseState, Note
from domain.consultation import Consultation
from domain.deadlines import CLOSURE_ON_EXPIRY, DeadlinePolicy, Due, due_actions
from domain.decisions import (
    CONTACT_ITEMS,
    AddNote,
    AssignReviewer,
    ConfirmContact,
    Decision,
    ProvideInformation,
    ReceiveDocuments,
    RecordConsultationResponse,
    RecordDetermination,
    RecordDocumentRead,
    RecordLocalResponse,
    Refusal,
    RequestConsultation,
    SendReminders,
    SubmitSroInquiry,
    Withdraw,
)
from domain.inquiry import LocalResponse, Submission
from domain.notices import NOTICES, Disclosure, Notice, NoticeRecord, RecipientKind
from domain.roles import Actor, Role
from domain.stage import ENTRY_STAGE, ClosureReason, Stage
from domain.status import CaseStatus, HistoryEntry, RefusedSignal, StatusSnapshot
from domain.tasks import OnDue, TaskKind


class CaseFile(CaseState):
    @classmethod
    def from_submission(cls, case_id: str, submission: Submission, now: datetime) -> "CaseFile":
        """The case as received, before the policy sets deadlines (decisions may be judged)."""
        return cls(
            case_id=case_id,
            submission=submission,
            stage=ENTRY_STAGE[submission.entry],
            stage_since=now,
            opened_at=now,
            local_response=submission.local_response,
        )

    def apply_policy(self, policy: DeadlinePolicy) -> None:
        """Set the entry stage's deadlines under the worker's policy; notify the field office."""
        self.policy = policy
        if self.stage is Stage.LOCAL_REVIEW:
            due = self.opened_at + timedelta(days=policy.field_office_reminder_days)
            self.tasks.append(
                self.policy.task(TaskKind.LOCAL_RESPONSE, Role.FIELD_OFFICE, due, OnDue.REMIND)
            )
            self._post(outbox.case_opened(self))
        self._touch()

    def judge(self, name: str, decision: Decision) -> Refusal | None:
        """Why the case refuses this decision now, or None (``domain.rules``)."""
        return rules.judge(self, name, decision)

    def earlier_result(self, name: str, decision: Decision) -> CaseStatus | None:
        """The result of an already applied decision_id (checked before any stage rule)."""
        if decision.decision_id is None or decision.decision_id not in self.applied:
            return None
        return self.applied[decision.decision_id].result.restore(self.status())

    def apply(
        self, name: str, decision: Decision, now: datetime, *, want_result: bool = True
    ) -> CaseStatus | None:
        """Apply a judged decision; the status after it, or a repeated decision_id's earlier."""
        earlier = self.earlier_result(name, decision)
        if earlier is not None:
            return earlier
        self.history.append(
            HistoryEntry(at=now, name=name, actor=decision.actor, decision_id=decision.decision_id)
        )
        if len(self.history) > bounds.MAX_HISTORY:
            self.history, dropped = bounds.keep_newest(self.history, bounds.MAX_HISTORY)
            self.history_dropped += dropped
        self._apply(decision, now)
        self._touch()
        if decision.decision_id is None and not want_result:
            return None
        status = self.status() if want_result else None
        if decision.decision_id is not None:
            snapshot = StatusSnapshot.of(status) if status else status_view.snapshot_of(self)
            self.applied[decision.decision_id] = AppliedDecision(name=name, result=snapshot)
            while len(self.applied) > bounds.MAX_APPLIED:  # the oldest ids are forgotten
                del self.applied[next(iter(self.applied))]
        return status

    def _apply(self, decision: Decision, now: datetime) -> None:
        match decision:
            case RecordLocalResponse():
                self.local_response = LocalResponse(
                    date=now.date(), finding=decision.finding, summary=decision.message
                )
                self._post(outbox.local_response(self, decision.finding, decision.message))
                window = timedelta(days=self.policy.escalation_window_days)
                self._enter(Stage.AWAITING_ESCALATION, now)
                self.tasks.append(
                    self.policy.task(TaskKind.SRO_INQUIRY, Role.INTAKE, now + window, OnDue.EXPIRE)
                )
            case SubmitSroInquiry():
                requestor = self.submission.requestor.model_copy(
                    update={"phone": decision.phone, "email": decision.email}
                )
                update: dict[str, object] = {"requestor": requestor}
                if decision.representative is not None:
                    update["representative"] = decision.representative
                self.submission = self.submission.model_copy(update=update).confirmed()
                self.statement = decision.statement
                self._enter(Stage.SRO_INTAKE, now)
            case ProvideInformation():
                items = decision.provided_items()
                self.submission = self.submission.with_items(
                    **{item: getattr(decision, item) for item in items}
                )
                if any(item in CONTACT_ITEMS for item in items):  # only the intake desk's own
                    self.submission = self.submission.confirmed()  # (mail's are held: sorting)
                self.missing_items = self.submission.missing_items()
                if self.missing_items:
                    self._ask_for_missing(self.tasks[0].due_at if self.tasks else now)
                else:
                    self._enter_review(now)
            case AssignReviewer():
                self.assigned_reviewer = decision.reviewer_id
            case RequestConsultation():
                self._open_consultation(decision, now)
            case RecordConsultationResponse():
                consultation = self.consultation(decision.consultation_id)
                assert consultation is not None  # judged
                consultation.response = decision.response
                consultation.answered_at = now
                self.tasks = [
                    t for t in self.tasks if t.consultation_id != decision.consultation_id
                ]
            case RecordDetermination():
                self.finding = decision.finding
                self._post(outbox.determination(self, decision.finding, decision.rationale))
                self._close(ClosureReason.DETERMINATION_ISSUED, now)
            case Withdraw():
                self._post(outbox.withdrawn(self))
                self._close(ClosureReason.WITHDRAWN, now)
            case ConfirmContact():
                self.submission = self.submission.confirmed()
            case AddNote():
                self.notes.append(Note(at=now, actor=decision.actor, text=decision.text))
                self.notes, dropped = bounds.keep_newest(self.notes, bounds.MAX_NOTES)
                self.notes_dropped += dropped
            case ReceiveDocuments() | RecordDocumentRead():
                filing.file(self, decision, now)
            case SendReminders():
                key = self._reminder_round(decision, now)
                due = [t for t in self.tasks if t.on_due is OnDue.REMIND] if key else []
                self._outbox += [outbox.reminder(self, task, key or "") for task in due]

    def _reminder_round(self, decision: Decision, now: datetime) -> str | None:
        """The round's key, or None when this round already went out: a round without a
        decision_id is the day's round, so sending it twice a day reminds nobody twice."""
        given = decision.decision_id
        key = f"round-{sha256(given.encode()).hexdigest()[:12]}" if given else f"round-{now:%Y%m%d}"
        if key in self.reminder_rounds:
            return None
        self.reminder_rounds = [*self.reminder_rounds[-(bounds.MAX_ROUNDS - 1) :], key]
        return key

    def record_refused_signal(
        self, name: str, actor: Actor | None, reason: str, now: datetime, *, count: int = 1
    ) -> None:
        """A refused signal is kept, so staff see why nothing happened; the case waits on.
        ``count`` alike refused at once keep one entry and count the rest as dropped."""
        # Built without validation: every field is the case's own (a flood pays per signal).
        refused = RefusedSignal.model_construct(
            at=now, name=name, actor=actor, reason=reason[: bounds.MAX_REASON]
        )
        self.rejected.append(refused)
        self.rejected_dropped += count - 1
        if len(self.rejected) > bounds.MAX_REFUSED:
            self.rejected, dropped = bounds.keep_newest(self.rejected, bounds.MAX_REFUSED)
            self.rejected_dropped += dropped
        self._touch()

    # ----- the SRO's intake ----------------------------------------------------------------

    def receipt_notice(self) -> Notice:
        """Acknowledgment of the SRO inquiry, sent before the completeness check ends."""
        return outbox.inquiry_received(self)

    def finish_intake(self, now: datetime) -> None:
        """After the completeness check: review, or wait for the missing items."""
        if self.stage is not Stage.SRO_INTAKE:
            return  # withdrawn meanwhile
        self.missing_items = self.submission.missing_items()
        if self.missing_items:
            deadline = now + timedelta(days=self.policy.information_deadline_days)
            self._enter(Stage.AWAITING_INFORMATION, now)
            self.tasks.append(
                self.policy.task(TaskKind.INFORMATION, Role.INTAKE, deadline, OnDue.EXPIRE)
            )
            self._ask_for_missing(deadline)
        else:
            self._enter_review(now)
        self._touch()

    def expire(self, now: datetime) -> None:
        """Act on every deadline that has passed: close the stage, remind, escalate."""
        for action in due_actions(self.tasks, now):
            if self.stage is Stage.CLOSED:
                break
            if action.what is Due.EXPIRE:
                self._close(CLOSURE_ON_EXPIRY[action.task.kind], now)
            else:
                self._post(outbox.deadline_notice(self, action.what, action.task))
        self._touch()

    def take_notices(self) -> list[Notice]:
        """The notices posted since the last call, for the workflow to send."""
        posted, self._outbox = self._outbox, []
        return posted

    def record_notice(self, record: NoticeRecord, disclosed: list[RecipientKind]) -> None:
        """The notice log, and the accounting of each disclosure of case information."""
        self.notices, dropped = bounds.keep_newest([*self.notices, record], bounds.MAX_NOTICES)
        self.notices_dropped += dropped
        purpose = NOTICES[record.kind].disclosure_purpose or record.kind.value.lower()
        self.disclosures += [
            Disclosure(at=record.at, recipient=r, purpose=purpose, event_key=record.event_key)
            for r in disclosed
        ]
        self._touch()

    def status(self, *, summary: bool = False) -> CaseStatus:
        return status_view.status_of(self, summary=summary)

    def _touch(self) -> None:
        self.version += 1

    def _post(self, notice: Notice) -> None:
        self._outbox.append(notice)

    def _enter(self, stage: Stage, now: datetime) -> None:
        self.stage = stage
        self.stage_since = now
        self.tasks = []

    def _enter_review(self, now: datetime) -> None:
        self.missing_items = []
        self._enter(Stage.SRO_REVIEW, now)
        target = self.policy.determination_target(self.submission.detained)
        self.tasks.append(
            self.policy.task(TaskKind.DETERMINATION, Role.SRO, now + target, OnDue.REMIND)
        )

    def _close(self, reason: ClosureReason, now: datetime) -> None:
        self.closure_reason = reason
        self.closed_at = now
        self._enter(Stage.CLOSED, now)

    def _open_consultation(self, decision: RequestConsultation, now: datetime) -> None:
        consultation_id = f"C{len(self.consultations) + 1}"
        due = now + timedelta(days=decision.due_in_days or self.policy.consultation_due_days)
        self.consultations.append(
            Consultation(
                consultation_id=consultation_id,
                party=decision.party,
                requested_at=now,
                due_at=due,
                question=decision.question,
            )
        )
        self.tasks.append(
            self.policy.task(
                TaskKind.CONSULTATION_RESPONSE,
                decision.party.answering_role,
                due,
                OnDue.REMIND,
                consultation_id,
            )
        )
        self._post(outbox.consultation_requested(self, self.consultations[-1]))

    def _ask_for_missing(self, deadline: datetime) -> None:
        self.missing_notices_sent += 1
        self._post(outbox.missing_information(self, deadline))
