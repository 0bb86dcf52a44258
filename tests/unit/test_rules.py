"""Who may decide what, and when: the rules of ``domain.rules`` without a server."""

from typing import Any

import pytest
from pydantic import ValidationError

from domain.decisions import DECISIONS
from domain.field_office import FieldOffice
from domain.roles import Role
from domain.staff import StaffMember
from domain.stage import Stage
from tests.unit.cases import (
    decide,
    decision,
    directory,
    in_review,
    local_review,
    opened,
)


def test_every_decision_example_is_valid_for_its_own_model() -> None:
    for rule in DECISIONS.values():
        made = rule.model.model_validate(rule.example)
        assert made.actor.role in rule.roles, rule.name
        assert rule.roles and rule.stages, rule.name


def test_a_role_outside_the_table_is_refused_and_named() -> None:
    case = local_review()
    refusal = case.judge(
        "record_local_response",
        decision("record_local_response", Role.SRO, finding="MEETS_PRIORITIES", message="x"),
    )
    assert refusal is not None and refusal.kind == "role"
    assert refusal.reason == "role SRO may not record_local_response; allowed: FIELD_OFFICE"


def test_a_decision_in_the_wrong_stage_is_refused_with_the_allowed_stages() -> None:
    case = local_review()
    made = decision("record_determination", Role.SRO, finding="MEETS_PRIORITIES", rationale="r")
    refusal = case.judge("record_determination", made)
    assert refusal is not None and refusal.kind == "stage"
    assert refusal.reason.endswith("allowed in: SRO_REVIEW")


def test_the_directory_refuses_an_unknown_person() -> None:
    case = local_review()
    case.staff = directory(StaffMember(id="someone.else", roles=[Role.FIELD_OFFICE]))
    made = decision("add_note", Role.FIELD_OFFICE, text="hello")
    refusal = case.judge("add_note", made)
    assert refusal is not None and refusal.kind == "directory"
    assert "unknown staff id" in refusal.reason


def test_the_directory_refuses_a_role_the_person_does_not_hold() -> None:
    case = local_review()
    case.staff = directory(StaffMember(id="sro.one", roles=[Role.INTAKE]))
    refusal = case.judge("add_note", decision("add_note", Role.SRO, text="hello"))
    assert refusal is not None and refusal.kind == "directory"


def test_a_field_officer_of_another_office_is_refused() -> None:
    case = local_review()  # NEW_YORK_CITY
    case.staff = directory(
        StaffMember(id="fo.boston", roles=[Role.FIELD_OFFICE], field_offices=[FieldOffice.BOSTON])
    )
    made = decision(
        "record_local_response",
        Role.FIELD_OFFICE,
        staff_id="fo.boston",
        finding="MEETS_PRIORITIES",
        message="m",
    )
    refusal = case.judge("record_local_response", made)
    assert refusal is not None and "not assigned to this case's field office" in refusal.reason
    assert "BOSTON" not in refusal.reason, "no one's offices are told"


def test_a_field_officer_of_the_case_office_is_accepted() -> None:
    case = local_review()
    case.staff = directory(
        StaffMember(
            id="fo.nyc", roles=[Role.FIELD_OFFICE], field_offices=[FieldOffice.NEW_YORK_CITY]
        )
    )
    made = decision(
        "record_local_response",
        Role.FIELD_OFFICE,
        staff_id="fo.nyc",
        finding="MEETS_PRIORITIES",
        message="m",
    )
    assert case.judge("record_local_response", made) is None


def test_a_decision_id_reused_for_another_decision_is_refused() -> None:
    case = local_review()
    decide(case, "add_note", Role.INTAKE, text="first", decision_id="d-1")
    made = decision("withdraw", Role.INTAKE, reason="r", decision_id="d-1")
    refusal = case.judge("withdraw", made)
    assert refusal is not None and refusal.kind == "duplicate_id"
    assert "already used for add_note" in refusal.reason


def test_a_repeated_decision_id_passes_the_stage_rules_and_changes_nothing() -> None:
    case = local_review()
    decide(case, "withdraw", Role.INTAKE, reason="r", decision_id="w-1")
    again = decision("withdraw", Role.INTAKE, reason="r", decision_id="w-1")
    assert case.judge("withdraw", again) is None  # closed, yet the same id answers
    before = len(case.history)
    status = case.apply("withdraw", again, case.closed_at or case.opened_at)
    assert status is not None and status.stage is Stage.CLOSED
    assert len(case.history) == before


def test_an_unknown_consultation_is_refused_naming_the_known_ones() -> None:
    case = in_review()
    decide(case, "request_consultation", Role.SRO, party="ICE_ATTORNEYS", question="q")
    made = decision(
        "record_consultation_response", Role.ICE_ATTORNEY, consultation_id="C9", response="a"
    )
    refusal = case.judge("record_consultation_response", made)
    assert refusal is not None and refusal.reason == "unknown consultation_id 'C9' (known: C1)"


def test_only_the_consulted_party_answers() -> None:
    case = in_review()
    decide(case, "request_consultation", Role.SRO, party="ICE_ATTORNEYS", question="q")
    made = decision(
        "record_consultation_response", Role.FIELD_OFFICE, consultation_id="C1", response="a"
    )
    refusal = case.judge("record_consultation_response", made)
    assert refusal is not None and "only role ICE_ATTORNEY may answer it" in refusal.reason


def test_an_answered_consultation_cannot_be_answered_again() -> None:
    case = in_review()
    decide(case, "request_consultation", Role.SRO, party="FIELD_OFFICE", question="q")
    fields: dict[str, Any] = {"consultation_id": "C1", "response": "a"}
    decide(case, "record_consultation_response", Role.FIELD_OFFICE, **fields)
    made = decision("record_consultation_response", Role.FIELD_OFFICE, **fields)
    refusal = case.judge("record_consultation_response", made)
    assert refusal is not None and "already answered" in refusal.reason


def test_no_determination_while_a_consultation_is_open() -> None:
    case = in_review()
    decide(case, "request_consultation", Role.SRO, party="ICE_ATTORNEYS", question="q")
    made = decision("record_determination", Role.SRO, finding="MEETS_PRIORITIES", rationale="r")
    refusal = case.judge("record_determination", made)
    assert refusal is not None and refusal.reason == "consultations still open: C1"


def test_a_reminder_round_needs_a_task_that_waits_for_staff() -> None:
    case = opened()
    case.tasks = []  # as before the policy set the first deadline
    refusal = case.judge("send_reminders", decision("send_reminders", Role.SUPERVISOR))
    assert refusal is not None and refusal.reason == "no open task waits for staff"


@pytest.mark.parametrize(
    "fields",
    [
        {"finding": "MAYBE", "message": "m"},
        {"finding": "MEETS_PRIORITIES"},
        {"finding": "MEETS_PRIORITIES", "message": "m", "extra": 1},
        {"finding": "MEETS_PRIORITIES", "message": ""},
    ],
)
def test_the_decision_models_refuse_bad_fields(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        decision("record_local_response", Role.FIELD_OFFICE, **fields)
