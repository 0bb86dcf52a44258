"""With ICR_LOG_FORMAT=json every line of a worker is JSON, the SDK core's own included: the
worker's runtime forwards the core's log to Python logging, which structlog renders."""

import asyncio
import io
import json

from temporalio import activity
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

import logs
from clients import worker_runtime
from tests.support import BIN, SERVER_START


@activity.defn
async def idle() -> None:
    """Gives the worker an activity poller, whose start the core comments on."""


async def test_the_core_and_the_sdk_speak_json() -> None:
    buffer = io.StringIO()
    logs.configure("json", "INFO", stream=buffer)
    try:
        async with await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=str(BIN / "temporal-test-server"),
            test_server_startup_timeout=SERVER_START,
        ) as env:
            target = env.client.service_client.config.target_host
            client = await Client.connect(target, runtime=worker_runtime(None))
            # The time-skipping server lacks a capability the core warns about at start.
            async with Worker(client, task_queue="core-logs", activities=[idle]):
                await asyncio.sleep(1)
    finally:
        logs.configure("console", "INFO")
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    loggers = {line.get("logger", "") for line in lines}
    assert any(name.startswith("temporalio.core") for name in loggers), loggers
    assert "temporalio.worker._worker" in loggers, loggers  # the SDK's Python logger
    assert all({"event", "level", "timestamp"} <= line.keys() for line in lines), lines
