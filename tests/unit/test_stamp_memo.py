"""The stamp check remembers what it verified (a validator and the update's turn check the same
stamp): the memory answers only for the same key, signature and message."""

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.api.common.v1 import Payload

from security import stamp


def _key() -> tuple[Ed25519PrivateKey, str]:
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return key, base64.b64encode(raw).decode()


def _signed(key: Ed25519PrivateKey, data: bytes = b'{"x": 1}') -> Payload:
    payload = Payload(metadata={"encoding": b"json/plain"}, data=data)
    return stamp.sign(payload, "sro.reviewer1", "k1", key)


def test_a_stamp_checked_twice_is_verified_once() -> None:
    key, encoded = _key()
    payload = _signed(key)
    before = stamp._holds.cache_info()
    first = stamp.verify(payload, encoded)
    second = stamp.verify(payload, encoded)
    after = stamp._holds.cache_info()
    assert first == second and first.signer == "sro.reviewer1"
    assert after.misses - before.misses == 1 and after.hits - before.hits == 1


def test_the_memory_never_vouches_for_other_content_or_another_key() -> None:
    key, encoded = _key()
    payload = _signed(key)
    stamp.verify(payload, encoded)  # remembered as good
    tampered = Payload()
    tampered.CopyFrom(payload)
    tampered.data = b'{"x": 2}'
    with pytest.raises(stamp.StampError, match="does not match"):
        stamp.verify(tampered, encoded)
    _, other = _key()
    with pytest.raises(stamp.StampError, match="does not match"):
        stamp.verify(payload, other)
    with pytest.raises(ValueError):
        stamp.verify(payload, "not base64!")
