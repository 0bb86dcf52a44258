"""Record the histories the replay test keeps: `python -m tests.histories.record [PREFIX]`.

With a PREFIX the files are named PREFIX.<path>.json, beside those of older code (which stay:
they are the cases still running).

Run it when a path of the workflow is added, never to paper over a replay failure: a history
that no longer replays means a running case would break (docs/operating.md, "Changing the
workflow").
Payloads are encrypted under the test-only key in KEY, so the files hold no readable data.
Decisions are stamped as staff's are (a throwaway stamp key; replay does not check stamps
again: the verdicts are in the history).
"""

import asyncio
import json
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.inquiry import Submission
from intake import submit
from settings import Settings
from tests.signing import staff_converter, stamp_key_file
from tests.support import (
    BIN,
    MailSink,
    eventually,
    represented,
    sro_submission,
    status_of,
    submission,
    time_skipping_cases,
    wait_stage,
)
from worker import build_worker
from workflows import search_attributes as search

HERE = Path(__file__).resolve().parent
KEY = (HERE / "KEY").read_text().strip()
STAFF = HERE.parent.parent / "config" / "staff-directory.json"
FO = {
    "actor": {"id": "fo.officer1", "role": "FIELD_OFFICE"},
    "finding": "MEETS_PRIORITIES",
    "message": "Reviewed.",
}
SRO = {"id": "sro.reviewer1", "role": "SRO"}
STARTER = "intake.clerk1"
"""Submissions are signed as the development directory's intake clerk (starting needs INTAKE)."""


def settings(sink: MailSink, folder: Path) -> Settings:
    return Settings(
        payload_keys=KEY,
        stamp_key_file=stamp_key_file(folder),
        staff_directory=STAFF,
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        notice_ledger=HERE / ".ledger.sqlite3",
    )


async def start(client: Client, s: Settings, data: dict[str, Any]) -> Any:
    return client.get_workflow_handle(
        (await submit(client, Submission.model_validate(data), s)).case_id
    )


async def local_to_determination(client: Client, s: Settings) -> str:
    h = await start(client, s, submission())
    await wait_stage(h, "LOCAL_REVIEW")
    await h.execute_update("record_local_response", FO)
    await h.execute_update(
        "submit_sro_inquiry",
        {
            "actor": {"id": "intake.clerk1", "role": "INTAKE"},
            "phone": "2125550143",
            "email": "m@example.org",
        },
    )
    await wait_stage(h, "SRO_REVIEW")
    await h.signal("assign_reviewer", {"actor": SRO, "reviewer_id": "sro.reviewer1"})
    await h.execute_update(
        "request_consultation", {"actor": SRO, "party": "FIELD_OFFICE", "question": "q"}
    )
    await h.execute_update(
        "record_consultation_response",
        {"actor": FO["actor"], "consultation_id": "C1", "response": "r"},
    )
    await h.execute_update(
        "record_determination",
        {"actor": SRO, "finding": "MEETS_PRIORITIES", "rationale": "r", "decision_id": "d1"},
    )
    await h.result()
    return str(h.id)


async def incomplete_then_withdrawn(client: Client, s: Settings) -> str:
    data = represented(form=None)
    data["subject"]["date_of_birth"] = None
    h = await start(client, s, data)
    await wait_stage(h, "AWAITING_INFORMATION")
    await h.signal("provide_information")  # empty: rejected, recorded
    await h.execute_update(
        "provide_information",
        {"actor": {"id": "intake.clerk1", "role": "INTAKE"}, "date_of_birth": "1988-04-12"},
    )
    await h.execute_update(
        "provide_information",
        {
            "actor": {"id": "intake.clerk1", "role": "INTAKE"},
            "authorization": {"form": "G-28", "document_ref": "x"},
        },
    )
    await wait_stage(h, "SRO_REVIEW")
    await h.execute_update(
        "withdraw", {"actor": {"id": "sup.lead1", "role": "SUPERVISOR"}, "reason": "r"}
    )
    await h.result()
    return str(h.id)


async def broken_signals_then_closed(client: Client, s: Settings) -> str:
    h = await start(client, s, sro_submission())
    await wait_stage(h, "SRO_REVIEW")
    await h.signal("record_determination", [1, 2])
    await h.signal("record_determination", {"actor": {"id": "stranger", "role": "SRO"}})
    await h.signal("add_note", {"actor": SRO, "text": "note"})
    await h.signal(
        "record_determination",
        {"actor": SRO, "finding": "DOES_NOT_MEET_PRIORITIES", "rationale": "r"},
    )
    await h.result()
    return str(h.id)


async def reminders_then_not_escalated(env: WorkflowEnvironment, s: Settings) -> str:
    """Field-office reminder (day 7), escalation (day 21), then the escalation window."""
    h = await start(env.client, s, submission())
    await env.sleep(timedelta(days=22))
    await h.signal("record_local_response", FO)
    await env.sleep(timedelta(days=31))
    return str(h.id)


async def information_deadline_incomplete(env: WorkflowEnvironment, s: Settings) -> str:
    data = sro_submission()
    data["subject"]["date_of_birth"] = None
    h = await start(env.client, s, data)
    await env.sleep(timedelta(days=31))
    return str(h.id)


async def a_burst_in_one_task(env: WorkflowEnvironment, s: Settings) -> str:
    """More signals than one slice reach the case while no worker runs: the task that
    delivers them takes them in, and the case judges them a slice per task."""
    async with build_worker(env.client, s):
        h = await start(env.client, s, sro_submission())
        await wait_stage(h, "SRO_REVIEW")
        # Idle before the worker leaves: no task in flight to buffer the burst behind.
        await eventually(
            lambda: status_of(h), lambda st: any(n.outcome == "SENT" for n in st.notices)
        )
        await asyncio.sleep(1)
    for i in range(BURST):  # the worker is away: the server keeps them for one task
        if i % 3 == 0:
            await h.signal("add_note", {"actor": SRO, "text": f"note {i}"})
        else:
            await h.signal("withdraw", {"actor": SRO, "x": i})
    async with build_worker(env.client, s):
        await h.execute_update(
            "withdraw", {"actor": {"id": "sup.lead1", "role": "SUPERVISOR"}, "reason": "r"}
        )
        await h.result()
    return str(h.id)


BURST = 450
PREFIX = f"{sys.argv[1]}." if len(sys.argv) > 1 else ""


async def save(client: Client, case_id: str, name: str) -> None:
    history = await client.get_workflow_handle(case_id).fetch_history()
    text = history.to_json()
    data = json.loads(text)
    started = data["events"][0]["workflowExecutionStartedEventAttributes"]
    if "workflowId" not in started:  # the time-skipping server leaves out what a real one keeps
        started["workflowId"] = case_id  # signed decisions name their case: replay needs it
        text = json.dumps(data)
    (HERE / f"{PREFIX}{name}.json").write_text(text)
    print(f"recorded {name}: {len(history.events)} events")


async def main() -> None:
    sink = MailSink()
    sink.start()
    folder = Path(tempfile.mkdtemp())
    s = settings(sink, folder)
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        data_converter=staff_converter(s, default_signer=STARTER),
        search_attributes=search.ALL_KEYS,
    ) as env:  # without the per-run signal cap: the burst reaches one task whole
        async with build_worker(env.client, s):
            paths = (local_to_determination, incomplete_then_withdrawn, broken_signals_then_closed)
            for path in paths:
                await save(env.client, await path(env.client, s), path.__name__)
        await save(env.client, await a_burst_in_one_task(env, s), a_burst_in_one_task.__name__)
    async with time_skipping_cases(s, STARTER) as env:  # the deadline paths
        for timed in (reminders_then_not_escalated, information_deadline_incomplete):
            await save(env.client, await timed(env, s), timed.__name__)
    sink.stop()
    (HERE / ".ledger.sqlite3").unlink(missing_ok=True)


if __name__ == "__main__":
    asyncio.run(main())
