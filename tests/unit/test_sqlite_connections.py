"""SQLite keeps a connection per thread (connecting, and the checkpoint at the last close, cost
more than most statements); a connection that failed is dropped and the next one works."""

import asyncio
import sqlite3
from pathlib import Path

import pytest

from store.database import WAL_KEPT_BYTES, SqliteDatabase


async def _exercise(path: Path) -> None:
    db = SqliteDatabase(path)
    await db.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)")
    for n in range(50):
        await db.execute("INSERT INTO t (k, v) VALUES ($1, $2)", f"k{n}", n)
    assert len(db._open) <= 32  # one per thread of the default pool at most, not per call
    other = SqliteDatabase(path)  # another process's view: every commit is there
    assert await other.fetch("SELECT count(*) FROM t") == [(50,)]
    with pytest.raises(sqlite3.IntegrityError):
        await db.execute("INSERT INTO t (k, v) VALUES ($1, $2)", "k1", 1)
    with pytest.raises(sqlite3.OperationalError):
        await db.execute("SELECT * FROM no_such_table")
    assert await db.execute("UPDATE t SET v = v + 1 WHERE k = $1", "k1") == 1
    await db.close()
    await other.close()
    assert db._open == [] and other._open == []
    reopened = SqliteDatabase(path)
    assert await reopened.fetch("SELECT v FROM t WHERE k = $1", "k1") == [(2,)]
    await reopened.close()


def test_connections_are_kept_dropped_when_broken_and_closed(tmp_path: Path) -> None:
    asyncio.run(_exercise(tmp_path / "store.db"))


def test_statements_from_many_threads_at_once(tmp_path: Path) -> None:
    async def many() -> None:
        db = SqliteDatabase(tmp_path / "many.db")
        await db.execute("CREATE TABLE t (n INTEGER)")
        await asyncio.gather(*(db.execute("INSERT INTO t VALUES ($1)", n) for n in range(200)))
        assert await db.fetch("SELECT count(*), sum(n) FROM t") == [(200, sum(range(200)))]
        await db.close()

    asyncio.run(many())


def test_a_thread_that_ended_leaves_no_open_connection(tmp_path: Path) -> None:
    """Each event loop has its own threads (tools and tests run many loops on one store)."""
    db = SqliteDatabase(tmp_path / "loops.db")
    asyncio.run(db.execute("CREATE TABLE t (n INTEGER)"))
    for n in range(30):
        asyncio.run(db.execute("INSERT INTO t VALUES ($1)", n))
    assert len(db._open) <= 2  # the last loop's thread (its executor is gone too) at most
    assert asyncio.run(db.fetch("SELECT count(*) FROM t")) == [(30,)]
    asyncio.run(db.close())


def test_the_wal_shrinks_back_after_a_large_write(tmp_path: Path) -> None:
    """A kept connection never closes (the close truncated the WAL): the size limit does it."""
    path = tmp_path / "big.db"
    wal = Path(f"{path}-wal")

    async def write() -> tuple[int, int]:
        db = SqliteDatabase(path)
        await db.execute("CREATE TABLE t (b BLOB)")
        await db.execute("INSERT INTO t VALUES ($1)", b"x" * 30_000_000)
        grown = wal.stat().st_size
        await db.execute("PRAGMA wal_checkpoint(PASSIVE)")  # as the autocheckpoint does
        await db.execute("INSERT INTO t VALUES ($1)", b"y")  # the WAL starts over
        after = wal.stat().st_size
        await db.close()
        return grown, after

    grown, after = asyncio.run(write())
    assert grown > 30_000_000 and after <= WAL_KEPT_BYTES, (grown, after)


def test_close_waits_for_a_statement_under_way(tmp_path: Path) -> None:
    """A cancelled caller's thread still runs its statement: closing the connection under it
    crashed the process (a gateway stopping while it sorted)."""
    slow = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) "
        "SELECT count(*) FROM n"
    )

    async def race() -> None:
        db = SqliteDatabase(tmp_path / "race.db")
        running = asyncio.ensure_future(db.fetch(slow))
        await asyncio.sleep(0.05)  # under way in its thread
        running.cancel()
        await db.close()  # waits for the statement, then closes
        assert db._open == []
        assert await db.fetch("SELECT 1") == [(1,)]  # a later statement opens anew
        await db.close()

    asyncio.run(race())
