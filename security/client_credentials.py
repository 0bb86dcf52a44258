"""A service's own access token for the Temporal frontend: the OAuth 2.0 client credentials
grant (RFC 6749 §4.4) against the identity provider's token endpoint.

The frontend checks every call's JWT (its default authorizer), so a worker, the codec server,
the mail gateway or an integrating system's starter fetches a token with its client id and
secret, sends it as ``authorization: Bearer …`` with every call, and fetches the next one before
the current one expires: at three quarters of its lifetime, never later than a minute before
its end, and at half of a lifetime too short for both. A refused request is one line naming
the endpoint, the client and the provider's own error, never a traceback and never the secret.
"""

import asyncio
import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import aiohttp
import structlog

log = structlog.get_logger("icr.tokens")
LATEST_BEFORE_EXPIRY_SECONDS = 60.0
SHARE_OF_LIFETIME = 0.75
RETRY_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0)
MAX_RESPONSE_BYTES = 64 * 1024


class TokenRefused(Exception):
    """The identity provider did not give this service a token: the line says why."""


@dataclass(frozen=True)
class AccessToken:
    value: str
    lifetime: float
    fetched_at: float  # time.monotonic()

    @property
    def refresh_at(self) -> float:
        """When to fetch the next one: well before this one expires."""
        ahead = min(self.lifetime * SHARE_OF_LIFETIME, self.lifetime - LATEST_BEFORE_EXPIRY_SECONDS)
        return self.fetched_at + max(ahead, self.lifetime / 2)

    @property
    def expires_at(self) -> float:
        return self.fetched_at + self.lifetime


class ClientCredentials:
    """One service's client at the provider; ``token()`` gives a current access token."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        scope: str | None = None,
        resource: str | None = None,
        timeout_seconds: float = 10.0,
    ) -> None:
        if not token_url.startswith(("https://", "http://")):
            raise TokenRefused(f"ICR_TEMPORAL_TOKEN_URL must be an http(s) URL, not {token_url!r}")
        if not client_id or not client_secret:
            raise TokenRefused(
                "ICR_TEMPORAL_TOKEN_URL needs ICR_TEMPORAL_CLIENT_ID and ICR_TEMPORAL_CLIENT_SECRET"
            )
        self.token_url = token_url
        self.client_id = client_id
        self._secret = client_secret
        self._scope = scope
        self._resource = resource
        self._timeout = timeout_seconds
        self._current: AccessToken | None = None
        self._lock = asyncio.Lock()

    def _refused(self, why: str) -> TokenRefused:
        return TokenRefused(
            f"the identity provider at {self.token_url} gave client {self.client_id!r} "
            f"no token: {why}"
        )

    async def fetch(self) -> AccessToken:
        """A new token from the provider, whatever is cached."""
        form = {"grant_type": "client_credentials"}
        if self._scope:
            form["scope"] = self._scope
        if self._resource:
            form["resource"] = self._resource
        # RFC 6749 §2.3.1: id and secret form-encoded, then HTTP Basic.
        pair = f"{quote(self.client_id, safe='')}:{quote(self._secret, safe='')}"
        auth = {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout)) as http,
                http.post(self.token_url, data=form, headers=auth) as response,
            ):
                body = b""  # the whole answer, read chunk by chunk, never more than the cap
                while chunk := await response.content.read(MAX_RESPONSE_BYTES + 1 - len(body)):
                    body += chunk
                    if len(body) > MAX_RESPONSE_BYTES:
                        raise self._refused(f"an answer over {MAX_RESPONSE_BYTES} bytes")
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise self._refused(f"cannot reach it ({type(exc).__name__})") from None
        return self._parse(status, body)

    def _parse(self, status: int, body: bytes) -> AccessToken:
        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise self._refused(f"HTTP {status}, not a JSON object")
        if status != 200:
            error = str(answer.get("error", "unknown_error"))[:80]
            detail = str(answer.get("error_description", ""))[:160]
            bad_client = error in ("invalid_client", "unauthorized_client")
            hint = " (check the client id and secret)" if bad_client else ""
            line = f"HTTP {status} {error}" + (f": {detail}" if detail else "") + hint
            raise self._refused(line)
        value, lifetime = answer.get("access_token"), answer.get("expires_in")
        if not isinstance(value, str) or not value or not value.isascii() or " " in value:
            raise self._refused("the answer holds no usable access_token")
        if not isinstance(lifetime, int | float) or isinstance(lifetime, bool) or lifetime <= 0:
            raise self._refused("the answer says nothing of when the token expires (expires_in)")
        return AccessToken(value, float(lifetime), time.monotonic())

    async def token(self) -> AccessToken:
        """The cached token, or a new one once the cached one is due for refresh."""
        async with self._lock:
            if self._current is None or time.monotonic() >= self._current.refresh_at:
                self._current = await self.fetch()
            return self._current


def bearer(token: AccessToken) -> str:
    return f"Bearer {token.value}"


class Refresher:
    """Keeps a connection's ``authorization`` header current: ``apply`` puts each new token on
    it and answers False once the connection is gone, which ends the loop. A failed refresh is
    retried while the old token lasts."""

    def __init__(
        self, credentials: ClientCredentials, apply: Callable[[AccessToken], bool]
    ) -> None:
        self._credentials = credentials
        self._apply = apply
        self.refreshed = 0

    async def run(self, current: AccessToken) -> None:
        attempt = 0
        while True:
            await asyncio.sleep(max(0.0, current.refresh_at - time.monotonic()))
            try:
                current = await self._credentials.token()
            except TokenRefused as exc:
                wait = RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)]
                attempt += 1
                left = current.expires_at - time.monotonic()
                log.warning("temporal.token_refresh_failed", error=str(exc), seconds_left=left)
                await asyncio.sleep(wait)
                continue
            attempt = 0
            if not self._apply(current):
                return  # the connection is gone
            self.refreshed += 1
            log.info("temporal.token_refreshed", client_id=self._credentials.client_id)
