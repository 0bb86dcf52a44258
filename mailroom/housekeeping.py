"""The gateway's hourly housekeeping: triage retention, settled inbox rows of the same age and
the senders' old counts.

A triage item older than ``ICR_TRIAGE_RETENTION_DAYS`` goes, with its sealed mail and those of
its attachments no case refers to (``document_refs``). Deleting is idempotent and in an order
that a crash midway only repeats: the documents, then the mail, then the item itself. Several
gateway hosts may run it at once.
"""

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog

from mailroom.letter import read_letter
from store.documents import document_id_of
from store.shared import Store

log = structlog.get_logger("icr.mailroom")
INTERVAL = timedelta(hours=1)


@dataclass(frozen=True)
class Purged:
    items: int
    documents: int
    sender_windows: int
    inbox_rows: int = 0


def _attachment_ids(raw: bytes | None) -> list[str]:
    if raw is None:
        return []
    try:
        letter = read_letter(raw)
    except Exception:  # unreadable: nothing of it was ever stored as a document
        return []
    return [document_id_of(hashlib.sha256(a.data).hexdigest()) for a in letter.attachments]


async def purge(store: Store, retention: timedelta, now: datetime | None = None) -> Purged:
    """Purge what retention and the rate windows no longer need; the counts, for the log."""
    now = now or datetime.now(UTC)
    items = await store.triage.older_than(now - retention)
    documents = 0
    for item in items:
        raw = await store.inbox.raw(item.message_key)
        ids = await asyncio.to_thread(_attachment_ids, raw)
        for document_id in dict.fromkeys(ids):
            documents += await store.documents.delete_unreferenced(document_id)
        await store.inbox.forget(item.message_key)
        await store.triage.remove(item.item_id)
    windows = await store.senders.purge(now)
    rows = await store.inbox.forget_settled(now - retention)
    return Purged(len(items), documents, windows, rows)


async def keep_house(store: Store, retention: timedelta, interval: timedelta = INTERVAL) -> None:
    """Purge now and every ``interval`` until cancelled; a failed round waits for the next."""
    while True:
        try:
            done = await purge(store, retention)
            if done.items or done.sender_windows or done.inbox_rows:
                log.info(
                    "mailroom.purged",
                    triage_items=done.items,
                    documents=done.documents,
                    sender_windows=done.sender_windows,
                    inbox_rows=done.inbox_rows,
                )
        except Exception as exc:
            log.error("mailroom.purge_failed", error=type(exc).__name__)
        await asyncio.sleep(interval.total_seconds())
