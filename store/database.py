"""The one database every store table lives in: SQLite for one host, PostgreSQL for many.

SQL is written once, PostgreSQL style (``$1`` placeholders, ``ON CONFLICT``, ``RETURNING``);
SQLite 3.35+ understands it once ``$n`` becomes ``?n``. Only the column type of bytes and the
row lock of a queue differ, and ``Database`` names them.
"""

import asyncio
import re
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import asyncpg

Row = tuple[Any, ...]
_PLACEHOLDER = re.compile(r"\$(\d+)")
WAL_KEPT_BYTES = 4 * 1024 * 1024


class Database(Protocol):
    #: the column type for bytes
    blob: str
    #: what a claiming SELECT appends so two hosts never take the same row
    skip_locked: str

    async def execute(self, sql: str, *args: Any) -> int:
        """Run one statement; the number of rows it changed."""

    async def fetch(self, sql: str, *args: Any) -> list[Row]: ...

    async def close(self) -> None: ...


async def fetch_one(db: Database, sql: str, *args: Any) -> Row | None:
    rows = await db.fetch(sql, *args)
    return rows[0] if rows else None


class SqliteDatabase:
    """One file, WAL, ``synchronous=FULL``: a commit has reached the disk when it returns.

    Each thread that runs a statement keeps its own connection open: connecting costs more
    than most statements here, and the last connection's close checkpoints the whole WAL.
    Its statements are not cached: a cached statement keeps its last bound values, so every
    thread would hold a copy of the last 25 MB message it stored."""

    blob = "BLOB"
    skip_locked = ""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._local = threading.local()
        self._open: list[_Kept] = []
        self._guard = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        db = self._connect()
        try:
            db.execute("PRAGMA journal_mode=WAL")
        finally:
            db.close()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(
            self._path,
            timeout=30,
            isolation_level=None,
            check_same_thread=False,
            cached_statements=0,
        )
        db.execute("PRAGMA synchronous=FULL")
        # A kept connection never closes, so the WAL would keep the size of the largest write
        # (a 25 MB message): cut back to this at each checkpoint instead.
        db.execute(f"PRAGMA journal_size_limit={WAL_KEPT_BYTES}")
        return db

    def _kept(self) -> "_Kept":
        kept: _Kept | None = getattr(self._local, "kept", None)
        if kept is None or kept.closed:
            kept = self._local.kept = _Kept(threading.current_thread(), self._connect())
            with self._guard:  # a thread that ended left its connection: closed here
                ended = [k for k in self._open if not k.thread.is_alive()]
                self._open = [k for k in self._open if k.thread.is_alive() and not k.closed]
                self._open.append(kept)
            for k in ended:
                k.shut()
        return kept

    def _run(self, sql: str, args: Sequence[Any], rows: bool) -> Any:
        while True:
            kept = self._kept()
            with kept.lock:  # close() waits for a statement under way, never pulls it away
                if kept.closed:
                    continue  # closed meanwhile: this thread opens anew
                try:
                    cursor = kept.db.execute(_PLACEHOLDER.sub(r"?\1", sql), tuple(args))
                    return cursor.fetchall() if rows else cursor.rowcount
                except sqlite3.IntegrityError:
                    raise
                except sqlite3.Error:  # the next statement of this thread opens anew
                    kept.shut_held()
                    raise

    async def execute(self, sql: str, *args: Any) -> int:
        changed: int = await asyncio.to_thread(self._run, sql, args, False)
        return changed

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        rows: list[Row] = await asyncio.to_thread(self._run, sql, args, True)
        return [tuple(r) for r in rows]

    async def close(self) -> None:
        """Each connection once its statement under way is done (a cancelled caller's thread
        may still be running one: closing under it would crash the process)."""
        with self._guard:
            kept, self._open = self._open, []

        def shut_all() -> None:
            for k in kept:
                k.shut()

        await asyncio.to_thread(shut_all)


@dataclass
class _Kept:
    """A thread's connection, the lock its statements hold, and whether it was closed."""

    thread: threading.Thread
    db: sqlite3.Connection
    lock: threading.Lock = field(default_factory=threading.Lock)
    closed: bool = False

    def shut(self) -> None:
        with self.lock:
            self.shut_held()

    def shut_held(self) -> None:
        """Close, by the holder of ``lock``."""
        if not self.closed:
            self.closed = True
            self.db.close()


class PostgresDatabase:
    """A small connection pool; each statement is its own transaction."""

    blob = "BYTEA"
    skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, pool: "asyncpg.Pool[Any]") -> None:
        self._pool = pool

    @classmethod
    async def connect(cls, url: str) -> "PostgresDatabase":
        try:
            pool = await asyncpg.create_pool(url, min_size=1, max_size=5, command_timeout=60)
        except (OSError, asyncpg.PostgresError) as exc:
            # The driver's text may quote the URL, password included: only the class leaves.
            raise StoreUnavailable(f"PostgreSQL unreachable ({type(exc).__name__})") from None
        return cls(pool)

    async def execute(self, sql: str, *args: Any) -> int:
        status: str = await self._pool.execute(sql, *args)
        last = status.rsplit(" ", 1)[-1]
        return int(last) if last.isdigit() else 0

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        return [tuple(r) for r in await self._pool.fetch(sql, *args)]

    async def close(self) -> None:
        await self._pool.close()


class StoreUnavailable(RuntimeError):
    """The database cannot be reached; the message never quotes its address or password."""


async def open_database(url: str | None, sqlite_path: Path) -> Database:
    """PostgreSQL when a URL is configured (``ICR_DATABASE_URL``), else the SQLite file."""
    if url:
        return await PostgresDatabase.connect(url)
    return SqliteDatabase(sqlite_path)


class LazyDatabase:
    """Connects on first use, so a synchronous builder (the worker's) can hand one out; a
    failed connection is retried on the next call rather than remembered."""

    def __init__(self, url: str | None, sqlite_path: Path) -> None:
        self._url = url
        self._path = sqlite_path
        self._db: Database | None = None
        self._lock = asyncio.Lock()
        self.blob = "BYTEA" if url else "BLOB"
        self.skip_locked = PostgresDatabase.skip_locked if url else ""

    async def _open(self) -> Database:
        if self._db is None:
            async with self._lock:
                if self._db is None:
                    self._db = await open_database(self._url, self._path)
        return self._db

    async def execute(self, sql: str, *args: Any) -> int:
        return await (await self._open()).execute(sql, *args)

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        return await (await self._open()).fetch(sql, *args)

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None
