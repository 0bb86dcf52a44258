"""The claim check: a document's bytes live here, sealed; a case holds only its reference.

Content-addressed: the id derives from the SHA-256 of the bytes, so the same file sent twice
(or by two mails) is stored once. Bytes go to files under a folder (one host, ``make run``) or
into the table itself (PostgreSQL, shared by many hosts). ``document_refs`` notes which case was
handed which document, so the triage retention deletes only what no case refers to.
"""

import asyncio
import hashlib
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

from store.database import Database, fetch_one
from store.sealing import Sealer

DOCUMENT_ID_PREFIX = "DOC-"


class StoredDocument(BaseModel):
    """What may be said about a document anywhere: no name, no content."""

    document_id: str
    content_type: str
    size: int
    sha256: str
    stored_at: datetime


def document_id_of(sha256: str) -> str:
    return DOCUMENT_ID_PREFIX + sha256[:24].upper()


class DocumentStore:
    def __init__(self, db: Database, sealer: Sealer, folder: Path | None) -> None:
        """``folder`` None: bytes in the table (PostgreSQL); else sealed files there."""
        self._db = db
        self._sealer = sealer
        self._folder = folder

    async def create(self) -> None:
        await self._db.execute(
            "CREATE TABLE IF NOT EXISTS documents ("
            " document_id TEXT PRIMARY KEY,"
            " sha256 TEXT NOT NULL,"
            " size BIGINT NOT NULL,"
            " content_type TEXT NOT NULL,"
            " stored_at TEXT NOT NULL,"
            f" sealed {self._db.blob})"
        )
        await self._db.execute(
            "CREATE TABLE IF NOT EXISTS document_refs ("
            " document_id TEXT NOT NULL, case_id TEXT NOT NULL,"
            " PRIMARY KEY (document_id, case_id))"
        )
        # When the store began noting references: a document stored before may be held by a
        # case that was never noted, so retention never deletes it (the MIN of the rows).
        await self._db.execute("CREATE TABLE IF NOT EXISTS document_refs_since (since TEXT)")
        await self._db.execute(
            "INSERT INTO document_refs_since (since) SELECT $1"
            " WHERE NOT EXISTS (SELECT 1 FROM document_refs_since)",
            datetime.now(UTC).isoformat(),
        )

    async def put(self, data: bytes, content_type: str) -> StoredDocument:
        """Store once; a second put of the same bytes returns the first record."""
        sha = hashlib.sha256(data).hexdigest()
        doc_id = document_id_of(sha)
        existing = await self.describe(doc_id)
        if existing is not None:
            return existing
        sealed = self._sealer.seal(data, doc_id)
        if self._folder is not None:
            await asyncio.to_thread(self._write_file, doc_id, sealed)
        now = datetime.now(UTC).isoformat()
        await self._db.execute(
            "INSERT INTO documents (document_id, sha256, size, content_type, stored_at, sealed)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (document_id) DO NOTHING",
            doc_id,
            sha,
            len(data),
            content_type,
            now,
            None if self._folder is not None else sealed,
        )
        stored = await self.describe(doc_id)
        assert stored is not None
        return stored

    async def describe(self, document_id: str) -> StoredDocument | None:
        row = await fetch_one(
            self._db,
            "SELECT document_id, content_type, size, sha256, stored_at FROM documents"
            " WHERE document_id = $1",
            document_id,
        )
        if row is None:
            return None
        return StoredDocument(
            document_id=row[0],
            content_type=row[1],
            size=row[2],
            sha256=row[3],
            stored_at=datetime.fromisoformat(row[4]),
        )

    async def read(self, document_id: str) -> tuple[StoredDocument, bytes] | None:
        """The document and its bytes, checked against the hash it was stored under."""
        row = await fetch_one(
            self._db, "SELECT sealed FROM documents WHERE document_id = $1", document_id
        )
        stored = await self.describe(document_id)
        if row is None or stored is None:
            return None
        sealed = row[0] if row[0] is not None else await asyncio.to_thread(self._read_file, stored)
        data = self._sealer.open(bytes(sealed), document_id)
        if hashlib.sha256(data).hexdigest() != stored.sha256:
            raise ValueError(f"document {document_id} does not match its hash")
        return stored, data

    async def refer(self, case_id: str, document_ids: list[str]) -> None:
        """Note that a case holds these documents, before it is asked to: retention never
        deletes a document a case may hold."""
        for document_id in dict.fromkeys(document_ids):
            await self._db.execute(
                "INSERT INTO document_refs (document_id, case_id) VALUES ($1, $2)"
                " ON CONFLICT (document_id, case_id) DO NOTHING",
                document_id,
                case_id,
            )

    async def unrefer(self, case_id: str, document_ids: list[str]) -> None:
        """The case refused them: the note goes, and retention may purge their bytes."""
        for document_id in dict.fromkeys(document_ids):
            await self._db.execute(
                "DELETE FROM document_refs WHERE document_id = $1 AND case_id = $2",
                document_id,
                case_id,
            )

    async def filed_to(self, case_id: str, document_id: str) -> bool:
        """Whether the store handed this document to this case: what a case's own answer
        lists proves nothing when the answer may come from a run an outsider started."""
        found = await fetch_one(
            self._db,
            "SELECT 1 FROM document_refs WHERE document_id = $1 AND case_id = $2",
            document_id,
            case_id,
        )
        return found is not None

    async def delete_unreferenced(self, document_id: str) -> bool:
        """Delete the document unless a case refers to it (or may, stored before references
        were noted); True when it was deleted."""
        deleted = await self._db.execute(
            "DELETE FROM documents WHERE document_id = $1 AND NOT EXISTS"
            " (SELECT 1 FROM document_refs WHERE document_refs.document_id = $1)"
            " AND stored_at >= (SELECT MIN(since) FROM document_refs_since)",
            document_id,
        )
        if deleted and self._folder is not None:
            await asyncio.to_thread(self._path(document_id).unlink, missing_ok=True)
        return deleted > 0

    def _path(self, document_id: str) -> Path:
        assert self._folder is not None
        return self._folder / document_id[4:6] / f"{document_id}.sealed"

    def _write_file(self, document_id: str, sealed: bytes) -> None:
        """Written whole, flushed, then renamed: a crash leaves the old state or the new."""
        path = self._path(document_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(f".{os.getpid()}.{secrets.token_hex(4)}.tmp")
        with temp.open("wb") as out:
            out.write(sealed)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)

    def _read_file(self, stored: StoredDocument) -> bytes:
        return self._path(stored.document_id).read_bytes()
