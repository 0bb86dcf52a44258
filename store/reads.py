"""The access log of documents: every read staff make, open case or closed, kept for good.

A case records its own reads (``status.document_reads``, bounded), but a closed case takes no
more decisions and a bounded list forgets: this table is the full record. A row says who read
which document of which case, and when; never a file name, never content. The codec server
writes the row before it hands out a byte, so no read goes unrecorded.
"""

import secrets
from datetime import UTC, datetime

from pydantic import BaseModel

from store.database import Database


class ReadEntry(BaseModel):
    read_id: str
    case_id: str
    document_id: str
    reader: str
    read_at: datetime


_COLUMNS = "read_id, case_id, document_id, reader, read_at"


class ReadLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self) -> None:
        await self._db.execute(
            "CREATE TABLE IF NOT EXISTS document_reads ("
            " read_id TEXT PRIMARY KEY,"
            " case_id TEXT NOT NULL,"
            " document_id TEXT NOT NULL,"
            " reader TEXT NOT NULL,"
            " read_at TEXT NOT NULL)"
        )
        await self._db.execute(
            "CREATE INDEX IF NOT EXISTS document_reads_by_case ON document_reads (case_id)"
        )

    async def record(self, case_id: str, document_id: str, reader: str) -> ReadEntry:
        """Durable when it returns (each statement is its own transaction on both backends)."""
        entry = ReadEntry(
            read_id="R-" + secrets.token_hex(10).upper(),
            case_id=case_id,
            document_id=document_id,
            reader=reader,
            read_at=datetime.now(UTC),
        )
        await self._db.execute(
            f"INSERT INTO document_reads ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5)",
            entry.read_id,
            case_id,
            document_id,
            reader,
            entry.read_at.isoformat(),
        )
        return entry

    async def of_case(self, case_id: str) -> list[ReadEntry]:
        """Every read of the case's documents, oldest first."""
        rows = await self._db.fetch(
            f"SELECT {_COLUMNS} FROM document_reads WHERE case_id = $1 ORDER BY read_at, read_id",
            case_id,
        )
        return [
            ReadEntry.model_validate(dict(zip(_COLUMNS.split(", "), r, strict=True))) for r in rows
        ]
