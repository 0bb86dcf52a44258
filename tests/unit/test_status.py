"""The status view and the UI's details: what staff read, in words, free of personal data."""

import re
from typing import Any

import pytest
from pydantic import ValidationError

from domain.decisions import DECISIONS
from domain.errors import refusal_reason
from domain.placeholders import PLACEHOLDERS, left_in
from domain.roles import Actor, Role
from domain.tasks import TASKS
from tests.support import PII
from tests.unit.cases import T0, days, decide, in_review, incomplete, local_review
from workflows.details import current_details


def test_every_decision_named_to_staff_exists() -> None:
    """Each task names the decision that ends it, allowed in the stages that have the task."""
    for kind, (_, name) in TASKS.items():
        assert name in DECISIONS, kind
    case = in_review()
    decide(case, "request_consultation", Role.SRO, party="ICE_ATTORNEYS", question="q")
    shown = re.findall(r"\((\w+)\)", case.status().waiting_for)
    assert shown and all(name in DECISIONS for name in shown)


def test_waiting_for_names_the_consultation_and_its_decision_intact() -> None:
    case = in_review()
    decide(case, "request_consultation", Role.SRO, party="ICE_ATTORNEYS", question="q")
    waiting = case.status().waiting_for
    assert "an answer to consultation C1 (record_consultation_response) from role ICE_ATTORNEY" in (
        waiting
    )
    assert "the SRO's determination (record_determination) from role SRO" in waiting


def test_waiting_for_in_each_kind_of_stage() -> None:
    assert "record_local_response" in local_review().status().waiting_for
    assert "provide_information" in incomplete().status().waiting_for
    case = local_review()
    decide(case, "withdraw", Role.INTAKE, reason="r")
    assert case.status().waiting_for == "nothing: closed (WITHDRAWN)"


def test_the_status_lists_tasks_deadlines_and_history() -> None:
    case = local_review()
    decide(case, "add_note", Role.SRO, T0 + days(1), text="t", decision_id="n1")
    status = case.status()
    assert status.next_deadline == T0 + days(7)
    assert [(t.kind, t.role) for t in status.open_tasks] == [("LOCAL_RESPONSE", "FIELD_OFFICE")]
    assert [(h.name, h.decision_id, h.at) for h in status.history] == [
        ("add_note", "n1", T0 + days(1))
    ]


def test_the_summary_keeps_only_what_the_ui_needs() -> None:
    case = local_review()
    for i in range(3):
        case.record_refused_signal("withdraw", None, f"reason {i}", T0)
    decide(case, "add_note", Role.SRO, text="t")
    summary = case.status(summary=True)
    assert [h.name for h in summary.history] == ["add_note"]  # the last decision only
    assert [r.reason for r in summary.rejected] == ["reason 2"]
    assert "**Last decision:** `add_note` by `sro.one` (SRO)" in current_details(summary)
    assert len(case.status().rejected) == 3


def test_no_personal_data_in_the_status_or_the_details() -> None:
    case = in_review()
    decide(case, "request_consultation", Role.SRO, party="FIELD_OFFICE", question="Maria Lopez?")
    case.record_refused_signal("withdraw", None, "invalid fields: reason", T0)
    text = case.status().model_dump_json() + current_details(case.status(summary=True))
    leaked = [datum for datum in PII if datum in text]
    assert leaked == []


def test_the_details_say_stage_waiting_and_the_last_refusal() -> None:
    case = local_review()
    case.record_refused_signal("withdraw", None, "the payload is empty", T0)
    details = current_details(case.status(summary=True))
    assert "**Stage:** LOCAL_REVIEW" in details
    assert "record_local_response" in details
    assert "the payload is empty" in details


def test_the_desk_lists_the_awaited_decisions_first_with_the_case_values() -> None:
    case = in_review()
    decide(case, "request_consultation", Role.SRO, party="ICE_ATTORNEYS", question="q")
    desk = case.status().next_decisions
    assert [d.name for d in desk][:3] == [
        "record_determination",
        "record_determination",
        "record_consultation_response",
    ]
    assert all(d.ends_task for d in desk[:3]) and not any(d.ends_task for d in desk[3:])
    assert [d.body["finding"] for d in desk[:2]] == ["MEETS_PRIORITIES", "DOES_NOT_MEET_PRIORITIES"]
    answer = desk[2]
    assert answer.body == {
        "case_id": case.case_id,
        "consultation_id": "C1",
        "response": "WRITE_HERE",
    }
    assert answer.roles == ["ICE_ATTORNEY"]  # the consulted party only
    by_services = {"receive_documents", "record_document_read"}  # never typed by staff
    by_mail = {"confirm_contact"}  # only where the names came from an e-mail (not here)
    assert {d.name for d in desk} == {
        name
        for name, rule in DECISIONS.items()
        if case.stage in rule.stages and name not in by_services | by_mail
    }


def test_the_desk_asks_for_exactly_the_missing_items() -> None:
    g28, form60, *_ = incomplete().status().next_decisions
    assert g28.name == form60.name == "provide_information"
    assert set(g28.body) == {"case_id", "authorization"}
    assert [g28.body["authorization"]["form"], form60.body["authorization"]["form"]] == [
        "G-28",
        "ICE-60-001",
    ]


def test_the_details_show_the_desk_and_a_one_line_description_per_decision() -> None:
    details = current_details(local_review().status(summary=True))
    assert "**Decide now:**" in details
    assert '**record_local_response** (FIELD_OFFICE) ← the case waits for this:\n\n`{"case_id"' in (
        details
    )
    for rule in DECISIONS.values():
        assert "\n" not in rule.description and len(rule.description) < 160, rule.name


FILLED = {"phone": "+12025550100", "email": "a@example.org", "reviewer_id": "sro.one"}


def _filled(value: Any, key: str = "") -> Any:
    """A desk body with each placeholder written as staff would."""
    if isinstance(value, dict):
        return {k: _filled(v, k) for k, v in value.items()}
    if value == "WRITE_YYYY_MM_DD":
        return "1990-01-31"
    return FILLED.get(key, "written by staff") if value == "WRITE_HERE" else value


@pytest.mark.parametrize("stage_case", ["local", "information", "review"])
def test_every_desk_body_once_written_is_a_valid_decision(stage_case: str) -> None:
    case = {"local": local_review, "information": incomplete, "review": in_review}[stage_case]()
    if stage_case == "review":
        decide(case, "request_consultation", Role.SRO, party="FIELD_OFFICE", question="q")
    for item in case.status().next_decisions:
        body = _filled(item.body)
        assert body["case_id"] == case.case_id and "actor" not in body
        actor = {"id": "someone", "role": item.roles[0]}  # the signer, bound by the worker
        DECISIONS[item.name].model.model_validate({**body, "actor": actor})


@pytest.mark.parametrize("stage_case", ["local", "information", "review"])
def test_a_desk_body_sent_unwritten_is_refused_naming_its_fields(stage_case: str) -> None:
    """Sent as copied, every body with a placeholder is refused, its own fields named."""
    case = {"local": local_review, "information": incomplete, "review": in_review}[stage_case]()
    for item in case.status().next_decisions:
        model = DECISIONS[item.name].model
        raw = {**item.body, "actor": {"id": "someone", "role": item.roles[0]}}
        unwritten = left_in(raw, model.model_fields)
        if not unwritten:
            assert item.name == "send_reminders"  # the one body with nothing to write
            continue
        with pytest.raises(ValidationError) as refused:
            model.model_validate({**raw, "WRITE<b>": "WRITE_HERE"})
        reason = refusal_reason(refused.value, frozenset(model.model_fields))
        assert f"placeholder in {', '.join(unwritten)}: double-click" in reason, reason
        assert "<b>" not in reason  # a key the sender invented is never quoted back


def test_every_placeholder_is_one_word_a_double_click_selects() -> None:
    """CodeMirror's double-click takes a run of word characters: a placeholder must be one,
    or typing over the selection eats the quotes around it (as ``…`` did)."""
    for placeholder in PLACEHOLDERS:
        assert re.fullmatch(r"WRITE_\w+", placeholder), placeholder


def test_a_closed_case_offers_no_decision_and_says_what_is_left() -> None:
    case = local_review()
    decide(case, "withdraw", Role.INTAKE, reason="r")
    status = case.status(summary=True)
    assert status.next_decisions == []
    details = current_details(status)
    assert "Decide now" not in details and "WRITE_" not in details
    assert "**Closed:** nothing more can be decided" in details
    assert "status" in details and "/documents/" in details and "documents reads" in details


def test_the_last_refusal_names_its_signer_or_says_it_was_unsigned() -> None:
    case = local_review()
    case.record_refused_signal("withdraw", None, "the decision is not signed", T0)
    assert "**Last rejected signal:** `withdraw` unsigned at" in current_details(
        case.status(summary=True)
    )
    signer = Actor(id="field_office.one", role=Role.FIELD_OFFICE)
    case.record_refused_signal("record_determination", signer, "you hold no role", T0)
    assert (
        "**Last rejected signal:** `record_determination` from `field_office.one` (FIELD_OFFICE)"
        in current_details(case.status(summary=True))
    )


def test_the_summary_status_keeps_every_field_and_cuts_only_the_growing_lists() -> None:
    from domain.status_view import summary_of

    case = in_review()
    for i in range(3):
        decide(case, "add_note", Role.SRO, T0 + days(1), text=f"n{i}")
    full = case.status()
    summary = summary_of(full)
    assert case.status(summary=True) == summary
    assert summary.history == full.history[-1:] and len(full.history) > 1
    assert not (summary.disclosures or summary.documents or summary.document_reads)
    kept = set(type(full).model_fields) - {
        "history",
        "rejected",
        "notices",
        "disclosures",
        "documents",
        "document_reads",
    }
    assert {k: getattr(summary, k) for k in kept} == {k: getattr(full, k) for k in kept}
