"""The closing case's record, written to the store so it outlives its workflow."""

from collections.abc import Callable
from typing import Any

from temporalio import activity

from domain.status import CaseStatus
from store.case_records import CaseRecords
from workflows.case_record import KEEP_CASE_RECORD


class CaseRecordActivities:
    def __init__(self, records: CaseRecords) -> None:
        self._records = records

    @activity.defn(name=KEEP_CASE_RECORD)
    async def keep_case_record(self, status: CaseStatus) -> None:
        """Idempotent: a retry writes the same record again."""
        await self._records.keep(status)

    def all(self) -> list[Callable[..., Any]]:
        return [self.keep_case_record]
