"""Issue 21: what DATA costs the gateway in memory, measured as the peak RSS of a real gateway
in its own process (its own SQLite store, no Temporal: these mails go to triage), while bare
clients send large messages, one and several at once, and the mails are stored and sorted.

The spool keeps a session's share to a small buffer while bytes arrive; storing holds messages
whole up to a budget of one largest message (``mailroom.spool``), sorting one at a time."""

import asyncio
import pickle
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from settings import Settings
from tests.mail import MAILBOX, own_store

pytestmark = pytest.mark.slow
MB = 1024 * 1024

CHILD = """
import asyncio, pickle, sys
from pathlib import Path
from mailroom.gateway import Gateway

def kib(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)

async def no_temporal():
    raise RuntimeError("no Temporal in this test")

async def main():
    if "nosort" in sys.argv:
        import mailroom.sorting
        async def held(self, wake):
            await asyncio.Event().wait()
        mailroom.sorting.Sorter.run = held
    gw = Gateway(pickle.loads(Path(sys.argv[1]).read_bytes()), no_temporal)
    await gw.start()
    loop = asyncio.get_running_loop()
    while True:
        Path("/proc/self/clear_refs").write_text("5")  # the peak counts from here
        print("@@", gw.port, kib("VmRSS"), flush=True)
        if not (await loop.run_in_executor(None, sys.stdin.readline)).strip():
            break
        # stored and sorted (unless held): every cost is in the peak
        while "nosort" not in sys.argv and await gw.store.inbox.pending():
            await asyncio.sleep(0.1)
        print("@@", kib("VmHWM"), flush=True)
    await gw.stop()

asyncio.run(main())
"""


async def _said(proc: asyncio.subprocess.Process, timeout: float) -> list[int]:
    """The child's next figures (its log lines go to the same stdout)."""
    assert proc.stdout is not None
    while True:
        line = await asyncio.wait_for(proc.stdout.readline(), timeout)
        assert line, "the gateway process ended"
        if line.startswith(b"@@ "):
            return [int(x) for x in line.split()[1:]]


class Measured:
    def __init__(self, proc: asyncio.subprocess.Process, port: int, base: int) -> None:
        self.proc, self.port, self.base = proc, port, base

    async def peak_growth(self) -> int:
        """Bytes the peak RSS rose above the RSS before the last round, then a new round."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"go\n")
        (peak,) = await _said(self.proc, 300)
        growth = peak * 1024 - self.base
        _, base = await _said(self.proc, 60)
        self.base = base * 1024
        return growth


@asynccontextmanager
async def gateway_process(
    settings: Settings, tmp_path: Path, *, hold_sorting: bool
) -> AsyncIterator[Measured]:
    own = own_store(settings, tmp_path, inbound_read_seconds=60)
    (tmp_path / "settings.pickle").write_bytes(pickle.dumps(own))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        str(tmp_path / "settings.pickle"),
        *(["nosort"] if hold_sorting else []),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        port, base = await _said(proc, 60)
        yield Measured(proc, port, base * 1024)
    finally:
        if proc.stdin is not None:
            proc.stdin.write(b"\n")
        try:
            await asyncio.wait_for(proc.wait(), 30)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def raw_smtp(port: int, sender: str, data: bytes) -> bytes:
    """A bare SMTP client: ``data`` goes out as built (CRLF, dots stuffed), no copies made."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await reader.readline()
    for command in (b"HELO x", f"MAIL FROM:<{sender}>".encode(), f"RCPT TO:<{MAILBOX}>".encode()):
        writer.write(command + b"\r\n")
        await reader.readline()
    writer.write(b"DATA\r\n")
    await reader.readline()
    writer.write(data)
    writer.write(b".\r\n")
    await writer.drain()
    answer = await asyncio.wait_for(reader.readline(), 120)
    writer.close()
    return answer


def big(line: bytes, size: int) -> bytes:
    head = (
        f"From: <big@example.net>\r\nTo: <{MAILBOX}>\r\nSubject: x\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@example.net>\r\n\r\n"
    ).encode()
    return head + line * (size // len(line))


async def _six_at_once(gateway: Measured) -> int:
    several = [big(b"y" * 998 + b"\r\n", 25 * MB - 4096) for _ in range(6)]
    answers = await asyncio.gather(
        *(raw_smtp(gateway.port, "big@example.net", data) for data in several)
    )
    assert all(a.startswith(b"250") for a in answers), answers
    return await gateway.peak_growth()


async def _measure(gateway: Measured) -> tuple[int, int, int, int]:
    """Peak growth for 4 MB of empty lines, one 25 MB message, six of 25 MB at once."""
    empty = big(b"\r\n", 4 * MB)
    assert (await raw_smtp(gateway.port, "big@example.net", empty)).startswith(b"250")
    lines = await gateway.peak_growth()
    one = big(b"x" * 998 + b"\r\n", 25 * MB - 4096)
    assert (await raw_smtp(gateway.port, "big@example.net", one)).startswith(b"250")
    single = await gateway.peak_growth()
    six = await _six_at_once(gateway)
    print(
        f"4 MB of empty lines +{lines / MB:.0f} MB, one 25 MB +{single / MB:.0f} MB, "
        f"six 25 MB at once +{six / MB:.0f} MB"
    )
    return lines, single, six, len(one)


async def test_the_front_door_holds_a_few_messages_however_many_sessions_send(
    settings: Settings, tmp_path: Path
) -> None:
    """Finding: 12 MB of empty lines took 155 → 1,171 MB (aiosmtpd's list of lines; 4 MB
    here), and each session held its message 1-3 times (six at once: +444 MB, 17x one
    message, measured on the code before the spool), so 200 sessions of 25 MB were ~5 GB.
    Sorting held back here: the SMTP side alone, receiving and storing."""
    async with gateway_process(settings, tmp_path, hold_sorting=True) as gateway:
        lines, single, six, size = await _measure(gateway)
    assert lines < 5 * 4 * MB and single < 5 * size, (lines, single)
    assert six < 5 * size, f"six at once +{six / MB:.0f} MB: one is stored at a time"
    assert not list((tmp_path / "spool").iterdir()), "spool files removed once stored"


async def test_the_whole_gateway_stores_and_sorts_six_large_mails_in_a_bounded_peak(
    settings: Settings, tmp_path: Path
) -> None:
    """The same, sorting as well (one mail at a time, read in a child process, the letter
    brought back): before the spool, six at once +446 MB; now bounded by one stored and one
    sorted message, whatever the number of sessions."""
    async with gateway_process(settings, tmp_path, hold_sorting=False) as gateway:
        six = await _six_at_once(gateway)
    print(f"sorting as well: six 25 MB at once +{six / MB:.0f} MB")
    assert six < 12 * 25 * MB, f"+{six / MB:.0f} MB"
    assert not list((tmp_path / "spool").iterdir()), "spool files removed once stored"
