"""Bytes at rest sealed under the payload keys (AES-256-GCM), as Temporal payloads are.

A sealed blob is ``key id length | key id | nonce | ciphertext``; the key id and the caller's
label are bound as associated data, so a blob cannot be swapped for another one's.
"""

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from security.keys import KeyRing


class UnsealableBlob(ValueError):
    """Wrong or unknown key, a blob moved under another label, or tampered bytes."""


class Sealer:
    def __init__(self, keys: KeyRing) -> None:
        self._current = keys.current
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.keys.items()}

    def seal(self, plain: bytes, label: str) -> bytes:
        key_id = self._current.encode()
        nonce = os.urandom(12)
        sealed = self._ciphers[self._current].encrypt(nonce, plain, key_id + b"|" + label.encode())
        return bytes([len(key_id)]) + key_id + nonce + sealed

    def open(self, blob: bytes, label: str) -> bytes:
        if not blob:
            raise UnsealableBlob("empty blob")
        size = blob[0]
        key_id = blob[1 : 1 + size]
        cipher = self._ciphers.get(key_id.decode(errors="replace"))
        if cipher is None:
            raise UnsealableBlob("no key to open this blob")
        body = blob[1 + size :]
        try:
            return cipher.decrypt(body[:12], body[12:], key_id + b"|" + label.encode())
        except InvalidTag:
            raise UnsealableBlob("blob does not open under its key and label") from None
