"""`make bench`: the engine measured against its floor, on the local stack, in one run.

Starts its own dev server (SQLite in a temporary folder, every port a free one), an SMTP sink
and the worker as a separate process, then measures:
  1. full case lifecycles (every decision an update) against the floor (bench/bare.py), in
     paired rounds that alternate which goes first: cases/s, history events, CPU per case;
  2. decision-update round trips against a floor update, interleaved one for one: p50, p99;
  3. 10,000 open cases: worker and server RSS, `list --stage` latency, and lifecycles run
     beside them as a ratio to the empty server;
  4. with BENCH_SQLITE=1, the dev server's SQLite settings (speed, SIGKILL durability).
Writes bench/RESULTS.md and bench/results.json. BENCH_CASES, BENCH_OPEN, BENCH_LATENCY and
BENCH_ROUNDS shrink it for a quick look.
"""

import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench import burst, report, sqlite_settings
from bench.drive import (
    COUNTERS,
    LIFECYCLE,
    Batch,
    actor,
    bare_case,
    batch,
    decide,
    events_per_case,
    full_case,
    percentile,
    sample,
    timed,
)
from bench.report import mark
from bench.stack import ROOT, CountingSink, Stack, rig, rss_mb
from caseload.queries import CaseFilter, find_cases
from domain.inquiry import Submission
from domain.stage import Stage
from intake import submit

CASES = int(os.environ.get("BENCH_CASES", "100"))
OPEN = int(os.environ.get("BENCH_OPEN", "10000"))
LATENCY_SAMPLES = int(os.environ.get("BENCH_LATENCY", "300"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
ONLY = [p for p in os.environ.get("BENCH_ONLY", "").split(",") if p]
"""The parts to measure (report.PARTS; all when unset): the others keep their last figures."""
med = statistics.median


async def lifecycles(stack: Stack, client: Any, settings: Any, smtp: list[Any]) -> dict[str, Any]:
    """Paired rounds: the floor and the case back to back, the order alternating per round."""
    await batch(stack, 10, lambda: full_case(client, settings))  # warm up both
    await batch(stack, 10, lambda: bare_case(client, smtp))
    bares: list[Batch] = []
    cases: list[Batch] = []
    for r in range(ROUNDS):
        pair = [
            ("bare", lambda: bare_case(client, smtp)),
            ("case", lambda: full_case(client, settings)),
        ]
        for kind, one in pair if r % 2 == 0 else pair[::-1]:
            (bares if kind == "bare" else cases).append(await batch(stack, CASES, one))
        print(
            f"round {r + 1}: floor {bares[-1].rate:.2f}/s, case {cases[-1].rate:.2f}/s", flush=True
        )
    bare_events = await events_per_case(client, bares[-1].ids)
    case_events = await events_per_case(client, cases[-1].ids)
    return {
        "rounds": [
            {"floor_per_s": b.rate, "case_per_s": c.rate, "ratio": c.rate / b.rate}
            for b, c in zip(bares, cases, strict=True)
        ],
        "floor_per_s": med(b.rate for b in bares),
        "case_per_s": med(c.rate for c in cases),
        "lifecycle_ratio": med(c.rate / b.rate for b, c in zip(bares, cases, strict=True)),
        "floor_events": bare_events,
        "case_events": case_events,
        "events_ratio": case_events / bare_events,
        "floor_cpu": [med(b.per_case()[i] for b in bares) for i in (0, 1)],
        "case_cpu": [med(c.per_case()[i] for c in cases) for i in (0, 1)],
    }


async def update_latency(client: Any, settings: Any, smtp: list[Any]) -> dict[str, Any]:
    """Per round a fresh open case and a fresh floor workflow, updated in turn so both see the
    same moments; BENCH_LATENCY updates each per round (a case's notes and remembered decision
    ids grow with every one, so one case taking them all would measure a case no one keeps)."""
    note = {"actor": actor("SRO", "sro.reviewer1"), "text": "a note of some length"}
    bare_ms: list[float] = []
    case_ms: list[float] = []
    round_ratios = []
    for _ in range(ROUNDS):
        started = await submit(client, Submission.model_validate(sample()), settings)
        case = client.get_workflow_handle(started.case_id)
        for name, payload in LIFECYCLE[:3]:
            await decide(case, name, payload)
        bare = await client.start_workflow(
            "BareWorkflow", smtp, id=f"BARE-{secrets.token_hex(6)}", task_queue="bench-bare"
        )
        await asyncio.sleep(0.5)
        round_bare: list[float] = []
        round_case: list[float] = []
        for i in range(LATENCY_SAMPLES):
            round_bare.append(await timed(bare.execute_update("noop", note)))
            update = case.execute_update("add_note", {**note, "decision_id": f"n{i}"})
            round_case.append(await timed(update))
        await case.terminate("bench")
        await bare.terminate("bench")
        round_ratios.append(percentile(round_case, 99) / percentile(round_bare, 99))
        bare_ms += round_bare
        case_ms += round_case
    p50 = (percentile(bare_ms, 50), percentile(case_ms, 50))
    p99 = (percentile(bare_ms, 99), percentile(case_ms, 99))
    return {
        "samples": len(case_ms),
        "p50": p50,
        "p99": p99,
        "update_p99_ratio": p99[1] / p99[0],
        "round_p99_ratios": round_ratios,
    }


async def open_cases(
    stack: Stack,
    client: Any,
    settings: Any,
    sink: CountingSink,
    smtp: list[Any],
    empty: dict[str, Any],
) -> dict[str, Any]:
    assert stack.worker is not None and stack.server is not None
    worker_before = rss_mb(stack.worker.pid)
    opened_before = sink.count
    began = time.perf_counter()
    gate = asyncio.Semaphore(100)

    async def open_one() -> None:
        async with gate:
            await submit(client, Submission.model_validate(sample()), settings)

    await asyncio.gather(*(open_one() for _ in range(OPEN)))
    while sink.count - opened_before < OPEN:  # each case's first notice has gone out
        await asyncio.sleep(1)
    open_s = time.perf_counter() - began
    await asyncio.sleep(5)
    worker_rss, server_rss = rss_mb(stack.worker.pid), rss_mb(stack.server.pid)
    list_ms, rows = [], []
    for _ in range(5):
        t = time.perf_counter()
        rows = await find_cases(client, CaseFilter(stage=Stage.LOCAL_REVIEW), limit=1000)
        list_ms.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    total = (await client.count_workflows(CaseFilter(stage=Stage.LOCAL_REVIEW).query())).count
    count_ms = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "starter.py", "list", "--stage", "LOCAL_REVIEW", "--json"],
        cwd=ROOT,
        env=stack.env(settings, smtp[1]),
        capture_output=True,
        check=True,
    )
    cli_s = time.perf_counter() - t
    beside = await batch(stack, CASES, lambda: full_case(client, settings))
    beside_floor = await batch(stack, CASES, lambda: bare_case(client, smtp))
    return {
        "open_cases": total,
        "open_s": open_s,
        "worker_rss_before_mb": worker_before,
        "worker_rss_mb": worker_rss,
        "server_rss_mb": server_rss,
        "list_ms": med(list_ms),
        "list_rows": len(rows),
        "count_ms": count_ms,
        "cli_s": cli_s,
        "case_per_s_beside_open": beside.rate,
        "floor_per_s_beside_open": beside_floor.rate,
        "loaded_lifecycle_ratio": beside.rate / empty["case_per_s"],
        "loaded_floor_ratio": beside_floor.rate / empty["floor_per_s"],
    }


def wanted(part: str) -> bool:
    return not ONLY or part in ONLY


async def main() -> None:
    unknown = set(ONLY) - set(report.PARTS)
    if unknown:
        raise SystemExit(f"BENCH_ONLY: no part named {', '.join(sorted(unknown))}; {report.PARTS}")
    now = datetime.now(UTC)
    fields: dict[str, dict[str, Any]] = {}
    sections: dict[str, list[str]] = {}
    if wanted("lifecycles") or wanted("latency") or wanted("open"):
        async with rig() as r:
            stack, client, settings, smtp = r.stack, r.client, r.settings, r.smtp
            if wanted("lifecycles") or wanted("open"):
                life = await lifecycles(stack, client, settings, smtp)
                print(json.dumps(life, indent=1), flush=True)
                fields["lifecycles"], sections["1"] = (
                    lifecycle_fields(life),
                    lifecycle_section(life),
                )
            if wanted("latency"):
                latency = await update_latency(client, settings, smtp)
                print(json.dumps(latency), flush=True)
                fields["latency"], sections["2"] = latency_fields(latency), latency_section(latency)
            if wanted("open"):
                load = await open_cases(stack, client, settings, r.sink, smtp, life)
                print(json.dumps(load), flush=True)
                fields["open"], sections["3"] = open_fields(load), open_section(load)
            stack.stop()
            if os.environ.get("BENCH_SQLITE") == "1":
                rows = await sqlite_settings.measure(r.key, r.smtp_port, CASES)
                sections["4"] = sqlite_settings.section(rows)
    if wanted("burst"):
        measured = await burst.measure()
        fields["burst"], sections["5"] = {"burst": measured}, burst.section(measured)
    report.write(now, fields, sections)


def lifecycle_fields(life: dict[str, Any]) -> dict[str, Any]:
    return {
        "cases_per_round": CASES,
        "rounds": ROUNDS,
        "lifecycle_ratio": round(life["lifecycle_ratio"], 3),
        "events_ratio": round(life["events_ratio"], 3),
        "server_cpu_s_per_case": round(life["case_cpu"][0], 4),
        "worker_cpu_s_per_case": round(life["case_cpu"][1], 4),
        "floor_server_cpu_s_per_case": round(life["floor_cpu"][0], 4),
        "floor_worker_cpu_s_per_case": round(life["floor_cpu"][1], 4),
        "server_cpu_ratio": round(life["case_cpu"][0] / life["floor_cpu"][0], 3),
        "worker_cpu_ratio": round(life["case_cpu"][1] / life["floor_cpu"][1], 3),
        "case_per_s": round(life["case_per_s"], 2),
        "floor_per_s": round(life["floor_per_s"], 2),
        "case_events": life["case_events"],
        "floor_events": life["floor_events"],
        "lifecycle_rounds": [{k: round(v, 3) for k, v in r.items()} for r in life["rounds"]],
        "intake_retries": COUNTERS.intake_retries,
    }


def latency_fields(latency: dict[str, Any]) -> dict[str, Any]:
    return {
        "update_p99_ratio": round(latency["update_p99_ratio"], 3),
        "update_p50_ms": [round(v, 2) for v in latency["p50"]],
        "update_p99_ms": [round(v, 2) for v in latency["p99"]],
        "update_round_p99_ratios": [round(v, 3) for v in latency["round_p99_ratios"]],
    }


def open_fields(load: dict[str, Any]) -> dict[str, Any]:
    return {
        "open_cases": load["open_cases"],
        "worker_rss_mb": round(load["worker_rss_mb"], 1),
        "list_ms": round(load["list_ms"], 1),
        "loaded_lifecycle_ratio": round(load["loaded_lifecycle_ratio"], 3),
        "loaded_floor_ratio": round(load["loaded_floor_ratio"], 3),
        "server_rss_mb": round(load["server_rss_mb"], 1),
    }


def lifecycle_section(life: dict[str, Any]) -> list[str]:
    fc, cc = life["floor_cpu"], life["case_cpu"]
    rounds = ", ".join(f"{r['ratio']:.2f}" for r in life["rounds"])
    worker = cc[1] / fc[1]
    return [
        "## 1. Full lifecycles against the floor",
        "",
        f"{ROUNDS} paired rounds of {CASES} lifecycles each, {20} at a time, the order "
        f"alternating; every decision an update. Medians of the rounds (round ratios: {rounds}). "
        f"Callers retried a decision refused for `SRO_INTAKE` {COUNTERS.intake_retries} times.",
        "",
        "| | cases/s | history events per case | server CPU s/case | worker CPU s/case |",
        "| --- | --- | --- | --- | --- |",
        f"| floor (bench/bare.py) | {life['floor_per_s']:.2f} | {life['floor_events']:.0f} | "
        f"{fc[0]:.4f} | {fc[1]:.4f} |",
        f"| case lifecycle | {life['case_per_s']:.2f} | {life['case_events']:.0f} | "
        f"{cc[0]:.4f} | {cc[1]:.4f} |",
        f"| ratio | **{life['lifecycle_ratio']:.2f}** "
        f"{mark('lifecycle_ratio', life['lifecycle_ratio'])} | "
        f"**{life['events_ratio']:.2f}** {mark('events_ratio', life['events_ratio'])} | "
        f"{cc[0] / fc[0]:.2f} | **{worker:.2f}** {mark('worker_cpu_ratio', worker)} |",
        "",
    ]


def latency_section(latency: dict[str, Any]) -> list[str]:
    (b50, c50), (b99, c99) = latency["p50"], latency["p99"]
    return [
        "## 2. Update round trip",
        "",
        f"{latency['samples']} sequential updates each: per round a fresh open case and a fresh "
        f"floor workflow updated in turn, {LATENCY_SAMPLES} each (p99 ratio per round: "
        + ", ".join(f"{r:.2f}" for r in latency["round_p99_ratios"])
        + ").",
        "",
        "| | p50 ms | p99 ms |",
        "| --- | --- | --- |",
        f"| floor update | {b50:.1f} | {b99:.1f} |",
        f"| decision update (`add_note`) | {c50:.1f} | {c99:.1f} |",
        f"| ratio | {c50 / b50:.2f} | **{c99 / b99:.2f}** "
        f"{mark('update_p99_ratio', latency['update_p99_ratio'])} |",
        "",
    ]


def open_section(load: dict[str, Any]) -> list[str]:
    return [
        f"## 3. {OPEN:,} open cases",
        "",
        f"Opened in {load['open_s']:.0f} s ({OPEN / load['open_s']:.0f} cases/s), each waiting in "
        f"LOCAL_REVIEW; {load['open_cases']:,} found by `CaseStage`.",
        "",
        "| measure | value | target |",
        "| --- | --- | --- |",
        f"| worker RSS | {load['worker_rss_mb']:.0f} MB "
        f"(before: {load['worker_rss_before_mb']:.0f} MB) "
        f"| {mark('worker_rss_mb', load['worker_rss_mb'])} |",
        f"| dev server RSS | {load['server_rss_mb']:.0f} MB | |",
        f"| `list --stage LOCAL_REVIEW` query, first 1,000 rows (median of 5) | "
        f"{load['list_ms']:.0f} ms ({load['list_rows']} rows) | "
        f"{mark('list_ms', load['list_ms'])} |",
        f"| count of the stage | {load['count_ms']:.0f} ms | |",
        f"| whole `starter.py list --stage` process, interpreter start included | "
        f"{load['cli_s']:.2f} s | |",
        f"| case lifecycles/s beside them ({CASES}) | {load['case_per_s_beside_open']:.2f}: "
        f"**{load['loaded_lifecycle_ratio']:.2f}x** the empty server | |",
        f"| floor lifecycles/s beside them ({CASES}) | {load['floor_per_s_beside_open']:.2f}: "
        f"{load['loaded_floor_ratio']:.2f}x the empty server | |",
        "",
    ]


if __name__ == "__main__":
    asyncio.run(main())
