"""Payload keys: AES-256 keys by id, the newest encrypting, every one still decrypting.

From ``ICR_PAYLOAD_KEYS`` (``id:base64key,id2:base64key``, the last one current) or a JSON key
file (``{"current": "id2", "keys": {"id1": "base64…", "id2": "base64…"}}``).
"""

import base64
import json
import secrets
from dataclasses import dataclass
from pathlib import Path


class KeySettingError(ValueError):
    """A key setting that cannot be used; the message names the problem, never a key."""


@dataclass(frozen=True)
class KeyRing:
    current: str
    keys: dict[str, bytes]

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise KeySettingError(f"current key id {self.current!r} is not among the keys")
        for key_id, key in self.keys.items():
            if len(key) != 32:
                raise KeySettingError(f"key {key_id!r} is {len(key)} bytes; AES-256 needs 32")

    @classmethod
    def parse(cls, spec: str) -> "KeyRing":
        keys: dict[str, bytes] = {}
        last = ""
        for item in filter(None, (part.strip() for part in spec.split(","))):
            key_id, sep, encoded = item.partition(":")
            if not sep or not key_id:
                raise KeySettingError("ICR_PAYLOAD_KEYS entries must look like id:base64key")
            keys[key_id] = _decode(key_id, encoded)
            last = key_id
        if not keys:
            raise KeySettingError("ICR_PAYLOAD_KEYS holds no key")
        return cls(current=last, keys=keys)

    @classmethod
    def load(cls, path: Path) -> "KeyRing":
        try:
            data = json.loads(path.read_text())
            return cls(
                current=data["current"],
                keys={k: _decode(k, v) for k, v in data["keys"].items()},
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise KeySettingError(f"key file {path}: {type(exc).__name__}") from None

    @staticmethod
    def generate(path: Path, key_id: str = "k1") -> "KeyRing":
        """A new key file (development): only the owner may read it."""
        key = secrets.token_bytes(32)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(
            json.dumps({"current": key_id, "keys": {key_id: base64.b64encode(key).decode()}})
        )
        return KeyRing(current=key_id, keys={key_id: key})


def _decode(key_id: str, encoded: str) -> bytes:
    try:
        return base64.b64decode(encoded, validate=True)
    except ValueError:
        raise KeySettingError(f"key {key_id!r} is not valid base64") from None
