"""The case file: the state of one case and every rule that changes it.

Pure and deterministic (time comes in as ``now``), so the workflow stays a thin loop of waits
and the rules can be read, and tested, without Temporal. Side effects leave as ``Notice``
requests that the workflow hands to activities.
"""

from datetime import datetime, timedelta

from pydantic import BaseModel, PrivateAttr

from domain.consultation import Consultation, Party
from domain.decisions import (
    DECISIONS,
    AddNote,
    AssignReviewer,
    Decision,
    ProvideInformation,
    RecordConsultationResponse,
    RecordDetermination,
    RecordLocalResponse,
    Refusal,
    RequestConsultation,
    SendReminders,
    SubmitSroInquiry,
    Withdraw,
)
from domain.inquiry import LocalResponse, Submission
from domain.notices import (
    DISCLOSURE_PURPOSE,
    CaseBrief,
    Disclosure,
    Notice,
    NoticeKind,
    NoticeRecord,
    RecipientKind,
    correspondents,
)
from domain.policy import DeadlinePolicy
from domain.roles import Actor, Role
from domain.staff import StaffSnapshot
from domain.stage import ClosureReason, Entry, Finding, Stage
from domain.status import (
    CaseStatus,
    ConsultationView,
    HistoryEntry,
    RejectedSignal,
    StatusSnapshot,
    TaskView,
)
from domain.tasks import TASK_WORDS, OnDue, OpenTask, TaskKind


class Note(BaseModel):
    at: datetime
    actor: Actor
    text: str


class AppliedDecision(BaseModel):
    name: str
    result: StatusSnapshot


class CaseFile(BaseModel):
    case_id: str
    submission: Submission
    policy: DeadlinePolicy = DeadlinePolicy()
    stage: Stage
    stage_since: datetime
    opened_at: datetime
    closed_at: datetime | None = None
    finding: Finding | None = None
    closure_reason: ClosureReason | None = None
    assigned_reviewer: str | None = None
    local_response: LocalResponse | None = None
    statement: str | None = None
    tasks: list[OpenTask] = []
    consultations: list[Consultation] = []
    missing_items: list[str] = []
    history: list[HistoryEntry] = []
    rejected: list[RejectedSignal] = []
    notices: list[NoticeRecord] = []
    notes: list[Note] = []
    applied: dict[str, AppliedDecision] = {}
    staff: StaffSnapshot | None = None
    disclosures: list[Disclosure] = []
    missing_notices_sent: int = 0
    version: int = 0
    _effects: list[Notice] = PrivateAttr(default_factory=list)

    # ----- opening -------------------------------------------------------------------------

    @classmethod
    def start(cls, case_id: str, submission: Submission, now: datetime) -> "CaseFile":
        """The case as it stands before its policy is known (validators may read it)."""
        entry_stage = (
            Stage.SRO_INTAKE if submission.entry is Entry.SRO_INQUIRY else Stage.LOCAL_REVIEW
        )
        return cls(
            case_id=case_id,
            submission=submission,
            stage=entry_stage,
            stage_since=now,
            opened_at=now,
            local_response=submission.local_response,
        )

    def open(self, policy: DeadlinePolicy) -> None:
        """Set the deadlines of the entry stage under the worker's policy."""
        self.policy = policy
        if self.stage is Stage.LOCAL_REVIEW:
            due = self.opened_at + timedelta(days=policy.field_office_reminder_days)
            self._add_task(TaskKind.LOCAL_RESPONSE, Role.FIELD_OFFICE, due, OnDue.REMIND)
            self._notify(NoticeKind.CASE_OPENED, "case-opened", brief=self.brief())
        self._touch()

    # ----- decisions -----------------------------------------------------------------------

    def earlier_result(self, name: str, decision: Decision) -> CaseStatus | None:
        """The result of an already applied decision_id (checked before any stage rule)."""
        if decision.decision_id is None or decision.decision_id not in self.applied:
            return None
        return self.applied[decision.decision_id].result.restore(self.status())

    def check(self, name: str, decision: Decision) -> Refusal | None:
        """Why the case refuses this decision now, or None when it may be applied."""
        rule = DECISIONS[name]
        if decision.decision_id is not None and decision.decision_id in self.applied:
            earlier = self.applied[decision.decision_id].name
            if earlier != name:
                return self._refuse(
                    decision,
                    f"decision_id {decision.decision_id!r} was already used for {earlier}",
                    "duplicate_id",
                )
            return None
        role = decision.actor.role
        if self.staff is not None:
            refused = self.staff.refusal(decision.actor.id, role, self.submission.field_office)
            if refused is not None:
                return self._refuse(decision, refused, "directory")
        if role not in rule.roles:
            allowed = ", ".join(sorted(rule.roles))
            return self._refuse(decision, f"role {role} may not {name}; allowed: {allowed}", "role")
        if self.stage not in rule.stages:
            allowed = ", ".join(s for s in Stage if s in rule.stages)
            return self._refuse(
                decision,
                f"{name} is not allowed in stage {self.stage}; allowed in: {allowed}",
                "stage",
            )
        reason = self._check_state(decision)
        return None if reason is None else self._refuse(decision, reason, "state")

    @staticmethod
    def _refuse(decision: Decision, reason: str, kind: str) -> Refusal:
        return Refusal(reason, decision.actor, kind)

    def _check_state(self, decision: Decision) -> str | None:
        if isinstance(decision, RecordConsultationResponse):
            consultation = self._consultation(decision.consultation_id)
            if consultation is None:
                known = ", ".join(c.consultation_id for c in self.consultations) or "none"
                return f"unknown consultation_id {decision.consultation_id!r} (known: {known})"
            if not consultation.is_open:
                return f"consultation {decision.consultation_id} was already answered"
            if decision.actor.role is not consultation.party.answering_role:
                return (
                    f"consultation {consultation.consultation_id} asks {consultation.party}; "
                    f"only role {consultation.party.answering_role} may answer it"
                )
        if isinstance(decision, SendReminders) and not any(
            t.on_due is OnDue.REMIND for t in self.tasks
        ):
            return "no open task waits for staff"
        if isinstance(decision, RecordDetermination):
            still_open = [c.consultation_id for c in self.consultations if c.is_open]
            if still_open:
                return "consultations still open: " + ", ".join(still_open)
        return None

    def apply(
        self, name: str, decision: Decision, now: datetime, *, want_result: bool = True
    ) -> CaseStatus | None:
        """Apply a checked decision and return the status after it (an update's result; a
        signal has none to return). A repeated decision_id returns the earlier result."""
        earlier = self.earlier_result(name, decision)
        if earlier is not None:
            return earlier
        self.history.append(
            HistoryEntry(at=now, name=name, actor=decision.actor, decision_id=decision.decision_id)
        )
        self._apply(decision, now)
        self._touch()
        if decision.decision_id is None and not want_result:
            return None
        status = self.status()
        if decision.decision_id is not None:
            self.applied[decision.decision_id] = AppliedDecision(
                name=name, result=StatusSnapshot.of(status)
            )
        return status

    def _apply(self, decision: Decision, now: datetime) -> None:
        match decision:
            case RecordLocalResponse():
                self.local_response = LocalResponse(
                    date=now.date(), finding=decision.finding, summary=decision.message
                )
                self._notify(
                    NoticeKind.LOCAL_RESPONSE,
                    "local-response",
                    to_requestor=True,
                    finding=decision.finding,
                    text=decision.message,
                )
                window = timedelta(days=self.policy.escalation_window_days)
                self._enter(Stage.AWAITING_ESCALATION, now)
                self._add_task(TaskKind.SRO_INQUIRY, Role.INTAKE, now + window, OnDue.EXPIRE)
            case SubmitSroInquiry():
                requestor = self.submission.requestor.model_copy(
                    update={"phone": decision.phone, "email": decision.email}
                )
                update: dict[str, object] = {"requestor": requestor}
                if decision.representative is not None:
                    update["representative"] = decision.representative
                self.submission = self.submission.model_copy(update=update)
                self.statement = decision.statement
                self._enter(Stage.SRO_INTAKE, now)
            case ProvideInformation():
                self._merge_information(decision)
                self.missing_items = self.submission.missing_items()
                if self.missing_items:
                    deadline = self.tasks[0].due_at if self.tasks else now
                    self._notify_missing(deadline)
                else:
                    self._enter_review(now)
            case AssignReviewer():
                self.assigned_reviewer = decision.reviewer_id
            case RequestConsultation():
                self._open_consultation(decision, now)
            case RecordConsultationResponse():
                consultation = self._consultation(decision.consultation_id)
                assert consultation is not None  # checked
                consultation.response = decision.response
                consultation.answered_at = now
                self.tasks = [
                    t for t in self.tasks if t.consultation_id != decision.consultation_id
                ]
            case RecordDetermination():
                self.finding = decision.finding
                self._notify(
                    NoticeKind.DETERMINATION,
                    "determination",
                    to_requestor=True,
                    include_representative=True,
                    finding=decision.finding,
                    text=decision.rationale,
                )
                self._close(ClosureReason.DETERMINATION_ISSUED, now)
            case Withdraw():
                self._notify(NoticeKind.WITHDRAWN, "withdrawn", to_requestor=True)
                self._close(ClosureReason.WITHDRAWN, now)
            case AddNote():
                self.notes.append(Note(at=now, actor=decision.actor, text=decision.text))
            case SendReminders():
                for task in self.tasks:
                    if task.on_due is OnDue.REMIND:
                        self._deadline_notice(
                            NoticeKind.REMINDER, task, round_key=f"round{len(self.history)}"
                        )

    def reject(self, name: str, actor: Actor | None, reason: str, now: datetime) -> None:
        """Record a refused signal: the case goes on waiting, unharmed."""
        self.rejected.append(RejectedSignal(at=now, name=name, actor=actor, reason=reason))
        self._touch()

    # ----- the SRO's intake ----------------------------------------------------------------

    def finish_intake(self, now: datetime) -> None:
        """After the completeness check: review, or wait for the missing items."""
        if self.stage is not Stage.SRO_INTAKE:
            return  # withdrawn meanwhile
        self.missing_items = self.submission.missing_items()
        if self.missing_items:
            deadline = now + timedelta(days=self.policy.information_deadline_days)
            self._enter(Stage.AWAITING_INFORMATION, now)
            self._add_task(TaskKind.INFORMATION, Role.INTAKE, deadline, OnDue.EXPIRE)
            self._notify_missing(deadline)
        else:
            self._enter_review(now)
        self._touch()

    def receipt_notice(self) -> Notice:
        """Acknowledgment of the SRO inquiry."""
        return self._notice(NoticeKind.INQUIRY_RECEIVED, "sro-inquiry-received", to_requestor=True)

    # ----- deadlines -----------------------------------------------------------------------

    def next_wakeup(self) -> datetime | None:
        return min(
            (moment for task in self.tasks if (moment := task.next_wakeup()) is not None),
            default=None,
        )

    def next_deadline(self) -> datetime | None:
        return min((task.due_at for task in self.tasks), default=None)

    def expire(self, now: datetime) -> None:
        """Act on every deadline that has passed: expire the stage, remind, escalate."""
        for task in list(self.tasks):
            if self.stage is Stage.CLOSED:
                return
            if task.on_due is OnDue.EXPIRE and task.due_at <= now:
                reason = (
                    ClosureReason.NOT_ESCALATED
                    if task.kind is TaskKind.SRO_INQUIRY
                    else ClosureReason.INCOMPLETE
                )
                self._close(reason, now)
                continue
            if not task.reminded and task.due_at <= now:
                task.reminded = True
                self._deadline_notice(NoticeKind.REMINDER, task)
            if task.escalate_at is not None and not task.escalated and task.escalate_at <= now:
                task.escalated = True
                self._deadline_notice(NoticeKind.ESCALATION, task)
        self._touch()

    # ----- notices -------------------------------------------------------------------------

    def take_effects(self) -> list[Notice]:
        effects, self._effects = self._effects, []
        return effects

    def record_notice(self, record: NoticeRecord, disclosed: list[RecipientKind]) -> None:
        """The notice log, and the accounting of each disclosure of case information."""
        self.notices.append(record)
        purpose = DISCLOSURE_PURPOSE.get(record.kind, record.kind.value.lower())
        self.disclosures += [
            Disclosure(at=record.at, recipient=r, purpose=purpose, event_key=record.event_key)
            for r in disclosed
        ]
        self._touch()

    def brief(self) -> CaseBrief:
        subject = self.submission.subject
        return CaseBrief(
            case_id=self.case_id,
            field_office=self.submission.field_office,
            detained=self.submission.detained,
            subject_name=f"{subject.given_name} {subject.family_name}",
            a_number=subject.a_number,
            date_of_birth=subject.date_of_birth,
            grounds=self.submission.grounds,
        )

    # ----- reading -------------------------------------------------------------------------

    def waiting_for(self) -> str:
        if self.stage is Stage.CLOSED:
            return f"nothing: closed ({self.closure_reason})"
        if self.stage is Stage.SRO_INTAKE:
            return "the completeness check of the SRO inquiry (automatic)"
        parts = []
        for task in self.tasks:
            words = TASK_WORDS[task.kind]
            if task.consultation_id:
                words = words.replace("consultation", f"consultation {task.consultation_id}")
            parts.append(f"{words} from role {task.role}, due {task.due_at:%Y-%m-%d %H:%M} UTC")
        return "; ".join(parts) or "a decision"

    def status(self, *, summary: bool = False) -> CaseStatus:
        """The status query's answer. ``summary`` cuts the lists to what the UI's details and
        the search attributes need (the last rejection, failed notices): cheap on every change
        of a case with thousands of entries."""
        return CaseStatus(
            case_id=self.case_id,
            entry=self.submission.entry,
            stage=self.stage,
            stage_since=self.stage_since,
            opened_at=self.opened_at,
            closed_at=self.closed_at,
            field_office=self.submission.field_office,
            detained=self.submission.detained,
            finding=self.finding,
            closure_reason=self.closure_reason,
            assigned_reviewer=self.assigned_reviewer,
            waiting_for=self.waiting_for(),
            open_tasks=[
                TaskView(
                    kind=t.kind, role=t.role, due_at=t.due_at, consultation_id=t.consultation_id
                )
                for t in self.tasks
            ],
            next_deadline=self.next_deadline(),
            missing_items=list(self.missing_items),
            consultations=[
                ConsultationView(
                    consultation_id=c.consultation_id,
                    party=c.party,
                    requested_at=c.requested_at,
                    due_at=c.due_at,
                    answered_at=c.answered_at,
                )
                for c in self.consultations
            ],
            history=[] if summary else list(self.history),
            rejected=self.rejected[-1:] if summary else list(self.rejected),
            notices=[n for n in self.notices if n.outcome == "FAILED"]
            if summary
            else list(self.notices),
            disclosures=[] if summary else list(self.disclosures),
        )

    # ----- internals -----------------------------------------------------------------------

    def _touch(self) -> None:
        self.version += 1

    def _enter(self, stage: Stage, now: datetime) -> None:
        self.stage = stage
        self.stage_since = now
        self.tasks = []

    def _enter_review(self, now: datetime) -> None:
        self.missing_items = []
        self._enter(Stage.SRO_REVIEW, now)
        target = self.policy.determination_target(self.submission.detained)
        self._add_task(TaskKind.DETERMINATION, Role.SRO, now + target, OnDue.REMIND)

    def _close(self, reason: ClosureReason, now: datetime) -> None:
        self.closure_reason = reason
        self.closed_at = now
        self._enter(Stage.CLOSED, now)

    def _add_task(
        self,
        kind: TaskKind,
        role: Role,
        due: datetime,
        on_due: OnDue,
        consultation_id: str | None = None,
    ) -> None:
        escalate_at = due + self.policy.escalate_after_due if on_due is OnDue.REMIND else None
        self.tasks.append(
            OpenTask(
                kind=kind,
                role=role,
                due_at=due,
                on_due=on_due,
                escalate_at=escalate_at,
                consultation_id=consultation_id,
            )
        )

    def _consultation(self, consultation_id: str) -> Consultation | None:
        return next((c for c in self.consultations if c.consultation_id == consultation_id), None)

    def _open_consultation(self, decision: RequestConsultation, now: datetime) -> None:
        consultation_id = f"C{len(self.consultations) + 1}"
        days = decision.due_in_days or self.policy.consultation_due_days
        due = now + timedelta(days=days)
        self.consultations.append(
            Consultation(
                consultation_id=consultation_id,
                party=decision.party,
                requested_at=now,
                due_at=due,
                question=decision.question,
            )
        )
        self._add_task(
            TaskKind.CONSULTATION_RESPONSE,
            decision.party.answering_role,
            due,
            OnDue.REMIND,
            consultation_id,
        )
        self._notify(
            NoticeKind.CONSULTATION_REQUESTED,
            f"consultation-{consultation_id}",
            brief=self.brief(),
            party=decision.party,
            consultation_id=consultation_id,
            text=decision.question,
            deadline=due,
        )

    def _merge_information(self, info: ProvideInformation) -> None:
        sub = self.submission
        subject = sub.subject
        if info.date_of_birth is not None:
            subject = subject.model_copy(update={"date_of_birth": info.date_of_birth})
        requestor = sub.requestor.model_copy(
            update={
                "phone": info.phone or sub.requestor.phone,
                "email": info.email or sub.requestor.email,
            }
        )
        representative = info.representative or sub.representative
        if info.authorization is not None and representative is not None:
            representative = representative.model_copy(update={"authorization": info.authorization})
        self.submission = sub.model_copy(
            update={"subject": subject, "requestor": requestor, "representative": representative}
        )

    def _notify_missing(self, deadline: datetime) -> None:
        self.missing_notices_sent += 1
        self._notify(
            NoticeKind.INFORMATION_MISSING,
            f"information-missing-{self.missing_notices_sent}",
            to_requestor=True,
            missing_items=list(self.missing_items),
            deadline=deadline,
        )

    def _deadline_notice(
        self, kind: NoticeKind, task: OpenTask, round_key: str | None = None
    ) -> None:
        suffix = task.consultation_id or task.kind.value.lower()
        if round_key is not None:
            suffix = f"{round_key}-{suffix}"
        party = None
        if task.consultation_id is not None:
            consultation = self._consultation(task.consultation_id)
            party = consultation.party if consultation else None
        elif task.kind is TaskKind.LOCAL_RESPONSE:
            party = Party.FIELD_OFFICE
        self._notify(
            kind,
            f"{kind.value.lower()}-{suffix}",
            task_kind=task.kind,
            consultation_id=task.consultation_id,
            party=party,
            deadline=task.due_at,
            stage=self.stage,
            reviewer_id=self.assigned_reviewer,
        )

    def _notice(
        self,
        kind: NoticeKind,
        event_key: str,
        *,
        to_requestor: bool = False,
        include_representative: bool = False,
        **fields: object,
    ) -> Notice:
        to = (
            correspondents(self.submission, include_representative=include_representative)
            if to_requestor
            else []
        )
        return Notice.model_validate(
            {
                "case_id": self.case_id,
                "kind": kind,
                "event_key": event_key,
                "field_office": self.submission.field_office,
                "to": to,
                **fields,
            }
        )

    def _notify(
        self,
        kind: NoticeKind,
        event_key: str,
        *,
        to_requestor: bool = False,
        include_representative: bool = False,
        **fields: object,
    ) -> None:
        self._effects.append(
            self._notice(
                kind,
                event_key,
                to_requestor=to_requestor,
                include_representative=include_representative,
                **fields,
            )
        )
