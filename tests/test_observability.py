"""Metrics scraped from the worker's Prometheus endpoint, and logs: JSON, bound, PII-free."""

import asyncio
import io
import json
import re
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

import logs
from caseload.gauges import BacklogGauges
from clients import worker_runtime
from domain.inquiry import Submission
from intake import submit
from settings import Settings
from tests.signing import staff_converter
from tests.support import PII, actor, free_port, submission, wait_stage
from worker import build_worker

ROOT = Path(__file__).resolve().parent.parent


@pytest_asyncio.fixture(scope="module")
async def metered(
    env: WorkflowEnvironment, settings: Settings
) -> AsyncIterator[tuple[Client, Settings, int]]:
    """A worker of its own whose runtime serves Prometheus metrics, as worker.py sets it up."""
    port = free_port()
    own = settings.model_copy(
        update={
            "temporal_address": env.client.service_client.config.target_host,
            "task_queue": "metered",
            "metrics_address": f"127.0.0.1:{port}",
        }
    )
    runtime = worker_runtime(own.metrics_address)
    client = await Client.connect(
        own.temporal_address, data_converter=staff_converter(own), runtime=runtime
    )
    async with build_worker(client, own):
        await BacklogGauges(client, runtime, own).refresh()  # the backlog gauges, counted once
        yield client, own, port


async def full_case(
    client: Client, settings: Settings, **overrides: Any
) -> WorkflowHandle[Any, Any]:
    result = await submit(client, Submission.model_validate(submission(**overrides)), settings)
    handle = client.get_workflow_handle(result.case_id)
    await wait_stage(handle, "LOCAL_REVIEW")
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(
            "record_determination",
            {"actor": actor("FIELD_OFFICE"), "finding": "MEETS_PRIORITIES", "rationale": "x"},
        )
    await handle.signal("record_local_response", {"actor": actor("SRO")})  # rejected signal
    decisions: list[tuple[str, dict[str, Any]]] = [
        (
            "record_local_response",
            {"actor": actor("FIELD_OFFICE"), "finding": "MEETS_PRIORITIES", "message": "m"},
        ),
        (
            "submit_sro_inquiry",
            {"actor": actor("INTAKE"), "phone": "+12125550143", "email": "maria.lopez@example.org"},
        ),
    ]
    for name, payload in decisions:
        await handle.execute_update(name, payload)
    await wait_stage(handle, "SRO_REVIEW")
    await handle.execute_update("send_reminders", {"actor": actor("SUPERVISOR")})
    await handle.execute_update(
        "record_determination",
        {"actor": actor("SRO"), "finding": "DOES_NOT_MEET_PRIORITIES", "rationale": "Equities."},
    )
    await handle.result()
    return handle


async def scrape(port: int) -> str:
    def get() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
            return str(r.read().decode())

    return await asyncio.to_thread(get)


def value(text: str, name: str, **labels: str) -> float:
    """The sample ``name{labels…}``, summing over labels not given."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        head, number = line.rsplit(" ", 1)
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            total += float(number)
    return total


async def test_metrics_after_a_full_case(metered: tuple[Client, Settings, int]) -> None:
    client, settings, port = metered
    await full_case(client, settings, field_office="SEATTLE")
    text = ""
    for _ in range(50):  # the exporter collects on an interval
        text = await scrape(port)
        # The SDK counts the completion a moment after the workflow's own closing metric.
        if value(text, "icr_cases_closed_total") >= 1 and "temporal_workflow_completed" in text:
            break
        await asyncio.sleep(0.2)
    print("\n".join(line for line in text.splitlines() if line.startswith("icr_"))[:3000])
    assert value(text, "icr_cases_opened_total", entry="LOCAL_REVIEW", field_office="SEATTLE") == 1
    assert (
        value(
            text,
            "icr_cases_closed_total",
            closure_reason="DETERMINATION_ISSUED",
            finding="DOES_NOT_MEET_PRIORITIES",
        )
        == 1
    )
    assert value(text, "icr_decisions_total", outcome="accepted") == 4
    assert (
        value(text, "icr_decisions_total", outcome="rejected", via="update", reason_class="role")
        == 1
    )
    assert (
        value(text, "icr_decisions_total", outcome="rejected", via="signal", reason_class="invalid")
        == 1
    )
    assert value(text, "icr_notices_total", outcome="SENT") == 5
    assert value(text, "icr_deadline_notices_total", kind="REMINDER") == 1
    for stage in ("LOCAL_REVIEW", "AWAITING_ESCALATION", "SRO_INTAKE", "SRO_REVIEW"):
        assert value(text, "icr_stage_duration_count", stage=stage) == 1, stage
    assert value(text, "icr_stage_duration_bucket", stage="LOCAL_REVIEW", le="+Inf") == 1
    assert value(text, "icr_stage_duration_bucket", stage="LOCAL_REVIEW", le="86400") == 1, (
        "day buckets"
    )
    assert "temporal_workflow_completed" in text, "the SDK's own metrics are served too"
    dashboard = json.loads((ROOT / "deploy/grafana/dashboards/icr-case-review.json").read_text())
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    for name in sorted(set(re.findall(r"\b(icr_[a-z_]+)", exprs))):
        assert name in text, f"the dashboard plots {name}, which the worker does not export"
    for secret in PII:
        assert secret not in text


async def test_logs_are_json_bound_and_free_of_pii(
    client: Client, settings: Settings, worker: Any
) -> None:
    buffer = io.StringIO()
    logs.configure("json", "DEBUG", stream=buffer)
    try:
        handle = await full_case(client, settings)
    finally:
        logs.configure("console", "INFO")
    lines = [json.loads(line) for line in buffer.getvalue().splitlines() if handle.id in line]
    assert len(lines) >= 8, lines
    for entry in lines:
        assert {"event", "level", "timestamp", "case_id"} <= entry.keys(), entry
        assert entry["case_id"] == handle.id
        if entry["event"].startswith(("case.", "decision.")):
            assert entry["workflow_id"] == handle.id and entry["run_id"], entry
        if entry["event"] == "notice.sent":
            assert entry["activity"] and entry["attempt"] == 1, entry
    events = [e["event"] for e in lines]
    assert events.count("case.opened") == 1 and events.count("case.closed") == 1, (
        "no replay repeats"
    )
    assert "decision.rejected" in events
    text = buffer.getvalue()
    for secret in PII:
        assert secret not in text, secret


@pytest.mark.parametrize(
    ("value", "secret"),
    [
        ("A012345678", "012345678"),
        ("A-012-345-678", "012-345-678"),
        ("a 012 345 678", "012 345 678"),
        ("maria.lopez@example.org", "maria.lopez"),
        ("+12125550143", "2125550143"),
        ("(212) 555-0143", "555-0143"),
        ("+1 415 555 0188", "555 0188"),
    ],
)
def test_redactor_masks_every_pattern_kind(value: str, secret: str) -> None:
    event = logs.redact(None, "info", {"event": f"oops {value}", "nested": {"x": [value]}})
    assert secret not in json.dumps(event)


def test_redactor_masks_bound_names_and_drops_them() -> None:
    event = logs.redact(
        None,
        "info",
        {
            "event": "letter for Maria Lopez Garcia",
            "who": "maria",
            logs.PII_KEY: ["Maria Lopez Garcia", "Maria"],
        },
    )
    assert logs.PII_KEY not in event
    assert "Maria" not in json.dumps(event) and "maria" not in json.dumps(event)
