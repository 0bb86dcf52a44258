"""The case-review worker: ``python worker.py``. Settings come from the environment (README)."""

import asyncio
import signal
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import structlog
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

import logs
from activities.ledger import NoticeLedger
from activities.notices import NoticeActivities, PolicyActivities
from activities.postbox import Postbox
from clients import connect, for_worker, metrics_runtime
from security.directory import FileStaffDirectory
from settings import Settings, get_settings
from store.shared import database_for
from workflows.case_review import CaseReviewWorkflow

log = structlog.get_logger("icr.worker")


def activities_for(settings: Settings) -> Sequence[Callable[..., Any]]:
    notices = NoticeActivities(Postbox(settings, NoticeLedger(database_for(settings))))
    directory = FileStaffDirectory(settings.staff_directory) if settings.staff_directory else None
    policy = PolicyActivities(settings, directory)
    return [*notices.all(), *policy.all()]


# Validation libraries import lazily; letting them through keeps them out of each sandbox.
PASSTHROUGH = ("pydantic", "pydantic_core", "email_validator", "idna", "phonenumbers", "structlog")


def workflow_runner() -> SandboxedWorkflowRunner:
    """The sandbox the worker runs cases in; the replay tests use the very same."""
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
    )


def build_worker(client: Client, settings: Settings) -> Worker:
    return Worker(
        for_worker(client, settings),
        task_queue=settings.task_queue,
        workflows=[CaseReviewWorkflow],
        workflow_runner=workflow_runner(),
        activities=activities_for(settings),
        graceful_shutdown_timeout=timedelta(seconds=30),
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        max_concurrent_activities=settings.max_concurrent_activities,
        max_cached_workflows=settings.max_cached_workflows,
    )


async def run(settings: Settings) -> None:
    runtime = metrics_runtime(settings.metrics_address) if settings.metrics_address else None
    client = await connect(settings, runtime=runtime)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with build_worker(client, settings):
        log.info(
            "worker.started",
            task_queue=settings.task_queue,
            address=settings.temporal_address,
            metrics=f"http://{settings.metrics_address}/metrics" if runtime else None,
        )
        await stop.wait()
        log.info("worker.stopping")
    log.info("worker.stopped")


def main() -> None:
    settings = get_settings()
    logs.configure(settings.log_format, settings.log_level)
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
