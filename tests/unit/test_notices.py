"""The notice table and the letters: every kind has a door, words and a mailbox."""

from datetime import UTC, datetime

from activities.letters import correspondent_letter, staff_letter
from activities.notices import NoticeActivities
from activities.postbox import Postbox
from domain.notices import NOTICES, Audience, NoticeKind, NoticeRecord, RecipientKind
from domain.roles import Role
from settings import Settings
from tests.support import represented
from tests.unit.cases import T0, at_sro, days, decide, in_review, local_review


def test_every_notice_kind_has_one_rule() -> None:
    assert set(NOTICES) == set(NoticeKind)


def test_the_worker_registers_one_activity_per_name_in_the_table() -> None:
    registered = NoticeActivities(Postbox(Settings(), None)).all()  # type: ignore[arg-type]
    names = {fn.__temporal_activity_definition.name for fn in registered}  # type: ignore[attr-defined]
    assert names == {rule.activity for rule in NOTICES.values()}


def test_every_posted_notice_has_its_letter() -> None:
    """Each kind the case can post is worded, for staff or for correspondents by audience."""
    case = in_review(**{k: v for k, v in represented().items() if k != "entry"})
    decide(case, "request_consultation", Role.SRO, party="ICE_ATTORNEYS", question="q")
    case.expire(T0 + days(40))
    decide(
        case, "record_consultation_response", Role.ICE_ATTORNEY, consultation_id="C1", response="a"
    )
    decide(case, "record_determination", Role.SRO, finding="MEETS_PRIORITIES", rationale="r")
    posted = [*case.take_notices(), case.receipt_notice()]
    kinds = {n.kind for n in posted}
    assert {NoticeKind.REMINDER, NoticeKind.ESCALATION, NoticeKind.DETERMINATION} <= kinds
    for notice in posted:
        if NOTICES[notice.kind].audience is Audience.STAFF:
            assert notice.case_id in staff_letter(notice).subject
        else:
            for to in notice.to:
                assert notice.case_id in correspondent_letter(notice, to).subject


def test_mailboxes_follow_the_notice_and_the_party() -> None:
    postbox = Postbox(Settings(ICR_MAILBOX_DOMAIN="ice.example"), None)  # type: ignore[arg-type]
    case = in_review()
    decide(case, "request_consultation", Role.SRO, party="ICE_ATTORNEYS", question="q")
    [consultation] = case.take_notices()
    assert postbox.mailbox_of(consultation) == (
        RecipientKind.ICE_ATTORNEYS,
        "ice-attorneys@ice.example",
    )
    case.expire(T0 + days(40))
    escalations = [n for n in case.take_notices() if n.kind is NoticeKind.ESCALATION]
    assert {postbox.mailbox_of(n)[0] for n in escalations} == {RecipientKind.SUPERVISOR}
    opened_notice = local_review().take_notices()[0]
    assert postbox.mailbox_of(opened_notice) == (
        RecipientKind.FIELD_OFFICE,
        "ero-new-york-city@ice.example",
    )


def test_an_unauthorized_representative_learns_only_that_a_response_exists() -> None:
    case = at_sro(represented(form=None))
    decide(case, "withdraw", Role.INTAKE, reason="r")
    [*_, withdrawn] = case.take_notices()
    [to] = withdrawn.to
    assert to.is_representative and not to.may_receive_case_information
    decided = in_review(**{k: v for k, v in represented(form=None).items() if k != "entry"})
    assert decided.stage == "AWAITING_INFORMATION"  # no form: never reviewed, never told


def test_a_disclosure_is_recorded_with_the_table_purpose() -> None:
    case = local_review()
    record = NoticeRecord(
        at=datetime(2026, 11, 2, tzinfo=UTC),
        kind=NoticeKind.CASE_OPENED,
        event_key="case-opened",
        outcome="SENT",
        recipients=[RecipientKind.FIELD_OFFICE],
    )
    case.record_notice(record, [RecipientKind.FIELD_OFFICE])
    [disclosure] = case.disclosures
    assert disclosure.purpose == NOTICES[NoticeKind.CASE_OPENED].disclosure_purpose
    assert case.status().notices == [record]
