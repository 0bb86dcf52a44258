"""The bench's own stack: a dev server on a free port, an SMTP sink, the worker process; and
the resources they use (RSS, CPU seconds) read from /proc."""

import asyncio
import base64
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from temporalio.client import Client

from clients import connect, register_search_attributes
from settings import Settings, plain
from tests.signing import staff_converter, stamp_key_file
from tools.devserver import dev_server_command

ROOT = Path(__file__).resolve().parent.parent
STAFF = ROOT / "config" / "staff-directory.json"
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A port the kernel says is free now: never a fixed default another stack may hold."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class CountingSink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def connected(settings: Settings) -> Client:
    for _ in range(120):
        try:
            return await connect(settings)
        except Exception:
            await asyncio.sleep(0.5)
    raise SystemExit("the dev server did not come up")


@dataclass
class Stack:
    folder: Path
    pragmas: list[str] | None = None
    signal_cap: int | None = None
    """Overrides the per-run signal cap every stack sets (the burst bench lifts it)."""
    port: int = field(default_factory=free_port)
    server: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None

    def start_server(self) -> None:
        db_file = self.folder / "temporal.db"
        if self.pragmas is None:  # the settings `make run` uses
            cmd = dev_server_command(port=self.port, db_file=db_file, log_level="error")
        else:
            cmd = dev_server_command(
                port=self.port, db_file=db_file, pragmas=tuple(self.pragmas), log_level="error"
            )
        if self.signal_cap is not None:
            cap = "history.maximumSignalsPerExecution="
            cmd = [f"{cap}{self.signal_cap}" if a.startswith(cap) else a for a in cmd]
        self.server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start_worker(self, env: dict[str, str]) -> None:
        (ROOT / "var").mkdir(exist_ok=True)
        log = (ROOT / "var" / "bench-worker.log").open("ab")
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "bench.worker_proc"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
        )
        assert self.worker.stdout is not None
        line = self.worker.stdout.readline()
        if b"ready" not in line:
            raise SystemExit("the bench worker did not start")

    async def up(self, key: str, smtp_port: int) -> tuple[Settings, Client]:
        """Server, search attributes and worker; the bench's client and settings."""
        self.start_server()
        settings = Settings(
            temporal_address=f"127.0.0.1:{self.port}",
            payload_keys=f"b:{key}",
            staff_directory=STAFF,
            stamp_key_file=stamp_key_file(self.folder),
        )
        plain = await connected(settings)
        await register_search_attributes(plain)
        # Staff sign every decision (the workers verify the stamps): the tests' staff desk; a
        # submission is signed as the directory's intake clerk (starting needs INTAKE).
        config = plain.config()
        config["data_converter"] = staff_converter(settings, default_signer="intake.clerk1")
        client = Client(**config)
        self.start_worker(self.env(settings, smtp_port))
        return settings, client

    def env(self, settings: Settings, smtp_port: int) -> dict[str, str]:
        return {
            **os.environ,
            "TEMPORAL_ADDRESS": f"127.0.0.1:{self.port}",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "ICR_NOTICE_LEDGER": str(self.folder / "ledger.sqlite3"),
            "ICR_PAYLOAD_KEYS": plain(settings.payload_keys),
            "ICR_STAFF_DIRECTORY": str(STAFF),
            "ICR_STAMP_KEY_FILE": str(settings.stamp_key_file),
            "ICR_METRICS_ADDRESS": "",
            "ICR_HEALTH_ADDRESS": "",  # no fixed port a second stack could collide on
            "ICR_LOG_LEVEL": "WARNING",
        }

    def cpu(self) -> tuple[float, float]:
        """CPU seconds so far of (server, worker)."""
        assert self.server is not None and self.worker is not None
        return cpu_seconds(self.server.pid), cpu_seconds(self.worker.pid)

    def stop_worker(self) -> None:
        """Shut the worker down (gracefully): no worker polls until ``start_worker``."""
        if self.worker is not None and self.worker.poll() is None:
            self.worker.send_signal(signal.SIGTERM)
            self.worker.wait(timeout=60)

    def stop(self, kill: bool = False) -> None:
        for proc in (self.worker, self.server):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
                proc.wait(timeout=60)


@dataclass
class Rig:
    """A running stack with its client, the SMTP sink and the payload key."""

    stack: Stack
    settings: Settings
    client: Client
    sink: CountingSink
    key: str
    smtp_port: int

    @property
    def smtp(self) -> list[Any]:
        return ["127.0.0.1", self.smtp_port]


@asynccontextmanager
async def rig(signal_cap: int | None = None) -> AsyncIterator[Rig]:
    sink = CountingSink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            stack = Stack(Path(tmp), signal_cap=signal_cap)
            settings, client = await stack.up(key, smtp_port)
            try:
                yield Rig(stack, settings, client, sink, key, smtp_port)
            finally:
                stack.stop()
    finally:
        controller.stop()
