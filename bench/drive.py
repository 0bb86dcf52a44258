"""What the bench does to a case and to the floor: one full lifecycle each, every decision an
update; batches of them with the CPU they cost the server and the worker."""

import asyncio
import json
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from temporalio.client import Client, WorkflowHandle

from bench.bare import START_ATTRIBUTES, UPDATES_PER_CASE
from bench.stack import ROOT, Stack
from domain.inquiry import Submission
from intake import submit
from settings import Settings

CONCURRENCY = 20
EXAMPLE = json.loads((ROOT / "examples" / "local-review.json").read_text())


def sample() -> dict[str, Any]:
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


@dataclass
class Counters:
    intake_retries: int = 0


COUNTERS = Counters()


async def full_case(client: Client, settings: Settings) -> str:
    started = await submit(client, Submission.model_validate(sample()), settings)
    handle = client.get_workflow_handle(started.case_id)
    for name, payload in LIFECYCLE:
        await decide(handle, name, payload)
    await handle.result()
    return started.case_id


async def decide(handle: WorkflowHandle[Any, Any], name: str, payload: dict[str, Any]) -> None:
    """One decision, as a caller sends it: a case that holds `SRO_INTAKE` must be waited out."""
    for _ in range(200):
        try:
            await handle.execute_update(name, payload)
            return
        except Exception as exc:
            if "SRO_INTAKE" not in str(getattr(exc, "cause", exc)):
                raise
            COUNTERS.intake_retries += 1
            await asyncio.sleep(0.02)


async def bare_case(client: Client, smtp: list[Any]) -> str:
    case_id = f"BARE-{uuid.uuid4().hex[:12]}"
    handle = await client.start_workflow(
        "BareWorkflow",
        smtp,
        id=case_id,
        task_queue="bench-bare",
        search_attributes=START_ATTRIBUTES,
    )
    for i in range(UPDATES_PER_CASE):
        await handle.execute_update("step", {"i": i, "text": "payload of a decision's size"})
    await handle.result()
    return case_id


@dataclass
class Batch:
    count: int
    seconds: float
    server_cpu: float
    worker_cpu: float
    ids: list[str]

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def per_case(self) -> tuple[float, float]:
        """CPU seconds per lifecycle of (server, worker)."""
        return self.server_cpu / self.count, self.worker_cpu / self.count


async def batch(stack: Stack, count: int, one: Callable[[], Awaitable[str]]) -> Batch:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def guarded() -> str:
        async with gate:
            return await one()

    cpu0 = stack.cpu()
    began = time.perf_counter()
    ids = await asyncio.gather(*(guarded() for _ in range(count)))
    seconds = time.perf_counter() - began
    cpu1 = stack.cpu()
    return Batch(count, seconds, cpu1[0] - cpu0[0], cpu1[1] - cpu0[1], list(ids))


async def events_per_case(client: Client, ids: list[str]) -> float:
    counts = []
    for case_id in ids[:10]:
        history = await client.get_workflow_handle(case_id).fetch_history()
        counts.append(len(history.events))
    return statistics.median(counts)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def timed(call: Awaitable[Any]) -> float:
    began = time.perf_counter()
    await call
    return (time.perf_counter() - began) * 1000
