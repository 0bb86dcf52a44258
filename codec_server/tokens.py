"""Who presents a token: static ``staff_id:token`` pairs (development, tests) or OIDC access
tokens from the identity provider (production).

A static token names exactly one person. An OIDC access token is a JWT whose signature is
checked against the provider's JWKS (cached; refreshed when a token names an unknown key, at
most once a minute, and after ``jwks_ttl``), with issuer, audience and expiry checked; the claim
that holds the staff id is configurable.
"""

import asyncio
import hmac
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp
import jwt
import structlog

from security.keys import KeySettingError

log = structlog.get_logger("icr.codec")
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]


class Authenticator(Protocol):
    async def staff_id(self, token: str) -> str | None: ...


class StaticTokens:
    """``ICR_CODEC_TOKENS``: comma-separated ``staff_id:token`` pairs."""

    def __init__(self, pairs: dict[str, str]) -> None:
        self._pairs = pairs

    @classmethod
    def parse(cls, spec: str) -> "StaticTokens":
        pairs: dict[str, str] = {}
        for item in filter(None, (part.strip() for part in spec.split(","))):
            staff_id, sep, token = item.partition(":")
            if not sep or not staff_id or len(token) < 16:
                raise KeySettingError(
                    "ICR_CODEC_TOKENS entries must look like staff_id:token (16+ characters)"
                )
            pairs[staff_id] = token
        return cls(pairs)

    @property
    def staff(self) -> dict[str, str]:
        return dict(self._pairs)

    async def staff_id(self, token: str) -> str | None:
        offered = token.encode("utf-8", "replace")
        found = None
        for staff_id, known in self._pairs.items():  # compare all: no timing hint
            if hmac.compare_digest(offered, known.encode()):
                found = staff_id
        return found


@dataclass
class OidcTokens:
    """Access tokens from the identity provider, verified locally against its JWKS."""

    issuer: str
    audience: str
    jwks_url: str
    claim: str = "preferred_username"
    jwks_ttl: float = 3600
    min_refetch_seconds: float = 60
    _keys: dict[str, Any] = field(default_factory=dict)
    _fetched: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def _refresh(self, force: bool) -> None:
        async with self._lock:
            age = time.monotonic() - self._fetched
            if (force and age < self.min_refetch_seconds) or (
                not force and age < self.jwks_ttl and self._keys
            ):
                return
            try:
                timeout = aiohttp.ClientTimeout(total=10)
                async with (
                    aiohttp.ClientSession(timeout=timeout) as session,
                    session.get(self.jwks_url) as response,
                ):
                    response.raise_for_status()
                    document = await response.json()
                keys = {}
                for jwk in document.get("keys", []):
                    try:
                        parsed = jwt.PyJWK(jwk)
                    except jwt.PyJWTError:
                        continue  # a key type we do not use
                    keys[parsed.key_id or ""] = parsed
                self._keys = keys
                self._fetched = time.monotonic()
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                log.warning("security.jwks_unavailable", error=type(exc).__name__)

    async def staff_id(self, token: str) -> str | None:
        try:
            kid = jwt.get_unverified_header(token).get("kid") or ""
        except jwt.PyJWTError:
            return None
        await self._refresh(force=False)
        if kid not in self._keys:
            await self._refresh(force=True)
        key = self._keys.get(kid)
        if key is None:
            return None
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud"]},
                leeway=30,
            )
        except jwt.PyJWTError as exc:
            log.info("security.token_refused", reason=type(exc).__name__)
            return None
        staff_id = claims.get(self.claim)
        return staff_id if isinstance(staff_id, str) and staff_id else None


class AnyOf:
    """The first authenticator that knows the token names the person."""

    def __init__(self, *sources: Authenticator) -> None:
        self._sources = sources

    async def staff_id(self, token: str) -> str | None:
        for source in self._sources:
            found = await source.staff_id(token)
            if found is not None:
                return found
        return None
