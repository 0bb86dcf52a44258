"""The triage list: mail the gateway would not attach or could not read, for intake staff.

An item names only why it waits and when it came; its message stays sealed in the inbox until
a person opens it (``starter.py triage show``).
"""

import builtins
import hashlib
from datetime import UTC, datetime

from pydantic import BaseModel

from store.database import Database, fetch_one

OPEN, ASSIGNED = "open", "assigned"


class TriageItem(BaseModel):
    item_id: str
    message_key: str
    reason: str
    received_at: datetime
    state: str
    case_id: str | None = None
    assigned_by: str | None = None
    assigned_at: datetime | None = None


_COLUMNS = "item_id, message_key, reason, received_at, state, case_id, assigned_by, assigned_at"


def _item(row: tuple[object, ...]) -> TriageItem:
    return TriageItem.model_validate(dict(zip(_COLUMNS.split(", "), row, strict=True)))


class TriageList:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self) -> None:
        await self._db.execute(
            "CREATE TABLE IF NOT EXISTS triage ("
            " item_id TEXT PRIMARY KEY,"
            " message_key TEXT NOT NULL UNIQUE,"
            " reason TEXT NOT NULL,"
            " received_at TEXT NOT NULL,"
            " state TEXT NOT NULL,"
            " case_id TEXT, assigned_by TEXT, assigned_at TEXT)"
        )

    async def add(self, message_key: str, reason: str, received_at: datetime) -> str:
        """Once per message: a second add (a retried apply) keeps the first item."""
        item_id = "T-" + hashlib.sha256(message_key.encode()).hexdigest()[:10].upper()
        await self._db.execute(
            f"INSERT INTO triage ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, NULL, NULL, NULL)"
            " ON CONFLICT (message_key) DO NOTHING",
            item_id,
            message_key,
            reason,
            received_at.isoformat(),
            OPEN,
        )
        return item_id

    async def list(self, *, open_only: bool = True) -> list[TriageItem]:
        where = " WHERE state = $1" if open_only else ""
        args = (OPEN,) if open_only else ()
        rows = await self._db.fetch(
            f"SELECT {_COLUMNS} FROM triage{where} ORDER BY received_at", *args
        )
        return [_item(r) for r in rows]

    async def get(self, item_id: str) -> TriageItem | None:
        row = await fetch_one(
            self._db, f"SELECT {_COLUMNS} FROM triage WHERE item_id = $1", item_id
        )
        return None if row is None else _item(row)

    async def assign(self, item_id: str, case_id: str, staff_id: str) -> None:
        await self._db.execute(
            "UPDATE triage SET state = $1, case_id = $2, assigned_by = $3, assigned_at = $4"
            " WHERE item_id = $5",
            ASSIGNED,
            case_id,
            staff_id,
            datetime.now(UTC).isoformat(),
            item_id,
        )

    async def older_than(self, cutoff: datetime) -> "builtins.list[TriageItem]":
        """Items received before ``cutoff`` (open or assigned): what retention purges."""
        rows = await self._db.fetch(
            f"SELECT {_COLUMNS} FROM triage WHERE received_at < $1 ORDER BY received_at",
            cutoff.isoformat(),
        )
        return [_item(r) for r in rows]

    async def remove(self, item_id: str) -> None:
        await self._db.execute("DELETE FROM triage WHERE item_id = $1", item_id)
