"""Stamp keys: Ed25519 keys by id, the current one signing, every listed one still verifying.

The codec server holds the private keys (``ICR_STAMP_KEY_FILE``: ``{"current": "s2", "keys":
{"s1": "base64 private", "s2": "…"}}``); workers hold only the public keys
(``ICR_STAMP_PUBLIC_KEYS``: ``s1:base64,s2:base64``). A service identity (an integrating
system's starter, scheduled reminder rounds) signs with its own key (``ICR_SERVICE_KEY``:
``staff_id:key_id:base64 private``), its public key listed with it in the staff directory.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from temporalio.api.common.v1 import Payload

from security import stamp
from security.keys import KeySettingError


def public_b64(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def private_b64(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.private_bytes_raw()).decode()


@dataclass(frozen=True)
class StampKeys:
    """The codec server's signing keys: ``current`` signs, all verify."""

    current: str
    keys: dict[str, Ed25519PrivateKey]

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise KeySettingError(f"current stamp key id {self.current!r} is not among the keys")

    @classmethod
    def parse(cls, spec: str) -> "StampKeys":
        """``id:base64 private,…``, the last one signing (as ``ICR_PAYLOAD_KEYS``)."""
        keys: dict[str, Ed25519PrivateKey] = {}
        for item in filter(None, (part.strip() for part in spec.split(","))):
            key_id, sep, encoded = item.partition(":")
            try:
                if not sep or not key_id:
                    raise ValueError
                keys[key_id] = stamp.private_key_from_b64(encoded)
            except (ValueError, binascii.Error):
                raise KeySettingError(
                    "ICR_STAMP_KEYS entries must look like id:base64 Ed25519 private key"
                ) from None
        if not keys:
            raise KeySettingError("ICR_STAMP_KEYS holds no key")
        return cls(current=list(keys)[-1], keys=keys)

    @classmethod
    def load(cls, path: Path) -> "StampKeys":
        try:
            data = json.loads(path.read_text())
            keys = {k: stamp.private_key_from_b64(v) for k, v in data["keys"].items()}
            return cls(current=data["current"], keys=keys)
        except (OSError, ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise KeySettingError(f"stamp key file {path}: {type(exc).__name__}") from None

    @staticmethod
    def generate(path: Path, key_id: str = "s1") -> "StampKeys":
        """A new key file (development): only the owner may read it."""
        key = Ed25519PrivateKey.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps({"current": key_id, "keys": {key_id: private_b64(key)}}))
        return StampKeys(current=key_id, keys={key_id: key})

    def public_keys(self) -> dict[str, str]:
        return {key_id: public_b64(key) for key_id, key in self.keys.items()}

    def public_spec(self) -> str:
        """The workers' ``ICR_STAMP_PUBLIC_KEYS`` for these keys."""
        return ",".join(f"{k}:{v}" for k, v in self.public_keys().items())

    def sign(self, payload: Payload, signer: str) -> Payload:
        return stamp.sign(payload, signer, self.current, self.keys[self.current])


def parse_public_keys(spec: str) -> dict[str, str]:
    """``id:base64,id2:base64`` checked to be Ed25519 public keys."""
    keys: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        key_id, sep, encoded = item.partition(":")
        try:
            if not sep or not key_id:
                raise ValueError
            stamp.public_key_from_b64(encoded)
        except (ValueError, binascii.Error):
            raise KeySettingError(
                "ICR_STAMP_PUBLIC_KEYS entries must look like id:base64 Ed25519 public key"
            ) from None
        keys[key_id] = encoded
    return keys


@dataclass(frozen=True)
class ServiceKey:
    """A service identity's own signing key."""

    staff_id: str
    key_id: str
    key: Ed25519PrivateKey

    @classmethod
    def parse(cls, spec: str) -> "ServiceKey":
        try:
            staff_id, key_id, encoded = spec.strip().split(":", 2)
            return cls(staff_id, key_id, stamp.private_key_from_b64(encoded))
        except (ValueError, binascii.Error):
            raise KeySettingError(
                "ICR_SERVICE_KEY must look like staff_id:key_id:base64 Ed25519 private key"
            ) from None

    def spec(self) -> str:
        return f"{self.staff_id}:{self.key_id}:{private_b64(self.key)}"

    def public(self) -> dict[str, str]:
        return {self.key_id: public_b64(self.key)}

    def sign(self, payload: Payload) -> Payload:
        return stamp.sign(payload, self.staff_id, self.key_id, self.key)
