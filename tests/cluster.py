"""A dev server on its own database file and a worker, each its own process: for the tests
that kill, stop or restart them (faults, bursts)."""

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio
from temporalio.client import Client

from security import configured
from settings import Settings, plain
from tests.signing import staff_converter
from tests.support import ROOT, MailSink, eventually, free_port, pollers
from tools.devserver import dev_server_command


class SlowSink(MailSink):
    """Holds each delivery at RCPT (before the message is accepted) while ``slow`` is set."""

    slow: float = 0.0

    async def handle_RCPT(self, *args: Any) -> str:
        if self.slow:
            await asyncio.sleep(self.slow)
        return await super().handle_RCPT(*args)


class Cluster:
    """A dev server on a database file and a worker, each its own process."""

    def __init__(self, folder: Path, settings: Settings) -> None:
        self.folder, self.settings = folder, settings
        self.port = int(settings.temporal_address.rsplit(":", 1)[1])
        self.server: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.restarts = {"server": 0, "worker": 0}

    def start_server(self) -> None:
        cmd = dev_server_command(
            port=self.port, db_file=self.folder / "temporal.db", log_level="error"
        )
        self.server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start_worker(self) -> None:
        s = self.settings
        env = {
            **os.environ,
            "TEMPORAL_ADDRESS": s.temporal_address,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(s.smtp_port),
            "ICR_NOTICE_LEDGER": str(s.notice_ledger),
            "ICR_PAYLOAD_KEYS": plain(s.payload_keys),
            "ICR_METRICS_ADDRESS": "",
            "ICR_HEALTH_ADDRESS": "",
            "ICR_STAFF_DIRECTORY": str(s.staff_directory),
            "ICR_STAMP_PUBLIC_KEYS": ",".join(
                f"{k}:{v}" for k, v in configured.stamp_verifying_keys(s).items()
            ),
            "ICR_LOG_LEVEL": "WARNING",
        }
        log = (self.folder / "worker.log").open("ab")
        self.worker = subprocess.Popen(
            [sys.executable, "worker.py"], cwd=ROOT, env=env, stdout=log, stderr=log
        )

    def kill(self, which: str) -> None:
        proc = self.server if which == "server" else self.worker
        assert proc is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        self.restarts[which] += 1
        self.start_server() if which == "server" else self.start_worker()

    def stop(self) -> None:
        for proc in (self.worker, self.server):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)


@pytest_asyncio.fixture
async def cluster(
    settings: Settings, tmp_path: Path
) -> AsyncIterator[tuple[Cluster, SlowSink, Client]]:
    sink = SlowSink()
    sink.start()
    own = settings.model_copy(
        update={
            "temporal_address": f"127.0.0.1:{free_port()}",
            "smtp_port": sink.port,
            "notice_ledger": tmp_path / "ledger.sqlite3",
        }
    )
    c = Cluster(tmp_path, own)
    c.start_server()
    client = await connect_when_up(own)
    c.start_worker()
    # A kill before the worker first reached the server would leave no worker at all: one
    # that cannot reach Temporal at start-up exits (an orchestrator restarts it; the test not).
    await eventually(lambda: pollers(client, own.task_queue), bool, timeout=60)
    try:
        yield c, sink, client
    finally:
        c.stop()
        sink.stop()


async def connect_when_up(s: Settings, timeout: float = 60) -> Client:
    """The server takes a few seconds to (re)start; connect as soon as it answers."""
    for _ in range(int(timeout / 0.5)):
        try:
            return await Client.connect(s.temporal_address, data_converter=staff_converter(s))
        except Exception:
            await asyncio.sleep(0.5)
    raise AssertionError(f"no server at {s.temporal_address} within {timeout}s")
