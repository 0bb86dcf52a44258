"""Issue 21, what mail may reach: letters greet by role while a name came from an e-mail,
and the inbox key leaves the relays' trace fields out of what counts as the same inquiry."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from activities.letters import correspondent_letter
from domain.language import Language
from domain.notices import NoticeKind, correspondents
from domain.roles import Role
from domain.staff import StaffMember
from mailroom.letter import MAX_TRACE_LINES, message_key
from tests.support import represented, sro_submission
from tests.unit.cases import at_sro, decide, decision, directory, opened

ATTACKER = "URGENT from ICE"


def _by_mail(data: dict[str, Any]) -> dict[str, Any]:
    data["requestor"]["name"] = ATTACKER
    return {**data, "contact_confirmed": False}


def _ack_of(data: dict[str, Any], language: Language = Language.EN) -> str:
    data["requestor"]["language"] = language.value
    ack = opened(data).receipt_notice()
    assert ack.kind is NoticeKind.INQUIRY_RECEIVED
    [to] = ack.to
    return correspondent_letter(ack, to).body


def test_a_name_read_from_mail_is_never_greeted() -> None:
    for data, greeting in (
        (sro_submission(), "Dear requestor,"),
        (represented(), "Dear representative,"),
    ):
        body = _ack_of(_by_mail(data))
        assert greeting in body.splitlines()
        assert "URGENT" not in body and "from" not in body.split()
    spanish = _ack_of(_by_mail(sro_submission()), Language.ES)
    assert "Estimado/a solicitante:" in spanish.splitlines() and "URGENT" not in spanish
    spanish_rep = _ack_of(_by_mail(represented()), Language.ES)
    assert "Estimado/a representante:" in spanish_rep.splitlines()


def test_an_integrating_system_s_case_keeps_its_name() -> None:
    data = sro_submission()
    data["requestor"]["name"] = "Maria Lopez Garcia"
    assert "Dear Maria Lopez Garcia," in _ack_of(data).splitlines()


def test_the_intake_desk_s_own_contact_details_confirm_the_name() -> None:
    """Only contact details the desk enters (the gateway holds those a mail brings) confirm:
    a date of birth from a reply does not."""
    data = _by_mail(sro_submission())
    del data["subject"]["date_of_birth"], data["requestor"]["phone"]
    case = at_sro(data)
    case.take_notices()
    decide(case, "provide_information", Role.INTAKE, date_of_birth="1988-04-12")
    assert not case.submission.contact_confirmed
    decide(case, "provide_information", Role.INTAKE, phone="+12125550143")
    assert case.submission.contact_confirmed
    assert case.stage == "SRO_REVIEW"


def test_the_desk_confirms_a_mail_s_contact_once() -> None:
    case = at_sro(_by_mail(sro_submission()))
    assert case.stage == "SRO_REVIEW"
    offered = [d for d in case.status().next_decisions if d.name == "confirm_contact"]
    assert [d.body for d in offered] == [{"case_id": case.case_id}]
    refused = case.judge("confirm_contact", decision("confirm_contact", Role.SRO))
    assert refused is not None and "role SRO may not" in refused.reason
    case.staff = directory(
        StaffMember(id="svc.mailroom", roles=[Role.INTAKE], service=True),
        StaffMember(id="intake.one", roles=[Role.INTAKE]),
    )
    gateway = case.judge(
        "confirm_contact", decision("confirm_contact", Role.INTAKE, staff_id="svc.mailroom")
    )
    assert gateway is not None and "only a person" in gateway.reason
    decide(case, "confirm_contact", Role.INTAKE)
    assert case.submission.contact_confirmed
    [to] = correspondents(case.submission, include_representative=True)
    assert to.name_confirmed and to.name == ATTACKER  # the desk checked it with the person
    again = case.judge("confirm_contact", decision("confirm_contact", Role.INTAKE))
    assert again is not None and "already confirmed" in again.reason
    assert "confirm_contact" not in [d.name for d in case.status().next_decisions]


HEAD = (
    b"From: Maria <maria@example.org>\r\nTo: <sro@icr.example>\r\n"
    b"Date: Mon, 1 Dec 2026 10:00:00 +0000\r\nMessage-ID: <m1@example.org>\r\n"
    b"Subject: SRO inquiry\r\n\r\nA-Number: A123456789\r\n"
)
TRACE = (
    b"Received: from relay2.example (relay2.example [192.0.2.7])\r\n"
    b"\tby mx.icr.example with ESMTPS id 1; Mon, 1 Dec 2026 10:00:09 +0000\r\n"
    b"Return-Path: <maria@example.org>\r\nDelivered-To: sro@icr.example\r\n"
    b"X-Original-To: sro@icr.example\r\nX-Received: by 2002:a05 with SMTP id x\r\n"
    b"Received-SPF: pass (relay2.example)\r\n"
    b"Authentication-Results: relay.icr.example; dmarc=pass header.from=example.org\r\n"
    b"ARC-Seal: i=1; a=rsa-sha256; cv=none\r\nARC-Message-Signature: i=1; b=abc\r\n"
    b"arc-authentication-results: i=1; relay2.example; dmarc=pass\r\n"
    # a filter's and a forwarder's, prepended on one path and not the other (attack on #21)
    b"X-Virus-Scanned: amavisd-new at relay2.example\r\n"
    b"X-Spam-Status: No, score=-1.0\r\nX-Spam-Flag: NO\r\n"
    b"DKIM-Signature: v=1; a=rsa-sha256; d=forwarder.example;\r\n\tb=xyz\r\n"
)


def test_the_same_inquiry_relayed_again_is_the_same_mail() -> None:
    first = b"Received: from relay1.example by mx.icr.example; Mon\r\n" + HEAD
    assert message_key(first) == message_key(HEAD) == message_key(TRACE + HEAD)
    assert message_key(HEAD.replace(b"\r\n", b"\n")) == message_key(TRACE + HEAD)
    assert message_key(TRACE + HEAD).startswith("mid:")


def test_other_content_or_a_sender_s_own_fields_make_another_mail() -> None:
    """F9: the same Message-ID, From and Date with other words is a mail of its own, and so
    is a trace-named field below the sender's own fields (the sender wrote it: content)."""
    keys = {
        message_key(HEAD),
        message_key(HEAD.replace(b"A123456789", b"A987654321")),
        message_key(HEAD.replace(b"Subject:", b"Received: x\r\nSubject:")),
        message_key(b"X-Mailer: y\r\n" + HEAD),
        message_key(b" folded from nothing\r\n" + HEAD),
        message_key(TRACE + HEAD + b"more\r\n"),
        message_key(HEAD.replace(b"Subject:", b"X-Spam-Status: Yes\r\nSubject:")),
    }
    assert len(keys) == 7


def test_only_the_top_block_of_trace_lines_is_read() -> None:
    """A mail of nothing but trace lines: bounded work before the hash, and the lines past
    the bound are content (real paths stop about 100 hops)."""
    many = b"Received: x\r\n" * (MAX_TRACE_LINES + 5)
    assert message_key(many + HEAD) != message_key(HEAD)
    few = b"Received: x\r\n" * (MAX_TRACE_LINES - 1)
    assert message_key(few + HEAD) == message_key(HEAD)
    assert message_key(b"Received: " + b"x" * 100_000) == message_key(b"")
    folded = b"Received: a\r\n" + b" b\r\n" * MAX_TRACE_LINES  # folded lines count too
    assert message_key(folded + HEAD) != message_key(HEAD)
    assert message_key(b"Received: a\r\n b\r\n" + HEAD) == message_key(HEAD)


_LINE = st.binary(max_size=80).map(lambda b: b.replace(b"\n", b" ").replace(b"\r", b" "))


@given(
    body=st.binary(max_size=2000),
    trace=st.lists(
        st.tuples(st.sampled_from(["Received", "Return-Path", "ARC-Seal", "X-Received"]), _LINE),
        max_size=8,
    ),
)
@settings(max_examples=200, deadline=None)
def test_any_mail_keys_alike_whatever_trace_lines_relays_put_on_top(
    body: bytes, trace: list[tuple[str, bytes]]
) -> None:
    """Any bytes: a key, and the same one under any stack of trace lines."""
    mail = b"From: <a@example.org>\r\n" + body
    on_top = b"".join(name.encode() + b": " + value + b"\r\n" for name, value in trace)
    assert message_key(on_top + mail) == message_key(mail)
    assert message_key(on_top + body).startswith(("mid:", "raw:"))
