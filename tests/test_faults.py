"""Faults, for real: the worker and the dev server killed with SIGKILL and restarted, the SMTP
server down for a while. Every case completes and every notice arrives once."""

import asyncio
import collections

import pytest
from temporalio.client import Client

from domain.inquiry import Submission
from domain.notices import NoticeKind
from intake import submit
from settings import Settings
from tests.cluster import Cluster, SlowSink, connect_when_up
from tests.support import (
    MailSink,
    actor,
    eventually,
    status_of,
    submission,
)

pytestmark = pytest.mark.slow

SRO = actor("SRO")


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
