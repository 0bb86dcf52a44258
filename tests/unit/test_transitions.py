"""Every decision's effect on the case file: stage, tasks and the notices it posts."""

from domain.decisions import DECISIONS
from domain.notices import NoticeKind, RecipientKind
from domain.roles import Role
from domain.stage import ClosureReason, Stage
from domain.tasks import OnDue, TaskKind
from tests.support import represented, sro_submission, submission
from tests.unit.cases import (
    T0,
    at_sro,
    days,
    decide,
    decision,
    in_review,
    incomplete,
    local_review,
    opened,
)


def test_a_local_review_opens_with_the_field_office_task_and_notice() -> None:
    case = local_review()
    assert case.stage is Stage.LOCAL_REVIEW
    [task] = case.tasks
    assert (task.kind, task.role, task.due_at) == (
        TaskKind.LOCAL_RESPONSE,
        Role.FIELD_OFFICE,
        T0 + days(7),
    )
    assert task.escalate_at == T0 + days(21)
    [notice] = case.take_notices()
    assert notice.kind is NoticeKind.CASE_OPENED and notice.brief is not None
    assert notice.to == []  # a staff notice: the field office's mailbox, not the requestor


def test_an_sro_inquiry_enters_at_intake_with_nothing_posted() -> None:
    case = opened(sro_submission())
    assert case.stage is Stage.SRO_INTAKE and case.tasks == [] and case.take_notices() == []
    assert case.receipt_notice().kind is NoticeKind.INQUIRY_RECEIVED


def test_the_local_response_opens_the_escalation_window() -> None:
    case = local_review()
    case.take_notices()
    decide(
        case,
        "record_local_response",
        Role.FIELD_OFFICE,
        finding="MEETS_PRIORITIES",
        message="Reviewed.",
    )
    assert case.stage is Stage.AWAITING_ESCALATION
    [task] = case.tasks
    assert (task.kind, task.on_due, task.due_at) == (
        TaskKind.SRO_INQUIRY,
        OnDue.EXPIRE,
        T0 + days(30),
    )
    [notice] = case.take_notices()
    assert notice.kind is NoticeKind.LOCAL_RESPONSE
    assert [c.kind for c in notice.to] == [RecipientKind.REQUESTOR]
    assert case.local_response is not None and case.local_response.summary == "Reviewed."


def test_the_sro_inquiry_takes_the_new_contact_details() -> None:
    case = local_review()
    decide(
        case, "record_local_response", Role.FIELD_OFFICE, finding="MEETS_PRIORITIES", message="m"
    )
    decide(
        case,
        "submit_sro_inquiry",
        Role.INTAKE,
        phone="+12025550100",
        email="new@example.org",
        statement="Please review.",
    )
    assert case.stage is Stage.SRO_INTAKE
    assert case.submission.requestor.email == "new@example.org"
    assert case.submission.requestor.phone == "+12025550100"
    assert case.statement == "Please review."


def test_a_complete_inquiry_goes_to_review_with_the_30_day_target() -> None:
    case = at_sro()
    assert case.stage is Stage.SRO_REVIEW and case.missing_items == []
    [task] = case.tasks
    assert (task.kind, task.role, task.due_at) == (TaskKind.DETERMINATION, Role.SRO, T0 + days(30))


def test_a_detained_case_gets_the_14_day_target() -> None:
    case = at_sro(sro_submission(detained=True))
    assert case.tasks[0].due_at == T0 + days(14)


def test_an_incomplete_inquiry_waits_for_information_and_says_what_is_missing() -> None:
    case = incomplete()
    assert case.stage is Stage.AWAITING_INFORMATION
    assert case.missing_items == ["representative.authorization"]
    [task] = case.tasks
    assert (task.kind, task.on_due, task.due_at) == (
        TaskKind.INFORMATION,
        OnDue.EXPIRE,
        T0 + days(30),
    )
    [notice] = case.take_notices()
    assert notice.kind is NoticeKind.INFORMATION_MISSING
    assert notice.missing_items == ["representative.authorization"]
    assert notice.event_key == "information-missing-1" and notice.deadline == T0 + days(30)


def test_partial_information_asks_again_with_the_same_deadline() -> None:
    data = represented(form=None)
    data["subject"] = {**data["subject"], "date_of_birth": None}
    case = at_sro(data)
    case.take_notices()
    assert case.missing_items == ["subject.date_of_birth", "representative.authorization"]
    decide(case, "provide_information", Role.INTAKE, T0 + days(3), date_of_birth="1988-04-12")
    assert case.stage is Stage.AWAITING_INFORMATION
    [notice] = case.take_notices()
    assert notice.event_key == "information-missing-2" and notice.deadline == T0 + days(30)
    assert notice.missing_items == ["representative.authorization"]


def test_the_missing_form_completes_the_inquiry() -> None:
    case = incomplete()
    decide(
        case,
        "provide_information",
        Role.INTAKE,
        T0 + days(5),
        authorization={"form": "ICE-60-001", "document_ref": "DOC-1"},
    )
    assert case.stage is Stage.SRO_REVIEW and case.stage_since == T0 + days(5)
    assert case.submission.representative_authorized


def test_assigning_a_reviewer() -> None:
    case = in_review()
    decide(case, "assign_reviewer", Role.SUPERVISOR, reviewer_id="sro.x")
    assert case.assigned_reviewer == "sro.x" and case.status().assigned_reviewer == "sro.x"


def test_a_consultation_opens_a_task_for_the_party_and_mails_its_mailbox() -> None:
    case = in_review()
    decide(
        case,
        "request_consultation",
        Role.SRO,
        party="ICE_ATTORNEYS",
        question="Pending?",
        due_in_days=3,
    )
    consultation_task = case.tasks[-1]
    assert consultation_task.consultation_id == "C1"
    assert consultation_task.role is Role.ICE_ATTORNEY
    assert consultation_task.due_at == T0 + days(3)
    [notice] = case.take_notices()
    assert notice.kind is NoticeKind.CONSULTATION_REQUESTED
    assert (notice.consultation_id, notice.event_key) == ("C1", "consultation-C1")
    assert notice.brief is not None and notice.text == "Pending?"


def test_the_answer_closes_the_consultation_task() -> None:
    case = in_review()
    decide(case, "request_consultation", Role.SRO, party="FIELD_OFFICE", question="q")
    decide(
        case,
        "record_consultation_response",
        Role.FIELD_OFFICE,
        T0 + days(1),
        consultation_id="C1",
        response="a",
    )
    assert [t.kind for t in case.tasks] == [TaskKind.DETERMINATION]
    assert case.consultations[0].answered_at == T0 + days(1)


def test_the_determination_closes_the_case_and_reaches_an_authorized_representative() -> None:
    case = in_review(**{k: v for k, v in represented().items() if k != "entry"})
    decide(
        case,
        "record_determination",
        Role.SRO,
        finding="DOES_NOT_MEET_PRIORITIES",
        rationale="Long residence.",
    )
    assert (case.stage, case.closure_reason) == (Stage.CLOSED, ClosureReason.DETERMINATION_ISSUED)
    assert case.finding == "DOES_NOT_MEET_PRIORITIES" and case.tasks == []
    [notice] = case.take_notices()
    assert notice.kind is NoticeKind.DETERMINATION
    assert {c.kind for c in notice.to} == {RecipientKind.REQUESTOR}  # rep is the requestor
    assert notice.to[0].may_receive_case_information


def test_withdrawal_closes_any_open_stage_and_tells_the_requestor() -> None:
    case = local_review()
    case.take_notices()
    decide(case, "withdraw", Role.INTAKE, reason="Requestor withdrew.")
    assert (case.stage, case.closure_reason) == (Stage.CLOSED, ClosureReason.WITHDRAWN)
    assert [n.kind for n in case.take_notices()] == [NoticeKind.WITHDRAWN]


def test_the_intake_check_does_nothing_once_withdrawn() -> None:
    case = opened(sro_submission())
    decide(case, "withdraw", Role.INTAKE, reason="r")
    case.take_notices()
    case.finish_intake(T0 + days(1))
    assert case.stage is Stage.CLOSED and case.take_notices() == []


def test_a_note_is_kept_in_every_stage_even_closed() -> None:
    case = local_review()
    decide(case, "withdraw", Role.INTAKE, reason="r")
    decide(case, "add_note", Role.SRO, text="Called the requestor.")
    assert [n.text for n in case.notes] == ["Called the requestor."]


def test_a_reminder_round_reminds_every_staff_task_once_per_round() -> None:
    case = in_review()
    decide(case, "request_consultation", Role.SRO, party="FIELD_OFFICE", question="q")
    case.take_notices()
    decide(case, "send_reminders", Role.SUPERVISOR, decision_id="round-1")
    keys = [n.event_key for n in case.take_notices()]
    assert len(keys) == 2 and all(k.startswith("reminder-round") for k in keys)
    made = decision("send_reminders", Role.SUPERVISOR, decision_id="round-1")
    case.apply("send_reminders", made, T0)  # the same round again
    assert case.take_notices() == []


def test_an_applied_decision_id_returns_the_earlier_result() -> None:
    case = local_review()
    made = decision("add_note", Role.INTAKE, text="t", decision_id="n-1")
    first = case.apply("add_note", made, T0)
    second = case.apply("add_note", made, T0 + days(1))
    assert first is not None and second is not None
    assert second.history == first.history and len(case.history) == 1


def test_a_refused_signal_is_kept_and_wakes_the_case() -> None:
    case = local_review()
    version = case.version
    case.record_refused_signal("withdraw", None, "the payload is empty", T0)
    assert case.version == version + 1
    assert [(r.name, r.reason) for r in case.status().rejected] == [
        ("withdraw", "the payload is empty")
    ]


def test_every_decision_of_the_table_is_handled_by_the_case_file() -> None:
    """No decision name is accepted by the table and silently ignored by the case."""
    for name in DECISIONS:
        case = in_review() if name != "record_local_response" else opened(submission())
        if name == "submit_sro_inquiry":
            decide(
                case := opened(submission()),
                "record_local_response",
                Role.FIELD_OFFICE,
                finding="MEETS_PRIORITIES",
                message="m",
            )
        if name == "provide_information":
            case = incomplete()
        if name == "confirm_contact":  # a case whose names came from an e-mail
            case = at_sro({**sro_submission(), "contact_confirmed": False})
        version = len(case.history)
        rule = DECISIONS[name]
        made = rule.model.model_validate(rule.example)
        if name == "record_consultation_response":
            decide(case, "request_consultation", Role.SRO, party="ICE_ATTORNEYS", question="q")
            version = len(case.history)
        if name == "record_document_read":  # only a document the case holds
            receive = DECISIONS["receive_documents"]
            case.apply("receive_documents", receive.model.model_validate(receive.example), T0)
            version = len(case.history)
        assert case.judge(name, made) is None, name
        case.apply(name, made, T0)
        assert len(case.history) == version + 1, name


def test_documents_are_kept_once_and_reads_only_of_documents_on_file() -> None:
    case = in_review()
    receive = DECISIONS["receive_documents"]
    made = receive.model.model_validate(receive.example)
    case.apply("receive_documents", made, T0)
    case.apply("receive_documents", made, T0)
    assert [d.document_id for d in case.status().documents] == ["DOC-" + "0" * 24]
    read = DECISIONS["record_document_read"].model
    stranger = read.model_validate(
        {"actor": {"id": "a", "role": "SRO"}, "document_id": "DOC-" + "1" * 24, "reader": "x"}
    )
    refusal = case.judge("record_document_read", stranger)
    assert refusal is not None and "not on file" in refusal.reason
    known = read.model_validate(
        {"actor": {"id": "a", "role": "SRO"}, "document_id": "DOC-" + "0" * 24, "reader": "x"}
    )
    case.apply("record_document_read", known, T0)
    assert [(r.reader, r.at) for r in case.status().document_reads] == [("x", T0)]
    assert case.status(summary=True).documents == [], "the summary stays small"
