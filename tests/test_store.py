"""The shared store on both backends: documents stored once and sealed, the inbound queue,
triage, and the notice ledger that workers on many hosts share."""

import asyncio
import base64
import hashlib
import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from pydantic import SecretStr

from mailroom.housekeeping import Purged, purge
from settings import Settings
from store.database import PostgresDatabase, SqliteDatabase
from store.sealing import UnsealableBlob
from store.senders import sender_key
from store.shared import Store
from tests.mail import inquiry, pdf_bytes

PDF = b"%PDF-1.4\n" + secrets.token_bytes(2048) + b"\n%%EOF\n"


@pytest_asyncio.fixture(params=["sqlite", "postgres"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str
) -> AsyncIterator[Store]:
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    settings = Settings(
        payload_keys=f"k1:{key}",
        notice_ledger=tmp_path / "store.sqlite3",
        documents_dir=tmp_path / "documents",
    )
    if request.param == "postgres":
        name = "t_" + uuid.uuid4().hex[:12]
        admin = await asyncpg.connect(postgres_url)
        await admin.execute(f"CREATE DATABASE {name}")
        await admin.close()
        url = postgres_url.rsplit("/", 1)[0] + "/" + name
        settings = settings.model_copy(update={"database_url": SecretStr(url)})
        opened = await Store.open(settings, await PostgresDatabase.connect(url))
    else:
        opened = await Store.open(settings, SqliteDatabase(settings.notice_ledger))
    yield opened
    await opened.close()


async def test_same_bytes_are_stored_once_and_read_back(store: Store, tmp_path: Path) -> None:
    first = await store.documents.put(PDF, "application/pdf")
    second = await store.documents.put(PDF, "application/pdf")
    assert first == second
    assert first.sha256 == hashlib.sha256(PDF).hexdigest() and first.size == len(PDF)
    rows = await store.db.fetch("SELECT COUNT(*) FROM documents")
    assert rows[0][0] == 1
    read = await store.documents.read(first.document_id)
    assert read is not None and read[1] == PDF
    assert await store.documents.read("DOC-NOPE") is None
    # Sealed at rest: neither the database nor the folder holds the plain bytes.
    marker = PDF[9:41]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert marker not in path.read_bytes(), path.name


async def test_concurrent_puts_of_one_document_agree(store: Store) -> None:
    data = secrets.token_bytes(4096)
    results = await asyncio.gather(*(store.documents.put(data, "image/png") for _ in range(8)))
    assert len({r.document_id for r in results}) == 1


async def test_a_document_sealed_for_one_id_does_not_open_as_another(
    store: Store, tmp_path: Path
) -> None:
    a = await store.documents.put(b"first document", "text/plain")
    b = await store.documents.put(b"second document", "text/plain")
    sealed = await store.db.fetch(
        "SELECT sealed FROM documents WHERE document_id = $1", a.document_id
    )
    if sealed[0][0] is None:  # bytes in files: move one file over the other
        files = {p.stem: p for p in tmp_path.rglob("*.sealed")}
        files[b.document_id].write_bytes(files[a.document_id].read_bytes())
    else:
        await store.db.execute(
            "UPDATE documents SET sealed = $1 WHERE document_id = $2", sealed[0][0], b.document_id
        )
    with pytest.raises(UnsealableBlob):
        await store.documents.read(b.document_id)


async def test_inbox_keeps_a_message_once_and_leases_it(store: Store) -> None:
    key = uuid.uuid4().hex
    assert await store.inbox.accept(key, b"raw message")
    assert not await store.inbox.accept(key, b"raw message"), "a redelivery is recognised"
    claimed = await store.inbox.claim(timedelta(minutes=5))
    assert claimed is not None and claimed.raw == b"raw message" and claimed.attempts == 1
    assert await store.inbox.claim(timedelta(minutes=5)) is None, "leased: nobody else takes it"
    await store.inbox.retry_later(key, timedelta(0))
    again = await store.inbox.claim(timedelta(seconds=0))
    assert again is not None and again.attempts == 2
    # A lease that ran out (the claimer died) makes the message due again.
    taken_over = await store.inbox.claim(timedelta(minutes=5))
    assert taken_over is not None and taken_over.attempts == 3
    await store.inbox.settle(key, "started ICR-TEST")
    assert await store.inbox.claim(timedelta(minutes=5)) is None
    assert await store.inbox.outcome(key) == ("done", "started ICR-TEST")
    assert await store.inbox.raw(key) is None, "applied: the sealed bytes are dropped"
    assert await store.inbox.pending() == 0


async def test_two_claimers_never_share_a_message(store: Store) -> None:
    keys = [uuid.uuid4().hex for _ in range(10)]
    for key in keys:
        await store.inbox.accept(key, key.encode())
    claims = await asyncio.gather(*(store.inbox.claim(timedelta(minutes=5)) for _ in range(14)))
    taken = [c.message_key for c in claims if c is not None]
    assert sorted(taken) == sorted(keys)


async def test_triage_holds_a_message_until_assigned(store: Store) -> None:
    key = uuid.uuid4().hex
    await store.inbox.accept(key, b"from a stranger")
    claimed = await store.inbox.claim(timedelta(minutes=5))
    assert claimed is not None
    item = await store.triage.add(key, "sender is not a correspondent", claimed.received_at)
    assert await store.triage.add(key, "again", claimed.received_at) == item
    await store.inbox.settle(key, f"triage {item}", keep=True)
    assert [i.item_id for i in await store.triage.list()] == [item]
    assert await store.inbox.raw(key) == b"from a stranger"
    await store.triage.assign(item, "ICR-0000000000AB", "intake.one")
    assert await store.triage.list() == []
    got = await store.triage.get(item)
    assert got is not None and got.case_id == "ICR-0000000000AB" and got.assigned_by == "intake.one"


async def test_ledger_is_shared_by_two_connections(store: Store, postgres_url: str) -> None:
    mid = f"<{uuid.uuid4().hex}@icr.case-review>"
    assert not await store.ledger.was_sent(mid)
    await asyncio.gather(store.ledger.mark_sent(mid), store.ledger.mark_sent(mid))
    assert await store.ledger.was_sent(mid)


async def test_the_access_log_keeps_every_read_by_case_and_no_content(store: Store) -> None:
    first = await store.reads.record("ICR-0000000000AA", "DOC-" + "A" * 24, "sro.one")
    await store.reads.record("ICR-0000000000BB", "DOC-" + "A" * 24, "sro.two")
    second = await store.reads.record("ICR-0000000000AA", "DOC-" + "B" * 24, "intake.one")
    log = await store.reads.of_case("ICR-0000000000AA")
    assert [(e.document_id, e.reader) for e in log] == [
        ("DOC-" + "A" * 24, "sro.one"),
        ("DOC-" + "B" * 24, "intake.one"),
    ]
    assert log == [first, second] and first.read_at <= second.read_at
    assert await store.reads.of_case("ICR-0000000000ZZ") == []
    columns = await store.db.fetch("SELECT * FROM document_reads")
    assert all(len(row) == 5 for row in columns), "who, which case, which document, when"


async def test_a_sender_gets_its_rate_per_window_and_is_kept_hashed(store: Store) -> None:
    limit = store.senders._limit
    taken = [await store.senders.take(" Maria.Lopez@Example.org ") for _ in range(limit)]
    assert all(taken)
    assert not await store.senders.take("maria.lopez@example.org"), "the same sender, any case"
    assert await store.senders.take("someone.else@example.org"), "another sender is not held"
    rows = await store.db.fetch("SELECT sender_key, messages FROM sender_counts")
    assert sorted(r[1] for r in rows) == [1, limit], "a refused message is not counted"
    assert not any("maria" in str(r[0]).lower() for r in rows)
    assert sender_key("maria.lopez@example.org", "k") != sender_key("maria.lopez@example.org", "j")
    # Many sessions at once never take more places than the window has.
    burst = await asyncio.gather(*(store.senders.take("burst@example.org") for _ in range(40)))
    assert sum(burst) == limit
    later = datetime.now(UTC) + timedelta(hours=2)
    assert await store.senders.purge(later) == 3


async def test_retention_purges_old_triage_with_only_unreferenced_bytes(
    store: Store, tmp_path: Path
) -> None:
    kept, loose = pdf_bytes(), pdf_bytes()
    old_mail = inquiry(
        attachments=[(kept, "application/pdf", "a"), (loose, "application/pdf", "b")]
    )
    raw = bytes(old_mail)
    await store.inbox.accept("old-mail", raw)
    await store.inbox.settle("old-mail", "triage", keep=True)
    long_ago = datetime.now(UTC) - timedelta(days=40)
    old_item = await store.triage.add("old-mail", "sender is not a correspondent", long_ago)
    new_item = await store.triage.add("new-mail", "unreadable", datetime.now(UTC))
    a = await store.documents.put(kept, "application/pdf")
    b = await store.documents.put(loose, "application/pdf")
    await store.documents.refer("ICR-0000000000AA", [a.document_id])  # a case holds this one
    done = await purge(store, timedelta(days=30))
    assert (done.items, done.documents) == (1, 1)
    assert await store.triage.get(old_item) is None
    assert await store.triage.get(new_item) is not None, "younger than the retention: kept"
    assert await store.inbox.outcome("old-mail") is None, "the sealed mail is gone"
    assert await store.documents.read(a.document_id) is not None, "referenced: kept"
    assert await store.documents.read(b.document_id) is None
    assert not list(tmp_path.rglob(f"{b.document_id}*")), "no sealed file left behind"
    assert await purge(store, timedelta(days=30)) == Purged(0, 0, 0), "idempotent"


async def test_retention_keeps_documents_stored_before_references_were_noted(
    store: Store,
) -> None:
    """A store upgraded in place: its older documents may be held by cases never noted."""
    older = await store.documents.put(pdf_bytes(), "application/pdf")
    await store.db.execute("DELETE FROM document_refs_since")
    await store.documents.create()  # the upgrade: noting begins now, after ``older``
    newer = await store.documents.put(pdf_bytes(), "application/pdf")
    assert not await store.documents.delete_unreferenced(older.document_id)
    assert await store.documents.delete_unreferenced(newer.document_id)
    assert await store.documents.read(older.document_id) is not None


async def test_a_document_is_filed_to_the_cases_it_was_handed_to_only(store: Store) -> None:
    doc = await store.documents.put(pdf_bytes(), "application/pdf")
    assert not await store.documents.filed_to("ICR-0000000000AB", doc.document_id)
    await store.documents.refer("ICR-0000000000AB", [doc.document_id])
    assert await store.documents.filed_to("ICR-0000000000AB", doc.document_id)
    assert not await store.documents.filed_to("ICR-0000000000AC", doc.document_id)
