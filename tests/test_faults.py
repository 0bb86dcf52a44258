"""Faults, for real: the worker and the dev server killed with SIGKILL and restarted, the SMTP
server down for a while. Every case completes and every notice arrives once."""

import asyncio
import collections
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import Client

from domain.inquiry import Submission
from domain.notices import NoticeKind
from intake import submit
from settings import Settings, plain
from tests.signing import staff_converter
from tests.support import (
    ROOT,
    MailSink,
    actor,
    eventually,
    free_port,
    pollers,
    status_of,
    submission,
)
from tools.devserver import dev_server_command

pytestmark = pytest.mark.slow

SRO = actor("SRO")


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
                f"{k}:{v}" for k, v in s.stamp_verifying_keys().items()
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


async def walk(client: Client, case_id: str) -> None:
    """The rest of a case's life, decision by decision (updates retry across restarts)."""
    handle = client.get_workflow_handle(case_id)
    steps = [
        (
            "record_local_response",
            {
                "actor": actor("FIELD_OFFICE"),
                "finding": "MEETS_PRIORITIES",
                "message": "m",
                "decision_id": "a",
            },
        ),
        (
            "submit_sro_inquiry",
            {
                "actor": actor("INTAKE"),
                "phone": "2125550143",
                "email": "maria.lopez@example.org",
                "decision_id": "b",
            },
        ),
        (
            "record_determination",
            {"actor": SRO, "finding": "MEETS_PRIORITIES", "rationale": "r", "decision_id": "c"},
        ),
    ]
    for name, payload in steps:
        for _ in range(300):
            try:
                await handle.execute_update(name, payload)
                break
            except Exception:  # server or worker restarting, or the intake still running
                await asyncio.sleep(0.2)
        else:
            raise AssertionError(f"{case_id}: {name} never went through")
    await asyncio.wait_for(handle.result(), 120)


def copies(sink: MailSink, case_ids: list[str]) -> collections.Counter[str]:
    return collections.Counter(
        m.message_id for m in sink.received if any(c in m.message_id for c in case_ids)
    )


EXPECTED_PER_CASE = 4  # case opened, local response, inquiry received, determination


async def start_cases(client: Client, settings: Settings, n: int) -> list[str]:
    ids = []
    for _ in range(n):
        result = await submit(client, Submission.model_validate(submission()), settings)
        ids.append(result.case_id)
    return ids


async def test_worker_killed_mid_activity_and_between_decisions(
    cluster: tuple[Cluster, SlowSink, Client],
) -> None:
    c, sink, client = cluster
    sink.slow = 1.5  # deliveries hang before the message is accepted
    cases = await start_cases(client, c.settings, 8)
    await asyncio.sleep(1.0)
    c.kill("worker")  # in the middle of the case-opened notices
    sink.slow = 0
    await eventually(lambda: _opened(sink, client, cases), bool, timeout=90)
    c.kill("worker")  # between decisions
    await asyncio.gather(*(walk(client, case_id) for case_id in cases))
    sent = copies(sink, cases)
    print(
        f"\nworker kills: {c.restarts['worker']}, cases: {len(cases)}, notices expected "
        f"{EXPECTED_PER_CASE * len(cases)}, delivered {sum(sent.values())}, distinct {len(sent)}"
    )
    assert len(sent) == EXPECTED_PER_CASE * len(cases)
    assert set(sent.values()) == {1}, "a notice arrived twice"
    for case_id in cases:
        assert (await status_of(client.get_workflow_handle(case_id))).stage == "CLOSED"


async def _opened(sink: MailSink, client: Client, cases: list[str]) -> bool:
    """Every case-opened notice arrived *and* its activity completed: a kill now falls between
    decisions, not between a message's acceptance and the ledger's note of it (a window no
    sender can close: the message would rightly be sent again)."""
    if not all(any(f"{c}.case-opened" in m.message_id for m in sink.received) for c in cases):
        return False
    for case_id in cases:  # a notice is in the case's record once its activity completed
        notices = (await status_of(client.get_workflow_handle(case_id))).notices
        if not any(n.kind is NoticeKind.CASE_OPENED for n in notices):
            return False
    return True


async def test_server_killed_under_load_and_restarted_on_its_database(
    cluster: tuple[Cluster, SlowSink, Client],
) -> None:
    c, sink, client = cluster
    first = await start_cases(client, c.settings, 10)
    load = asyncio.gather(*(walk(client, case_id) for case_id in first))
    await asyncio.sleep(0.5)
    c.kill("server")  # every acknowledged case must still be there
    client = await connect_when_up(c.settings)
    await load
    sent = copies(sink, first)
    print(
        f"\nserver kills: {c.restarts['server']}, cases: {len(first)}, notices expected "
        f"{EXPECTED_PER_CASE * len(first)}, delivered {sum(sent.values())}, distinct {len(sent)}"
    )
    assert len(sent) == EXPECTED_PER_CASE * len(first)
    assert set(sent.values()) == {1}


async def test_smtp_down_for_a_while_then_back(cluster: tuple[Cluster, SlowSink, Client]) -> None:
    c, sink, client = cluster
    sink.stop()  # nobody listens on the SMTP port
    cases = await start_cases(client, c.settings, 5)
    await asyncio.sleep(8)
    handle = client.get_workflow_handle(cases[0])
    status = await status_of(handle)
    assert status.stage == "LOCAL_REVIEW" and status.notices == [], "still retrying, not failed"
    assert copies(sink, cases) == collections.Counter()
    sink.start()  # back, on the same port
    await eventually(lambda: _opened(sink, client, cases), bool, timeout=60)
    await asyncio.gather(*(walk(client, case_id) for case_id in cases))
    sent = copies(sink, cases)
    print(
        f"\nSMTP down 8 s: cases {len(cases)}, notices expected {EXPECTED_PER_CASE * len(cases)}, "
        f"delivered {sum(sent.values())}"
    )
    assert len(sent) == EXPECTED_PER_CASE * len(cases) and set(sent.values()) == {1}
