"""The accounting of disclosures (5 U.S.C. 552a(c)): every release of a case's record outside
ICE, kept in the shared store so it outlives the workflow.

A row holds what (c)(1) asks for: the date, the nature (which letter or which record), the
purpose, the recipient's name and address and the case. Name, address and the letter itself are
sealed under the payload keys like every personal value at rest; the date, nature and purpose
are the agency's own words. A row is kept until ``keep_until`` (five years at least, (c)(2)).
Its id is the caller's (a letter's Message-ID, a release's hash), so a retried activity writes
it once.

Reads of a case's documents are not rows here: only staff read them, through the codec server,
inside ICE ((b)(1), need to know); each read is in the access log (``store.reads``), and a
field-office member of another office is refused the document outright.
"""

import json
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from store.database import Database
from store.sealing import Sealer

MIN_RETENTION_YEARS = 5.0
_LABEL = "disclosure:"


class Recipient(BaseModel):
    kind: str
    """REQUESTOR, REPRESENTATIVE or the office a release went to."""
    name: str
    address: str


class DisclosureEntry(BaseModel):
    disclosure_id: str
    case_id: str
    disclosed_at: datetime
    nature: str
    purpose: str
    recipient: Recipient
    subject: str = ""
    """The letter's subject line (empty for a release)."""
    body: str = ""
    """The letter as sent (empty for a release): the release reprints it."""


_COLUMNS = "disclosure_id, case_id, disclosed_at, nature, purpose, sealed, keep_until"


def retention(years: float) -> timedelta:
    if years < MIN_RETENTION_YEARS:
        raise ValueError(f"the accounting is kept {MIN_RETENTION_YEARS:g} years at least")
    return timedelta(days=365.25 * years)


class DisclosureLog:
    def __init__(self, db: Database, sealer: Sealer, keep_years: float) -> None:
        self._db = db
        self._sealer = sealer
        self._keep = retention(keep_years)
        self._ready = False

    async def create(self) -> None:
        self._ready = True
        await self._db.execute(
            "CREATE TABLE IF NOT EXISTS disclosures ("
            " disclosure_id TEXT PRIMARY KEY,"
            " case_id TEXT NOT NULL,"
            " disclosed_at TEXT NOT NULL,"
            " nature TEXT NOT NULL,"
            " purpose TEXT NOT NULL,"
            f" sealed {self._db.blob} NOT NULL,"
            " keep_until TEXT NOT NULL)"
        )
        await self._db.execute(
            "CREATE INDEX IF NOT EXISTS disclosures_by_case ON disclosures (case_id)"
        )

    async def record(self, entry: DisclosureEntry) -> bool:
        """Written once per id: False when an earlier attempt already wrote it."""
        if not self._ready:
            await self.create()
        private = {
            "recipient": entry.recipient.model_dump(),
            "subject": entry.subject,
            "body": entry.body,
        }
        sealed = self._sealer.seal(
            json.dumps(private).encode(), _LABEL + entry.case_id + "/" + entry.disclosure_id
        )
        keep_until = entry.disclosed_at.astimezone(UTC) + self._keep
        changed = await self._db.execute(
            f"INSERT INTO disclosures ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            " ON CONFLICT (disclosure_id) DO NOTHING",
            entry.disclosure_id,
            entry.case_id,
            entry.disclosed_at.astimezone(UTC).isoformat(),
            entry.nature,
            entry.purpose,
            sealed,
            keep_until.isoformat(),
        )
        return changed > 0

    async def of_case(self, case_id: str) -> list[DisclosureEntry]:
        """The case's accounting, oldest first, opened for staff."""
        if not self._ready:
            await self.create()
        rows = await self._db.fetch(
            f"SELECT {_COLUMNS} FROM disclosures WHERE case_id = $1"
            " ORDER BY disclosed_at, disclosure_id",
            case_id,
        )
        entries = []
        for disclosure_id, case, at, nature, purpose, sealed, _keep in rows:
            private = json.loads(
                self._sealer.open(bytes(sealed), _LABEL + case + "/" + disclosure_id)
            )
            entries.append(
                DisclosureEntry(
                    disclosure_id=disclosure_id,
                    case_id=case,
                    disclosed_at=datetime.fromisoformat(at),
                    nature=nature,
                    purpose=purpose,
                    **private,
                )
            )
        return entries

    async def forget_expired(self, now: datetime) -> int:
        """Rows past their retention; never one younger than five years (see ``retention``)."""
        if not self._ready:
            await self.create()
        return await self._db.execute(
            "DELETE FROM disclosures WHERE keep_until < $1", now.astimezone(UTC).isoformat()
        )
