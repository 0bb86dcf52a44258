"""Operators' view: search attributes after each transition, the ops CLI's filters, find by
A-number without sending it, counts, and supervisors' bulk actions."""

import json
import operator
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest_asyncio
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from caseload.bulk import reassign, reminder_round
from caseload.queries import CaseFilter, counts, find_cases, subject_filter
from clients import connect
from domain.field_office import FieldOffice
from domain.stage import Stage
from settings import Settings, plain
from tests.support import (
    Proc,
    actor,
    eventually,
    own_namespace,
    run_starter,
    sro_submission,
    start_case,
    status_of,
    submission,
    wait_stage,
)
from worker import build_worker
from workflows import search_attributes as search

ROOT = Path(__file__).resolve().parent.parent
NAMESPACE = "ops"
FO = {"actor": actor("FIELD_OFFICE"), "finding": "MEETS_PRIORITIES", "message": "Reviewed."}


@pytest_asyncio.fixture(scope="module")
async def ops(
    env: WorkflowEnvironment, settings: Settings
) -> AsyncIterator[tuple[Client, Settings]]:
    """Its own namespace, so filters can be checked for exactly the right cases, and a worker
    whose field-office reminder comes after one second, so a case is overdue at once."""
    client, ops_settings = await own_namespace(
        env, settings, NAMESPACE, field_office_reminder_days=1 / 86400
    )
    async with build_worker(client, ops_settings):
        yield client, ops_settings


def subject(a_number: str) -> dict[str, Any]:
    return {**submission()["subject"], "a_number": a_number}


async def attrs(handle: WorkflowHandle[Any, Any]) -> Any:
    return (await handle.describe()).typed_search_attributes


async def test_search_attributes_follow_every_transition(
    client: Client, settings: Settings, worker: Any
) -> None:
    handle = await start_case(client, settings, submission(field_office="HOUSTON", detained=True))

    async def expect(**wanted: Any) -> None:
        keys = {k.name: k for k in search.ALL_KEYS}
        await eventually(
            lambda: attrs(handle),
            lambda a: all(a.get(keys[name]) == value for name, value in wanted.items()),
            timeout=15,
        )

    status = await wait_stage(handle, "LOCAL_REVIEW")
    await expect(
        CaseStage="LOCAL_REVIEW",
        FieldOffice="HOUSTON",
        Detained=True,
        NextDeadline=status.next_deadline,
    )
    a = await attrs(handle)
    assert len(a.get(search.SUBJECT_KEY) or "") == 64, (
        "SubjectKey is a keyed hash, never the number"
    )
    await handle.execute_update("record_local_response", FO)
    status = await wait_stage(handle, "AWAITING_ESCALATION")
    await expect(CaseStage="AWAITING_ESCALATION", NextDeadline=status.next_deadline)
    await handle.execute_update(
        "submit_sro_inquiry",
        {"actor": actor("INTAKE"), "phone": "2125550143", "email": "m@example.org"},
    )
    status = await wait_stage(handle, "SRO_REVIEW")
    await expect(CaseStage="SRO_REVIEW", NextDeadline=status.next_deadline)
    await handle.execute_update("assign_reviewer", {"actor": actor("SRO"), "reviewer_id": "sro.sa"})
    await expect(AssignedReviewer="sro.sa")
    await handle.execute_update(
        "record_determination",
        {"actor": actor("SRO", "sro.sa"), "finding": "MEETS_PRIORITIES", "rationale": "r"},
    )
    await handle.result()
    await expect(CaseStage="CLOSED", CaseFinding="MEETS_PRIORITIES", NextDeadline=None)
    upserts = [
        e
        for e in (await handle.fetch_history()).events
        if e.HasField("upsert_workflow_search_attributes_event_attributes")
        # the SDK records each patch in TemporalChangeVersion: not one of the case's changes
        and set(
            e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        )
        != {"TemporalChangeVersion"}
    ]
    # One upsert per change: LOCAL_REVIEW deadline, escalation, intake, review, reviewer, closing.
    assert len(upserts) <= 7, len(upserts)


async def test_ops_filters_find_counts_and_bulk(ops: tuple[Client, Settings]) -> None:
    client, settings = ops
    started = datetime.now(UTC)
    local = await start_case(client, settings, submission(field_office="ATLANTA"))
    waiting = await start_case(client, settings, submission(field_office="BOSTON"))
    await waiting.execute_update("record_local_response", FO)
    incomplete_data = sro_submission(
        field_office="CHICAGO", detained=True, subject=subject("A-555-123-456")
    )
    incomplete_data["subject"]["date_of_birth"] = None
    incomplete = await start_case(client, settings, incomplete_data)
    review_d = await start_case(
        client, settings, sro_submission(field_office="DALLAS", detained=True)
    )
    review_e = await start_case(client, settings, sro_submission(field_office="DENVER"))
    closed = await start_case(client, settings, submission(field_office="ATLANTA"))
    await closed.execute_update("withdraw", {"actor": actor("INTAKE"), "reason": "Withdrawn."})
    for h in (review_d, review_e):
        await wait_stage(h, "SRO_REVIEW")
        await h.execute_update(
            "assign_reviewer", {"actor": actor("SUPERVISOR"), "reviewer_id": "r1"}
        )
    await wait_stage(incomplete, "AWAITING_INFORMATION")
    await closed.result()
    await eventually(
        lambda: status_of(local), lambda s: any(n.kind == "REMINDER" for n in s.notices)
    )

    async def ids(case_filter: CaseFilter) -> set[str]:
        return {wf.id for wf in await find_cases(client, case_filter)}

    expected = {
        CaseFilter(stage=Stage.SRO_REVIEW): {review_d.id, review_e.id},
        CaseFilter(stage=Stage.AWAITING_ESCALATION): {waiting.id},
        CaseFilter(office=FieldOffice.ATLANTA): {local.id, closed.id},
        CaseFilter(reviewer="r1"): {review_d.id, review_e.id},
        CaseFilter(detained=True): {incomplete.id, review_d.id},
        CaseFilter(overdue=True): {local.id},
        CaseFilter(closed_since=started): {closed.id},
        subject_filter("A555123456", plain(settings.subject_key_secret)): {incomplete.id},
    }
    for case_filter, cases in expected.items():
        got = await eventually(partial(ids, case_filter), partial(operator.eq, cases), timeout=15)
        assert got == cases

    table = await counts(client)
    assert table["by_stage"] == {
        "LOCAL_REVIEW": 1,
        "AWAITING_ESCALATION": 1,
        "SRO_INTAKE": 0,
        "AWAITING_INFORMATION": 1,
        "SRO_REVIEW": 2,
        "CLOSED": 1,
    }
    assert table["open_by_office"] == {
        "ATLANTA": 1,
        "BOSTON": 1,
        "CHICAGO": 1,
        "DALLAS": 1,
        "DENVER": 1,
    }

    # find: the A-number never leaves this process.
    sent: list[bytes] = []
    spy = await connect(settings)
    real = spy.service_client._rpc_call

    async def recording(rpc: str, req: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(req.SerializeToString())
        return await real(rpc, req, *args, **kwargs)

    spy.service_client._rpc_call = recording  # type: ignore[method-assign]
    found = await find_cases(
        spy, subject_filter("A-555-123-456", plain(settings.subject_key_secret))
    )
    assert [wf.id for wf in found] == [incomplete.id]
    assert sent and not any(b"555123456" in r or b"555-123-456" in r for r in sent)

    # Bulk reassign: dry run, for real, and again (nothing changes the second time).
    plan = await reassign(
        client, "r1", "r2", "sup.lead1", task_queue=settings.task_queue, dry_run=True
    )
    assert sorted((c.case_id, c.outcome) for c in plan) == sorted(
        [(review_d.id, "planned"), (review_e.id, "planned")]
    )
    assert (await status_of(review_d)).assigned_reviewer == "r1"
    done = await reassign(
        client, "r1", "r2", "sup.lead1", task_queue=settings.task_queue, dry_run=False
    )
    assert {c.outcome for c in done} == {"applied"}
    again = await reassign(
        client, "r1", "r2", "sup.lead1", task_queue=settings.task_queue, dry_run=False
    )
    assert {c.outcome for c in again} <= {"skipped"}
    for h in (review_d, review_e):
        status = await status_of(h)
        assert status.assigned_reviewer == "r2"
        assert [e.name for e in status.history].count("assign_reviewer") == 2

    # A reminder round, twice with the same round id: one reminder per open staff task.
    plan = await reminder_round(
        client,
        CaseFilter(office=FieldOffice.DALLAS),
        "sup.lead1",
        task_queue=settings.task_queue,
        round_id="t1",
        dry_run=True,
    )
    assert [(c.case_id, c.outcome) for c in plan] == [(review_d.id, "planned")]
    for _ in range(2):
        await reminder_round(
            client,
            CaseFilter(office=FieldOffice.DALLAS),
            "sup.lead1",
            task_queue=settings.task_queue,
            round_id="t1",
            dry_run=False,
        )
    status = await eventually(
        lambda: status_of(review_d), lambda s: any("round" in n.event_key for n in s.notices)
    )
    [round_key] = {n.event_key.split("-")[2] for n in status.notices if "round" in n.event_key}
    assert [n.event_key for n in status.notices if "round" in n.event_key] == [
        f"reminder-round-{round_key}-determination"
    ]

    # The CLI shows the same, as a table and as JSON.
    proc = await cli(settings, "list", "--overdue")
    assert proc[0] == 0 and local.id in proc[1] and "yes" in proc[1], proc
    print("\n$ starter.py list --overdue\n" + proc[1])
    code, out, _ = await cli(settings, "list", "--stage", "SRO_REVIEW", "--json")
    assert {r["case_id"] for r in json.loads(out)} == {review_d.id, review_e.id}
    code, out, err = await cli(settings, "find", "--a-number", "A555123456", "--json")
    assert [r["case_id"] for r in json.loads(out)] == [incomplete.id], err
    code, out, err = await cli(settings, "find", "--a-number", "B12")
    assert code == 2 and "a_number: A-number must be" in err


async def cli(settings: Settings, *args: str) -> Proc:
    env = {
        "TEMPORAL_ADDRESS": settings.temporal_address,
        "TEMPORAL_NAMESPACE": settings.temporal_namespace,
        "ICR_SUBJECT_KEY_SECRET": plain(settings.subject_key_secret),
        "ICR_PAYLOAD_KEYS": plain(settings.payload_keys),
    }
    return await run_starter(env, *args)
