"""Reading mail as the gateway does: the template's fields, replies' case references, and MIME
that is odd, broken or hostile."""

import secrets

import pytest

from domain.inquiry import AuthorizationForm
from mailroom.letter import UnreadableMail, message_key, read_letter, sender_verified
from mailroom.template import FORM_ITEM, read_fields, read_inquiry
from tests.mail import INQUIRY_FIELDS, body_of, inquiry, odd_mime, pdf_bytes, reply

CASE = "ICR-0123456789AB"


def test_the_template_reads_into_a_complete_submission() -> None:
    letter = read_letter(bytes(inquiry()))
    reading = read_inquiry(read_fields(letter.text), "mail-1", None)
    assert reading.missing == [] and reading.invalid == []
    sub = reading.submission
    assert sub is not None and sub.entry == "SRO_INQUIRY" and sub.request_id == "mail-1"
    assert sub.subject.a_number == "A012345678" and sub.field_office == "NEW_YORK_CITY"
    assert sub.requestor.kind == "SELF" and sub.requestor.phone == "+12125550143"
    assert sub.local_response is not None and sub.local_response.finding == "MEETS_PRIORITIES"
    assert sub.missing_items() == []


def test_missing_and_invalid_items_are_named_by_label_without_values() -> None:
    fields = dict(INQUIRY_FIELDS)
    del fields["Date of birth"], fields["Grounds"]
    fields["A-Number"] = "B-999"
    fields["Field office"] = "Atlantis"
    fields["Representative name"] = "Dana Advocate"
    reading = read_inquiry(read_fields(body_of(fields)), "mail-2", None)
    assert reading.submission is None
    assert reading.missing == [
        "Date of birth",
        "Grounds",
        "Representative email",
        "Representative phone",
        FORM_ITEM,
    ]
    assert reading.invalid == [
        "Field office: not one of the 25 ERO field offices",
        "A-Number: not valid",
    ]
    fields = dict(INQUIRY_FIELDS, **{"A-Number": "B-999"})
    reading = read_inquiry(read_fields(body_of(fields)), "mail-3", None)
    assert reading.invalid == ["A-Number: not valid"]


def test_a_representative_inquiry_points_at_its_form() -> None:
    fields = dict(
        INQUIRY_FIELDS,
        **{
            "Representative name": "Dana Advocate",
            "Representative email": "dana@lawfirm.example.org",
            "Representative phone": "+1 415 555 0188",
        },
    )
    reading = read_inquiry(read_fields(body_of(fields)), "m", (AuthorizationForm.G_28, "DOC-X"))
    sub = reading.submission
    assert sub is not None and sub.requestor.kind == "REPRESENTATIVE"
    assert sub.representative is not None and sub.representative.authorization is not None
    assert sub.representative.authorization.document_ref == "DOC-X"


def test_quoted_lines_and_continuations() -> None:
    text = "Grounds: first line\ncontinues here\n\n> Phone: 555\nA-Number: A123456789\n"
    assert read_fields(text) == {"Grounds": "first line\ncontinues here", "A-Number": "A123456789"}


def test_replies_name_their_case_by_message_id_or_subject() -> None:
    by_id = read_letter(
        bytes(reply(CASE, "a@b.org", in_reply_to=f"<{CASE}.x.requestor@icr.case-review>"))
    )
    assert by_id.case_ids == [CASE] and by_id.sender == "a@b.org"
    by_subject = read_letter(bytes(reply(CASE, "A@B.org")))
    assert by_subject.case_ids == [CASE] and by_subject.sender == "a@b.org"
    forged = read_letter(
        bytes(reply(CASE, "a@b.org", in_reply_to="<ICR-0123456789AB@evil.example>"))
    )
    assert forged.case_ids == [], "only our own notices' Message-IDs name a case"


def test_odd_mime_keeps_what_is_good_and_names_what_is_not() -> None:
    pdf = pdf_bytes()
    letter = read_letter(odd_mime(CASE, "maria.lopez@example.org", pdf))
    assert letter.case_ids == [CASE]
    assert [(a.content_type, a.data) for a in letter.attachments] == [("application/pdf", pdf)]
    assert sorted((r.content_type, r.reason) for r in letter.refused) == [
        ("application/zip", "type not accepted"),
        ("image/png", "could not be decoded (broken base64)"),
    ]
    assert "Voil" in letter.text


def test_a_renamed_executable_is_not_a_pdf() -> None:
    letter = read_letter(
        bytes(
            reply(
                CASE,
                "a@b.org",
                attachments=[
                    (b"MZ\x90\x00" + secrets.token_bytes(99), "application/pdf", "form.pdf")
                ],
            )
        )
    )
    assert letter.attachments == []
    assert [r.reason for r in letter.refused] == ["contents do not match the declared type"]


def test_any_bytes_at_all_read_without_error() -> None:
    for raw in (
        b"",
        b"\x00\xff" * 500,
        b"From: <<<@@@>>>\r\n\r\n",
        b"Content-Type: multipart/mixed; boundary=x\r\n\r\n"
        + b"--x\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n" * 90,
        b"Subject: =?utf-8?b?!!!?=\r\nFrom: a@b, c@d\r\n\r\nA-Number: x",
    ):
        letter = read_letter(raw)
        assert letter.sender is None or "@" in letter.sender
        assert message_key(raw).startswith(("mid:", "raw:"))


def test_attachments_are_bounded() -> None:
    files = [(pdf_bytes(), "application/pdf", f"p{i}.pdf") for i in range(30)]
    letter = read_letter(bytes(reply(CASE, "a@b.org", attachments=files)))
    assert len(letter.attachments) == 20
    assert [r.reason for r in letter.refused] == ["more than 20 attachments"] * 10


def test_a_multipart_bomb_is_unreadable_not_a_crash() -> None:
    """The standard library's parser recurses once per level: 1,000 levels would overflow it."""
    head = b"From: a@b.org\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
    levels = b"".join(
        b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i - 1, i)
        for i in range(1, 1000)
    )
    with pytest.raises(UnreadableMail):
        read_letter(head + levels)
    assert message_key(head + levels).startswith("raw:")


def test_message_key_follows_the_bytes_as_received() -> None:
    """F9: a mail sent first with the real one's Message-ID, From and Date but other words
    is another mail; the same bytes are the same mail whatever their line endings."""
    first = bytes(inquiry())
    assert message_key(first) != message_key(first.replace(b"Dear SRO", b"Dear Sir"))
    assert message_key(first) == message_key(first.replace(b"\n", b"\r\n"))


def _with_results(*headers: str) -> bytes:
    raw = bytes(reply(CASE, "Maria <maria.lopez@example.org>"))
    return "".join(f"Authentication-Results: {h}\r\n" for h in headers).encode() + raw


def test_a_reply_counts_as_verified_only_on_the_relay_s_own_dmarc_pass() -> None:
    relay = "relay.icr.example"
    good = (
        "relay.icr.example; spf=pass smtp.mailfrom=example.org; dmarc=pass header.from=example.org"
    )
    assert sender_verified(_with_results(good), relay)
    assert not sender_verified(bytes(reply(CASE, "maria.lopez@example.org")), relay)
    failed = "relay.icr.example; dmarc=fail header.from=example.org"
    assert not sender_verified(_with_results(failed, good), relay), "a forged one below"
    assert not sender_verified(_with_results("other.example; " + good.split("; ", 1)[1]), relay)
    other_domain = "relay.icr.example; dmarc=pass header.from=evil.example"
    assert not sender_verified(_with_results(other_domain), relay)
