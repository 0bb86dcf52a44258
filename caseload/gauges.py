"""The backlog as Prometheus gauges on the worker's metrics endpoint, counted every
``ICR_BACKLOG_INTERVAL_SECONDS``. Every replica reports the same numbers: dashboards and alert
rules take max() over replicas."""

import asyncio
import contextlib

import structlog
from temporalio.client import Client
from temporalio.runtime import Runtime

from caseload.backlog import Backlog, backlog
from settings import Settings

log = structlog.get_logger("icr.backlog")


class BacklogGauges:
    def __init__(self, client: Client, runtime: Runtime, settings: Settings) -> None:
        meter = runtime.metric_meter
        self._client = client
        self._interval = settings.backlog_interval_seconds
        self._task: asyncio.Task[None] | None = None
        self._open = meter.create_gauge("icr_backlog_open_cases", "Open cases, by stage")
        self._overdue = meter.create_gauge("icr_backlog_overdue_cases", "Overdue cases, by stage")
        self._open_office = meter.create_gauge(
            "icr_backlog_open_cases_by_office", "Open cases, by field office"
        )
        self._overdue_office = meter.create_gauge(
            "icr_backlog_overdue_cases_by_office", "Overdue cases, by field office"
        )
        self._detained = meter.create_gauge(
            "icr_backlog_detained_past_target", "Detained cases past the determination target"
        )
        self._problems = meter.create_gauge(
            "icr_backlog_cases_with_problems",
            "Open cases whose workflow task keeps failing (TemporalReportedProblems)",
        )

    def publish(self, now: Backlog) -> None:
        for stage, n in now.open_by_stage.items():
            self._open.set(n, {"stage": stage})
        for stage, n in now.overdue_by_stage.items():
            self._overdue.set(n, {"stage": stage})
        for office, n in now.open_by_office.items():
            self._open_office.set(n, {"field_office": office})
        for office, n in now.overdue_by_office.items():
            self._overdue_office.set(n, {"field_office": office})
        self._detained.set(now.detained_past_target)
        self._problems.set(now.with_problems)

    async def refresh(self) -> Backlog:
        now = await backlog(self._client)
        self.publish(now)
        return now

    async def _loop(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception as exc:  # a visibility hiccup: keep the last values, try again
                log.warning("backlog.count_failed", error=type(exc).__name__)
            await asyncio.sleep(self._interval)

    def start(self) -> None:
        if self._interval > 0:
            self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
