"""What a case shows outside its history: search attributes, the UI's current details, and the
time spent per stage. Published after every change; an upsert only of what changed."""

from datetime import datetime
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from domain.status import CaseStatus
    from workflows import search_attributes as search
    from workflows.details import current_details
    from workflows.metrics import CaseMetrics


def _wanted(status: CaseStatus) -> dict[str, Any]:
    return {
        search.CASE_STAGE.name: status.stage.value,
        search.FIELD_OFFICE.name: status.field_office.value,
        search.CASE_FINDING.name: status.finding.value if status.finding else None,
        search.DETAINED.name: status.detained,
        search.NEXT_DEADLINE.name: status.next_deadline,
        search.ASSIGNED_REVIEWER.name: status.assigned_reviewer,
    }


class CasePublisher:
    def __init__(self, metrics: CaseMetrics) -> None:
        self._metrics = metrics
        self._published: dict[str, Any] | None = None
        self._stage_seen: tuple[str, datetime] | None = None

    def publish(self, status: CaseStatus) -> None:
        """``status``: the summary status (``CaseFile.status(summary=True)``)."""
        self.note_stage(status)
        wanted = _wanted(status)
        if self._published is None:  # a new run starts from what the server holds
            current = workflow.info().typed_search_attributes
            self._published = {key.name: current.get(key) for key in search.ALL_KEYS}
        updates: list[SearchAttributeUpdate[Any]] = []
        for key in search.PUBLISHED:
            value = wanted[key.name]
            if self._published.get(key.name) != value:
                updates.append(key.value_unset() if value is None else key.value_set(value))
                self._published[key.name] = value
        if updates:
            workflow.upsert_search_attributes(updates)
        workflow.set_current_details(current_details(status))

    def note_stage(self, status: CaseStatus) -> None:
        """Time spent per stage, measured when the case leaves it (also a stage passed within
        one task, which lasted no time)."""
        seen = self._stage_seen
        if seen is None or seen[0] != status.stage:
            if seen is not None:
                self._metrics.stage_left(seen[0], status.stage_since - seen[1])
            self._stage_seen = (status.stage, status.stage_since)
