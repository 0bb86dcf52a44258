"""The signer's stamp on a payload: who sent it, when, with a nonce, signed with Ed25519.

The codec server stamps what a signed-in person sends (and a service identity stamps its own);
the worker checks the stamp before a case judges the decision. The stamp lives in the inner
payload's metadata, so it travels encrypted with the payload it signs. The signature covers
the payload's own metadata and data, the signer, the time, the nonce and the key id.

Pure: ``cryptography`` and the standard library, deterministic to verify (the workflow may).
"""

import base64
import binascii
import functools
import hashlib
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from temporalio.api.common.v1 import Payload

PREFIX = "icr-stamp-"
SIGNER = PREFIX + "signer"
SIGNED_AT = PREFIX + "at"
NONCE = PREFIX + "nonce"
KEY_ID = PREFIX + "key"
SIGNATURE = PREFIX + "signature"
_VERSION = b"icr-stamp-v1"
_ID = re.compile(r"[A-Za-z0-9._@:-]{1,128}")
_NONCE = re.compile(r"[0-9a-f]{32}")
_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"
_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


class StampError(ValueError):
    """Why a stamp cannot be trusted; the text names the rule, never a key or a person."""


@dataclass(frozen=True)
class Stamp:
    signer: str
    signed_at: datetime
    nonce: str
    key_id: str


def _digest(payload: Payload) -> bytes:
    """The payload as signed: its own metadata (stamp keys excluded) and its data."""
    h = hashlib.sha256()
    for key in sorted(k for k in payload.metadata if not k.startswith(PREFIX)):
        for part in (key.encode(), payload.metadata[key]):
            h.update(len(part).to_bytes(8, "big") + part)
    h.update(len(payload.data).to_bytes(8, "big") + payload.data)
    return h.digest()


def _message(payload: Payload, stamp: Stamp, at: str) -> bytes:
    fields = (_VERSION, stamp.key_id.encode(), stamp.signer.encode(), at.encode())
    return b"\n".join((*fields, stamp.nonce.encode(), _digest(payload)))


def _at(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_TIME)


def unstamped(payload: Payload) -> Payload:
    """The payload without any stamp keys (what a signer signs)."""
    clean = Payload()
    clean.CopyFrom(payload)
    for key in [k for k in clean.metadata if k.startswith(PREFIX)]:
        del clean.metadata[key]
    return clean


def sign(
    payload: Payload,
    signer: str,
    key_id: str,
    key: Ed25519PrivateKey,
    now: datetime | None = None,
    nonce: str | None = None,
) -> Payload:
    """A copy of ``payload`` stamped by ``signer``; any stamp it carried is replaced."""
    if not _ID.fullmatch(signer) or not _ID.fullmatch(key_id):
        raise StampError("signer and key id must be 1-128 of A-Z a-z 0-9 . _ @ : -")
    stamped = unstamped(payload)
    moment = now or datetime.now(UTC)
    at = _at(moment)
    stamp = Stamp(signer, moment, nonce or os.urandom(16).hex(), key_id)
    signature = key.sign(_message(stamped, stamp, at))
    stamped.metadata[SIGNER] = signer.encode()
    stamped.metadata[SIGNED_AT] = at.encode()
    stamped.metadata[NONCE] = stamp.nonce.encode()
    stamped.metadata[KEY_ID] = key_id.encode()
    stamped.metadata[SIGNATURE] = base64.b64encode(signature)
    return stamped


def read(payload: Payload) -> tuple[Stamp, bytes]:
    """The stamp a payload claims and its signature, unchecked; StampError when absent or
    malformed."""
    meta = payload.metadata
    if SIGNATURE not in meta:
        raise StampError("the decision is not signed: send it through the codec server")
    try:
        signer = meta[SIGNER].decode("ascii")
        at = meta[SIGNED_AT].decode("ascii")
        nonce = meta[NONCE].decode("ascii")
        key_id = meta[KEY_ID].decode("ascii")
        signature = base64.b64decode(meta[SIGNATURE], validate=True)
        if not _AT.fullmatch(at):  # the one shape _TIME writes; parsed 50x faster than strptime
            raise ValueError(at)
        signed_at = datetime.fromisoformat(at)
    except (KeyError, UnicodeDecodeError, ValueError, binascii.Error):
        raise StampError("the decision's signature is malformed") from None
    if not (_ID.fullmatch(signer) and _ID.fullmatch(key_id) and _NONCE.fullmatch(nonce)):
        raise StampError("the decision's signature is malformed")
    return Stamp(signer, signed_at, nonce, key_id), signature


def verify(payload: Payload, encoded_key: str) -> Stamp:
    """The stamp, once its signature checks out under the base64 public key (the digest skips
    the stamp's own keys, so the payload is checked as it is, never copied). What it checked is
    remembered: an update's stamp is checked by its validator and again in its turn, and
    Ed25519 is most of either."""
    stamp, signature = read(payload)
    if not _holds(encoded_key, signature, _message(payload, stamp, _at(stamp.signed_at))):
        raise StampError("the decision's signature does not match its content")
    return stamp


@functools.lru_cache(maxsize=512)
def _holds(encoded_key: str, signature: bytes, message: bytes) -> bool:
    """Pure (the same key, signature and message always give the same answer), so the
    answer may be kept; ValueError for a key that is not one."""
    try:
        public_key_from_b64(encoded_key).verify(signature, message)
    except InvalidSignature:
        return False
    return True


@functools.lru_cache(maxsize=256)
def public_key_from_b64(encoded: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(encoded, validate=True))


def private_key_from_b64(encoded: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(encoded, validate=True))
