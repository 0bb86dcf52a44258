"""Business metrics from the workflow's own meter: replay-safe (the SDK records nothing while
replaying) and tagged only with categories, never with a case's data."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import MetricCounter, MetricHistogramTimedelta

STAGE_DURATION = "icr_stage_duration"
STAGE_BUCKETS_SECONDS = [
    60.0,
    3600.0,
    86400.0,
    7 * 86400.0,
    14 * 86400.0,
    30 * 86400.0,
    60 * 86400.0,
    120 * 86400.0,
]


class CaseMetrics:
    def __init__(self) -> None:
        meter = workflow.metric_meter()
        self._opened: MetricCounter = meter.create_counter(
            "icr_cases_opened", "Cases opened, by entry and field office"
        )
        self._closed: MetricCounter = meter.create_counter(
            "icr_cases_closed", "Cases closed, by closure reason and finding"
        )
        self._decisions: MetricCounter = meter.create_counter(
            "icr_decisions", "Decisions accepted or rejected, by name, channel and reason class"
        )
        self._notices: MetricCounter = meter.create_counter(
            "icr_notices", "Notices sent or failed, by kind"
        )
        self._deadlines: MetricCounter = meter.create_counter(
            "icr_deadline_notices", "Reminders and escalations, by task kind"
        )
        self._stage_time: MetricHistogramTimedelta = meter.create_histogram_timedelta(
            STAGE_DURATION, "Time a case spent in a stage", unit="s"
        )

    def opened(self, entry: str, field_office: str) -> None:
        self._opened.add(1, {"entry": entry, "field_office": field_office})

    def closed(self, reason: str, finding: str | None) -> None:
        self._closed.add(1, {"closure_reason": reason, "finding": finding or "NONE"})

    def decision(
        self, name: str, via: str, outcome: str, reason_class: str = "none", count: int = 1
    ) -> None:
        self._decisions.add(
            count, {"decision": name, "via": via, "outcome": outcome, "reason_class": reason_class}
        )

    def notice(self, kind: str, outcome: str) -> None:
        self._notices.add(1, {"kind": kind, "outcome": outcome})
        if kind in ("REMINDER", "ESCALATION"):
            self._deadlines.add(1, {"kind": kind})

    def stage_left(self, stage: str, spent: timedelta) -> None:
        self._stage_time.record(max(spent, timedelta(0)), {"stage": stage})
