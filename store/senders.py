"""How many messages each sender sent in the current window, shared by every gateway host.

A sender is kept only as a keyed hash of its address (an address is personal data): the key
is the subject-key secret, so the table cannot be searched for a known address without it.
Fixed windows: a count is a row per (sender, window), and old windows are purged.
"""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from store.database import Database


def sender_key(address: str, secret: str) -> str:
    """The hashed sender: case and surrounding blanks do not make a new sender."""
    normalized = address.strip().lower().encode("utf-8", "surrogateescape")
    return hmac.new(secret.encode(), b"icr-sender:" + normalized, hashlib.sha256).hexdigest()


class SenderRate:
    def __init__(self, db: Database, secret: str, limit: int, window: timedelta) -> None:
        self._db = db
        self._secret = secret
        self._limit = limit
        self._seconds = max(int(window.total_seconds()), 1)

    async def create(self) -> None:
        await self._db.execute(
            "CREATE TABLE IF NOT EXISTS sender_counts ("
            " sender_key TEXT NOT NULL,"
            " window_start BIGINT NOT NULL,"
            " messages INTEGER NOT NULL,"
            " PRIMARY KEY (sender_key, window_start))"
        )

    def _window(self, now: datetime | None = None) -> int:
        stamp = int((now or datetime.now(UTC)).timestamp())
        return stamp - stamp % self._seconds

    async def within(self, address: str, limit: int | None = None) -> bool:
        """Whether the sender may still send in this window (nothing is counted)."""
        rows = await self._db.fetch(
            "SELECT messages FROM sender_counts WHERE sender_key = $1 AND window_start = $2",
            sender_key(address, self._secret),
            self._window(),
        )
        return not rows or int(rows[0][0]) < (limit or self._limit)

    async def take(self, address: str, limit: int | None = None) -> bool:
        """Count one accepted message for the sender (or, prefixed ``client:``, the client
        address); False (nothing counted) when over ``limit`` (the sender rate if None).

        One statement, so two hosts (or two sessions) never both take the last place.
        """
        rows = await self._db.fetch(
            "INSERT INTO sender_counts (sender_key, window_start, messages) VALUES ($1, $2, 1)"
            " ON CONFLICT (sender_key, window_start) DO UPDATE"
            " SET messages = sender_counts.messages + 1 WHERE sender_counts.messages < $3"
            " RETURNING messages",
            sender_key(address, self._secret),
            self._window(),
            limit or self._limit,
        )
        return bool(rows)

    async def purge(self, now: datetime | None = None) -> int:
        """Forget the windows before the current one: their counts no longer matter."""
        return await self._db.execute(
            "DELETE FROM sender_counts WHERE window_start < $1", self._window(now)
        )
