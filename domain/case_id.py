"""Case identifiers: ``ICR-`` + 12 characters, random or derived from the caller's request_id.

Neither form carries PII: a derived id is a hash of the caller's key, never of the subject.
"""

import hashlib
import hmac
import re
import secrets

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


def _encode(raw: bytes) -> str:
    number = int.from_bytes(raw, "big")
    chars = []
    for _ in range(12):
        number, index = divmod(number, 32)
        chars.append(_ALPHABET[index])
    return "".join(chars)


def new_case_id() -> str:
    return "ICR-" + _encode(secrets.token_bytes(8))


def case_id_for_request(request_id: str, secret: str) -> str:
    """The same request_id always maps to the same case; keyed (the subject-key secret), so
    nobody without the key can tell which id a request_id will take and start a run there
    first (F5)."""
    digest = hmac.new(secret.encode(), b"icr-request:" + request_id.encode(), hashlib.sha256)
    return "ICR-" + _encode(digest.digest()[:8])


CASE_ID = re.compile(r"ICR-[0-9A-Z]{12}")


def is_case_id(value: str) -> bool:
    """The form every case id has; a workflow started under any other id is not a case."""
    return CASE_ID.fullmatch(value) is not None
