"""Whatever envelope arrives, the worker reads it or refuses it in words, never raising:
payload metadata, encodings, key ids, lengths, argument counts and sizes (no server)."""

import asyncio
import base64
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from temporalio.api.common.v1 import Payload
from temporalio.common import RawValue
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.decisions import Refusal
from domain.starting import read_start
from security.codec import ENCODING, KEY_ID, EncryptionCodec
from security.keys import KeyRing
from security.readable import (
    UNREADABLE,
    UNSEALED_PARSED_BYTES,
    ArgumentsAsSent,
    ReadableCodec,
    unreadable_reason,
)
from tests.support import submission
from tests.unit.cases import CASE_ID, local_review
from workflows.messages import read_decision

KEYS = KeyRing.parse("k1:" + base64.b64encode(bytes(32)).decode())
CODEC = ReadableCodec(EncryptionCodec(KEYS))
CONVERTER = pydantic_data_converter.payload_converter


def decode(payload: Payload) -> Payload:
    [out] = asyncio.run(CODEC.decode([payload]))
    return out


def sealed(value: Any) -> Payload:
    [plain] = CONVERTER.to_payloads([value])
    return EncryptionCodec(KEYS).encrypt(plain)


def reason(payload: Payload) -> str | None:
    return unreadable_reason(decode(payload))


def test_a_good_encrypted_payload_decodes_to_its_value() -> None:
    out = decode(sealed({"a": 1}))
    assert unreadable_reason(out) is None and CONVERTER.from_payload(out) == {"a": 1}


def test_bad_ciphertexts_become_markers() -> None:
    good = sealed({"a": 1})
    short = Payload(metadata=dict(good.metadata), data=b"xyz")
    unknown_key = Payload(metadata={"encoding": ENCODING, KEY_ID: b"nokey"}, data=good.data)
    bad_tag = Payload(
        metadata=dict(good.metadata), data=good.data[:-1] + bytes([good.data[-1] ^ 1])
    )
    for payload in (short, unknown_key, bad_tag):
        assert reason(payload) == "the payload could not be decrypted"


def test_unknown_encodings_broken_json_and_forged_markers_become_markers() -> None:
    assert reason(Payload(metadata={"encoding": b"foo/bar"}, data=b"1")) == (
        "unknown payload encoding"
    )
    assert reason(Payload(metadata={"encoding": b"json/plain"}, data=b"{no")) == (
        "the payload is not valid JSON"
    )
    deep = Payload(metadata={"encoding": b"json/plain"}, data=b"[" * 100_000)
    assert reason(EncryptionCodec(KEYS).encrypt(deep)) == "the payload is not valid JSON"
    assert reason(Payload()) == "the payload is empty"
    forged = Payload(metadata={"encoding": b"json/plain", UNREADABLE: b"# hi"}, data=b"{}")
    assert reason(forged) == "the payload could not be read"
    inner = sealed({"a": 1})
    nested = EncryptionCodec(KEYS).encrypt(inner)
    assert reason(nested) == "unknown payload encoding"


LENIENT_ONLY = {
    "nested 250 deep": b"[" * 250 + b"]" * 250,
    "UTF-16": '{"a": 1}'.encode("utf-16"),
    "a byte-order mark": b'\xef\xbb\xbf{"a": 1}',
    "a lone surrogate": b'"\\ud800"',
}
"""JSON the standard library reads and the worker's converter does not."""


def test_json_only_a_lenient_parser_reads_becomes_a_marker() -> None:
    """A single argument the SDK may decode itself (a typed query argument) never fails its
    decoding: what only the standard library reads is a marker."""
    for data in LENIENT_ONLY.values():
        json.loads(data)  # the lenient reading, for the record
        sent = Payload(metadata={"encoding": b"json/plain"}, data=data)
        assert reason(sent) == "the payload is not valid JSON"
        assert reason(EncryptionCodec(KEYS).encrypt(sent)) == "the payload is not valid JSON"
    deep = b"[" * 200 + b"]" * 200  # as deep as the converter reads: readable, as before
    assert reason(Payload(metadata={"encoding": b"json/plain"}, data=deep)) is None


SLOW_JSON = b"[" + b",".join([b"[" * 199 + b"]" * 199] * 500) + b"]"
"""Readable to every parser, and slow to parse: arrays 199 deep, 500 times (200 KB)."""


def test_several_arguments_are_never_parsed_and_are_refused_by_their_count() -> None:
    """No handler takes two arguments, so the SDK applies no type hint and would parse each
    inside the activation (seconds for a few such signals: a frozen case). The worker's codec
    does not parse them and its converter hands them over as sent; the case refuses them by
    their count. A continued run's two inputs are read by the case itself."""
    sent = [Payload(metadata={"encoding": b"json/plain"}, data=d) for d in (SLOW_JSON, b"[1,")]
    decoded = asyncio.run(CODEC.decode(sent))
    assert [unreadable_reason(p) for p in decoded] == [None, None]  # left as sent, unparsed
    values = ArgumentsAsSent().from_payloads(decoded)  # what the SDK does without type hints
    assert [type(v) for v in values] == [RawValue, RawValue]
    assert [v.payload for v in values] == decoded
    assert refused("add_note", *values).startswith("2 arguments arrived")
    carried = ArgumentsAsSent().from_payloads(CONVERTER.to_payloads([{"a": 1}, [2]]))
    assert [CONVERTER.from_payload(v.payload) for v in carried] == [{"a": 1}, [2]]
    typed = ArgumentsAsSent().from_payloads(CONVERTER.to_payloads(["x", 2]), [str, int])
    assert typed == ["x", 2]  # a typed call is decoded as ever
    [one] = ArgumentsAsSent().from_payloads(CONVERTER.to_payloads([{"a": 1}]))
    assert one == {"a": 1}


def test_a_large_unsealed_payload_is_not_parsed_where_keys_are_held() -> None:
    """Nothing of ours travels unsealed where keys are held, and the case refuses an unsealed
    decision from its metadata alone: a large one is left as sent, unparsed (broken JSON
    included, which proves it); a small one is still checked, and without keys every one."""
    big_broken = Payload(metadata={"encoding": b"json/plain"}, data=SLOW_JSON * 2 + b"]")
    assert len(big_broken.data) > UNSEALED_PARSED_BYTES
    assert reason(big_broken) is None
    small_broken = Payload(metadata={"encoding": b"json/plain"}, data=b"{no")
    assert reason(small_broken) == "the payload is not valid JSON"
    [plain] = asyncio.run(ReadableCodec(None).decode([big_broken]))
    assert unreadable_reason(plain) == "the payload is not valid JSON"
    sealed_big = EncryptionCodec(KEYS).encrypt(big_broken)  # a key holder's: checked as ever
    assert reason(sealed_big) == "the payload is not valid JSON"


@settings(max_examples=300, deadline=None)
@given(
    metadata=st.dictionaries(
        st.sampled_from(["encoding", KEY_ID, UNREADABLE, "x", ""]),
        st.one_of(
            st.sampled_from([ENCODING, b"json/plain", b"binary/null", b"k1", b"", b"\xff"]),
            st.binary(max_size=20),
        ),
        max_size=4,
    ),
    data=st.one_of(st.binary(max_size=200), st.just(sealed({"a": 1}).data)),
)
def test_decoding_never_raises_and_what_it_returns_converts(
    metadata: dict[str, bytes], data: bytes
) -> None:
    out = decode(Payload(metadata=metadata, data=data))
    CONVERTER.from_payload(out)  # a marker or a readable payload: never an error


def refused(name: str, *args: Any) -> str:
    verdict = read_decision(name, args, CONVERTER)
    assert isinstance(verdict, Refusal), verdict
    return verdict.reason


def test_argument_counts_are_refused_by_count() -> None:
    assert refused("withdraw").startswith("the payload is empty; send one JSON object")
    assert refused("withdraw", {"a": 1}, "b").startswith("2 arguments arrived; send one JSON")
    assert refused("withdraw", 1, 2, 3).startswith("3 arguments arrived")


def test_a_marker_is_refused_with_its_reason() -> None:
    payload = decode(Payload(metadata={"encoding": ENCODING, KEY_ID: b"nokey"}, data=b"abc"))
    assert refused("withdraw", RawValue(payload)).startswith(
        "the payload could not be decrypted; send one"
    )


def test_thousands_of_unknown_keys_make_a_short_reason_that_quotes_none() -> None:
    body: dict[str, Any] = {"actor": {"id": "intake.one", "role": "INTAKE"}, "reason": "r"}
    body |= {f"# heading ![img](http://x/{i}) [link](http://y)": i for i in range(5000)}
    [payload] = CONVERTER.to_payloads([body])
    reason = refused("withdraw", RawValue(payload))
    assert len(reason) <= 500
    assert "5000 unknown field(s); allowed: actor, case_id, decision_id, reason" in reason
    assert "http" not in reason and "#" not in reason


def test_a_start_takes_one_submission_and_only_a_continuation_carries_a_file() -> None:
    data = json.loads(json.dumps(submission()))
    carried = json.loads(local_review().model_dump_json())
    assert read_start((), CASE_ID, continued=False) == (
        "a case starts with one submission; 0 inputs arrived"
    )
    assert "3 inputs arrived" in str(read_start((data, carried, 1), CASE_ID, continued=True))
    assert read_start((data, carried), CASE_ID, continued=False) == (
        "a case file is carried only by the case's own continue-as-new"
    )
    assert read_start((data, carried), "ICR-000000000000", continued=True) == (
        "the carried case file belongs to another case"
    )
    started = read_start((data, carried), CASE_ID, continued=True)
    assert not isinstance(started, str) and started.carried is not None
    assert "not a case id" in str(read_start((data,), "x' OR 1=1", continued=False))
    marker = {"icr_unreadable": "the payload could not be decrypted"}
    assert read_start((marker,), CASE_ID, continued=False) == (
        "invalid submission: the payload could not be decrypted"
    )
    assert str(read_start(({"field_office": "GOTHAM"},), CASE_ID, continued=False)).startswith(
        "invalid submission: field_office"
    )
