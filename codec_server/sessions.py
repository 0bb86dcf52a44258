"""The codec server's sign-in session: a signed cookie naming the person, never the token.

Stateless (an HMAC over staff id and expiry), so any codec server replica sharing
``ICR_CODEC_SESSION_SECRET`` accepts it; without that setting each process draws its own secret
and a restart signs everyone out.
"""

import base64
import hashlib
import hmac
import secrets
import time

COOKIE = "icr_codec_session"
LIFETIME_SECONDS = 8 * 3600


class Sessions:
    def __init__(self, secret: str | None = None) -> None:
        self._secret = (secret or secrets.token_urlsafe(32)).encode()

    def _mac(self, body: bytes) -> str:
        digest = hmac.new(self._secret, body, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def issue(self, staff_id: str, now: float | None = None) -> str:
        expires = int((now or time.time()) + LIFETIME_SECONDS)
        body = f"{staff_id}|{expires}".encode()
        return base64.urlsafe_b64encode(body).decode().rstrip("=") + "." + self._mac(body)

    def staff_id(self, cookie: str, now: float | None = None) -> str | None:
        encoded, _, mac = cookie.partition(".")
        try:
            body = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except ValueError:
            return None
        if not hmac.compare_digest(mac.encode("ascii", "replace"), self._mac(body).encode()):
            return None
        staff_id, _, expires = body.decode("utf-8", "replace").rpartition("|")
        if not expires.isdigit() or int(expires) < (now or time.time()):
            return None
        return staff_id or None
