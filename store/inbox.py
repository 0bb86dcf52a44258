"""The inbound queue: a mail is sealed here before the gateway says 250, applied later.

Keyed by the message's identity, so a retried delivery is recognised and stored once. A worker
claims a message for a lease; if it dies, the lease runs out and another takes it over, and
because applying is idempotent (case ids and decision ids derive from the key) nothing is
applied twice. Once applied, the sealed bytes are dropped unless triage still needs them.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from store.database import Database, fetch_one
from store.sealing import Sealer

PENDING, WORKING, DONE = "pending", "working", "done"


@dataclass(frozen=True)
class Waiting:
    """Mail received and not yet sorted: how many, and the oldest's age (no personal data)."""

    count: int
    oldest_seconds: float


@dataclass(frozen=True)
class InboxMessage:
    message_key: str
    received_at: datetime
    attempts: int
    raw: bytes


def _now() -> datetime:
    return datetime.now(UTC)


class Inbox:
    def __init__(self, db: Database, sealer: Sealer) -> None:
        self._db = db
        self._sealer = sealer

    async def create(self) -> None:
        await self._db.execute(
            "CREATE TABLE IF NOT EXISTS inbox ("
            " message_key TEXT PRIMARY KEY,"
            " received_at TEXT NOT NULL,"
            " state TEXT NOT NULL,"
            " not_before TEXT NOT NULL,"
            " attempts INTEGER NOT NULL DEFAULT 0,"
            " outcome TEXT,"
            f" sealed {self._db.blob})"
        )
        # The health check asks for the oldest unsorted mail every few seconds: only the
        # unsettled rows are indexed, so it costs the queue's size, not the retention's.
        await self._db.execute(
            "CREATE INDEX IF NOT EXISTS inbox_waiting ON inbox (received_at)"
            f" WHERE state <> '{DONE}'"
        )

    async def accept(self, message_key: str, raw: bytes) -> bool:
        """Durably stored when this returns; False: the same message was already here."""
        now = _now().isoformat()
        changed = await self._db.execute(
            "INSERT INTO inbox (message_key, received_at, state, not_before, sealed)"
            " VALUES ($1, $2, $3, $2, $4) ON CONFLICT (message_key) DO NOTHING",
            message_key,
            now,
            PENDING,
            self._sealer.seal(raw, message_key),
        )
        return changed == 1

    async def claim(self, lease: timedelta) -> InboxMessage | None:
        """The oldest message due, leased to the caller; an expired lease counts as due."""
        now = _now()
        row = await fetch_one(
            self._db,
            "UPDATE inbox SET state = $1, not_before = $2, attempts = attempts + 1"
            " WHERE message_key = (SELECT message_key FROM inbox"
            "  WHERE state IN ($3, $1) AND not_before <= $4"
            f"  ORDER BY received_at LIMIT 1{self._db.skip_locked})"
            " RETURNING message_key, received_at, attempts, sealed",
            WORKING,
            (now + lease).isoformat(),
            PENDING,
            now.isoformat(),
        )
        if row is None:
            return None
        key, received, attempts, sealed = row
        return InboxMessage(
            key, datetime.fromisoformat(received), attempts, self._sealer.open(bytes(sealed), key)
        )

    async def settle(self, message_key: str, outcome: str, *, keep: bool = False) -> None:
        """Applied: record the outcome (no personal data); drop the bytes unless ``keep``."""
        await self._db.execute(
            "UPDATE inbox SET state = $1, outcome = $2"
            + ("" if keep else ", sealed = NULL")
            + " WHERE message_key = $3",
            DONE,
            outcome,
            message_key,
        )

    async def retry_later(self, message_key: str, delay: timedelta) -> None:
        """Could not apply now (Temporal down): back in the queue after ``delay``."""
        await self._db.execute(
            "UPDATE inbox SET state = $1, not_before = $2 WHERE message_key = $3",
            PENDING,
            (_now() + delay).isoformat(),
            message_key,
        )

    async def raw(self, message_key: str) -> bytes | None:
        row = await fetch_one(
            self._db, "SELECT sealed FROM inbox WHERE message_key = $1", message_key
        )
        if row is None or row[0] is None:
            return None
        return self._sealer.open(bytes(row[0]), message_key)

    async def forget(self, message_key: str) -> None:
        """Drop a settled message whole (retention): a later delivery of it is a new one."""
        await self._db.execute(
            "DELETE FROM inbox WHERE message_key = $1 AND state = $2", message_key, DONE
        )

    async def forget_settled(self, before: datetime) -> int:
        """Retention of settled mail whose bytes are gone (no triage needs it): its row goes,
        and a later delivery of the same bytes is a new mail."""
        return await self._db.execute(
            "DELETE FROM inbox WHERE state = $1 AND sealed IS NULL AND received_at < $2",
            DONE,
            before.isoformat(),
        )

    async def outcome(self, message_key: str) -> tuple[str, str | None] | None:
        row = await fetch_one(
            self._db, "SELECT state, outcome FROM inbox WHERE message_key = $1", message_key
        )
        return None if row is None else (row[0], row[1])

    async def waiting(self) -> Waiting:
        """Received and not yet settled, retries waiting for their time included."""
        row = await fetch_one(
            self._db,
            f"SELECT COUNT(*), MIN(received_at) FROM inbox WHERE state <> '{DONE}'",
        )
        if row is None or not row[0]:
            return Waiting(0, 0.0)
        age = (_now() - datetime.fromisoformat(row[1])).total_seconds()
        return Waiting(int(row[0]), max(age, 0.0))

    async def pending(self) -> int:
        return (await self.waiting()).count
