"""Reading a mail is linear in its size whatever its text (issue 21, finding 1): the hostile
shapes of ``bench.mail_reading`` and random mixes of the characters parsers trip on, each at n
and 10n, compared by CPU-time ratio in one run (never a wall-clock threshold).

The target (10x the input in at most 15x the time) is measured by the bench (``python -m
bench.mail_reading``); here the ratio guards against a quadratic path coming back, which takes
80x and more at these sizes, with room for a busy machine's noise (a linear path measured
15.0x once beside two other test processes and two flood tests)."""

import random

import pytest

from bench.mail_reading import SHAPES, _mail, ratio
from mailroom.html_text import html_to_text
from mailroom.template import read_fields

N = 50_000
NOT_QUADRATIC = 30.0
"""A linear path measures 10-12x here, a quadratic one 80x and more."""


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_each_hostile_shape_costs_time_linear_in_its_size(name: str) -> None:
    _, _, r = ratio(SHAPES[name], N, repeats=3)
    assert r <= NOT_QUADRATIC, f"{name}: 10x the input took {r:.1f}x the time"


@pytest.mark.parametrize("seed", range(4))
def test_random_mixes_of_markup_and_labels_are_linear(seed: int) -> None:
    pieces = ["<", ">", "<script", "</script", "<!--", "-->", " ", "*", ":", "\n", "&#", "a"]
    unit = "".join(random.Random(seed).choices(pieces, k=400))
    for content_type in ("text/html", "text/plain"):

        def shape(n: int, ct: str = content_type) -> bytes:
            return _mail(unit * (n // len(unit)), ct)

        _, _, r = ratio(shape, N, 3)
        assert r <= NOT_QUADRATIC, f"seed {seed} {content_type}: x{r:.1f}"


def test_html_becomes_its_text() -> None:
    html = "<p>Hello<br>A-Number: A1<script>x()</script> &amp; y<!-- c -->z</p><style>s</style>"
    assert html_to_text(html) == "\nHello\nA-Number: A1 & yz\n"
    assert html_to_text("before <script>never closed") == "before "
    assert html_to_text("a <b") == "a "


def test_template_lines_keep_their_meaning() -> None:
    text = "**A-Number**: A123\n  Given name : Maria\n> Phone: 1\n" + " " * 5000 + "\n*:*"
    assert read_fields(text) == {"A-Number": "A123", "Given name": "Maria"}


def test_a_derived_case_id_needs_the_key() -> None:
    """F5: whoever lacks the subject-key secret cannot tell which id a request_id takes."""
    from domain.case_id import case_id_for_request, is_case_id

    one, other = case_id_for_request("mail-1", "k" * 32), case_id_for_request("mail-1", "j" * 32)
    assert is_case_id(one) and is_case_id(other) and one != other
    assert case_id_for_request("mail-1", "k" * 32) == one


def test_the_inbox_key_holds_the_bytes_as_received() -> None:
    """F9: the same Message-ID, From and Date with other bytes is another mail; the same
    bytes with other line endings are the same mail (SMTP carries CRLF)."""
    from mailroom.letter import message_key

    head = b"From: <a@example.org>\nDate: Mon, 1 Dec 2026 10:00:00 +0000\nMessage-ID: <m@x>\n\n"
    assert message_key(head + b"real\n") != message_key(head + b"forged\n")
    assert message_key(head + b"real\n") == message_key((head + b"real").replace(b"\n", b"\r\n"))


def test_a_name_from_mail_is_a_name_not_a_message() -> None:
    """Backscatter: a 'name' of 'URGENT from ICE https://…/verify' was greeted in official
    mail to the victim; such a value is now invalid (named by label, never quoted)."""
    from domain.inquiry import AuthorizationForm
    from mailroom.example import EXAMPLE_FIELDS
    from mailroom.template import read_inquiry

    form = (AuthorizationForm.G_28, "DOC-" + "0" * 24)
    fields = dict(EXAMPLE_FIELDS, **{"Family name": "O'Neil-López Jr."})
    assert read_inquiry(fields, "r", form).submission is not None
    fields["Representative name"] = "URGENT from ICE https://ice.example/verify"
    reading = read_inquiry(fields, "r", form)
    assert reading.submission is None
    assert [i.split(":")[0] for i in reading.invalid] == ["Representative name"]
    assert "https" not in " ".join(reading.invalid)
