"""`python -m bench.burst` (and section 5 of `make bench`): what a burst of signals costs a case,
measured without a server, by replaying a recorded history in the worker's own sandbox.

Recording: the bench's stack with the per-run signal cap lifted (so a burst reaches one run
whole), one case per variant started as integrating systems start them; once it waits in
LOCAL_REVIEW with nothing in flight the worker is shut down, the burst is sent, and the worker
comes back: one workflow task delivers every signal, the case judges them a slice per task and
then continues as new. The first run's history is replayed BENCH_REPLAYS times with the
worker's converter and sandbox (as tests/test_replay.py does); its CPU (the whole process:
decoding, the SDK's core, the workflow code) less the CPU of replaying the same kind of case
that took no signal is the burst's cost. Variants: BENCH_BURST refused (unsigned, from a raw
client without the codec), BENCH_BURST accepted signed notes, and 2,000 mixed (notes, unsigned,
malformed, unknown names, signed decisions the rules refuse, one accepted decision).
"""

import asyncio
import json
import os
import statistics
import time
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle, WorkflowHistory
from temporalio.common import RawValue
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from bench.drive import sample
from bench.replay_runner import TimedRunner
from bench.stack import ROOT, Rig, rig
from clients import worker_data_converter
from domain.inquiry import Submission
from domain.status import CaseStatus
from intake import submit
from settings import Settings
from workflows.case_review import CaseReviewWorkflow
from workflows.inbox import SLICE
from workflows.server_limits import SIGNALS_BEFORE_CONTINUING

N = int(os.environ.get("BENCH_BURST", "1000"))
MIXED = int(os.environ.get("BENCH_BURST_MIXED", "2000"))
REPLAYS = int(os.environ.get("BENCH_REPLAYS", "7"))
SAVED = ROOT / "var" / "bench-burst"
SRO = {"id": "sro.reviewer1", "role": "SRO"}
FO = {"id": "fo.officer1", "role": "FIELD_OFFICE"}
TARGETS = {"refused_ms": 0.1, "note_ms": 0.5, "activation_s": 0.25}
"""The issue's targets; the whole burst (every slice) is reported beside them."""
"""Ceilings (issue 20): CPU per refused signal, per accepted note, for the 2,000-signal burst."""
JUNK = RawValue(Payload(metadata={"encoding": b"binary/null"}, data=b"\x00" * 64))


def signals_for(variant: str, count: int) -> list[tuple[str, str, Any]]:
    """(sender, signal name, argument): ``staff`` signs and encrypts, ``raw`` sends as is."""
    if count == 0:
        return []
    if variant == "refused":
        return [("raw", "add_note", {"actor": SRO, "text": "x"})] * count
    if variant == "notes":
        return [("staff", "add_note", {"actor": SRO, "text": f"note {i}"}) for i in range(count)]
    mixed: list[tuple[str, str, Any]] = []
    for i in range(count - 1):
        if i % 50 == 49:  # a signed decision the case's rules refuse (logged: it is sealed)
            mixed.append(("staff", "assign_reviewer", {"actor": SRO, "reviewer_id": SRO["id"]}))
            continue
        mixed.append(
            [
                ("staff", "add_note", {"actor": SRO, "text": f"note {i}"}),
                ("raw", "add_note", {"actor": SRO, "text": "x"}),
                ("raw", "withdraw", JUNK),
                ("raw", f"no_such_{i % 7}", {"x": i}),
            ][i % 4]
        )
    decision = {"actor": FO, "finding": "MEETS_PRIORITIES", "message": "m"}
    return [*mixed, ("staff", "record_local_response", decision)]


async def send(client: Client, case_id: str, signals: list[tuple[str, str, Any]]) -> None:
    config = client.config()
    config["data_converter"] = pydantic_data_converter  # an outsider's client: no codec
    senders = {"staff": client, "raw": Client(**config)}
    gate = asyncio.Semaphore(50)

    async def one(sender: str, name: str, arg: Any) -> None:
        async with gate:
            await senders[sender].get_workflow_handle(case_id).signal(name, arg)

    await asyncio.gather(*(one(*s) for s in signals))


async def status(handle: WorkflowHandle[Any, Any]) -> CaseStatus:
    return await handle.query("status", result_type=CaseStatus)  # type: ignore[no-any-return]


def judged(s: CaseStatus) -> int:
    return s.history_dropped + len(s.history) + s.rejected_dropped + len(s.rejected)


def idle(s: CaseStatus) -> bool:
    sent = bool(s.notices) and all(n.outcome == "SENT" for n in s.notices)
    return s.stage == "LOCAL_REVIEW" and bool(s.open_tasks) and sent


async def until(probe: Any, accept: Any, timeout: float = 300) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if accept(value):
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting after {timeout:.0f} s: {str(value)[:300]}")
        await asyncio.sleep(0.5)


async def record(r: Rig, variant: str, count: int) -> dict[str, Any]:
    """One case through one burst: its first run's history and what the live run showed."""
    started = await submit(r.client, Submission.model_validate(sample()), r.settings)
    handle = r.client.get_workflow_handle(started.case_id)
    # Idle before the worker leaves: in LOCAL_REVIEW, the opening's notices sent.
    first = await until(lambda: status(handle), idle)
    await asyncio.sleep(1)
    r.stack.stop_worker()
    began = time.monotonic()
    await send(r.client, handle.id, signals_for(variant, count))
    sent_s = time.monotonic() - began
    r.stack.start_worker(r.stack.env(r.settings, r.smtp_port))
    run = r.client.get_workflow_handle(handle.id, run_id=started.run_id)
    last = await until(lambda: status(handle), lambda s: judged(s) >= judged(first) + count)
    assert judged(last) == judged(first) + count, (variant, judged(first), judged(last), count)
    if count >= SIGNALS_BEFORE_CONTINUING:  # the run hands over once its inbox is empty
        await until(run.describe, lambda d: d.status != WorkflowExecutionStatus.RUNNING)
    history = await run.fetch_history()
    SAVED.mkdir(parents=True, exist_ok=True)
    (SAVED / f"{variant}.json").write_text(history.to_json())
    return {"history": history, "sent_s": sent_s, **live(history)}


def live(history: WorkflowHistory) -> dict[str, Any]:
    """Failed workflow tasks, signals, slices (timers) and the longest task of the live run."""
    started, longest, kinds = None, 0.0, []
    for event in history.events:
        kinds.append(event.event_type)
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            started = event.event_time.ToDatetime()
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED and started:
            longest = max(longest, (event.event_time.ToDatetime() - started).total_seconds())
    return {
        "events": len(kinds),
        "signals": kinds.count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
        "workflow_tasks": kinds.count(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
        "failed_tasks": kinds.count(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED),
        "timers": kinds.count(EventType.EVENT_TYPE_TIMER_STARTED),
        "continued_as_new": EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW in kinds,
        "longest_task_s": round(longest, 3),
    }


async def replay(histories: dict[str, WorkflowHistory], key: str) -> dict[str, Any]:
    """Each history REPLAYS times, the variants in turn, with the worker's runner (its context
    shortcut included, ``sandbox.py``): CPU seconds, and per replay the activations' CPU
    (workflow code only) with the signals each delivered."""
    converter = worker_data_converter(Settings(payload_keys=key))
    runs: dict[str, dict[str, Any]] = {}
    for kind in ("as_is",):
        runner = TimedRunner()
        replayer = Replayer(
            workflows=[CaseReviewWorkflow], data_converter=converter, workflow_runner=runner
        )
        for history in histories.values():  # warm: imports, the sandbox's first preparation
            await replayer.replay_workflow(history, raise_on_replay_failure=True)
        runs[kind] = {"replayer": replayer, "runner": runner, "cpu": {}, "activations": {}}
    for _ in range(REPLAYS):
        for run in runs.values():
            for variant, history in histories.items():
                run["runner"].seen.clear()
                began = time.process_time()
                await run["replayer"].replay_workflow(history, raise_on_replay_failure=True)
                run["cpu"].setdefault(variant, []).append(time.process_time() - began)
                run["activations"].setdefault(variant, []).append(list(run["runner"].seen))
    return runs


Costs = dict[str, list[float]]


def costs(cpu: Costs) -> dict[str, float]:
    """Per refused signal and per note (ms), the mixed burst (s): each variant's CPU less the
    baseline's, round by round (they ran side by side), median of the rounds."""

    def extra(variant: str) -> float:
        return statistics.median(c - b for c, b in zip(cpu[variant], cpu["baseline"], strict=True))

    return {
        "refused_ms": round(extra("refused") / N * 1000, 4),
        "note_ms": round(extra("notes") / N * 1000, 4),
        "mixed_s": round(extra("mixed"), 4),
    }


def figures(rec: dict[str, dict[str, Any]], runs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    cpu: Costs = runs["as_is"]["cpu"]
    acts: dict[str, list[list[tuple[float, int]]]] = runs["as_is"]["activations"]
    med = statistics.median

    def delivering(variant: str) -> float:
        """CPU of the activation that delivered the burst (workflow code), median."""
        return med(max(a, key=lambda x: x[1])[0] for a in acts[variant])

    def longest(variant: str) -> float:
        return med(max(t for t, _ in a) for a in acts[variant])

    out: dict[str, Any] = {
        "replays": REPLAYS,
        **costs(cpu),
        "baseline_replay_s": round(med(cpu["baseline"]), 4),
        "mixed_replay_s": round(med(cpu["mixed"]), 4),
        "per_variant": {},
    }
    for variant, r in rec.items():
        out["per_variant"][variant] = {
            **{k: v for k, v in r.items() if k != "history"},
            "sent_s": round(r["sent_s"], 1),
            "replay_cpu_s": [round(c, 4) for c in cpu[variant]],
            "delivering_activation_s": round(delivering(variant), 4),
            "longest_activation_s": round(longest(variant), 4),
            "activations": len(acts[variant][0]),
        }
    out["activation_s"] = out["per_variant"]["mixed"]["delivering_activation_s"]
    out["met"] = {k: out[k] <= target for k, target in TARGETS.items()}
    return out


async def measure() -> dict[str, Any]:
    variants = {"baseline": 0, "refused": N, "notes": N, "mixed": MIXED}
    async with rig(signal_cap=100_000) as r:
        rec = {v: await record(r, v, n) for v, n in variants.items()}
        for v, got in rec.items():
            print(f"recorded {v}: {json.dumps({k: x for k, x in got.items() if k != 'history'})}")
        r.stack.stop()
        for v, got in rec.items():
            continued = got["continued_as_new"] or variants[v] < SIGNALS_BEFORE_CONTINUING
            if got["failed_tasks"] or not continued:
                raise SystemExit(f"{v}: the live run failed a task or never continued: {got}")
        rep = await replay({v: got["history"] for v, got in rec.items()}, f"b:{r.key}")
    (SAVED / "KEY").write_text(f"b:{r.key}")  # the throwaway key, for bench.burst_profile
    load = [round(x, 1) for x in os.getloadavg()]  # the machine is shared: say how busy it was
    return {
        "signals_per_variant": N,
        "mixed_signals": MIXED,
        "load_average": load,
        **figures(rec, rep),
    }


def section(b: dict[str, Any]) -> list[str]:
    """RESULTS.md's section for the burst."""
    pv = b["per_variant"]

    def mark(key: str) -> str:
        return f"(target ≤ {TARGETS[key]:g}{'' if b['met'][key] else ', MISSED'})"

    rows = [
        f"| {v} | {p['signals']} | {p['events']} | {p['workflow_tasks']} | {p['failed_tasks']} "
        f"| {p['longest_task_s']:.3f} | {p['delivering_activation_s'] * 1000:.1f} "
        f"| {p['longest_activation_s'] * 1000:.1f} | {statistics.median(p['replay_cpu_s']):.3f} |"
        for v, p in pv.items()
    ]
    return [
        "## 5. A burst of signals, replayed without a server",
        "",
        f"Recorded on the bench's stack with the per-run signal cap lifted: per variant one case "
        f"in LOCAL_REVIEW, the worker shut down while the burst was sent, then started again "
        f"(one workflow task delivered every signal; the case judged them {SLICE} a task, then "
        f"continued as new). Each first run replayed {b['replays']} times in the worker's sandbox "
        f"with its converter (`temporalio.worker.Replayer`), the variants in turn; CPU of the "
        f"whole process less the baseline's (a case that took no signal) in the same round, "
        f"median of the rounds. Load average at the end: {b['load_average']} on a shared machine. "
        f"`python -m bench.burst` runs this part alone.",
        "",
        "| figure | CPU | |",
        "| --- | --- | --- |",
        f"| per refused signal (unsigned, {b['signals_per_variant']}) | "
        f"**{b['refused_ms']:.3f} ms** | {mark('refused_ms')} |",
        f"| per accepted signed note ({b['signals_per_variant']}) | "
        f"**{b['note_ms']:.3f} ms** | {mark('note_ms')} |",
        f"| the whole burst of {b['mixed_signals']:,} mixed signals, every slice | "
        f"**{b['mixed_s']:.3f} s** | |",
        f"| the one activation that delivered the {b['mixed_signals']:,} (workflow code) | "
        f"**{pv['mixed']['delivering_activation_s'] * 1000:.1f} ms** | {mark('activation_s')} |",
        "",
        "Per variant: the live run (failed tasks; the longest workflow task, started to "
        "completed in the history) and the replay (the activation that delivered the burst and "
        "the longest activation, CPU of the workflow code in its thread; the whole replay, CPU "
        "of the process, median):",
        "",
        "| variant | signals | events | tasks | failed | longest task s (live) "
        "| delivering activation ms | longest activation ms | replay CPU s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
    ]


def main() -> None:
    burst = asyncio.run(measure())
    print(json.dumps(burst, indent=1))
    print("\n".join(section(burst)))


if __name__ == "__main__":
    main()
