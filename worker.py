"""The case-review worker: ``python worker.py`` (or ``icr-worker``). Settings come from the
environment (docs/contract.md, "Settings"). Any number of workers may run on one host, each
with its own ``ICR_METRICS_ADDRESS`` and ``ICR_HEALTH_ADDRESS``; a taken port is a one-line
start-up error."""

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, NoReturn

import structlog
from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.worker import Worker

import logs
from activities.case_records import CaseRecordActivities
from activities.caseload_jobs import CaseloadJobs
from activities.notices import NoticeActivities, PolicyActivities
from activities.postbox import Postbox
from caseload.gauges import BacklogGauges
from clients import Unreachable, connect, for_worker, worker_runtime
from sandbox import workflow_runner
from security import configured
from security.client_credentials import TokenRefused
from security.directory import FileStaffDirectory
from settings import Settings, get_settings
from store.case_records import CaseRecords
from store.database import Database
from store.disclosures import DisclosureLog
from store.ledger import NoticeLedger
from store.sealing import Sealer
from store.shared import accounting, database_for
from worker_health import HealthServer
from workflows.case_review import CaseReviewWorkflow
from workflows.schedules import BacklogReportWorkflow, ReminderRoundWorkflow

log = structlog.get_logger("icr.worker")

EXIT_STARTUP = 2
EXIT_UNREACHABLE = 6


class StartupError(Exception):
    """The worker cannot start as configured: printed as one line, exit status 2."""


def records_of(settings: Settings, db: Database) -> tuple[DisclosureLog | None, CaseRecords]:
    """The accounting and the closed cases' records; without payload keys (development with
    no key file) nothing can be sealed, so neither is written (and the worker says so)."""
    keys = configured.keyring(settings)
    sealer = Sealer(keys) if keys is not None else None
    if sealer is None:
        log.warning("records.not_kept", reason="no payload keys: nothing can be sealed")
        return None, CaseRecords(db, None, settings.case_record_retention_years)
    return accounting(settings, db, sealer), CaseRecords(
        db, sealer, settings.case_record_retention_years
    )


def notice_activities(settings: Settings) -> Sequence[Callable[..., Any]]:
    db = database_for(settings)
    disclosures, _ = records_of(settings, db)
    return NoticeActivities(Postbox(settings, NoticeLedger(db), disclosures)).all()


def activities_for(settings: Settings, client: Client | None = None) -> list[Callable[..., Any]]:
    directory = FileStaffDirectory(settings.staff_directory) if settings.staff_directory else None
    policy = PolicyActivities(settings, directory)
    jobs = (
        CaseloadJobs(client, settings.schedule_actor, settings.task_queue).all()
        if client is not None
        else []
    )
    # Notices stay here too: a case started before the notice queue existed sends them here.
    _, records = records_of(settings, database_for(settings))
    kept = CaseRecordActivities(records).all()
    return [*notice_activities(settings), *policy.all(), *jobs, *kept]


class Workers:
    """The case queue's worker and the notice queue's, started and stopped together."""

    def __init__(self, *workers: Worker) -> None:
        self.workers = workers
        self._stack = contextlib.AsyncExitStack()

    async def __aenter__(self) -> "Workers":
        for worker in self.workers:
            await self._stack.enter_async_context(worker)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self._stack.aclose()


def build_worker(client: Client, settings: Settings) -> Workers:
    """Everything one worker process polls: cases and scheduled jobs, and notices."""
    return Workers(build_case_worker(client, settings), build_notice_worker(client, settings))


def build_case_worker(client: Client, settings: Settings) -> Worker:
    return Worker(
        for_worker(client, settings),
        task_queue=settings.task_queue,
        workflows=[CaseReviewWorkflow, ReminderRoundWorkflow, BacklogReportWorkflow],
        workflow_runner=workflow_runner(),
        activities=activities_for(settings, client),
        graceful_shutdown_timeout=timedelta(seconds=30),
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        max_concurrent_activities=settings.max_concurrent_activities,
        max_cached_workflows=settings.max_cached_workflows,
    )


def build_notice_worker(client: Client, settings: Settings) -> Worker:
    """The notice queue's worker. Its rate is the server's: every replica polling the queue
    together gets at most ``ICR_SMTP_RATE_PER_SECOND`` notice activities a second."""
    rate = settings.smtp_rate_per_second
    return Worker(
        for_worker(client, settings),
        task_queue=settings.notice_task_queue,
        activities=notice_activities(settings),
        graceful_shutdown_timeout=timedelta(seconds=30),
        max_concurrent_activities=settings.max_concurrent_activities,
        max_task_queue_activities_per_second=rate if rate > 0 else None,
    )


def check_port(variable: str, address: str) -> None:
    """Fail at once, naming the variable, when this process cannot listen where it is told."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise StartupError(f"{variable}={address!r} is not host:port (empty turns it off)")
    with socket.socket() as probe:
        try:
            probe.bind((host, int(port)))
        except OSError as exc:
            raise StartupError(
                f"{variable}={address} cannot be used ({exc.strerror}): another worker on this "
                f"host? Give each worker process its own {variable}, or set it empty to turn it off"
            ) from None


async def run(settings: Settings) -> None:
    if settings.metrics_address:
        check_port("ICR_METRICS_ADDRESS", settings.metrics_address)
    if settings.health_address:
        check_port("ICR_HEALTH_ADDRESS", settings.health_address)
    runtime: Runtime = worker_runtime(settings.metrics_address or None)
    client = await connect(settings, runtime=runtime)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    health = HealthServer(client, settings)
    gauges = BacklogGauges(client, runtime, settings) if settings.metrics_address else None
    async with build_worker(client, settings):
        await health.start()
        if gauges is not None:
            gauges.start()
        log.info(
            "worker.started",
            task_queue=settings.task_queue,
            notice_task_queue=settings.notice_task_queue,
            address=client.service_client.config.target_host,
            pid=os.getpid(),
            metrics=f"http://{settings.metrics_address}/metrics" if gauges else None,
            health=f"http://{settings.health_address}/health" if settings.health_address else None,
        )
        await stop.wait()
        log.info("worker.stopping")
        health.stopping()
        if gauges is not None:
            await gauges.stop()
    await health.stop()
    log.info("worker.stopped")


def exit_now(code: int) -> NoReturn:
    """Leave without interpreter finalization (the SDK's native threads can abort it)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main() -> None:
    settings = get_settings()
    logs.configure(settings.log_format, settings.log_level)
    try:
        asyncio.run(run(settings))
    except StartupError as exc:
        print(f"worker: {exc}", file=sys.stderr)
        exit_now(EXIT_STARTUP)
    except (Unreachable, TokenRefused) as exc:
        print(f"worker: {exc}", file=sys.stderr)
        exit_now(EXIT_UNREACHABLE)
    exit_now(0)


if __name__ == "__main__":
    main()
