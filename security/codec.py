"""AES-256-GCM payload encryption: nothing the server stores or shows is readable without a key.

Each payload is serialized whole (metadata included) and sealed with a fresh 96-bit nonce; the
key id travels in the outer metadata (and is bound as associated data), so old keys keep
decrypting after rotation. Payloads that arrive unencrypted (the UI's input without a codec
server) pass through and decode as they are, but only a decrypted payload carries the ``SEALED``
mark, so the worker can refuse a decision that was never sealed by a key holder.

Bound to its case: given a serialization context whose workflow id is a case id, the codec
names the case in the outer metadata (``CASE_ID``) and binds it as associated data, so the
codec server can tell whose payload it is without trusting the UI, and a payload copied into
another case's history no longer decrypts there. Payloads sealed before (no ``CASE_ID``) keep
decrypting as they were. A decrypted bound payload carries the ``BOUND_TO`` mark (its case), so
a new case can refuse a start sealed for no case or another; like ``SEALED``, a sender's own
mark is stripped.
"""

import copy
import os
from collections.abc import Callable, Sequence
from typing import Self

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    ActivitySerializationContext,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)

from domain.case_id import is_case_id
from security.keys import KeyRing
from security.stamp import PREFIX

SEALED = PREFIX + "sealed"
BOUND_TO = PREFIX + "bound-case"
"""Set by decryption only: the case the payload was authenticated as bound to."""
_MARKS = (SEALED, BOUND_TO)

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
CASE_ID = "encryption-case-id"
"""The case a payload is bound to (associated data, version ``case-v1``); absent on payloads
sealed before binding."""
_BOUND = b"icr-case-v1\n"
CASE_HEADER = "X-Case-Id"
"""The codec server's ``/encode`` header naming the case (workflow id) a client encodes for."""


def bound_case(payload: Payload) -> str | None:
    """The case an encrypted payload is bound to (authenticated when it decrypts), or None."""
    raw = payload.metadata.get(CASE_ID)
    if raw is None:
        return None
    case_id = raw.decode("ascii", "replace")
    return case_id if is_case_id(case_id) else None


def case_of(context: SerializationContext) -> str | None:
    """The case id of a workflow or activity context (None for other workflows)."""
    if isinstance(context, WorkflowSerializationContext | ActivitySerializationContext):
        workflow_id = context.workflow_id
        return workflow_id if workflow_id and is_case_id(workflow_id) else None
    return None


def _associated(key_id: str, case_id: str | None) -> bytes:
    if case_id is None:
        return key_id.encode()
    return _BOUND + key_id.encode() + b"\n" + case_id.encode()


class UndecryptablePayload(ValueError):
    """Wrong or unknown key, or tampered data."""


class EncryptionCodec(PayloadCodec, WithSerializationContext):
    """``sign``: stamps each payload before it is sealed (a service identity's own key);
    ``case_id``: the case this codec seals for and expects (set from the context)."""

    def __init__(
        self,
        keys: KeyRing,
        sign: Callable[[Payload], Payload] | None = None,
        case_id: str | None = None,
    ) -> None:
        self._keys = keys
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.keys.items()}
        self._sign = sign
        self._case_id = case_id

    def with_context(self, context: SerializationContext) -> Self:
        """The same keys and ciphers, bound to the context's case: the SDK asks for one per
        payload it converts, so nothing is rebuilt here."""
        bound = copy.copy(self)
        bound._case_id = case_of(context)
        return bound

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        sign = self._sign
        return [self.encrypt(sign(p) if sign else p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload, case_id: str | None = None) -> Payload:
        """Sealed, and bound to ``case_id`` (or this codec's case) when there is one."""
        key_id = self._keys.current
        case_id = case_id or self._case_id
        nonce = os.urandom(12)
        data = payload.SerializeToString()
        sealed = self._ciphers[key_id].encrypt(nonce, data, _associated(key_id, case_id))
        metadata = {"encoding": ENCODING, KEY_ID: key_id.encode()}
        if case_id is not None:
            metadata[CASE_ID] = case_id.encode()
        return Payload(metadata=metadata, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            if not any(mark in payload.metadata for mark in _MARKS):
                return payload
            plain = Payload()
            plain.CopyFrom(payload)
            _strip_marks(plain)  # a sender cannot claim what only decryption proves
            return plain
        key_id = payload.metadata.get(KEY_ID, b"").decode("utf-8", "replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise UndecryptablePayload(f"no key {key_id!r} to decrypt this payload")
        if len(payload.data) < 12 + 16:
            raise UndecryptablePayload("encrypted payload is shorter than its nonce and tag")
        case_id = bound_case(payload)
        if CASE_ID in payload.metadata and case_id is None:
            raise UndecryptablePayload("the payload names no valid case")
        if self._case_id is not None and case_id is not None and case_id != self._case_id:
            raise UndecryptablePayload("the payload is bound to another case")
        inner = Payload()
        try:
            associated = _associated(key_id, case_id)
            inner.ParseFromString(cipher.decrypt(payload.data[:12], payload.data[12:], associated))
        except (InvalidTag, DecodeError):
            raise UndecryptablePayload(f"payload does not decrypt under key {key_id!r}") from None
        _strip_marks(inner)  # a key holder's inner metadata claims nothing either
        inner.metadata[SEALED] = key_id.encode()
        if case_id is not None:
            inner.metadata[BOUND_TO] = case_id.encode()
        return inner


def _strip_marks(payload: Payload) -> None:
    for mark in _MARKS:
        if mark in payload.metadata:
            del payload.metadata[mark]
