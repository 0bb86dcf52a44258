"""What operators meet: a frozen case flagged by Temporal, the CLI's one-line failures and exit
statuses, paging, a closed pipe, workers side by side, the Schedules and the backlog gauges.
All on the real dev server, in a namespace of its own so counts are exact."""

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio import workflow
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

import starter
from caseload.backlog import backlog
from caseload.bulk import Change
from caseload.queries import CaseFilter, find_cases
from caseload.schedules import ensure_schedules
from domain.inquiry import Submission
from intake import submit
from settings import Settings, plain
from tests.support import (
    eventually,
    free_port,
    own_namespace,
    pollers,
    run_starter,
    submission,
)
from worker import build_worker

ROOT = Path(__file__).resolve().parent.parent
NAMESPACE = "trouble"
BROKEN_QUEUE = "broken-cases"


@workflow.defn(name="CaseReviewWorkflow")
class BrokenCase:
    """A case-review run whose every workflow task fails, as a code defect or an unreadable
    payload would make it: served by a test-only worker on a queue of its own."""

    @workflow.run
    async def run(self, *_args: Any) -> None:
        raise RuntimeError("defect in a workflow task")


@pytest_asyncio.fixture(scope="module")
async def trouble(
    env: WorkflowEnvironment, settings: Settings
) -> AsyncIterator[tuple[Client, Settings, WorkflowHandle[Any, Any]]]:
    client, own = await own_namespace(
        env,
        settings,
        NAMESPACE,
        task_queue="trouble",
        schedule_actor="supervisor.one",
        smtp_rate_per_second=3.0,
    )
    broken = Worker(
        client,
        task_queue=BROKEN_QUEUE,
        workflows=[BrokenCase],
        workflow_runner=UnsandboxedWorkflowRunner(),
    )
    async with build_worker(client, own), broken:
        frozen = await client.start_workflow(
            "CaseReviewWorkflow", id="ICR-FROZENCASE01", task_queue=BROKEN_QUEUE
        )
        yield client, own, frozen


def cli_env(settings: Settings, **extra: str) -> dict[str, str]:
    return {
        "TEMPORAL_ADDRESS": settings.temporal_address,
        "TEMPORAL_NAMESPACE": settings.temporal_namespace,
        "ICR_TASK_QUEUE": settings.task_queue,
        "ICR_PAYLOAD_KEYS": plain(settings.payload_keys),
        "ICR_SUBJECT_KEY_SECRET": plain(settings.subject_key_secret),
        **extra,
    }


def one_line_no_traceback(err: str) -> None:
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


async def test_a_frozen_case_is_listed_counted_and_refused_at_once(
    trouble: tuple[Client, Settings, WorkflowHandle[Any, Any]],
) -> None:
    client, settings, frozen = trouble
    found = await eventually(
        lambda: find_cases(client, CaseFilter(problems=True)), lambda f: len(f) == 1, timeout=60
    )
    assert found[0].id == frozen.id
    env = cli_env(settings)
    listed = await run_starter(env, "list", "--problems", "--json")
    assert listed.returncode == 0, listed
    (row,) = json.loads(listed.stdout)
    assert row["case_id"] == frozen.id and row["problems"] is True
    table = await run_starter(env, "list")
    line = next(line for line in table.stdout.splitlines() if frozen.id in line)
    assert line.rstrip().endswith("yes"), table.stdout
    counted = await run_starter(env, "counts", "--json")
    assert json.loads(counted.stdout)["with_problems"] == 1, counted
    assert (await backlog(client)).with_problems == 1

    decision = '{"actor": {"id": "supervisor.one", "role": "SUPERVISOR"}, "decision_id": "d1"}'
    decided = await run_starter(env, "decide", frozen.id, "send_reminders", decision)
    assert decided.returncode == 7, decided
    one_line_no_traceback(decided.stderr)
    assert f"case {frozen.id} is stuck" in decided.stderr and "Runbook" in decided.stderr
    status = await run_starter(env, "status", frozen.id)
    assert status.returncode == 7 and status.stdout == "", status
    # Ended by an operator, it cannot replay to answer a query either: still one line.
    ended = await client.start_workflow(
        "CaseReviewWorkflow", id="ICR-FROZENCASE02", task_queue=BROKEN_QUEUE
    )
    await ended.terminate("test: a frozen case ended by hand")
    closed = await run_starter(env, "status", ended.id)
    assert closed.returncode == 7 and "is TERMINATED and cannot answer status" in closed.stderr
    one_line_no_traceback(closed.stderr)


async def test_each_failure_is_one_line_and_its_exit_status(
    trouble: tuple[Client, Settings, WorkflowHandle[Any, Any]], tmp_path: Path
) -> None:
    _, settings, _ = trouble
    env = cli_env(settings)
    gone = await run_starter(cli_env(settings, TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}"), "list")
    assert gone.returncode == 6, gone
    one_line_no_traceback(gone.stderr)
    assert "cannot reach Temporal at 127.0.0.1:" in gone.stderr
    missing = await run_starter(env, "status", "ICR-NOSUCHCASE00")
    assert missing.returncode == 4 and "not found" in missing.stderr, missing
    one_line_no_traceback(missing.stderr)
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes('{"note": "Jos\xe9"}'.encode("latin-1"))
    deep = '{"a": ' * 100_000  # nested past the JSON reader's recursion limit
    for args, stdin in (
        (("submit", str(latin1)), None),
        (("list", "--reviewer", "x' OR WorkflowId != ''"), None),
        (("decide", "ICR-NOSUCHCASE00", "send_reminders", "-"), deep),
    ):
        bad = await run_starter(env, *args, stdin=stdin)
        assert bad.returncode == 2, (args, bad)
        one_line_no_traceback(bad.stderr)
    assert "not UTF-8" in (await run_starter(env, "submit", str(latin1))).stderr
    refused = await run_starter(env, "remind", "--actor", "nobody.at.all")
    assert refused.returncode in (0, 3), refused  # nothing to remind, or every case refused


async def test_paging_past_the_limit_says_so(
    trouble: tuple[Client, Settings, WorkflowHandle[Any, Any]],
) -> None:
    client, settings, _ = trouble
    for n in range(3):
        data = submission(request_id=f"page-{n}-{os.getpid()}", field_office="SEATTLE")
        await submit(client, Submission.model_validate(data), settings)
    filter_ = CaseFilter(office="SEATTLE")  # type: ignore[arg-type]
    await eventually(lambda: find_cases(client, filter_), lambda f: len(f) >= 3, timeout=15)
    env = cli_env(settings)
    cut = await run_starter(env, "list", "--office", "SEATTLE", "--limit", "2", "--json")
    assert cut.returncode == 0 and len(json.loads(cut.stdout)) == 2, cut
    assert "showing the first 2 cases; more match" in cut.stderr
    every = await run_starter(env, "list", "--office", "SEATTLE", "--all", "--json")
    assert len(json.loads(every.stdout)) == 3 and every.stderr == "", every
    keys = set(json.loads(every.stdout)[0])
    assert keys == {
        "case_id", "status", "stage", "field_office", "reviewer", "detained", "finding",
        "next_deadline", "overdue", "problems",
    }  # fmt: skip


def _closed_reader(env: dict[str, str]) -> tuple[int, str]:
    proc = subprocess.Popen(
        [sys.executable, "starter.py", "list", "--all"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # `| head -1` that has had its line: the pipe has no reader
    err = proc.stderr.read().decode()
    return proc.wait(30), err


async def test_a_reader_that_stops_early_ends_the_output_quietly(
    trouble: tuple[Client, Settings, WorkflowHandle[Any, Any]],
) -> None:
    _, settings, _ = trouble
    code, err = await asyncio.to_thread(_closed_reader, cli_env(settings))
    assert code == 0 and err == "", err


def _worker(settings: Settings, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "worker.py"],
        cwd=ROOT,
        env={**os.environ, **cli_env(settings), "ICR_LOG_FORMAT": "json", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def _health(port: int) -> dict[str, Any]:
    def get() -> dict[str, Any]:
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as answer:
            body: dict[str, Any] = json.loads(answer.read())
            return body

    return await asyncio.to_thread(get)


async def test_two_workers_on_one_host_and_a_clear_error_for_a_taken_port(
    trouble: tuple[Client, Settings, WorkflowHandle[Any, Any]],
) -> None:
    client, settings, _ = trouble
    ports = [free_port() for _ in range(4)]
    workers = [
        _worker(
            settings,
            ICR_METRICS_ADDRESS=f"127.0.0.1:{ports[2 * n]}",
            ICR_HEALTH_ADDRESS=f"127.0.0.1:{ports[2 * n + 1]}",
            ICR_TASK_QUEUE="side-by-side",
        )
        for n in range(2)
    ]
    try:
        for n in range(2):
            health = await eventually(
                partial(_health_or_none, ports[2 * n + 1]), lambda h: h is not None
            )
            assert health == {
                "task_queues": ["side-by-side", "side-by-side-notices"],
                "status": "serving",
                "server": True,
            }
        polling = await eventually(
            lambda: pollers(client, "side-by-side"), lambda p: len(p) == 2, timeout=20
        )
        assert {int(p.identity.split("@")[0]) for p in polling} == {w.pid for w in workers}
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            address = f"127.0.0.1:{taken.getsockname()[1]}"
            third = _worker(settings, ICR_METRICS_ADDRESS=address, ICR_HEALTH_ADDRESS="")
            _, err = await asyncio.to_thread(third.communicate, timeout=30)
        assert third.returncode == 2, err
        assert err.strip() == (
            f"worker: ICR_METRICS_ADDRESS={address} cannot be used (Address already in use): "
            "another worker on this host? Give each worker process its own "
            "ICR_METRICS_ADDRESS, or set it empty to turn it off"
        )
    finally:
        for w in workers:
            w.terminate()
        outputs = [await asyncio.to_thread(w.communicate, timeout=60) for w in workers]
    for w, (_, err) in zip(workers, outputs, strict=True):
        assert w.returncode == 0, err
        lines = [json.loads(line) for line in err.splitlines()]  # every line is JSON
        events = {line["event"] for line in lines}
        assert {"worker.started", "worker.stopped"} <= events, events
        assert any(line.get("logger", "").startswith("temporalio") for line in lines), lines


async def _health_or_none(port: int) -> dict[str, Any] | None:
    try:
        return await _health(port)
    except OSError:
        return None


async def test_the_server_holds_notices_to_the_relay_quota(
    trouble: tuple[Client, Settings, WorkflowHandle[Any, Any]],
) -> None:
    """The notice queue's pollers carry ICR_SMTP_RATE_PER_SECOND to the server, which then
    dispatches at most that many notice activities a second to all of them together."""
    client, settings, _ = trouble
    found = await eventually(
        lambda: pollers(client, settings.notice_task_queue, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
        bool,
    )
    assert {p.rate_per_second for p in found} == {3.0}


async def test_setup_creates_the_schedules_once_and_they_run(
    trouble: tuple[Client, Settings, WorkflowHandle[Any, Any]],
) -> None:
    client, settings, _ = trouble
    first = await run_starter(cli_env(settings), "setup")
    assert first.returncode == 0, first
    assert "schedule icr-daily-reminder-round: created" in first.stdout
    again = await ensure_schedules(client, settings.task_queue)
    assert again == [("icr-daily-reminder-round", "exists"), ("icr-daily-backlog-report", "exists")]
    report_schedule = client.get_schedule_handle("icr-daily-backlog-report")
    described = await report_schedule.describe()
    assert described.schedule.spec.calendars[0].hour[0].start == 6
    await report_schedule.trigger()
    await client.get_schedule_handle("icr-daily-reminder-round").trigger()
    runs = await eventually(lambda: find_runs(client), lambda r: len(r) == 2, timeout=30)
    results = {name: await client.get_workflow_handle(wid).result() for name, wid in runs.items()}
    report = results["BacklogReportWorkflow"]
    assert report["with_problems"] == 1 and report["open_by_office"]["SEATTLE"] >= 3, report
    assert results["ReminderRoundWorkflow"].get("applied", 0) >= 3, results


async def find_runs(client: Client) -> dict[str, str]:
    query = "WorkflowType IN ('BacklogReportWorkflow', 'ReminderRoundWorkflow')"
    return {
        wf.workflow_type: wf.id
        async for wf in client.list_workflows(query)
        if wf.status is not None and wf.status.name == "COMPLETED"
    }


@pytest.mark.parametrize(
    ("outcomes", "code"),
    [
        (["applied", "skipped"], 0),
        (["applied", "rejected", "skipped"], 5),
        (["rejected", "rejected", "skipped"], 3),
        ([], 0),
    ],
)
def test_a_bulk_action_says_whether_it_applied_all_some_or_none(
    outcomes: list[str], code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    changes = [
        Change(case_id=f"ICR-{n:012d}", action="send_reminders", outcome=o)
        for n, o in enumerate(outcomes)
    ]
    assert starter._changes(changes, as_json=False) == code
    err = capsys.readouterr().err
    assert ("refused the change" in err) == (code != 0), err
