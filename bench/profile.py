"""`python -m bench.profile`: where one lifecycle's time goes (not part of `make bench`).

Runs BENCH_CASES lifecycles of the case and of the floor on the bench's stack and prints, per
lifecycle: server and worker CPU seconds, workflow tasks and their time (task started to task
completed, from the histories), and, when py-spy is installed (`pip install py-spy`), the
worker's CPU by module and by function while the cases ran.
"""

import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path

from temporalio.client import Client

from bench.drive import Batch, bare_case, batch, full_case
from bench.stack import rig

CASES = int(os.environ.get("BENCH_CASES", "60"))


async def task_times(client: Client, ids: list[str]) -> tuple[float, float]:
    """Workflow tasks per lifecycle and the median ms from task started to completed."""
    counts, spans = [], []
    for case_id in ids[:20]:
        history = await client.get_workflow_handle(case_id).fetch_history()
        started = None
        count = 0
        for event in history.events:
            kind = event.WhichOneof("attributes")
            if kind == "workflow_task_started_event_attributes":
                started = event.event_time.ToDatetime()
            elif kind == "workflow_task_completed_event_attributes" and started is not None:
                spans.append((event.event_time.ToDatetime() - started).total_seconds() * 1000)
                count += 1
        counts.append(count)
    return statistics.median(counts), statistics.median(spans)


def spy(pid: int, out: Path) -> subprocess.Popen[bytes] | None:
    exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(exe).exists():
        return None
    cmd = [
        exe,
        "record",
        "--pid",
        str(pid),
        "--format",
        "raw",
        "--output",
        str(out),
        "--rate",
        "250",
    ]
    return subprocess.Popen(
        [*cmd, "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


AREAS = {
    "workflow activations in the sandbox (the case's code)": "InSandbox.activate",
    "  of it: pydantic (case file, decisions, status)": "pydantic",
    "  of it: importing the workflow's modules into a new sandbox": "Importer._import",
    "activities (notices: letters, ledger, SMTP)": "_ActivityWorker",
    "  of it: SMTP client": "aiosmtplib",
    "notice ledger (SQLite, in its thread)": "NoticeLedger._",
    "payload codec (AES-GCM, readable markers)": "security/",
    "data converter (pydantic JSON)": "temporalio/converter",
    "the SDK's bridge to core (protobuf in and out)": "temporalio/bridge",
    "event loop waiting (select)": "EpollSelector.select",
}


def summarize(raw: Path) -> None:
    """py-spy's collapsed stacks: the share of samples in each area (inclusive), and the
    functions with the most samples of their own."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for row in raw.read_text().splitlines():
        stack, _, n = row.rpartition(" ")
        count = int(n)
        total += count
        for area, marker in AREAS.items():
            if marker in stack:
                inclusive[area] += count
        name, _, where = stack.split(";")[-1].partition(" (")
        own[f"{name} ({where.split('site-packages/')[-1].split(':')[0]})"] += count
    print(f"\nworker samples: {total}")
    for area in AREAS:
        print(f"  {100 * inclusive[area] / total:5.1f}%  {area}")
    print("\nmost samples of their own:")
    for key, samples in own.most_common(12):
        print(f"  {100 * samples / total:5.1f}%  {key}")


def line(label: str, b: Batch, tasks: tuple[float, float]) -> str:
    server, worker = b.per_case()
    return (
        f"{label}: {b.rate:.2f}/s, server {server * 1000:.0f} ms CPU, "
        f"worker {worker * 1000:.0f} ms CPU per lifecycle; "
        f"{tasks[0]:.0f} workflow tasks, median {tasks[1]:.1f} ms each"
    )


async def main() -> None:
    async with rig() as r:
        stack, client, settings, smtp = r.stack, r.client, r.settings, r.smtp
        await batch(stack, 10, lambda: full_case(client, settings))
        await batch(stack, 10, lambda: bare_case(client, smtp))
        floor = await batch(stack, CASES, lambda: bare_case(client, smtp))
        print(line("floor", floor, await task_times(client, floor.ids)))
        case = await batch(stack, CASES, lambda: full_case(client, settings))
        print(line("case", case, await task_times(client, case.ids)))
        assert stack.worker is not None
        raw = Path(os.environ.get("BENCH_PROFILE_RAW", stack.folder / "worker.txt"))
        spying = spy(stack.worker.pid, raw)  # a batch of its own: sampling costs CPU too
        await batch(stack, CASES, lambda: full_case(client, settings))
        if spying is not None:
            spying.send_signal(signal.SIGINT)
            spying.wait(timeout=60)
        if raw.exists():
            summarize(raw)


if __name__ == "__main__":
    asyncio.run(main())
