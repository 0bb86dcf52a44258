"""A burst that costs a sender microseconds never costs a case its life: handlers only take
in, the case judges in bounded slices, and the server's own limits bound what reaches a run
(``workflows.server_limits``). On the real dev server, with both CPUs busy."""

import asyncio
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.common import RawValue
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError

from tests.cluster import Cluster, SlowSink
from tests.support import (
    actor,
    eventually,
    longest_workflow_task,
    refused_by_server_cap,
    start_case,
    status_of,
    submission,
    wait_stage,
)
from workflows.server_limits import SIGNALS_PER_RUN

BURST = 2000
SRO = actor("SRO")


def raw(client: Client) -> Client:
    """The same server without the payload codec: what an outsider's client sends as is."""
    config = client.config()
    config["data_converter"] = pydantic_data_converter
    return Client(**config)


@contextmanager
def both_cpus_busy() -> Iterator[None]:
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        yield
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


async def burst(
    case: WorkflowHandle[Any, Any], outsider: WorkflowHandle[Any, Any]
) -> dict[str, int]:
    """2,000 signals of four kinds, interleaved: how many the server took of each."""
    junk = RawValue(Payload(metadata={"encoding": b"binary/null"}, data=b"\x00" * 64))
    kinds = {
        "signed note": lambda i: case.signal("add_note", {"actor": SRO, "text": f"note {i}"}),
        "unsigned": lambda i: outsider.signal("add_note", {"actor": SRO, "text": "x"}),
        "malformed": lambda i: outsider.signal("withdraw", junk),
        "unknown name": lambda i: outsider.signal(f"no_such_{i % 7}", {"x": i}),
    }
    names = list(kinds)
    taken = dict.fromkeys(names, 0)
    capped = 0
    sem = asyncio.Semaphore(50)

    async def one(i: int) -> None:
        nonlocal capped
        kind = names[i % len(names)]
        async with sem:
            try:
                await kinds[kind](i)
                taken[kind] += 1
            except RPCError as err:
                assert refused_by_server_cap(err), err
                capped += 1

    await asyncio.gather(*(one(i) for i in range(BURST)))
    assert sum(taken.values()) + capped == BURST
    return {**taken, "capped by the server": capped}


@pytest.mark.slow
async def test_a_burst_while_the_worker_is_away_freezes_nothing(
    cluster: tuple[Cluster, SlowSink, Client],
) -> None:
    c, _, client = cluster
    handle = await start_case(client, c.settings, submission())
    await wait_stage(handle, "LOCAL_REVIEW")
    first_run = (await handle.describe()).run_id
    assert c.worker is not None
    c.worker.send_signal(signal.SIGSTOP)  # a deploy, a pause: the worker is away
    try:
        took = await burst(handle, raw(client).get_workflow_handle(handle.id))
    finally:
        with both_cpus_busy():
            c.worker.send_signal(signal.SIGCONT)
            reached = BURST - took["capped by the server"]
            assert reached <= SIGNALS_PER_RUN, took
            # Every signal that reached the case is judged: each signed note kept, the rest
            # refused and counted.
            status = await eventually(
                lambda: status_of(handle),
                lambda s: len(s.history) + s.rejected_dropped + len(s.rejected) == reached,
                timeout=60,
            )
            assert len(status.history) == took["signed note"]
            refusals = status.rejected_dropped + len(status.rejected)
            assert refusals == took["unsigned"] + took["malformed"] + took["unknown name"]
            # The next signed decision applies within seconds, and the case moves on.
            answer = await asyncio.wait_for(
                handle.execute_update(
                    "record_local_response",
                    {"actor": actor("FIELD_OFFICE"), "finding": "MEETS_PRIORITIES", "message": "m"},
                ),
                timeout=30,
            )
            assert answer["stage"] == "AWAITING_ESCALATION"
    print(f"\nburst: {took}; judged: {reached}")
    # The run that took the burst handed over to a new one, which takes signals again.
    await eventually(handle.describe, lambda d: d.run_id != first_run, timeout=60)
    await handle.signal("add_note", {"actor": SRO, "text": "after"})  # the new run takes it
    await handle.execute_update("withdraw", {"actor": actor("INTAKE"), "reason": "Done."})
    result = await handle.result()
    assert result["closure_reason"] == "WITHDRAWN"
    runs = [wf async for wf in client.list_workflows(f"WorkflowId = '{handle.id}'")]
    assert len(runs) > 1, "the case continued as new after the burst"
    longest = 0.0
    for run in runs:
        history = await client.get_workflow_handle(handle.id, run_id=run.run_id).fetch_history()
        failed = [
            e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
        ]
        assert not failed, f"run {run.run_id}: {len(failed)} failed workflow tasks"
        longest = max(longest, await longest_workflow_task(client, handle.id, run.run_id))
    print(f"longest workflow task across {len(runs)} runs: {longest:.3f} s")


@pytest.mark.usefixtures("worker")
async def test_signals_too_big_for_the_server_never_reach_a_case(
    client: Client, settings: Any
) -> None:
    handle = await start_case(client, settings, submission())
    await wait_stage(handle, "LOCAL_REVIEW")
    two_mb = {"actor": SRO, "text": "x" * (2 * 1024 * 1024)}
    with pytest.raises(RPCError, match=r"(?i)size exceeds limit"):
        await handle.signal("add_note", two_mb)
    big = {"actor": SRO, "text": "y" * (3 * 512 * 1024)}  # 1.5 MB, forty times: 60 MB
    for _ in range(40):
        with pytest.raises(RPCError, match=r"(?i)size exceeds limit"):
            await handle.signal("add_note", big)
    status = await status_of(handle)
    assert status.stage == "LOCAL_REVIEW" and not status.rejected
    await handle.execute_update("withdraw", {"actor": actor("INTAKE"), "reason": "Done."})
    assert (await handle.result())["closure_reason"] == "WITHDRAWN"
