"""Services sign in to a frontend that checks JWTs, against a real OpenID Connect provider
(oidc-provider on Node, tests/identity.py): the client credentials grant, a token renewed before
it expires and put on the live connection, one clear line when the provider refuses, and the
codec server accepting the same provider's tokens."""

import asyncio
import base64
import gc
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp import web
from pydantic import SecretStr
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.testing import WorkflowEnvironment

import clients
from clients import connect, for_worker
from codec_server.app import app_from_settings
from security.client_credentials import ClientCredentials, TokenRefused
from settings import Settings
from tests.identity import AUDIENCE, Provider, oidc_provider
from tests.support import free_port

SECRET = secrets.token_urlsafe(24)
CLIENTS = [
    {"client_id": "icr-worker", "client_secret": SECRET, "permissions": ["default:write"]},
    {
        "client_id": "staff-sro-one",
        "client_secret": SECRET,
        "permissions": ["default:write"],
        "preferred_username": "sro.one",
    },
    {
        "client_id": "staff-stranger",
        "client_secret": SECRET,
        "permissions": ["default:read"],
        "preferred_username": "not.in.directory",
    },
]
TTL = 4  # seconds: a token this short is renewed at half its life (security/client_credentials.py)


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with oidc_provider(CLIENTS, ttl_seconds=TTL) as running:
        yield running


def verified(provider: Provider, token: str) -> dict[str, Any]:
    """The claims, checked as the frontend and the codec server check them: the provider's
    published key named by ``kid``, RS256, issuer, audience, expiry."""
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header["kid"]
    key = jwt.PyJWKClient(provider.jwks_url).get_signing_key(header["kid"])
    claims: dict[str, Any] = jwt.decode(
        token, key, algorithms=["RS256"], audience=AUDIENCE, issuer=provider.issuer
    )
    return claims


def credentials(provider: Provider, client_id: str = "icr-worker", secret: str = SECRET) -> Any:
    return ClientCredentials(provider.token_url, client_id, secret)


async def test_a_service_gets_a_signed_token_with_its_permissions(provider: Provider) -> None:
    token = await credentials(provider).token()
    claims = verified(provider, token.value)
    assert claims["sub"] == "icr-worker"
    assert claims["permissions"] == ["default:write"]
    assert 0 < token.lifetime <= TTL
    assert token.fetched_at < token.refresh_at < token.expires_at


async def test_the_token_is_renewed_before_it_expires(provider: Provider) -> None:
    source = credentials(provider)
    first = await source.token()
    assert (await source.token()) is first  # cached while it is fresh
    time.sleep(max(0.0, first.refresh_at - time.monotonic()) + 0.05)
    second = await source.token()
    assert time.monotonic() < first.expires_at, "renewed only after the old one expired"
    assert second.value != first.value
    assert verified(provider, second.value)["sub"] == "icr-worker"


async def test_a_refused_client_gets_one_clear_line_without_its_secret(provider: Provider) -> None:
    with pytest.raises(TokenRefused) as wrong:
        await credentials(provider, secret="not-the-secret-" + SECRET).token()
    line = str(wrong.value)
    assert "invalid_client" in line and "'icr-worker'" in line and provider.token_url in line
    assert "check the client id and secret" in line
    assert SECRET not in line and "\n" not in line
    with pytest.raises(TokenRefused, match="invalid_client"):
        await credentials(provider, client_id="icr-nobody").token()
    closed = f"http://127.0.0.1:{free_port()}/token"
    with pytest.raises(TokenRefused, match="cannot reach it"):
        await ClientCredentials(closed, "icr-worker", SECRET, timeout_seconds=3).token()
    with pytest.raises(TokenRefused, match="ICR_TEMPORAL_CLIENT_SECRET"):
        ClientCredentials(provider.token_url, "icr-worker", "")


async def test_every_call_carries_the_current_token_and_the_worker_shares_it(
    provider: Provider, env: WorkflowEnvironment, settings: Settings
) -> None:
    """The dev server does not check tokens (no authorizer here): what is checked is that the
    connection's header is the provider's current token, renewed on the live connection, and
    that calls go on working across the renewal."""
    own = settings.model_copy(
        update={
            "temporal_address": env.client.service_client.config.target_host,
            "temporal_token_url": provider.token_url,
            "temporal_client_id": "icr-worker",
            "temporal_client_secret": SecretStr(SECRET),
        }
    )
    client = await connect(own)
    worker_client = for_worker(client, own)
    first = str(client.rpc_metadata["authorization"])
    assert first.startswith("Bearer ")
    assert verified(provider, first.removeprefix("Bearer "))["sub"] == "icr-worker"
    await client.workflow_service.get_system_info(GetSystemInfoRequest())
    deadline = time.monotonic() + TTL * 3
    while client.rpc_metadata["authorization"] == first and time.monotonic() < deadline:
        await client.workflow_service.get_system_info(GetSystemInfoRequest())
        await asyncio.sleep(0.2)
    second = str(client.rpc_metadata["authorization"])
    assert second != first, "the token was not renewed on the connection"
    assert verified(provider, second.removeprefix("Bearer "))["sub"] == "icr-worker"
    assert worker_client.rpc_metadata["authorization"] == second
    await worker_client.workflow_service.get_system_info(GetSystemInfoRequest())
    # Once nothing uses the connection, its renewals stop (no task left behind per connect).
    renewing = set(clients._REFRESHERS)
    assert renewing
    del client, worker_client
    gc.collect()
    deadline = time.monotonic() + TTL * 3
    while not all(task.done() for task in renewing) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert all(task.done() for task in renewing), "renewal outlived its connection"
    assert all(task.exception() is None for task in renewing)

    refused = own.model_copy(update={"temporal_client_secret": SecretStr("wrong-" + SECRET)})
    with pytest.raises(TokenRefused, match="invalid_client"):
        await connect(refused)


def _codec_settings(settings: Settings, provider: Provider) -> Settings:
    return settings.model_copy(
        update={
            "codec_tokens": "",
            "oidc_issuer": provider.issuer,
            "oidc_audience": AUDIENCE,
            "oidc_jwks_url": provider.jwks_url,
            "codec_ui_origin": "https://ui.icr.localhost",
        }
    )


async def test_the_codec_server_accepts_the_providers_tokens(
    provider: Provider, settings: Settings, tmp_path: Path
) -> None:
    runner = web.AppRunner(app_from_settings(_codec_settings(settings, provider)))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    plain = {"metadata": {"encoding": base64.b64encode(b"json/plain").decode()}}
    body = json.dumps({"payloads": [{**plain, "data": base64.b64encode(b'"note"').decode()}]})

    async def encode(token: str) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"http://127.0.0.1:{port}/encode", data=body, headers=headers) as answer,
        ):
            return answer.status, await answer.json(content_type=None)

    try:
        staff = await credentials(provider, "staff-sro-one").token()
        status, encoded = await encode(staff.value)
        assert status == 200, encoded
        assert encoded["payloads"][0]["metadata"]["encoding"] != plain["metadata"]["encoding"]
        stranger = await credentials(provider, "staff-stranger").token()
        assert (await encode(stranger.value))[0] == 403  # signed in, but not staff
        with oidc_provider(CLIENTS, ttl_seconds=TTL) as other:  # same names, another issuer
            foreign = await ClientCredentials(other.token_url, "staff-sro-one", SECRET).token()
        assert (await encode(foreign.value))[0] == 401
        assert (await encode(staff.value[:-4] + "AAAA"))[0] == 401  # a forged signature
    finally:
        await runner.cleanup()


def test_a_refused_service_stops_with_one_line(provider: Provider) -> None:
    """The CLI (and so an integrating system's starter) ends with one line and status 6."""
    env = {
        **os.environ,
        "ICR_TEMPORAL_TOKEN_URL": provider.token_url,
        "ICR_TEMPORAL_CLIENT_ID": "icr-worker",
        "ICR_TEMPORAL_CLIENT_SECRET": "wrong-" + SECRET,
    }
    done = subprocess.run(
        [sys.executable, "starter.py", "list"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 6, done.stderr
    (line,) = done.stderr.splitlines()
    assert "gave client 'icr-worker' no token: HTTP 401 invalid_client" in line
    assert SECRET not in done.stderr + done.stdout


async def test_an_endless_answer_is_read_only_to_its_cap() -> None:
    """Whatever answers at the token URL (a wrong URL, a hostile proxy), a service reads at most
    64 KiB of it and says so."""

    async def flood(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(64):
            await response.write(b" " * 16384)
        return response

    app = web.Application()
    app.router.add_post("/token", flood)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        with pytest.raises(TokenRefused, match="an answer over 65536 bytes"):
            await ClientCredentials(f"http://127.0.0.1:{port}/token", "icr-worker", SECRET).token()
    finally:
        await runner.cleanup()
