"""The DATA spool: bytes on disk unreadable without the session, read back exactly, files
gone when discarded or left by a killed process, and storing turns bounded by bytes."""

import asyncio
import os
import time
from pathlib import Path

from mailroom.spool import Spool, return_large_buffers


async def test_a_message_is_stored_encrypted_and_read_back_exactly(tmp_path: Path) -> None:
    spool = Spool(tmp_path, oldest_seconds=60, budget=1000)
    data = spool.open()
    lines = [b"A-Number: A123456789\r\n" * 4000, b"tail without newline"]
    for line in lines:
        data.write(line)
    assert data.size == sum(map(len, lines))
    assert b"A123456789" not in data.path.read_bytes(), "never in clear on disk"
    assert os.stat(data.path).st_mode & 0o077 == 0, "the gateway's user only"
    assert await data.read() == b"".join(lines)
    data.discard()
    assert not list(tmp_path.iterdir())


def test_a_killed_process_s_files_are_swept_and_live_ones_kept(tmp_path: Path) -> None:
    spool = Spool(tmp_path, oldest_seconds=600, budget=1000)
    old, live = tmp_path / "data-old", spool.open()
    old.write_bytes(b"x")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    (tmp_path / "other-file").write_bytes(b"not ours")
    assert spool.sweep() == 1
    assert not old.exists() and live.path.exists() and (tmp_path / "other-file").exists()
    live.discard()


async def test_storing_turns_hold_at_most_the_budget_in_bytes(tmp_path: Path) -> None:
    spool = Spool(tmp_path, oldest_seconds=60, budget=100)
    inside, most = 0, 0

    async def store(size: int) -> None:
        nonlocal inside, most
        async with spool.turn(size):
            inside += max(1, min(size, 100))
            most = max(most, inside)
            await asyncio.sleep(0.01)
            inside -= max(1, min(size, 100))

    await asyncio.gather(*(store(s) for s in (100, 60, 60, 30, 10, 500, 0)))
    assert most <= 100
    assert inside == 0


def test_large_buffers_go_back_to_the_os_where_glibc_is() -> None:
    assert return_large_buffers() or not Path("/lib/x86_64-linux-gnu/libc.so.6").exists()
