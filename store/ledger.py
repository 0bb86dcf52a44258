"""The notice ledger: which Message-IDs have already gone out.

A retried activity or a restarted worker asks the ledger before sending, so a notice leaves
once. It lives in the shared store: SQLite for one host, PostgreSQL (``ICR_DATABASE_URL``) when
workers on several hosts must agree.
"""

from store.database import Database, fetch_one


class NoticeLedger:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._ready = False

    async def create(self) -> None:
        self._ready = True
        await self._db.execute(
            "CREATE TABLE IF NOT EXISTS sent ("
            " message_id TEXT PRIMARY KEY,"
            " sent_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
        )

    async def was_sent(self, message_id: str) -> bool:
        if not self._ready:
            await self.create()
        row = await fetch_one(self._db, "SELECT 1 FROM sent WHERE message_id = $1", message_id)
        return row is not None

    async def mark_sent(self, message_id: str) -> None:
        if not self._ready:
            await self.create()
        await self._db.execute(
            "INSERT INTO sent (message_id) VALUES ($1) ON CONFLICT (message_id) DO NOTHING",
            message_id,
        )
