"""The codec server knows the person: tokens and OIDC, a POSTed sign-in, stamps on everything it
encodes, each decode logged, and a clear 400 (never a 500) for whatever a browser sends."""

import base64
import json
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
import pytest_asyncio
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from structlog.testing import capture_logs
from temporalio.api.common.v1 import Payload

from codec_server.app import make_app
from codec_server.tokens import AnyOf, OidcTokens, StaticTokens
from domain.case_id import new_case_id
from security import stamp
from security.codec import BOUND_TO, CASE_HEADER, SEALED, EncryptionCodec, bound_case
from security.directory import FileStaffDirectory
from security.keys import KeyRing
from security.signing import StampKeys
from tests.support import free_port

UI = "http://localhost:8233"
RING = KeyRing(current="k1", keys={"k1": secrets.token_bytes(32)})
TOKENS = {"sro.one": "sro-token-0123456789", "fo.1": "fo-token-0123456789ab"}
ISSUER, AUDIENCE = "https://idp.example/realms/icr", "icr-codec"


def as_json(payload: Payload) -> dict[str, Any]:
    return {
        "metadata": {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
        "data": base64.b64encode(payload.data).decode(),
    }


def from_json(body: dict[str, Any]) -> Payload:
    meta = {k: base64.b64decode(v) for k, v in body.get("metadata", {}).items()}
    return Payload(metadata=meta, data=base64.b64decode(body.get("data", "")))


PLAIN = Payload(metadata={"encoding": b"json/plain"}, data=b'{"name": "Maria"}')


class Idp:
    """An identity provider on loopback: its JWKS, and tokens minted with its keys."""

    def __init__(self) -> None:
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.published = ["rsa-1"]
        self.fetches = 0

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key, alg in (("rsa-1", self.rsa, "RS256"), ("ec-1", self.ec, "ES256")):
            if kid in self.published:
                jwk = json.loads(
                    jwt.algorithms.get_default_algorithms()[alg].to_jwk(key.public_key())
                )
                keys.append({**jwk, "kid": kid, "alg": alg, "use": "sig"})
        return {"keys": keys}

    def token(self, kid: str = "rsa-1", **claims: Any) -> str:
        key, alg = (self.rsa, "RS256") if kid == "rsa-1" else (self.ec, "ES256")
        body = {"iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 300}
        body.update({"preferred_username": "sro.one", **claims})
        return jwt.encode(body, key, algorithm=alg, headers={"kid": kid})


@pytest_asyncio.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[str, StampKeys, Idp]]:
    idp = Idp()

    async def jwks(_: web.Request) -> web.Response:
        idp.fetches += 1
        return web.json_response(idp.jwks())

    idp_app = web.Application()
    idp_app.router.add_get("/jwks", jwks)
    idp_runner = web.AppRunner(idp_app)
    await idp_runner.setup()
    idp_port = free_port()
    await web.TCPSite(idp_runner, "127.0.0.1", idp_port).start()

    directory = tmp_path / "staff.json"
    staff = [{"id": "sro.one", "roles": ["SRO"]}, {"id": "fo.1", "roles": ["FIELD_OFFICE"]}]
    directory.write_text(json.dumps({"staff": staff}))
    keys = StampKeys.generate(tmp_path / "stamp.json")
    oidc = OidcTokens(ISSUER, AUDIENCE, f"http://127.0.0.1:{idp_port}/jwks", min_refetch_seconds=0)
    authenticator = AnyOf(StaticTokens.parse(",".join(f"{k}:{v}" for k, v in TOKENS.items())), oidc)
    app = make_app(RING, authenticator, UI, keys, FileStaffDirectory(directory))
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}", keys, idp
    await runner.cleanup()
    await idp_runner.cleanup()


async def post(url: str, body: Any, **headers: str) -> tuple[int, Any]:
    data = body if isinstance(body, str) else json.dumps(body)
    headers.setdefault("Content-Type", "application/json")
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=data, headers=headers) as r,
    ):
        return r.status, await r.json(content_type=None)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_encode_stamps_the_person_and_decode_reads_back(
    server: tuple[str, StampKeys, Idp],
) -> None:
    base, keys, _ = server
    assert await post(f"{base}/encode", {}, **bearer(TOKENS["fo.1"])) == (200, {})  # no payloads
    status, encoded = await post(
        f"{base}/encode", {"payloads": [as_json(PLAIN)]}, **bearer(TOKENS["fo.1"])
    )
    assert status == 200
    sealed = from_json(encoded["payloads"][0])
    assert b"Maria" not in sealed.data and b"fo.1" not in sealed.data
    inner = (await EncryptionCodec(RING).decode([sealed]))[0]
    assert inner.metadata[SEALED] == b"k1"
    checked = stamp.verify(inner, keys.public_keys()[keys.current])
    assert checked.signer == "fo.1" and abs(time.time() - checked.signed_at.timestamp()) < 60
    assert stamp.unstamped(inner) == PLAIN

    with capture_logs() as logged:
        status, decoded = await post(f"{base}/decode", encoded, **bearer(TOKENS["sro.one"]))
    assert status == 200 and from_json(decoded["payloads"][0]).data == PLAIN.data
    record = next(e for e in logged if e["event"] == "codec.decoded")
    assert record["staff_id"] == "sro.one" and record["payloads"] == 1
    assert "Maria" not in json.dumps(logged, default=str)


async def test_a_stamp_the_sender_brings_is_replaced(server: tuple[str, StampKeys, Idp]) -> None:
    """A browser cannot pre-stamp a payload as someone else: the server stamps it anew."""
    base, _, _ = server
    forged = Payload(metadata={**PLAIN.metadata, stamp.SIGNER: b"sro.one"}, data=PLAIN.data)
    forged.metadata[SEALED] = b"k1"
    _, encoded = await post(
        f"{base}/encode", {"payloads": [as_json(forged)]}, **bearer(TOKENS["fo.1"])
    )
    inner = (await EncryptionCodec(RING).decode([from_json(encoded["payloads"][0])]))[0]
    assert stamp.read(inner)[0].signer == "fo.1"


async def test_encode_binds_to_the_case_the_header_names(
    server: tuple[str, StampKeys, Idp],
) -> None:
    """A start names no case in its body: the starter's workflow id binds it; a body's own
    case_id must agree; anything but a case id is refused in words."""
    base, _, _ = server
    case, other = new_case_id(), new_case_id()
    start = {"payloads": [as_json(PLAIN)]}
    status, encoded = await post(
        f"{base}/encode", start, **bearer(TOKENS["fo.1"]), **{CASE_HEADER: case}
    )
    assert status == 200
    sealed = from_json(encoded["payloads"][0])
    assert bound_case(sealed) == case
    assert (await EncryptionCodec(RING).decode([sealed]))[0].metadata[BOUND_TO] == case.encode()
    _, unbound = await post(f"{base}/encode", start, **bearer(TOKENS["fo.1"]))
    assert bound_case(from_json(unbound["payloads"][0])) is None, "no header, no named case"
    named = Payload(metadata=PLAIN.metadata, data=json.dumps({"case_id": case}).encode())
    body = {"payloads": [as_json(named)]}
    status, agreed = await post(
        f"{base}/encode", body, **bearer(TOKENS["fo.1"]), **{CASE_HEADER: case}
    )
    assert status == 200 and bound_case(from_json(agreed["payloads"][0])) == case
    for header, problem in ((other, "disagrees"), ("../etc", "must be a case id")):
        status, answer = await post(
            f"{base}/encode", body, **bearer(TOKENS["fo.1"]), **{CASE_HEADER: header}
        )
        assert status == 400 and problem in answer["error"], answer


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        (bearer("not-a-token-at-all"), 401),
        ({"Authorization": "Bearer t\u00f6ken-\u00e9\u00e8"}, 401),  # non-ASCII: no 500
        ({"Authorization": "Basic c3JvLm9uZQ=="}, 401),
        ({**bearer(TOKENS["sro.one"]), "Origin": "http://evil.example"}, 403),
    ],
)
async def test_who_may_use_it(
    server: tuple[str, StampKeys, Idp], headers: dict[str, str], status: int
) -> None:
    base, _, _ = server
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{base}/encode", json={"payloads": [as_json(PLAIN)]}, headers=headers) as r,
    ):
        assert r.status == status
        assert "error" in await r.json()


@pytest.mark.parametrize(
    ("path", "body", "problem"),
    [
        ("/decode", "[" * 100_000 + "]" * 100_000, "nests deeper"),
        ("/decode", {"payloads": [{"metadata": {"a": {"b": [[[[[[[[]]]]]]]]}}}] * 2}, "payloads"),
        ("/encode", '{"payloads": [', "must be JSON"),
        ("/encode", {"payloads": "x"}, "payloads"),
        ("/encode", {"payloads": [{"data": "@@not base64@@"}]}, "payloads"),
        (
            "/decode",
            {
                "payloads": [
                    {
                        "metadata": {
                            "encoding": "YmluYXJ5L2VuY3J5cHRlZA==",
                            "encryption-key-id": "azE=",
                        },
                        "data": "eHh4",
                    }
                ]
            },
            "shorter than its nonce",
        ),
        (
            "/decode",
            {
                "payloads": [
                    {
                        "metadata": {
                            "encoding": "YmluYXJ5L2VuY3J5cHRlZA==",
                            "encryption-key-id": "bm9rZXk=",
                        },
                        "data": "eHh4",
                    }
                ]
            },
            "no key",
        ),
        (
            "/decode",
            {
                "payloads": [
                    {
                        "metadata": {
                            "encoding": "YmluYXJ5L2VuY3J5cHRlZA==",
                            "encryption-key-id": "azE=",
                        },
                        "data": base64.b64encode(b"x" * 64).decode(),
                    }
                ]
            },
            "does not decrypt",
        ),
    ],
)
async def test_bad_bodies_get_a_400_naming_the_problem(
    server: tuple[str, StampKeys, Idp], path: str, body: Any, problem: str
) -> None:
    base, _, _ = server
    status, answer = await post(base + path, body, **bearer(TOKENS["sro.one"]))
    assert status == 400, answer
    assert problem in answer["error"]
    assert "Traceback" not in answer["error"]


async def test_sign_in_posts_and_sets_a_cookie_never_the_token(
    server: tuple[str, StampKeys, Idp],
) -> None:
    base, _, _ = server
    jar = aiohttp.CookieJar(unsafe=True)  # keep cookies for an IP host, as browsers do
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        async with session.get(f"{base}/login?token={TOKENS['sro.one']}") as r:
            assert r.status == 410 and "sign in at /sign-in" in (await r.json())["error"]
        async with session.get(f"{base}/sign-in") as r:
            page = await r.text()
            assert r.status == 200 and 'method="post"' in page and TOKENS["sro.one"] not in page
        evil = {"Origin": "http://evil.example"}  # another site cannot sign anyone in
        async with session.post(
            f"{base}/sign-in", data={"token": TOKENS["fo.1"]}, headers=evil
        ) as r:
            assert r.status == 403 and "Set-Cookie" not in r.headers
        async with session.post(f"{base}/sign-in", data={"token": "wrong-token-wrong-token"}) as r:
            assert r.status == 401 and "Set-Cookie" not in r.headers
        own = {"Origin": base}  # the sign-in page posts from the codec server's own origin
        async with session.post(
            f"{base}/sign-in", data={"token": TOKENS["sro.one"]}, allow_redirects=False, headers=own
        ) as r:
            assert r.status == 303 and r.headers["Location"] == UI
            cookie = r.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
        assert TOKENS["sro.one"] not in cookie and "Domain" not in cookie
        async with session.post(f"{base}/encode", json={"payloads": [as_json(PLAIN)]}) as r:
            assert r.status == 200  # the cookie rides along and names sro.one
            encoded = await r.json()
        inner = (await EncryptionCodec(RING).decode([from_json(encoded["payloads"][0])]))[0]
        assert stamp.read(inner)[0].signer == "sro.one"
        async with session.post(f"{base}/sign-out") as r:
            assert r.status == 200
        async with session.post(f"{base}/encode", json={"payloads": [as_json(PLAIN)]}) as r:
            assert r.status == 401
    # A cookie someone made up is not a session.
    forged = {"Cookie": "icr_codec_session=c3JvLm9uZXw5OTk5OTk5OTk5.AAAA"}
    assert (await post(f"{base}/encode", {"payloads": []}, **forged))[0] == 401


async def test_oidc_access_tokens_are_checked_against_the_jwks(
    server: tuple[str, StampKeys, Idp],
) -> None:
    base, _, idp = server
    body = {"payloads": [as_json(PLAIN)]}
    assert (await post(f"{base}/encode", body, **bearer(idp.token())))[0] == 200
    assert (await post(f"{base}/encode", body, **bearer(idp.token())))[0] == 200
    assert idp.fetches == 1, "keys are cached"
    idp.published.append("ec-1")  # the provider adds a key: a token naming it is refetched for
    fo = idp.token("ec-1", preferred_username="fo.1")
    assert (await post(f"{base}/encode", body, **bearer(fo)))[0] == 200
    assert idp.fetches == 2
    for bad in (
        idp.token(aud="another-app"),
        idp.token(iss="https://evil.example"),
        idp.token(exp=int(time.time()) - 3600),
        idp.token(preferred_username="not.in.directory"),
        idp.token()[:-4] + "AAAA",  # signature tampered
        jwt.encode(
            {
                "iss": ISSUER,
                "aud": AUDIENCE,
                "exp": int(time.time()) + 60,
                "preferred_username": "x",
            },
            "a-shared-secret-is-never-accepted-here",
            algorithm="HS256",
            headers={"kid": "rsa-1"},
        ),
        "not.a.jwt",
    ):
        assert (await post(f"{base}/encode", body, **bearer(bad)))[0] in (401, 403), bad


async def test_a_browser_signed_out_is_told_where_to_sign_in_again(
    server: tuple[str, StampKeys, Idp],
) -> None:
    """The UI shows no text for a 401: an expired session's decode answers, in place of each
    value, the sign-in address; nothing of the payloads is revealed."""
    base = server[0]
    sealed = await EncryptionCodec(RING).encode([PLAIN])
    status, body = await post(f"{base}/decode", {"payloads": [as_json(sealed[0])] * 2}, Origin=UI)
    assert status == 200
    shown = [json.loads(from_json(p).data) for p in body["payloads"]]
    notice = f"Signed out of the ICR codec server: sign in again at {base}/sign-in"
    assert shown == [notice, notice] and "Maria" not in json.dumps(body)
    status, _ = await post(f"{base}/decode", {"payloads": [as_json(sealed[0])]})
    assert status == 401  # a program without a session still gets the plain refusal
    status, _ = await post(f"{base}/encode", {"payloads": [as_json(PLAIN)]}, Origin=UI)
    assert status == 401  # nothing is ever stamped for nobody


async def test_a_claimed_charset_never_makes_a_500(server: tuple[str, StampKeys, Idp]) -> None:
    """A client may name any charset; the codec server reads JSON as UTF-8 and answers 4xx."""
    base = server[0]
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{base}/sign-in",
            data=b"token=abc",
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=bogus"},
        ) as r:
            assert r.status == 401
        body = json.dumps({"payloads": [as_json(PLAIN)]}).encode()
        async with http.post(
            f"{base}/decode",
            data=body,
            headers={
                "Content-Type": "application/json; charset=bogus",
                **bearer(TOKENS["sro.one"]),
            },
        ) as r:
            assert r.status == 200  # read as UTF-8, whatever the header claims
        async with http.post(
            f"{base}/decode",
            data=b"\xff\xfe{",
            headers={"Content-Type": "application/json", **bearer(TOKENS["sro.one"])},
        ) as r:
            assert r.status == 400
