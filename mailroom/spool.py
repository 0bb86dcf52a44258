"""A message's DATA on disk as it arrives, so a session holds a small buffer, not the message.

Each session writes to its own file under ``ICR_INBOUND_SPOOL_DIR`` (mode 0600), encrypted with
a key that lives only in that session's memory (AES-CTR): a crash leaves nothing readable. The
file goes once the mail is stored, refused, or the connection drops; leftovers of a killed
process (older than any session can live) are swept at start and now and then after.

Storing needs the message in memory (sealed whole into the inbox, about 4x its size at the
peak): ``turn(size)`` lets sessions do that only while the messages being stored add up to at
most the budget (the size limit: one largest message at a time, many small ones at once), so
200 sessions finishing together hold one 25 MB message, not 200.
"""

import asyncio
import ctypes
import ctypes.util
import os
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

CHUNK = 64 * 1024
PREFIX = "data-"


_M_MMAP_THRESHOLD = -3


def return_large_buffers() -> bool:
    """Have glibc hand buffers of 1 MB and more straight back to the OS when freed.

    By default its mmap threshold grows to the largest buffer freed (up to 32 MB), after which a
    stored 25 MB message's buffers stay in the heap, fragmented: measured, one 25 MB message
    left the gateway ~7x its size in RSS instead of ~4x. False where there is no glibc."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, 1024 * 1024))


class SpooledData:
    """One message being received: ``write`` as lines arrive, ``read`` once, ``discard``."""

    def __init__(self, folder: Path) -> None:
        fd, name = tempfile.mkstemp(prefix=PREFIX, dir=folder)
        self.path = Path(name)
        self._file = os.fdopen(fd, "wb", buffering=0)
        self._cipher = Cipher(algorithms.AES(os.urandom(32)), modes.CTR(os.urandom(16)))
        self._encrypt = self._cipher.encryptor()
        self._pending = bytearray()
        self.size = 0

    def write(self, data: bytes) -> None:
        """Buffered up to ``CHUNK``; raises ``OSError`` when the disk does (full, gone)."""
        self._pending += data
        self.size += len(data)
        if len(self._pending) >= CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._file.write(self._encrypt.update(self._pending))
            self._pending.clear()

    def _read(self) -> bytes:
        self._flush()
        self._file.close()
        sealed = self.path.read_bytes()
        plain = self._cipher.decryptor().update(sealed)
        del sealed
        return plain

    async def read(self) -> bytes:
        """The whole message, in one copy (the file is read and decrypted off the loop)."""
        return await asyncio.to_thread(self._read)

    def discard(self) -> None:
        self._pending.clear()
        self._file.close()
        self.path.unlink(missing_ok=True)


class Spool:
    """The folder of one gateway process's messages in flight, and the turns to store them."""

    def __init__(self, folder: Path, oldest_seconds: float, budget: int) -> None:
        self.folder = folder
        self._oldest = oldest_seconds
        self._budget = budget
        self._storing = 0
        self._turns = asyncio.Condition()
        self._swept = 0.0

    def open(self) -> SpooledData:
        """A new file (raises ``OSError`` when the folder cannot take one)."""
        if time.monotonic() - self._swept > self._oldest:
            self.sweep()
        return SpooledData(self.folder)

    def sweep(self) -> int:
        """Remove files older than any session can live (a killed process's); how many went.
        Other gateway processes may share the folder: their live files are younger."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._swept = time.monotonic()
        cutoff = time.time() - self._oldest
        gone = 0
        for path in self.folder.glob(PREFIX + "*"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    gone += 1
            except FileNotFoundError:
                continue
        return gone

    @asynccontextmanager
    async def turn(self, size: int) -> AsyncIterator[None]:
        """Held while a message of ``size`` bytes is in memory to be stored; waits while the
        others being stored leave no room for it in the budget (storing takes well under a
        second, so the wait is short)."""
        share = max(1, min(size, self._budget))
        async with self._turns:
            await self._turns.wait_for(lambda: self._storing + share <= self._budget)
            self._storing += share
        try:
            yield
        finally:
            async with self._turns:
                self._storing -= share
                self._turns.notify_all()
