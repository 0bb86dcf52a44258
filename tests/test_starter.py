"""``starter.py`` as integrating systems and staff use it: a real process against a real server."""

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest
from temporalio import workflow
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from domain.case_id import case_id_for_request
from opening_verdict import Verdict, opening_verdict
from security.codec import bound_case
from settings import Settings, plain
from tests.conftest import SERVICE_KEYS, TOKENS
from tests.support import Proc, eventually, wait_stage
from tests.support import run_starter as starter

pytestmark = pytest.mark.usefixtures("worker")
ROOT = Path(__file__).resolve().parent.parent


async def run_starter(
    client: Client,
    settings: Settings,
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
) -> Proc:
    """The starter as an integrating system (its service key) or, given ``env``, as staff."""
    base = {
        "TEMPORAL_ADDRESS": client.service_client.config.target_host,
        "ICR_TASK_QUEUE": settings.task_queue,
        "ICR_PAYLOAD_KEYS": plain(settings.payload_keys),
        "ICR_SERVICE_KEY": SERVICE_KEYS["svc.starter"].spec(),
    }
    return await starter({**base, **(env or {})}, *args, stdin=stdin)


async def test_invalid_submission_exits_2_naming_every_field(
    client: Client, settings: Settings
) -> None:
    proc = await run_starter(client, settings, "submit", "examples/invalid.json")
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    for expected in (
        "field_office: Input should be 'ATLANTA'",
        "subject.a_number: A-number must be 'A' followed by 7 to 9 digits",
        "subject.given_name: String should have at least 1 character",
        "requestor.phone: telephone number",
        "requestor.email: e-mail address is not valid",
    ):
        assert expected in proc.stderr
    # Nothing started: the case its request_id would map to does not exist.
    with pytest.raises(RPCError, match="not found"):
        await client.get_workflow_handle(
            case_id_for_request("bad", plain(settings.subject_key_secret))
        ).describe()


async def test_not_json_and_missing_rule(client: Client, settings: Settings) -> None:
    proc = await run_starter(client, settings, "submit", "-", stdin="{oops")
    assert proc.returncode == 2 and "input: not valid JSON" in proc.stderr
    data = json.loads((ROOT / "examples/local-review.json").read_text())
    data.pop("request_id")
    data["entry"] = "SRO_INQUIRY"
    proc = await run_starter(client, settings, "submit", "-", stdin=json.dumps(data))
    assert proc.returncode == 2
    assert "local_response is required when entry is SRO_INQUIRY" in proc.stderr


async def test_submit_status_decide_list(
    client: Client, settings: Settings, codec_server: str, tmp_path: Path
) -> None:
    data: dict[str, Any] = json.loads((ROOT / "examples/local-review.json").read_text())
    data["request_id"] = f"cli-{os.getpid()}-{id(data)}"
    proc = await run_starter(client, settings, "submit", "-", stdin=json.dumps(data))
    assert proc.returncode == 0, proc.stderr
    started = json.loads(proc.stdout)
    assert set(started) == {"case_id", "workflow_id", "run_id"}
    assert started["case_id"] == started["workflow_id"] and started["case_id"].startswith("ICR-")
    assert len(started["case_id"]) == 16
    again = await run_starter(client, settings, "submit", "-", stdin=json.dumps(data))
    assert json.loads(again.stdout) == started, again

    handle = client.get_workflow_handle(started["case_id"])
    await wait_stage(handle, "LOCAL_REVIEW")
    case_id = started["case_id"]

    async def decide(name: str, body: str, env: dict[str, str] | None = None) -> Proc:
        return await run_starter(client, settings, "decide", case_id, name, body, env=env)

    local = '{"finding": "MEETS_PRIORITIES", "message": "ok"}'
    # Without a staff token the decision goes unsigned, and the case refuses it.
    unsigned = await decide("record_local_response", local, {"ICR_SERVICE_KEY": ""})
    assert unsigned.returncode == 3 and "the decision is not signed" in unsigned.stderr
    # The integrating system's key signs what it sends, but opens cases only: no decision.
    starter_only = await decide("record_local_response", local)
    assert starter_only.returncode == 3 and "no role that may" in starter_only.stderr
    # With fo.1's token through the codec server: signed as fo.1, whatever the body claims.
    as_fo = {"ICR_CODEC_ENDPOINT": codec_server, "ICR_STAFF_TOKEN": TOKENS["fo.1"]}
    fo = '{"actor": {"id": "fo.1", "role": "FIELD_OFFICE"}, '
    bad = await decide(
        "record_determination", fo + '"finding": "MEETS_PRIORITIES", "rationale": "x"}', as_fo
    )
    assert bad.returncode == 3, bad
    assert "role FIELD_OFFICE may not record_determination" in bad.stderr
    other = '{"actor": {"id": "field_office.one", "role": "FIELD_OFFICE"}, '
    claiming = await decide("record_local_response", other + local[1:], as_fo)
    assert claiming.returncode == 3 and "actor is not the person who signed it" in claiming.stderr
    wrong = await decide(
        "add_note", '{"text": "x"}', {**as_fo, "ICR_STAFF_TOKEN": "not-a-token-of-anyone"}
    )
    assert wrong.returncode == 1 and "codec server /encode: 401" in wrong.stderr, wrong
    token_file = tmp_path / "token"
    token_file.write_text(TOKENS["fo.1"] + "\n")
    from_file = {"ICR_CODEC_ENDPOINT": codec_server, "ICR_STAFF_TOKEN_FILE": str(token_file)}
    ok = await decide("record_local_response", local, from_file)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["stage"] == "AWAITING_ESCALATION"
    assert json.loads(ok.stdout)["history"][0]["actor"] == {"id": "fo.1", "role": "FIELD_OFFICE"}
    status = await run_starter(client, settings, "status", case_id, env=as_fo)
    assert json.loads(status.stdout)["history"][0]["name"] == "record_local_response", status
    for command in ("submit", "status", "decide", "list"):
        helped = await run_starter(client, settings, command, "--help")
        assert helped.returncode == 0, helped
        assert "usage: starter.py " + command in helped.stdout, helped
    await handle.terminate("test done")


async def test_a_start_the_case_refuses_exits_3_naming_its_reason(
    client: Client, settings: Settings
) -> None:
    """Without its key, an integrating system's start opens no case: the starter says so
    instead of printing a case that fails moments later."""
    data: dict[str, Any] = json.loads((ROOT / "examples/local-review.json").read_text())
    data["request_id"] = f"unsigned-cli-{os.getpid()}-{id(data)}"
    case_id = case_id_for_request(data["request_id"], plain(settings.subject_key_secret))
    unsigned = {"ICR_SERVICE_KEY": ""}
    proc = await run_starter(client, settings, "submit", "-", stdin=json.dumps(data), env=unsigned)
    assert proc.returncode == 3, proc
    assert proc.stdout == ""
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"case {case_id} refused its start: the submission is not signed")
    with pytest.raises(WorkflowFailureError) as failed:  # the case's own verdict, as printed
        await client.get_workflow_handle(case_id).result()
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "InvalidSubmission"
    assert line == f"case {case_id} refused its start: {cause.message}"
    # Signed, the same request opens its case (the refused run does not hold the id).
    signed = await run_starter(client, settings, "submit", "-", stdin=json.dumps(data))
    assert signed.returncode == 0 and signed.stderr == "", signed
    assert json.loads(signed.stdout)["case_id"] == case_id
    # Once opened and ended, the id is never started again: that refusal is named too.
    await client.get_workflow_handle(case_id).terminate("test done")
    again = await run_starter(client, settings, "submit", "-", stdin=json.dumps(data))
    assert again.returncode == 3 and again.stdout == "", again
    assert f"case {case_id} refused its start: this case id was used before" in again.stderr


async def test_submit_exits_0_once_each_entry_has_opened(
    client: Client, settings: Settings
) -> None:
    """Exit 0 means the case opened: its history holds the opening task's commands as the
    starter returns, for each entry, an SRO inquiry with missing items too."""
    sro: dict[str, Any] = json.loads((ROOT / "examples/sro-inquiry.json").read_text())
    missing = json.loads(json.dumps(sro))
    missing["subject"].pop("date_of_birth")
    missing["representative"].pop("authorization")
    local = json.loads((ROOT / "examples/local-review.json").read_text())
    for n, data in enumerate((local, sro, missing)):
        data["request_id"] = f"opened-{n}-{os.getpid()}-{id(data)}"
        proc = await run_starter(client, settings, "submit", "-", stdin=json.dumps(data))
        assert proc.returncode == 0 and proc.stderr == "", proc
        handle = client.get_workflow_handle(json.loads(proc.stdout)["case_id"])
        history = await handle.fetch_history()
        assert opening_verdict(history.events) is Verdict.OPENED, [
            e.event_type for e in history.events
        ]
        await handle.terminate("test done")


async def test_a_case_no_worker_takes_is_printed_with_a_note(
    client: Client, settings: Settings
) -> None:
    """No worker on the queue within the answer timeout: the start was accepted, so the ids
    are printed (exit 0), with a note that the case has not opened yet."""
    data: dict[str, Any] = json.loads((ROOT / "examples/local-review.json").read_text())
    data["request_id"] = f"no-worker-{os.getpid()}-{id(data)}"
    idle = {"ICR_TASK_QUEUE": f"no-worker-{os.getpid()}", "ICR_CLI_TIMEOUT_SECONDS": "2"}
    proc = await run_starter(client, settings, "submit", "-", stdin=json.dumps(data), env=idle)
    assert proc.returncode == 0, proc
    case_id = json.loads(proc.stdout)["case_id"]
    assert proc.stderr.strip() == (
        f"note: case {case_id} has not opened yet (no worker took its first task within 2s); "
        f"`starter.py status {case_id}` shows it once it does"
    )
    await client.get_workflow_handle(case_id).terminate("test done")


async def test_a_case_ended_before_it_opened_exits_7(client: Client, settings: Settings) -> None:
    """Terminated while no worker had taken it: not a refusal, but no case either."""
    data: dict[str, Any] = json.loads((ROOT / "examples/local-review.json").read_text())
    data["request_id"] = f"ended-{os.getpid()}-{id(data)}"
    case_id = case_id_for_request(data["request_id"], plain(settings.subject_key_secret))
    idle = {"ICR_TASK_QUEUE": f"no-worker-{os.getpid()}", "ICR_CLI_TIMEOUT_SECONDS": "30"}
    submitting = asyncio.create_task(
        run_starter(client, settings, "submit", "-", stdin=json.dumps(data), env=idle)
    )
    handle = client.get_workflow_handle(case_id)

    async def started() -> bool:
        try:
            return bool(await handle.describe())
        except RPCError:
            return False

    await eventually(started, bool)  # the starter now waits for the verdict
    await handle.terminate("ended before a worker took it")
    proc = await submitting
    assert proc.returncode == 7 and proc.stdout == "", proc
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"case {case_id} ended before it opened: ") and "terminated" in line


@workflow.defn(name="CaseReviewWorkflow")
class BrokenCase:
    """A worker whose case code fails every workflow task (a bad release, say)."""

    @workflow.run
    async def run(self, *args: Any) -> None:
        raise RuntimeError("a bug in this release")


async def test_a_case_whose_first_task_keeps_failing_exits_7(
    client: Client, settings: Settings
) -> None:
    data: dict[str, Any] = json.loads((ROOT / "examples/local-review.json").read_text())
    data["request_id"] = f"broken-{os.getpid()}-{id(data)}"
    queue = f"broken-{os.getpid()}"
    broken = Worker(
        client,
        task_queue=queue,
        workflows=[BrokenCase],
        workflow_runner=UnsandboxedWorkflowRunner(),
    )
    env = {"ICR_TASK_QUEUE": queue, "ICR_CLI_TIMEOUT_SECONDS": "3"}
    async with broken:
        proc = await run_starter(client, settings, "submit", "-", stdin=json.dumps(data), env=env)
    case_id = case_id_for_request(data["request_id"], plain(settings.subject_key_secret))
    assert proc.returncode == 7 and proc.stdout == "", proc
    assert proc.stderr.startswith(
        f"case {case_id} has not opened: its first workflow task keeps failing"
    ), proc
    await client.get_workflow_handle(case_id).terminate("test done")


async def test_staff_submit_through_the_codec_server_opens_a_case_bound_to_it(
    client: Client, settings: Settings, codec_server: str
) -> None:
    """An intake clerk's start, signed through the codec server with a staff token: sealed for
    the case it opens (the starter names it to /encode), so the case opens."""
    data: dict[str, Any] = json.loads((ROOT / "examples/local-review.json").read_text())
    data["request_id"] = f"staff-cli-{os.getpid()}-{id(data)}"
    as_clerk = {
        "ICR_CODEC_ENDPOINT": codec_server,
        "ICR_STAFF_TOKEN": TOKENS["intake.one"],
        "ICR_SERVICE_KEY": "",
    }
    proc = await run_starter(client, settings, "submit", "-", stdin=json.dumps(data), env=as_clerk)
    assert proc.returncode == 0, proc.stderr
    case_id = json.loads(proc.stdout)["case_id"]
    handle = client.get_workflow_handle(case_id)
    await wait_stage(handle, "LOCAL_REVIEW")
    history = await handle.fetch_history()
    [start] = history.events[0].workflow_execution_started_event_attributes.input.payloads
    assert bound_case(start) == case_id
    await handle.terminate("test done")
