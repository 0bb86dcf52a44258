"""AES-256-GCM payload encryption: nothing the server stores or shows is readable without a key.

Each payload is serialized whole (metadata included) and sealed with a fresh 96-bit nonce; the
key id travels in the outer metadata (and is bound as associated data), so old keys keep
decrypting after rotation. Payloads that arrive unencrypted (the UI's input without a codec
server) pass through and decode as they are, but only a decrypted payload carries the ``SEALED``
mark, so the worker can refuse a decision that was never sealed by a key holder.
"""

import os
from collections.abc import Callable, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from security.keys import KeyRing
from security.stamp import PREFIX

SEALED = PREFIX + "sealed"

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"


class UndecryptablePayload(ValueError):
    """Wrong or unknown key, or tampered data."""


class EncryptionCodec(PayloadCodec):
    """``sign``: stamps each payload before it is sealed (a service identity's own key)."""

    def __init__(self, keys: KeyRing, sign: Callable[[Payload], Payload] | None = None) -> None:
        self._keys = keys
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.keys.items()}
        self._sign = sign

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        sign = self._sign
        return [self.encrypt(sign(p) if sign else p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        key_id = self._keys.current
        nonce = os.urandom(12)
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), key_id.encode())
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID: key_id.encode()}, data=nonce + sealed
        )

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            if SEALED not in payload.metadata:
                return payload
            plain = Payload()
            plain.CopyFrom(payload)
            del plain.metadata[SEALED]  # a sender cannot claim what only decryption proves
            return plain
        key_id = payload.metadata.get(KEY_ID, b"").decode("utf-8", "replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise UndecryptablePayload(f"no key {key_id!r} to decrypt this payload")
        if len(payload.data) < 12 + 16:
            raise UndecryptablePayload("encrypted payload is shorter than its nonce and tag")
        inner = Payload()
        try:
            inner.ParseFromString(
                cipher.decrypt(payload.data[:12], payload.data[12:], key_id.encode())
            )
        except (InvalidTag, DecodeError):
            raise UndecryptablePayload(f"payload does not decrypt under key {key_id!r}") from None
        inner.metadata[SEALED] = key_id.encode()
        return inner
