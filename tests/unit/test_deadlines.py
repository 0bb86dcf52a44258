"""What passing time does to a case: reminders, escalations and expiries, without a timer."""

from domain.deadlines import CLOSURE_ON_EXPIRY, DeadlinePolicy, Due, due_actions
from domain.notices import NoticeKind
from domain.roles import Role
from domain.stage import ClosureReason, Stage
from domain.tasks import OnDue, TaskKind
from settings import Settings
from tests.unit.cases import T0, days, decide, in_review, incomplete, local_review


def test_the_field_office_is_reminded_at_day_7_once() -> None:
    case = local_review()
    case.take_notices()
    assert case.next_wakeup() == T0 + days(7)
    case.expire(T0 + days(7))
    [reminder] = case.take_notices()
    assert reminder.kind is NoticeKind.REMINDER and reminder.event_key == "reminder-local_response"
    case.expire(T0 + days(8))
    assert case.take_notices() == []
    assert case.stage is Stage.LOCAL_REVIEW  # a reminder never ends the case


def test_the_supervisor_gets_the_escalation_at_day_21() -> None:
    case = local_review()
    case.expire(T0 + days(7))
    case.take_notices()
    assert case.next_wakeup() == T0 + days(21)
    case.expire(T0 + days(21))
    [escalation] = case.take_notices()
    assert escalation.kind is NoticeKind.ESCALATION
    assert case.next_wakeup() is None  # nothing more to wake for


def test_a_late_wakeup_sends_reminder_and_escalation_together() -> None:
    case = local_review()
    case.take_notices()
    case.expire(T0 + days(40))  # a worker down for weeks
    assert [n.kind for n in case.take_notices()] == [NoticeKind.REMINDER, NoticeKind.ESCALATION]


def test_the_escalation_window_closes_the_case_as_not_escalated() -> None:
    case = local_review()
    decide(
        case, "record_local_response", Role.FIELD_OFFICE, finding="MEETS_PRIORITIES", message="m"
    )
    case.take_notices()
    case.expire(T0 + days(29))
    assert case.stage is Stage.AWAITING_ESCALATION
    case.expire(T0 + days(30))
    assert (case.stage, case.closure_reason) == (Stage.CLOSED, ClosureReason.NOT_ESCALATED)
    assert case.closed_at == T0 + days(30) and case.take_notices() == []


def test_the_information_deadline_closes_the_case_as_incomplete() -> None:
    case = incomplete()
    case.expire(T0 + days(30))
    assert (case.stage, case.closure_reason) == (Stage.CLOSED, ClosureReason.INCOMPLETE)


def test_a_consultation_reminder_names_the_consulted_party() -> None:
    case = in_review()
    decide(case, "request_consultation", Role.SRO, party="ICE_ATTORNEYS", question="q")
    case.take_notices()
    case.expire(T0 + days(7))
    [reminder] = case.take_notices()
    assert reminder.consultation_id == "C1" and reminder.party == "ICE_ATTORNEYS"
    assert reminder.event_key == "reminder-C1"


def test_the_determination_reminder_carries_the_reviewer() -> None:
    case = in_review()
    decide(case, "assign_reviewer", Role.SUPERVISOR, reviewer_id="sro.x")
    case.take_notices()
    case.expire(T0 + days(30))
    [reminder] = case.take_notices()
    assert (reminder.task_kind, reminder.reviewer_id) == (TaskKind.DETERMINATION, "sro.x")


def test_every_task_that_expires_has_a_closure_reason() -> None:
    expiring = {TaskKind.SRO_INQUIRY, TaskKind.INFORMATION}
    assert set(CLOSURE_ON_EXPIRY) == expiring


def test_only_tasks_that_remind_are_escalated() -> None:
    policy = DeadlinePolicy()
    remind = policy.task(TaskKind.DETERMINATION, Role.SRO, T0, OnDue.REMIND)
    expire = policy.task(TaskKind.INFORMATION, Role.INTAKE, T0, OnDue.EXPIRE)
    assert remind.escalate_at == T0 + days(14) and expire.escalate_at is None
    assert [a.what for a in due_actions([expire], T0)] == [Due.EXPIRE]


def test_a_shorter_policy_moves_every_deadline() -> None:
    policy = DeadlinePolicy(field_office_reminder_days=1, supervisor_escalation_days=2)
    from tests.unit.cases import opened

    case = opened(policy=policy)
    assert case.tasks[0].due_at == T0 + days(1) and case.tasks[0].escalate_at == T0 + days(2)


def test_the_settings_take_their_deadline_defaults_from_the_policy() -> None:
    assert Settings().deadline_policy() == DeadlinePolicy()
    tuned = Settings(ICR_CONSULTATION_DUE_DAYS=3)
    assert tuned.deadline_policy().consultation_due_days == 3
