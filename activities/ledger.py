"""The notice ledger: which Message-IDs have already gone out.

A retried activity or a restarted worker asks the ledger before sending, so a notice leaves
once. SQLite in WAL mode is shared safely by the workers of one host; a cluster points every
worker at the same file on a shared volume or replaces this class.
"""

import asyncio
import sqlite3
from pathlib import Path


class NoticeLedger:
    def __init__(self, path: Path) -> None:
        self._path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS sent ("
                " message_id TEXT PRIMARY KEY,"
                " sent_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
            )

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self._path, timeout=30, isolation_level=None)

    def _was_sent(self, message_id: str) -> bool:
        with self._connect() as db:
            row = db.execute("SELECT 1 FROM sent WHERE message_id = ?", (message_id,)).fetchone()
        return row is not None

    def _mark_sent(self, message_id: str) -> None:
        with self._connect() as db:
            db.execute("INSERT OR IGNORE INTO sent (message_id) VALUES (?)", (message_id,))

    async def was_sent(self, message_id: str) -> bool:
        return await asyncio.to_thread(self._was_sent, message_id)

    async def mark_sent(self, message_id: str) -> None:
        await asyncio.to_thread(self._mark_sent, message_id)
