"""`python -m bench.burst_profile [VARIANT ...]`: where replaying a recorded burst spends its CPU.

Replays the histories `python -m bench.burst` left in var/bench-burst/ (the first run of each
variant, under the run's throwaway key) under cProfile, as the burst bench does, and prints the
functions with the most CPU of their own and the most CPU in all, in ms per signal of the burst:
once for the SDK's main thread (decoding each activation's payloads, the core) and once for the
workflow code (the activations, which run in the SDK's executor thread).
"""

import asyncio
import cProfile
import json
import pstats
import sys
import time
from typing import Any

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from bench.burst import SAVED
from bench.replay_runner import TimedInstance, TimedRunner
from clients import worker_data_converter
from settings import Settings
from workflows.case_review import CaseReviewWorkflow

TOP = 18


class ProfiledInstance(TimedInstance):
    """Each activation under its own thread's profiler: cProfile sees one thread only."""

    workflow_code = cProfile.Profile()

    def activate(self, act: Any) -> Any:
        self.workflow_code.enable()
        try:
            return super().activate(act)
        finally:
            self.workflow_code.disable()


class ProfiledRunner(TimedRunner):
    def create_instance(self, det: Any) -> Any:
        return ProfiledInstance(self._inner.create_instance(det), self.seen)


def load(variant: str) -> WorkflowHistory:
    text = (SAVED / f"{variant}.json").read_text()
    started = json.loads(text)["events"][0]["workflowExecutionStartedEventAttributes"]
    return WorkflowHistory.from_json(started["workflowId"], text)  # a case checks its own id


def where(func: tuple[str, int, str]) -> str:
    path, line, name = func
    short = path.split("site-packages/")[-1].split("issue-20-bench/")[-1]
    return f"{short}:{line}:{name}"


async def profile(variant: str, replayer: Replayer) -> None:
    history, baseline = load(variant), load("baseline")
    signals = sum(
        1 for e in history.events if e.HasField("workflow_execution_signaled_event_attributes")
    )
    began = time.process_time()
    await replayer.replay_workflow(baseline)
    base = time.process_time() - began
    main_thread = cProfile.Profile()
    ProfiledInstance.workflow_code = cProfile.Profile()
    began = time.process_time()
    main_thread.enable()
    await replayer.replay_workflow(history, raise_on_replay_failure=True)
    main_thread.disable()
    total = time.process_time() - began
    per = 1000 / max(signals, 1)
    print(
        f"\n== {variant}: {signals} signals; replay {total:.3f} s CPU under cProfile "
        f"(baseline {base:.3f} s without): {(total - base) * per:.3f} ms a signal"
    )
    top("main thread", main_thread, per, signals)
    top("workflow code", ProfiledInstance.workflow_code, per, signals)


def top(thread: str, profiler: cProfile.Profile, per: float, signals: int) -> None:
    stats = pstats.Stats(profiler)
    rows = stats.stats  # type: ignore[attr-defined]
    for title, index in (("own time", 2), ("cumulative", 3)):
        print(f"-- {thread}: top by {title}, ms per signal (calls per signal)")
        ranked = sorted(rows.items(), key=lambda kv: kv[1][index], reverse=True)[:TOP]
        for func, (_cc, nc, tt, ct, _callers) in ranked:
            value = tt if index == 2 else ct
            print(f"  {value * per:8.4f}  ({nc / max(signals, 1):6.1f})  {where(func)}")


async def main(variants: list[str]) -> None:
    key = (SAVED / "KEY").read_text().strip()
    replayer = Replayer(
        workflows=[CaseReviewWorkflow],
        data_converter=worker_data_converter(Settings(payload_keys=key)),
        workflow_runner=ProfiledRunner(),
    )
    await replayer.replay_workflow(load("baseline"))  # warm
    for variant in variants:
        await profile(variant, replayer)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:] or ["refused", "notes", "mixed"]))
