"""A case stays small whatever it receives, and says what it has dropped."""

from typing import Any

from domain import bounds
from domain.case_state import fit_for_carrying
from domain.decisions import DECISIONS
from domain.roles import Role
from domain.status import StatusSnapshot
from tests.unit.cases import T0, days, decide, decision, in_review, local_review
from workflows.details import current_details


def test_a_flood_of_refusals_keeps_the_newest_and_counts_the_rest() -> None:
    case = local_review()
    for i in range(1000):
        case.record_refused_signal("withdraw", None, "x" * 5000 + str(i), T0)
    assert len(case.rejected) == bounds.MAX_REFUSED and case.rejected_dropped == 900
    assert all(len(r.reason) <= bounds.MAX_REASON for r in case.rejected)
    status = case.status()
    assert status.rejected_dropped == 900 and len(status.rejected) == bounds.MAX_REFUSED
    assert len(case.model_dump_json()) < 200_000


def test_notes_history_and_decision_ids_are_bounded() -> None:
    case = local_review()
    for i in range(bounds.MAX_APPLIED + 5):
        decide(case, "add_note", Role.SRO, text="n" * 100, decision_id=f"note-{i}")
    assert len(case.notes) == bounds.MAX_NOTES
    assert case.notes_dropped == bounds.MAX_APPLIED + 5 - bounds.MAX_NOTES
    assert len(case.applied) == bounds.MAX_APPLIED and "note-0" not in case.applied


def test_an_earlier_result_stays_exact_when_the_history_moved_on() -> None:
    case = local_review()
    first = decision("add_note", Role.SRO, text="first", decision_id="keep")
    answer = case.apply("add_note", first, T0)
    assert answer is not None
    for _ in range(bounds.MAX_HISTORY + 10):
        decide(case, "add_note", Role.SRO, text="t")
    again = case.apply("add_note", first, T0 + days(1))
    assert again is not None and again.history == []  # its entry was dropped, none invented
    snapshot = StatusSnapshot.of(answer)
    assert snapshot.history_len == 1


def test_a_case_file_too_large_to_carry_is_halved_until_it_fits() -> None:
    case = in_review()
    for _ in range(bounds.MAX_NOTES):
        decide(case, "add_note", Role.SRO, text="n" * 9000)
    assert len(case.model_dump_json()) > bounds.CARRY_LIMIT_BYTES
    size = fit_for_carrying(case)
    assert size <= bounds.CARRY_LIMIT_BYTES and size == len(case.model_dump_json())
    assert case.notes_dropped > 0 and case.stage == "SRO_REVIEW"


def test_keeping_the_newest_none_keeps_none() -> None:
    """``items[-0:]`` is every item: halving a one-entry log must still empty it."""
    assert bounds.keep_newest(["a"], 0) == ([], 1)
    assert bounds.keep_newest(["a", "b", "c"], 1) == (["c"], 2)


def test_carrying_ends_when_every_log_is_down_to_one_entry() -> None:
    """The attack that froze a case: logs of one entry each and a file still over the limit
    (here a limit below what the case keeps for good). Halving ends with the logs empty."""
    case = in_review()
    decide(case, "add_note", Role.SRO, text="n")
    case.record_refused_signal("withdraw", None, "r", T0)
    assert len(case.notes) == 1 and len(case.rejected) == 1
    size = fit_for_carrying(case, limit=1000)
    assert size == len(case.model_dump_json()) > 1000
    assert (case.notes, case.rejected, case.history, case.applied) == ([], [], [], {})


def test_consultations_are_capped_and_what_is_kept_for_good_stays_carryable() -> None:
    """A reviewer's questions and the answers stay in the case for good: past the count or
    the bytes a case keeps, the next is refused in words, and the file always fits."""
    case = in_review()
    asked, refusal = 0, None
    for _ in range(bounds.MAX_CONSULTATIONS + 30):  # the attack sent 38 and 55
        made = decision(
            "request_consultation", Role.SRO, party="ICE_ATTORNEYS", question="q" * 10_000
        )
        refusal = case.judge("request_consultation", made)
        if refusal is not None:
            break
        case.apply("request_consultation", made, T0)
        asked += 1
    assert refusal is not None and asked <= bounds.MAX_CONSULTATIONS
    assert "consultations" in refusal.reason or "bytes" in refusal.reason
    wide = decision("request_consultation", Role.SRO, party="ICE_ATTORNEYS", question="é" * 10_000)
    if asked < bounds.MAX_CONSULTATIONS:
        assert "shorten it" in (case.judge("request_consultation", wide) or refusal).reason
    for c in case.consultations:  # each answer at the longest the field takes
        answer = decision(
            "record_consultation_response",
            Role.ICE_ATTORNEY,
            consultation_id=c.consultation_id,
            response="\x01" * 10_000,
        )
        if case.judge("record_consultation_response", answer) is None:
            case.apply("record_consultation_response", answer, T0)
    for _ in range(bounds.MAX_NOTES):
        decide(case, "add_note", Role.SRO, text="n" * 9000)
    assert fit_for_carrying(case) <= bounds.CARRY_LIMIT_BYTES


def test_text_from_input_shows_inert_in_the_details() -> None:
    case = local_review()
    case.record_refused_signal(
        "withdraw", None, "# Heading [link](http://x) ![i](http://y) `c`", T0
    )
    details = current_details(case.status(summary=True))
    assert "`# Heading [link](http://x) ![i](http://y) 'c'`" in details


def test_a_reminder_round_without_an_id_is_the_days_round() -> None:
    case = in_review()
    case.take_notices()
    decide(case, "send_reminders", Role.SUPERVISOR, T0)
    assert len(case.take_notices()) == 1
    decide(case, "send_reminders", Role.SUPERVISOR, T0 + days(0.2))
    assert case.take_notices() == []  # the same day: nobody is reminded twice
    decide(case, "send_reminders", Role.SUPERVISOR, T0 + days(1))
    assert len(case.take_notices()) == 1
    decide(case, "send_reminders", Role.SUPERVISOR, T0 + days(1), decision_id="extra<round>")
    [extra] = case.take_notices()
    assert "<" not in extra.event_key  # an id never reaches a Message-ID as typed


def _documents(first: int, count: int) -> Any:
    """A receive_documents decision for ``count`` distinct documents from number ``first``."""
    receive = DECISIONS["receive_documents"]
    ref = receive.example["documents"][0]
    refs = [{**ref, "document_id": f"DOC-{n:024X}"} for n in range(first, first + count)]
    return receive.model.model_validate({**receive.example, "documents": refs})


def test_a_case_takes_documents_up_to_its_bound_and_refuses_more_by_name() -> None:
    case = in_review()
    for first in range(0, bounds.MAX_DOCUMENTS, 50):
        made = _documents(first, min(50, bounds.MAX_DOCUMENTS - first))
        assert case.judge("receive_documents", made) is None
        case.apply("receive_documents", made, T0)
    assert len(case.documents) == bounds.MAX_DOCUMENTS
    again = _documents(0, 50)  # documents it holds already: nothing new, not refused
    assert case.judge("receive_documents", again) is None
    one_more = _documents(bounds.MAX_DOCUMENTS, 1)
    refusal = case.judge("receive_documents", one_more)
    assert refusal is not None and refusal.kind == "state"
    assert f"takes at most {bounds.MAX_DOCUMENTS}" in refusal.reason
    assert "stay in the document store" in refusal.reason


def test_one_document_listed_twice_in_a_decision_is_filed_once() -> None:
    case = in_review()
    made = _documents(7, 1)
    twice = made.model_copy(update={"documents": made.documents * 2})
    case.apply("receive_documents", twice, T0)
    assert len(case.documents) == 1


def test_reads_keep_the_newest_and_count_the_rest_and_earlier_results_stay_exact() -> None:
    case = in_review()
    case.apply("receive_documents", _documents(0, 1), T0)
    read = DECISIONS["record_document_read"].model
    actor = {"id": "svc.codec", "role": "INTAKE"}
    first = read.model_validate(
        {"actor": actor, "document_id": f"DOC-{0:024X}", "reader": "r0", "decision_id": "r0"}
    )
    answer = case.apply("record_document_read", first, T0)
    assert answer is not None and len(answer.document_reads) == 1
    extra = 25
    for n in range(1, bounds.MAX_DOCUMENT_READS + extra):
        made = read.model_validate(
            {"actor": actor, "document_id": f"DOC-{0:024X}", "reader": f"r{n}"}
        )
        case.apply("record_document_read", made, T0 + days(n / 1000))
    status = case.status()
    assert len(status.document_reads) == bounds.MAX_DOCUMENT_READS
    assert status.document_reads_dropped == extra
    assert status.document_reads[0].reader == f"r{extra}"  # the newest are kept
    assert status.document_reads[-1].reader == f"r{bounds.MAX_DOCUMENT_READS + extra - 1}"
    again = case.apply("record_document_read", first, T0 + days(1))
    assert again is not None and again.document_reads == []  # dropped since, none invented
    assert StatusSnapshot.of(answer).document_reads_len == 1


def test_reads_are_halved_with_the_other_logs_before_carrying() -> None:
    case = in_review()
    case.apply("receive_documents", _documents(0, 1), T0)
    read = DECISIONS["record_document_read"].model
    for _ in range(bounds.MAX_DOCUMENT_READS):
        made = read.model_validate(
            {"actor": {"id": "c", "role": "INTAKE"}, "document_id": f"DOC-{0:024X}", "reader": "r"}
        )
        case.apply("record_document_read", made, T0)
    fit_for_carrying(case, limit=len(case.model_dump_json()) - 1)
    assert case.document_reads_dropped > 0
    assert case.document_reads_dropped + len(case.document_reads) == bounds.MAX_DOCUMENT_READS
