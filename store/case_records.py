"""Closed cases' records, kept for the records schedule after Temporal lets the workflow go.

Temporal keeps a closed workflow for the namespace's retention (30 days in compose); a
government case file is kept for years. When a case closes, its final status (decisions with
who and when, notices, the determination, the documents index) is written here, sealed under
the payload keys, and ``status`` and ``release`` read it once the workflow is gone. The same
case closing twice (a retried activity) writes the same record.
"""

from datetime import UTC, datetime, timedelta

from domain.status import CaseStatus
from store.database import Database, fetch_one
from store.sealing import Sealer

_LABEL = "case-record:"


class CaseRecords:
    def __init__(self, db: Database, sealer: Sealer | None, keep_years: float) -> None:
        """``sealer`` None (development without payload keys): nothing is kept."""
        if keep_years <= 0:
            raise ValueError("the records schedule must keep a case record for some time")
        self._db = db
        self._sealer = sealer
        self._keep = timedelta(days=365.25 * keep_years)
        self._ready = False

    @property
    def keep_years(self) -> float:
        return self._keep.days / 365.25

    async def create(self) -> None:
        self._ready = True
        await self._db.execute(
            "CREATE TABLE IF NOT EXISTS case_records ("
            " case_id TEXT PRIMARY KEY,"
            " closed_at TEXT NOT NULL,"
            f" sealed {self._db.blob} NOT NULL,"
            " keep_until TEXT NOT NULL)"
        )

    async def keep(self, status: CaseStatus) -> None:
        """Idempotent: the newest final status of the case replaces an earlier one."""
        if self._sealer is None:
            return
        if not self._ready:
            await self.create()
        closed_at = (status.closed_at or datetime.now(UTC)).astimezone(UTC)
        sealed = self._sealer.seal(status.model_dump_json().encode(), _LABEL + status.case_id)
        await self._db.execute(
            "INSERT INTO case_records (case_id, closed_at, sealed, keep_until)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (case_id) DO UPDATE"
            " SET closed_at = excluded.closed_at, sealed = excluded.sealed,"
            " keep_until = excluded.keep_until",
            status.case_id,
            closed_at.isoformat(),
            sealed,
            (closed_at + self._keep).isoformat(),
        )

    async def read(self, case_id: str) -> CaseStatus | None:
        if self._sealer is None:
            return None
        if not self._ready:
            await self.create()
        row = await fetch_one(
            self._db, "SELECT sealed FROM case_records WHERE case_id = $1", case_id
        )
        if row is None:
            return None
        return CaseStatus.model_validate_json(self._sealer.open(bytes(row[0]), _LABEL + case_id))

    async def forget_expired(self, now: datetime) -> int:
        if not self._ready:
            await self.create()
        return await self._db.execute(
            "DELETE FROM case_records WHERE keep_until < $1", now.astimezone(UTC).isoformat()
        )
