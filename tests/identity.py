"""A real OpenID Connect provider for the tests: ``tests/oidc/provider.mjs`` (the npm package
``oidc-provider``, installed by ``make oidc`` from the committed lock) on the machine's Node,
on a loopback port of its own, with the clients the test names."""

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support import free_port

FOLDER = Path(__file__).resolve().parent / "oidc"
AUDIENCE = "icr-temporal"


@dataclass(frozen=True)
class Provider:
    issuer: str

    @property
    def token_url(self) -> str:
        return f"{self.issuer}/token"

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/jwks"


@contextmanager
def oidc_provider(clients: list[dict[str, Any]], ttl_seconds: int = 300) -> Iterator[Provider]:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is missing: the identity tests run oidc-provider on Node 20+")
    if not (FOLDER / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError("oidc-provider is not installed: `make oidc` (npm ci in tests/oidc)")
    port = free_port()
    env = {
        **os.environ,
        "ICR_TEST_OIDC_CLIENTS": json.dumps(clients),
        "ICR_TEST_OIDC_TTL": str(ttl_seconds),
        "ICR_TEST_OIDC_AUDIENCE": AUDIENCE,
        "NODE_ENV": "test",
    }
    process = subprocess.Popen(
        [node, str(FOLDER / "provider.mjs"), str(port)],
        cwd=FOLDER,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    provider = Provider(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                url = f"{provider.issuer}/.well-known/openid-configuration"
                with urllib.request.urlopen(url, timeout=2) as answer:
                    assert json.load(answer)["issuer"] == provider.issuer
                break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    errors = process.stderr.read().decode() if process.stderr else ""
                    raise RuntimeError(f"the OIDC provider did not start: {errors}") from None
                time.sleep(0.1)
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()
